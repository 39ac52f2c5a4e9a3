"""A run: its settings, the services its stages share (the engine, the registry, the records), and
the scheduler that works through images N at a time, parents first. Stages hand results forward
(builder.pipeline); what a stage did to each image comes back as an Outcome, and is kept in the
image's record."""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import InitVar, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from builder import services
from builder.catalog import Catalog
from builder.decide import Decision, skip
from builder.engine import DockerEngine
from builder.errors import BirdhouseError, BuildError
from builder.log import Log
from builder.registry import RegistryClient
from builder.seams import Engine, Registry
from builder.state import Store
from builder.targets import Target

T = TypeVar("T")


class Status(enum.StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"  # nothing to do: the note says why
    FAILED = "failed"
    SKIPPED = "skipped"  # an image it needs failed


@dataclass(frozen=True)
class Outcome:
    """What one stage did to one image."""

    target: str
    stage: str
    status: Status
    note: str = ""
    error: BirdhouseError | None = None

    @property
    def failed(self) -> bool:
        return self.status in (Status.FAILED, Status.SKIPPED)


@dataclass(frozen=True)
class Outcomes:
    """Every stage's outcomes, in the order they came."""

    items: tuple[Outcome, ...] = ()

    def __add__(self, more: Iterable[Outcome]) -> Outcomes:
        return Outcomes((*self.items, *more))

    def failure(self, target_id: str) -> Outcome | None:
        return next((o for o in self.items if o.target == target_id and o.failed), None)

    def failures(self) -> list[Outcome]:
        """The first failure of each image that failed."""
        first: dict[str, Outcome] = {}
        for outcome in self.items:
            if outcome.failed:
                first.setdefault(outcome.target, outcome)
        return list(first.values())

    @property
    def exit_code(self) -> int:
        """The lowest exit code of the failures' kinds; 0 if nothing failed."""
        codes = [o.error.exit_code for o in self.failures() if o.error]
        return min(codes, default=0)

    def summary(self) -> str:
        """One line: what each stage did, left alone as unchanged, failed or skipped."""
        parts = []
        for stage in dict.fromkeys(o.stage for o in self.items):
            counts = {status: 0 for status in Status}
            for outcome in self.items:
                if outcome.stage == stage:
                    counts[outcome.status] += 1
            parts.append(f"{stage}: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n))
        return "; ".join(parts)


@dataclass
class Run:
    """Settings, services and the scheduler; nothing here is about one image."""

    catalog: Catalog
    targets: list[Target]
    out: Path
    log: Log
    nocache: bool = False
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    connect: Callable[[], Engine] = DockerEngine.connect  # a fake's, in unit tests
    given_registry: InitVar[Registry | None] = None  # default: the catalog's, or BIRDHOUSE_REGISTRY
    registry: Registry = field(init=False)
    one_at_a_time: threading.Lock = field(default_factory=threading.Lock)  # pulls and bootstraps
    _local: threading.local = field(default_factory=threading.local)
    _silent: list[BirdhouseError] = field(default_factory=list)  # the registry's failures to answer
    _silence: threading.Lock = field(default_factory=threading.Lock)  # questions come from several threads

    def __post_init__(self, given_registry: Registry | None) -> None:
        self.registry = given_registry or RegistryClient.from_env(self.catalog.registry, self.catalog.namespace)

    @property
    def engine(self) -> Engine:
        """This thread's connection to the engine (workers each have their own)."""
        if not hasattr(self._local, "engine"):
            self._local.engine = self.connect()
        engine: Engine = self._local.engine
        return engine

    @cached_property
    def store(self) -> Store:
        return Store(self.out / "state")

    @cached_property
    def apt_proxy(self) -> str | None:
        return services.apt_proxy()

    def context(self, target: Target) -> Path:
        return self.out / "render" / target.id

    def ask_registry(self, question: Callable[[], T]) -> T | None:
        """question's answer, or None once the registry has not answered: that is said once, and
        then the registry counts as serving nothing (building and planning do not need it)."""
        if self._silent:
            return None
        try:
            return question()
        except BirdhouseError as error:
            with self._silence:  # said by the first of the threads it failed
                if not self._silent:
                    self.log.info(f"the registry does not answer, so nothing counts as published: {error}")
                self._silent.append(error)
            return None

    def start_registry(self) -> None:
        """Start the embedded registry if it is the one configured and nothing answers there."""
        embedded = self.registry.host == self.catalog.registry and self.registry.local
        if embedded and services.ensure_registry(self.registry.host):
            self.log.info(f"started the embedded registry at {self.registry.host}")

    def each(
        self,
        stage: str,
        action: Callable[[Decision], str | None],
        decisions: Iterable[Decision],
        earlier: Outcomes = Outcomes(),
        *,
        parents_first: bool = True,
    ) -> list[Outcome]:
        """action on each decision, `jobs` at a time, each once the images it needs are done (unless
        the stage does not need them: parents_first=False): one ✓/✕ line each, with the note action
        returns (why it did nothing, say). An image that failed an earlier stage is left out; one
        whose parent fails is skipped, and says why. Each outcome goes into the image's record."""
        todo = [d for d in decisions if not earlier.failure(d.target.id)]
        unfinished = {d.target.id for d in todo}
        outcomes: list[Outcome] = []
        failed = {o.target: o for o in earlier.failures()}
        lock = threading.Lock()

        def one(decision: Decision) -> None:
            outcome = self._one(stage, action, decision)
            with lock:
                outcomes.append(outcome)
                if outcome.failed:
                    failed[outcome.target] = outcome

        running: dict[Future[None], str] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            while todo:
                for decision in list(todo):
                    parents = decision.target.parents if parents_first else ()
                    broken = next((p for p in parents if p in failed), None)
                    if broken:
                        todo.remove(decision)
                        unfinished.discard(decision.target.id)
                        outcome = self._skipped(stage, skip(decision, broken), failed[broken])
                        outcomes.append(outcome)
                        failed[outcome.target] = outcome
                    elif not unfinished & set(parents):
                        todo.remove(decision)
                        running[pool.submit(one, decision)] = decision.target.id
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
                    unfinished.discard(running.pop(future))
            for future in running:  # the last ones, submitted once nothing was left to wait for
                future.result()  # a bug in one of them goes up, as in the others
        return outcomes

    def _one(self, stage: str, action: Callable[[Decision], str | None], decision: Decision) -> Outcome:
        target = decision.target
        try:
            with self.log.step(target.id, stage) as step:
                step.note = action(decision) or ""
        except BirdhouseError as error:
            self.log.info(f"  {error}")
            if isinstance(error, BuildError) and error.log:
                with self.log.fold(f"{target.id}: the end of its {stage} log"):
                    self.log.info("  " + error.log.strip().replace("\n", "\n  "))
            self.log.info(f"  log: {self.out / 'logs' / (target.id + '.log')}")
            return self.record(Outcome(target.id, stage, Status.FAILED, str(error), error))
        status = Status.UNCHANGED if step.note else Status.DONE
        return self.record(Outcome(target.id, stage, status, step.note))

    def _skipped(self, stage: str, decision: Decision, cause: Outcome) -> Outcome:
        """An image whose parent failed: skipped, with the exit code of the parent's failure."""
        self.log.info(f"- {decision.target.id:<24} {stage}: skipped: {decision.reason}")
        kind = type(cause.error) if cause.error else BuildError
        error = kind(f"{decision.target.id}: skipped: {decision.reason}")
        return self.record(Outcome(decision.target.id, stage, Status.SKIPPED, f"skipped: {decision.reason}", error))

    def record(self, outcome: Outcome) -> Outcome:
        """The image's record takes the outcome, and a failure's message; a stage that passes clears
        the error it left before, and a new build every error."""
        stage = outcome.stage.split(maxsplit=1)[0]
        state = self.store.get(outcome.target)
        error = state.error
        if outcome.failed:
            error = f"{stage}: {outcome.note}"
        elif error.startswith(f"{stage}:") or (stage == "build" and outcome.status is Status.DONE):
            error = ""
        self.store.put(state.evolve(outcomes={**state.outcomes, stage: outcome.status.value}, error=error))
        return outcome
