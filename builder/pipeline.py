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
from functools import cached_property, partial
from pathlib import Path
from typing import TypeVar

from builder import bases, build, buildid, plan, publish, render, report, services, smoketest
from builder.build import INPUTS
from builder.catalog import VARIANTS, Catalog
from builder.engine import Engine
from builder.errors import BirdhouseError, BuildError, HostError, SmokeTestError
from builder.log import Log
from builder.state import State, Store
from builder.targets import Target

T = TypeVar("T")


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
    published: set[str] = field(default_factory=set)  # what was left alone as the registry has it
    rendered: dict[str, render.Rendered] = field(default_factory=dict)  # by render_stage
    tally: dict[str, Counter[str]] = field(default_factory=dict)  # stage -> done, unchanged, failed
    _local: threading.local = field(default_factory=threading.local)
    _fetching: threading.Lock = field(default_factory=threading.Lock)
    _silent: list[BirdhouseError] = field(default_factory=list)  # the registry's first failure to answer

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
    def held(self) -> dict[str, list[str]]:
        """The build ids of the images the engine held when the run began (one listing: asking
        for each image by label costs the engine a scan of every image)."""
        return self.engine.label_values(publish.BUILD_ID)

    @cached_property
    def registry(self) -> publish.Registry:
        return publish.Registry.from_env(self.catalog.registry, self.catalog.namespace)

    def ask_registry(self, question: Callable[[], T]) -> T | None:
        """question's answer, or None once the registry has not answered: that is said once, and
        then the registry counts as serving nothing (building and planning do not need it)."""
        if self._silent:
            return None
        try:
            return question()
        except BirdhouseError as error:
            self._silent.append(error)
            self.log.info(f"the registry does not answer, so nothing counts as published: {error}")
            return None

    def start_registry(self) -> None:
        """Start the embedded registry if it is the one configured and nothing answers there."""
        embedded = self.registry.host == self.catalog.registry and self.registry.local
        if embedded and self.pending() and services.ensure_registry(self.registry.host):
            self.log.info(f"started the embedded registry at {self.registry.host}")

    def fetch(self, target_id: str) -> None:
        """Pull an image left alone as published (not built here), once something tested on this
        machine needs it (a run image's pair test needs its dev image)."""
        with self._fetching:
            state = self.store.get(target_id)
            if not (state.passed and state.pushed) or self.engine.image_id(state.image_id):
                return
            reference = next(iter(state.pushed))
            with self.log.step(target_id, f"pull {reference}"):
                self.engine.pull(reference)  # the same image id: a registry keeps the config as it is

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


def identify_stage(run: Run) -> None:
    """Each target's build inputs, hence its build id. A bootstrapped base counts by its recipe,
    so nothing is bootstrapped to know an id (only a base pulled by reference is pulled here)."""
    for name in sorted({target.base for target in run.pending()}):
        if not run.catalog.bases[name].bootstrapped:
            bases.ensure(run.engine, run.catalog.bases[name], run.log)
    for target in run.pending():
        base = run.catalog.bases[target.base]
        tests = smoketest.tests_digest(target)
        run.inputs[target.id] = buildid.inputs(run.rendered[target.id], bases.identity(base, run.engine), base, tests)


def build_stage(run: Run) -> None:
    if run.apt_proxy:
        run.log.info(f"packages come through the cache at {run.apt_proxy}")
    base_lock = threading.Lock()

    def published(target: Target, inputs: buildid.Inputs) -> str | None:
        """Where the registry serves this build id, if it does (never a fat comparator)."""
        if target.variant == "fat":
            return None
        return run.ask_registry(lambda: publish.published(run.registry, target, run.store, inputs))

    def one(target: Target) -> str | None:
        state = run.store.get(target.id)
        inputs = run.inputs[target.id]
        if not run.nocache:
            if state.image_id in run.held.get(inputs.build_id, ()):
                return "unchanged since it was built"
            if inputs.build_id in run.held and build.adopt(run.engine, target, run.store, inputs):
                return "unchanged: the engine holds an image of this build id"
            if reference := published(target, inputs):
                run.published.add(target.id)
                return f"unchanged: {reference} serves this build id"
        with base_lock:
            bases.ensure(run.engine, run.catalog.bases[target.base], run.log, proxy=run.apt_proxy)
        with run.log.file(target.id) as log_file:
            build.build(
                run.engine,
                run.catalog,
                target,
                context=run.context(target),
                store=run.store,
                log_file=log_file,
                inputs=inputs,
                nocache=run.nocache or not build.cache_is_current(run.engine, target, inputs),
                proxy=run.apt_proxy,
            )
        run.built.add(target.id)
        return None

    run.start_registry()
    run.held  # listed once, before the workers start  # noqa: B018
    run.each("build", one, (*VARIANTS, "fat"))


def test_stage(run: Run) -> None:
    def one(target: Target) -> str | None:
        state = run.store.get(target.id)
        unchanged = state.tests_digest == smoketest.tests_digest(target)
        if state.passed and unchanged and not {target.id, *target.parents} & run.built:
            return "passed before, unchanged"
        for needed in (target.id, *target.parents):
            run.fetch(needed)
        state = run.store.get(target.id)
        if not state.image_id:
            raise BuildError(f"{target.id} is not built: run `python -m builder build {target.id}` first")
        state = smoketest.smoke_test(run.engine, target, run.store)
        if not state.passed:
            failed = [t for t in state.tests if not t.ok]
            details = "\n".join(f"{t.name}: {t.detail}" for t in failed)
            raise SmokeTestError(f"{target.id}: {len(failed)} test(s) failed; not tagged:\n{details}")
        return None

    run.each("test", one)


def publish_stage(run: Run) -> None:
    run.start_registry()
    if run.registry.username and run.registry.password:
        run.engine.login(run.registry.host, run.registry.username, run.registry.password)

    def one(target: Target) -> str | None:
        if target.id in run.published:
            state, repository = run.store.get(target.id), run.registry.repository(target.language)
            if all(f"{repository}:{tag}" in state.pushed for tag in state.tags):
                return "already published, unchanged"
            run.fetch(target.id)  # a tag to mend: it needs the image here
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
    "build": (render_stage, identify_stage, build_stage, report_stage),
    "test": (test_stage, report_stage),
    "push": (publish_stage, report_stage),
    "all": (render_stage, identify_stage, build_stage, test_stage, publish_stage, report_stage),
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
        current = buildid.inputs(
            render.render(target, run.catalog), bases.identity(base, engine), base, smoketest.tests_digest(target)
        )
        state = run.store.get(target.id)
        built = state.build_id if engine and state.image_id and engine.image_id(state.image_id) else ""
        local = None
        if built:
            local = buildid.Inputs.from_json(engine.inspect(state.image_id)["Config"]["Labels"].get(INPUTS))  # type: ignore[union-attr]
        published = None
        if target.variant != "fat":
            labels = run.ask_registry(partial(run.registry.labels, target.language, target.tags[0])) or {}
            published = buildid.Inputs.from_json(labels.get(INPUTS))
        steps.append(plan.decide(target, current, built, published, local))
    return steps
