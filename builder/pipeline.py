"""The run as a pipeline of stages: render → bases → build → test → publish → report.

Each stage takes the Run and works on its targets; a target that fails a stage is recorded
and left out of the later ones, while the other targets go on."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from builder import bases, build, buildid, plan, publish, render, report, services, smoketest
from builder.catalog import VARIANTS, Catalog
from builder.engine import LABEL, Engine
from builder.errors import BirdhouseError, BuildError, HostError, SmokeTestError
from builder.log import Log
from builder.state import State, Store
from builder.targets import Target

INPUTS = f"{LABEL}.inputs"


@dataclass
class Run:
    catalog: Catalog
    targets: list[Target]
    out: Path
    log: Log
    nocache: bool = False
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    failures: dict[str, BirdhouseError] = field(default_factory=dict)
    inputs: dict[str, buildid.Inputs] = field(default_factory=dict)
    built: set[str] = field(default_factory=set)  # what this run built
    rendered: dict[str, render.Rendered] = field(default_factory=dict)  # by render_stage
    tally: dict[str, Counter[str]] = field(default_factory=dict)  # stage -> done, unchanged, failed
    _local: threading.local = field(default_factory=threading.local)

    @property
    def engine(self) -> Engine:
        """This thread's connection to the engine (workers each have their own)."""
        if not hasattr(self._local, "engine"):
            self._local.engine = Engine.connect()
        engine: Engine = self._local.engine
        return engine

    @cached_property
    def store(self) -> Store:
        return Store(self.out / "state")

    @cached_property
    def apt_proxy(self) -> str | None:
        return services.apt_proxy()

    @cached_property
    def registry(self) -> publish.Registry:
        return publish.Registry.from_env(self.catalog.registry, self.catalog.namespace)

    def context(self, target: Target) -> Path:
        return self.out / "render" / target.id

    def pending(self) -> list[Target]:
        return [target for target in self.targets if target.id not in self.failures]

    def _fail(self, target: Target, stage: str, error: BirdhouseError) -> None:
        self.failures[target.id] = error
        self.store.put(self.store.get(target.id).evolve(error=f"{stage}: {error}"))
        self.log.info(f"  {error}")
        if isinstance(error, BuildError) and error.log:
            with self.log.fold(f"{target.id}: the end of its {stage} log"):
                self.log.info("  " + error.log.strip().replace("\n", "\n  "))
        self.log.info(f"  log: {self.out / 'logs' / (target.id + '.log')}")

    def _one(self, stage: str, action: Callable[[Target], str | None], target: Target) -> None:
        tally = self.tally.setdefault(stage.split(maxsplit=1)[0], Counter())
        try:
            with self.log.step(target.id, stage) as step:
                step.note = action(target) or ""
            tally["unchanged" if step.note else "done"] += 1
        except BirdhouseError as error:
            tally["failed"] += 1
            self._fail(target, stage, error)

    def summary(self) -> str:
        """One line: what each stage did, left alone as unchanged, or failed."""
        parts = []
        for stage, tally in self.tally.items():
            counts = ", ".join(f"{tally[key]} {key}" for key in ("done", "unchanged", "failed") if tally[key])
            parts.append(f"{stage}: {counts}")
        return "; ".join(parts)

    def each(self, stage: str, action: Callable[[Target], str | None], variants: tuple[str, ...] = VARIANTS) -> None:
        """action on every pending target of variants, `jobs` at a time, each once its parents
        are done: one ✓/✕ line each with the note action returns (why it did nothing, say).
        A failure is kept, not raised; the targets that need the failed one are skipped, named."""
        todo = [target for target in self.pending() if target.variant in variants]
        unfinished = {target.id for target in todo}
        running: dict[Future[None], Target] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            while todo:
                for target in list(todo):
                    failed = [parent for parent in target.parents if parent in self.failures]
                    if failed:
                        todo.remove(target)
                        unfinished.discard(target.id)
                        self.log.info(f"- {target.id:<24} {stage}: skipped: it needs {failed[0]}, which failed")
                        cause = type(self.failures[failed[0]])
                        self._fail(target, stage, cause(f"{target.id}: skipped: it needs {failed[0]}, which failed"))
                    elif not unfinished & set(target.parents):
                        todo.remove(target)
                        running[pool.submit(self._one, stage, action, target)] = target
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
                    unfinished.discard(running.pop(future).id)
            for future in running:
                future.result()


def render_stage(run: Run) -> None:
    for target in run.targets:
        run.rendered[target.id] = render.render(target, run.catalog)
        render.write(run.rendered[target.id], run.context(target))


def bases_stage(run: Run) -> None:
    if run.apt_proxy:
        run.log.info(f"packages come through the cache at {run.apt_proxy}")
    for name in sorted({target.base for target in run.pending()}):
        bases.ensure(run.engine, run.catalog.bases[name], run.log, proxy=run.apt_proxy)


def identify_stage(run: Run) -> None:
    """Each target's build inputs, hence its build id (the bases must exist: they are an input)."""
    for target in run.pending():
        base = run.catalog.bases[target.base]
        rendered = run.rendered[target.id]
        run.inputs[target.id] = buildid.inputs(rendered, run.engine.image_id(bases.base_image(base)) or "", base)


def build_stage(run: Run) -> None:
    def one(target: Target) -> str | None:
        state = run.store.get(target.id)
        build_id = run.inputs[target.id].build_id
        if not run.nocache and state.build_id == build_id and run.engine.image_id(state.image_id):
            return "unchanged since it was built"
        if not run.nocache and build.adopt(run.engine, target, run.store, run.inputs[target.id]):
            return "unchanged: the engine holds an image of this build id"
        with run.log.file(target.id) as log_file:
            build.build(
                run.engine,
                run.catalog,
                target,
                context=run.context(target),
                store=run.store,
                log_file=log_file,
                inputs=run.inputs[target.id],
                nocache=run.nocache,
                proxy=run.apt_proxy,
            )
        run.built.add(target.id)
        return None

    run.each("build", one, (*VARIANTS, "fat"))


def test_stage(run: Run) -> None:
    def one(target: Target) -> str | None:
        state = run.store.get(target.id)
        if not state.image_id:
            raise BuildError(f"{target.id} is not built: run `python -m builder build {target.id}` first")
        unchanged = state.tests_digest == smoketest.tests_digest(target)
        if state.passed and unchanged and not {target.id, *target.parents} & run.built:
            return "passed before, unchanged"
        state = smoketest.smoke_test(run.engine, target, run.store)
        if not state.passed:
            failed = [t for t in state.tests if not t.ok]
            details = "\n".join(f"{t.name}: {t.detail}" for t in failed)
            raise SmokeTestError(f"{target.id}: {len(failed)} test(s) failed; not tagged:\n{details}")
        return None

    run.each("test", one)


def publish_stage(run: Run) -> None:
    embedded = run.registry.host == run.catalog.registry and run.registry.local
    if embedded and run.pending() and services.ensure_registry(run.registry.host):
        run.log.info(f"started the embedded registry at {run.registry.host}")
    if run.registry.username and run.registry.password:
        run.engine.login(run.registry.host, run.registry.username, run.registry.password)

    def one(target: Target) -> str | None:
        with run.log.file(target.id) as log_file:
            _, anything = publish.publish(run.engine, target, run.store, run.registry, log_file)
        return None if anything else "already published, unchanged"

    run.each(f"push to {run.registry.host}", one)


def report_stage(run: Run) -> None:
    states: dict[str, State] = {target.id: run.store.get(target.id) for target in run.targets}
    rows = report.rows(run.targets, states)
    written = report.write(rows, run.out)
    run.log.info("\n" + report.table(rows))
    run.log.info("report: " + ", ".join(str(path) for path in written))


STAGES: dict[str, tuple[Callable[[Run], object], ...]] = {
    "render": (render_stage,),
    "build": (render_stage, bases_stage, identify_stage, build_stage, report_stage),
    "test": (test_stage, report_stage),
    "push": (publish_stage, report_stage),
    "all": (render_stage, bases_stage, identify_stage, build_stage, test_stage, publish_stage, report_stage),
    "report": (report_stage,),
}


def plan_steps(run: Run) -> list[plan.Step]:
    """What `all` would do to each target and why, reading the engine and the registry only."""
    try:
        engine: Engine | None = run.engine
    except HostError:
        engine = None  # no engine: nothing is built, no base is bootstrapped
    steps = []
    for target in run.targets:
        base = run.catalog.bases[target.base]
        parent = (engine.image_id(bases.base_image(base)) if engine else None) or ""
        current = buildid.inputs(render.render(target, run.catalog), parent, base)
        state = run.store.get(target.id)
        built = state.build_id if engine and state.image_id and engine.image_id(state.image_id) else ""
        local = None
        if built:
            local = buildid.Inputs.from_json(engine.inspect(state.image_id)["Config"]["Labels"].get(INPUTS))  # type: ignore[union-attr]
        published = None
        if target.variant != "fat":
            try:
                labels = run.registry.labels(target.language, target.tags[0])
            except BirdhouseError:
                labels = {}  # the registry is not there (yet): nothing is published
            published = buildid.Inputs.from_json(labels.get(INPUTS))
        steps.append(plan.decide(target, current, built, published, local))
    return steps
