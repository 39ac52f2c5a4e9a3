"""One decision per image, as a pure function of its inputs and the facts gathered about it; and the
gathering of those facts from a (fake) engine and registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from builder import catalog, labels
from builder.buildid import Inputs
from builder.decide import Decision, Facts, Kind, decide, decide_all, gather, recorded, skip
from builder.seams import Served
from builder.state import CheckResult, State, Store
from builder.targets import Target, expand

from .fakes import FakeEngine, FakeRegistry

CURRENT = Inputs("dockerfile", "context", "recipe:1", "index of today", tests="tests")
STALE = Inputs("dockerfile", "context", "recipe:1", "index of yesterday", tests="tests")
PASSED = (CheckResult("hello", "run", True),)
T = TypeVar("T")


def target(sample: catalog.Catalog, target_id: str) -> Target:
    return next(t for t in expand(sample, comparators=True) if t.id == target_id)


def serving(inputs: Inputs, image_id: str = "sha256:config") -> Served:
    marks = {labels.BUILD_ID: inputs.build_id, labels.INPUTS: inputs.to_json(), labels.VERSION: "18.20.4"}
    return Served("sha256:manifest", 1000, image_id, marks)


def built(inputs: Inputs = CURRENT, *, tested: bool = False) -> Facts:
    state = State("node-18-run", image_id="sha256:mine", build_id=inputs.build_id)
    if tested:
        state = state.evolve(tests=PASSED, tested_image="sha256:mine", tests_digest=inputs.tests)
    return Facts(state, held=("sha256:mine",))


def answered(question: Callable[[], T]) -> T | None:
    return question()


def kind(decision: Decision) -> tuple[Kind, str]:
    return decision.kind, decision.reason


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (Facts(State("node-18-run")), (Kind.BUILD, "new")),
        (Facts(State("node-18-run"), served=serving(STALE)), (Kind.BUILD, "package updated")),
        (Facts(State("node-18-run"), images=(STALE,)), (Kind.BUILD, "package updated")),
        (Facts(State("node-18-run"), served=serving(CURRENT)), (Kind.PUBLISHED, "already published")),
        (
            Facts(State("node-18-run"), served=serving(CURRENT), unserved=("18.20.4",)),
            (Kind.PUSH, "published, but not under 18.20.4"),
        ),
        (built(), (Kind.TEST, "built, not yet tested")),
        (built(tested=True), (Kind.PUSH, "built and tested, not yet published")),
        # its record is of an older build: the engine holds nothing of this one
        (Facts(built(STALE, tested=True).state, images=(STALE,)), (Kind.BUILD, "package updated")),
        (
            Facts(State("node-18-run"), held=("sha256:other",)),
            (Kind.ADOPT, "the engine holds an image of this build id"),
        ),
        (Facts(State("node-18-run"), failed=("node-18-dev",)), (Kind.SKIPPED, "it needs node-18-dev, which failed")),
    ],
)
def test_each_kind_of_decision(sample: catalog.Catalog, facts: Facts, expected: tuple[Kind, str]) -> None:
    assert kind(decide(target(sample, "node-18-run"), CURRENT, facts, {})) == expected


def test_a_rebuilt_dev_image_reruns_its_run_images_pair_tests(sample: catalog.Catalog) -> None:
    run, dev = target(sample, "node-18-run"), target(sample, "node-18-dev")
    rebuilt = {dev.id: decide(dev, CURRENT, Facts(State(dev.id)), {})}
    assert rebuilt[dev.id].kind is Kind.BUILD
    published = Facts(State(run.id), served=serving(CURRENT))
    assert kind(decide(run, CURRENT, published, rebuilt)) == (
        Kind.TEST,
        "published, but node-18-dev is rebuilt: its pair tests run again",
    )
    assert kind(decide(run, CURRENT, built(tested=True), rebuilt)) == (Kind.TEST, "built, but node-18-dev is rebuilt")


def test_no_cache_builds_whatever_is_known(sample: catalog.Catalog) -> None:
    published = Facts(State("node-18-run"), served=serving(CURRENT))
    decision = decide(target(sample, "node-18-run"), CURRENT, published, {}, nocache=True)
    assert kind(decision) == (Kind.BUILD, "asked to build without the layer cache")


def test_a_fat_comparator_is_built_once_and_never_published(sample: catalog.Catalog) -> None:
    fat = target(sample, "node-20-fat")
    assert kind(decide(fat, CURRENT, Facts(State(fat.id)), {}))[0] is Kind.BUILD
    mine = Facts(State(fat.id, image_id="sha256:f", build_id=CURRENT.build_id), held=("sha256:f",))
    assert kind(decide(fat, CURRENT, mine, {})) == (Kind.UNCHANGED, "built before")


def test_a_failed_parent_skips(sample: catalog.Catalog) -> None:
    decision = decide(target(sample, "node-18-run"), CURRENT, built(tested=True), {})
    assert kind(skip(decision, "node-18-dev")) == (Kind.SKIPPED, "it needs node-18-dev, which failed")


def test_the_registrys_record_of_a_published_image(sample: catalog.Catalog) -> None:
    run = target(sample, "node-18-run")
    served = Served("sha256:m", 12_000_000, "sha256:config", {**serving(CURRENT).labels, labels.SIZE: "97000000"})
    facts = Facts(State(run.id), served=served, unserved=("18.20.4",))
    state = recorded(decide(run, CURRENT, facts, {}), FakeRegistry(), State(run.id))
    assert state.passed and (state.image_id, state.build_id, state.tests_digest) == (
        "sha256:config",
        CURRENT.build_id,
        "tests",
    )
    assert (state.version, state.tags, state.size) == ("18.20.4", ("18.20.4", "18.20", "18"), 97_000_000)
    assert state.pushed == {"registry.test/node:18.20": "sha256:m", "registry.test/node:18": "sha256:m"}  # not 18.20.4


def test_gathering_reads_the_engine_once_and_the_registry_per_tag(sample: catalog.Catalog, tmp_path: Path) -> None:
    registry = FakeRegistry()
    engine = FakeEngine(sample, registry)
    targets = [target(sample, "node-18-dev"), target(sample, "node-18-run")]
    inputs = {t.id: Inputs(f"dockerfile of {t.id}", "context", "recipe:1", "index", tests="tests") for t in targets}
    dev, run = targets
    held = engine.add(
        {
            labels.ID: dev.id,
            labels.BUILD_ID: inputs[dev.id].build_id,
            labels.INPUTS: inputs[dev.id].to_json(),
            labels.VERSION: "18.20.4",
        }
    )
    engine.add({labels.ID: run.id, labels.BUILD_ID: "half built", labels.INPUTS: STALE.to_json()})  # no version
    registry.manifests[("node", "18")] = serving(inputs[run.id])
    registry.manifests[("node", "18.20")] = serving(inputs[run.id])

    facts = gather(targets, inputs, Store(tmp_path), engine, registry=registry, ask=answered)
    assert facts[dev.id].held == (held,) and facts[run.id].held == ()
    assert facts[run.id].images == (STALE,)
    assert facts[run.id].unserved == ("18.20.4",)  # 18.20.4 serves nothing; 18.20 and 18 serve it
    decisions = decide_all(targets, inputs, facts)
    assert [d.kind for d in decisions.values()] == [Kind.ADOPT, Kind.PUSH]


def test_a_registry_that_does_not_answer_counts_as_serving_nothing(sample: catalog.Catalog, tmp_path: Path) -> None:
    registry = FakeRegistry(down=True)
    targets = [target(sample, "node-18-dev"), target(sample, "node-18-run")]
    inputs = {t.id: CURRENT for t in targets}
    asked: list[object] = []

    def silent(question: Callable[[], T]) -> T | None:
        asked.append(question)
        return None

    facts = gather(targets, inputs, Store(tmp_path), None, registry=registry, ask=silent)
    assert all(f.served is None for f in facts.values()) and len(asked) == 2
