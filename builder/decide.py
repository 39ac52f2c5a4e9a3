"""One decision per image. The facts about an image are gathered once (its record here, the images
the engine holds, what the registry serves); `decide`, a pure function, turns them into what a run
does with the image, and why. `plan` prints the decisions; `all`, `build`, `test` and `push` carry
them out, each the part that is theirs, so a plan and a run cannot disagree."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, TypeVar

from builder import labels
from builder.buildid import Inputs
from builder.seams import Engine, Registry, Served
from builder.state import CheckResult, State, Store
from builder.targets import Target, full_tags

T = TypeVar("T")

QUESTIONS = 8  # questions asked of the registry at once while gathering (each a request or two)


class Kind(enum.StrEnum):
    BUILD = "build"  # build it, then test it and push it
    ADOPT = "adopt"  # the engine holds an image of its build id: take that one, then test it and push it
    TEST = "test"  # built here: test it, then push it
    PUSH = "push"  # built and tested, or published with tags to mend: push
    PUBLISHED = "published"  # the registry serves its build id under every tag: nothing to do
    UNCHANGED = "unchanged"  # built, and neither tested nor pushed (a fat comparator)
    SKIPPED = "skipped"  # an image it needs failed


@dataclass(frozen=True)
class Facts:
    """What is known about an image before a run touches it."""

    state: State  # this machine's record of it (out/state)
    held: tuple[str, ...] = ()  # labelled images of its current build id the engine holds
    images: tuple[Inputs, ...] = ()  # the inputs of every image of it the engine holds, newest first
    served: Served | None = None  # what the registry serves under its first tag (None: nothing, or no answer)
    unserved: tuple[str, ...] = ()  # where the registry serves its build id: its tags that serve something else
    # (another index than its first tag's, or none)
    failed: tuple[str, ...] = ()  # the images it needs that failed in this run

    def serves(self, build_id: str) -> bool:
        """Whether the registry serves this build id under the image's first tag."""
        return self.served is not None and self.served.labels.get(labels.BUILD_ID) == build_id


@dataclass(frozen=True)
class Decision:
    target: Target
    kind: Kind
    reasons: tuple[str, ...]
    inputs: Inputs
    facts: Facts = field(repr=False)

    @property
    def build_id(self) -> str:
        return self.inputs.build_id

    @property
    def published(self) -> bool:
        """The registry serves this build id (some tags may still need mending)."""
        return self.facts.serves(self.build_id)

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)

    def as_dict(self, repository: str) -> dict[str, object]:
        return {
            **self.target.as_dict(),
            "action": self.kind.value,
            "reasons": list(self.reasons),
            "build_id": self.build_id,
            "repository": repository,
        }


def decide(
    target: Target, inputs: Inputs, facts: Facts, parents: Mapping[str, Decision], *, nocache: bool = False
) -> Decision:
    """What a run does with target, given its current inputs, the facts gathered about it, and the
    decisions about the images it needs (parents, decided first)."""

    def decision(kind: Kind, *reasons: str) -> Decision:
        return Decision(target, kind, reasons, inputs, facts)

    def build() -> Decision:
        served = facts.served
        published = Inputs.from_json(served.labels.get(labels.INPUTS)) if served else None
        return decision(Kind.BUILD, *inputs.changes(published or next(iter(facts.images), None)))

    if facts.failed:
        return decision(Kind.SKIPPED, f"it needs {facts.failed[0]}, which failed")
    if nocache:
        return decision(Kind.BUILD, "asked to build without the layer cache")
    build_id = inputs.build_id
    built = facts.state.build_id == build_id and facts.state.image_id in facts.held
    if target.comparator:  # built and measured, never tested or pushed
        if built:
            return decision(Kind.UNCHANGED, "built before")
        return decision(Kind.ADOPT, "the engine holds an image of this build id") if facts.held else build()
    rebuilt = next((p for p in target.parents if p in parents and parents[p].kind is Kind.BUILD), None)
    if facts.serves(build_id):
        if rebuilt:
            return decision(Kind.TEST, f"published, but {rebuilt} is rebuilt: its pair tests run again")
        if facts.unserved:
            return decision(Kind.PUSH, f"published, but not under {', '.join(facts.unserved)}")
        return decision(Kind.PUBLISHED, "already published")
    if built:
        if facts.state.passed and facts.state.tests_digest == inputs.tests and not rebuilt:
            return decision(Kind.PUSH, "built and tested, not yet published")
        return decision(Kind.TEST, f"built, but {rebuilt} is rebuilt" if rebuilt else "built, not yet tested")
    if facts.held:
        return decision(Kind.ADOPT, "the engine holds an image of this build id")
    return build()


def skip(decision: Decision, failed: str) -> Decision:
    """The decision about an image once an image it needs has failed."""
    facts = Facts(decision.facts.state, failed=(failed,))
    return decide(decision.target, decision.inputs, facts, {})


def decide_all(
    targets: list[Target], inputs: Mapping[str, Inputs], facts: Mapping[str, Facts], *, nocache: bool = False
) -> dict[str, Decision]:
    """Every target's decision, parents first (targets come in that order)."""
    decisions: dict[str, Decision] = {}
    for target in targets:
        decisions[target.id] = decide(target, inputs[target.id], facts[target.id], decisions, nocache=nocache)
    return decisions


def recorded(decision: Decision, registry: Registry, state: State) -> State:
    """The record (state: as it stands) of a published image, as the registry serves it: its tests
    passed before it was pushed (the tests are a build input); it is pulled only if something here
    needs it. This machine's own record where it built, tested and pushed that very image (it is fuller)."""
    served = decision.facts.served
    assert served is not None and decision.published
    if state.build_id == decision.build_id and state.image_id == served.image_id and state.passed:
        return state.evolve(digest=served.digest, index=served.index)
    version = served.labels.get(labels.VERSION, "")
    repository = registry.repository(decision.target.language)
    tags = full_tags(decision.target, version)
    unserved = set(decision.facts.unserved)
    return state.anew(
        image_id=served.image_id,
        build_id=decision.build_id,
        version=version,
        tags=tags,
        size=int(served.labels.get(labels.SIZE) or 0),
        compressed=served.compressed,
        tests=(state.tests if state.image_id == served.image_id else ()) or _passed_before(repository, tags),
        tested_image=served.image_id,
        tests_digest=decision.inputs.tests,
        pushed={f"{repository}:{tag}": served.digest for tag in tags if tag not in unserved},
        digest=served.digest,
        index=served.index,
    )


def _passed_before(repository: str, tags: tuple[str, ...]) -> tuple[CheckResult, ...]:
    return (CheckResult("published", "registry", True, f"passed before {repository}:{tags[0]} was pushed"),)


class Ask(Protocol):
    """Asks the registry a question: its answer, or None once the registry has not answered."""

    def __call__(self, question: Callable[[], T]) -> T | None: ...


def gather(
    targets: list[Target],
    inputs: Mapping[str, Inputs],
    store: Store,
    engine: Engine | None,
    *,
    registry: Registry,
    ask: Ask,
) -> dict[str, Facts]:
    """The facts about each target: its record, the engine's images (one listing for all), and
    what the registry serves (through ask, which answers None once the registry has not answered)."""
    images = engine.labelled(labels.ID) if engine else {}
    held: dict[str, list[str]] = {}
    built: dict[str, list[Inputs]] = {}
    for image_id, marks in images.items():
        if marks.get(labels.VERSION):  # labelled: a build stopped half way has no version yet
            held.setdefault(marks.get(labels.BUILD_ID, ""), []).append(image_id)
        if found := Inputs.from_json(marks.get(labels.INPUTS)):
            built.setdefault(marks[labels.ID], []).append(found)

    def facts(target: Target) -> Facts:
        build_id = inputs[target.id].build_id
        served = None
        if not target.comparator:
            served = ask(partial(registry.served, target.language, target.tags[0], target.platform))
        unserved: tuple[str, ...] = ()
        if served is not None and served.labels.get(labels.BUILD_ID) == build_id:
            tags = full_tags(target, served.labels.get(labels.VERSION, ""))
            unserved = tuple(t for t in tags if ask(partial(registry.digest, target.language, t)) != served.tagged)
        return Facts(
            state=store.get(target.id),
            held=tuple(held.get(build_id, ())),
            images=tuple(built.get(target.id, ())),
            served=served,
            unserved=unserved,
        )

    with ThreadPoolExecutor(max_workers=QUESTIONS) as pool:  # a no-op run is mostly these round trips
        return dict(zip((target.id for target in targets), pool.map(facts, targets), strict=True))
