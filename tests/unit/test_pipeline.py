"""The stages end to end on typed fakes of the engine and the registry (tests/unit/fakes.py): what
each stage does with each decision, the outcomes it returns, the records it keeps, the exit code;
failures included. And the scheduler: parents first, N at a time, a failure skips what needs it."""

from __future__ import annotations

import datetime
import io
import json
import threading
import time
from pathlib import Path

import pytest

from builder import buildid, catalog, labels, ledger, pipeline
from builder.bases import base_image
from builder.build import cache_is_current
from builder.buildid import Inputs
from builder.decide import Decision, Facts, Kind
from builder.errors import BuildError, PublishError, TransientError
from builder.log import Log
from builder.platforms import AMD64, ARM64, Platform
from builder.run import Outcomes, Run, Status
from builder.state import State
from builder.targets import Target, expand, select

from .fakes import FakeEngine, FakeRegistry

NODE = ["node-18-*"]


@pytest.fixture(autouse=True)
def same_package_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suites' package indexes, as if read from the mirror (unit tests have no network)."""
    monkeypatch.setattr(buildid, "packages_digest", lambda base, architecture: f"index of {base.name}")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def engine(sample: catalog.Catalog, registry: FakeRegistry) -> FakeEngine:
    engine = FakeEngine(sample, registry)
    for base in sample.bases.values():  # bootstrapped before: no mmdebstrap here
        engine.references[base_image(base)] = engine.add({})
    return engine


def run_of(sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry, jobs: int = 2) -> Run:
    log = Log(tmp_path / "logs", io.StringIO())
    targets = select(expand(sample), NODE)
    return Run(sample, targets, tmp_path / "out", log, jobs=jobs, connect=lambda: engine, given_registry=registry)


def statuses(outcomes: Outcomes, stage: str) -> dict[str, Status]:
    return {o.target: o.status for o in outcomes.items if o.stage.startswith(stage)}


def logged(run: Run) -> str:
    stream = run.log.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def test_all_builds_tests_and_pushes_then_a_second_run_does_nothing(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    run = run_of(sample, tmp_path, engine, registry)
    outcomes = pipeline.execute(run, "all")
    assert outcomes.exit_code == 0
    for stage in ("build", "test", "push"):
        assert statuses(outcomes, stage) == {"node-18-dev": Status.DONE, "node-18-run": Status.DONE}
    assert engine.builds == ["node-18-dev", "node-18-run"] and engine.examples == ["node-18-run"]
    # each image moves once, by digest under its own tag; the tags people use then serve an index of it
    day = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
    own = (f"18.20.4-{day}", f"18.20.4-{day}-dev")  # each build's immutable tag
    assert sorted(engine.pushes) == sorted(f"registry.test/node:{tag}" for tag in own)
    tags = ("18.20.4", "18.20", "18", "18.20.4-dev", "18.20-dev", "18-dev")
    assert sorted(registry.tagged) == sorted(f"node:{tag}" for tag in tags)
    served = registry.served("node", "18")
    assert served and served.index and list(registry.entries("node", "18")[1]) == ["linux/amd64"]
    assert statuses(outcomes, "index") == {"node-18-dev": Status.DONE, "node-18-run": Status.DONE}
    # the ledger: every tag pointed, at which digest (its index's), from which build, when
    moments = ledger.history(registry, "node", "18")
    build_id = run.store.get("node-18-run").build_id
    assert [(m.digest, m.build_id, m.platform, m.index) for m in moments] == [
        (served.digest, build_id, "linux/amd64", served.index)
    ]
    assert {m.tag for m in ledger.read(registry, "node", "18")} == {*tags, *own}
    state = run.store.get("node-18-run")
    assert state.passed and state.decision == "build: new"
    assert state.outcomes == {"build": "done", "test": "done", "push": "done", "index": "done"}
    assert state.pushed["registry.test/node:18"] == served.digest == state.digest and state.index == served.index

    again = pipeline.execute(run_of(sample, tmp_path, engine, registry), "all")
    assert again.exit_code == 0 and engine.builds == ["node-18-dev", "node-18-run"]
    assert {o.status for o in again.items} == {Status.UNCHANGED}
    assert run.store.get("node-18-run").decision == "published: already published"


def test_plan_and_all_decide_alike(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    """Whatever the facts, plan prints what all then records as its decision."""
    first = run_of(sample, tmp_path, engine, registry)
    planned = pipeline.plan(first)
    assert [(d.target.id, d.kind) for d in planned.values()] == [
        ("node-18-dev", Kind.BUILD),
        ("node-18-run", Kind.BUILD),
    ]
    assert not (tmp_path / "out").exists()  # a plan touches nothing
    pipeline.execute(first, "build")
    for command in ("test", "push", "all"):
        run = run_of(sample, tmp_path, engine, registry)
        planned = pipeline.plan(run)
        pipeline.execute(run, command)
        assert [f"{d.kind}: {d.reason}" for d in planned.values()] == [
            run.store.get(target_id).decision for target_id in planned
        ]


def test_a_fresh_machine_takes_what_the_registry_serves(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    """Another machine (another engine and work folder), one registry: nothing is built, tested,
    pushed or pulled; each record is the registry's."""
    assert pipeline.execute(run_of(sample, tmp_path, engine, registry), "all").exit_code == 0
    other = FakeEngine(sample, registry)
    run = run_of(sample, tmp_path / "other", other, registry)
    outcomes = pipeline.execute(run, "all")
    assert outcomes.exit_code == 0 and not other.builds and not other.pushes and not other.pulls
    assert {o.status for o in outcomes.items} == {Status.UNCHANGED}
    state = run.store.get("node-18-run")
    served = registry.served("node", "18")
    assert served and state.passed and state.version == "18.20.4" and state.image_id == served.image_id


def test_a_failed_build_skips_its_run_image(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    engine.broken_builds.add("node-18-dev")
    run = run_of(sample, tmp_path, engine, registry)
    outcomes = pipeline.execute(run, "all")
    assert outcomes.exit_code == 5
    assert statuses(outcomes, "build") == {"node-18-dev": Status.FAILED, "node-18-run": Status.SKIPPED}
    assert statuses(outcomes, "test") == statuses(outcomes, "push") == {}
    assert run.store.get("node-18-run").error == "build: skipped: it needs node-18-dev, which failed"
    assert not registry.manifests and "E: Unable to locate package" in logged(run)


def test_an_image_failing_its_tests_is_not_pushed(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    engine.broken_tests.add("hello")  # node's run test
    run = run_of(sample, tmp_path, engine, registry)
    outcomes = pipeline.execute(run, "all")
    assert outcomes.exit_code == 6
    assert statuses(outcomes, "test") == {"node-18-dev": Status.DONE, "node-18-run": Status.FAILED}
    assert statuses(outcomes, "push") == {"node-18-dev": Status.DONE}  # the dev image passed: published
    failed = [t.name for t in run.store.get("node-18-run").tests if not t.ok]
    assert failed == ["hello", "hello-any-uid", "hello-read-only"]
    assert ("node", "18") not in registry.indexes and ("node", "18-dev") in registry.indexes
    assert "birdhouse/node:18" not in engine.references  # not tagged for publishing


def test_a_declared_command_the_image_lacks_fails_it(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    engine.missing_commands.add("npm")
    run = run_of(sample, tmp_path, engine, registry)
    assert pipeline.execute(run, "all").exit_code == 6
    dev = {t.name: t for t in run.store.get("node-18-dev").tests}
    assert [name for name, t in dev.items() if not t.ok] == ["command-npm"]
    assert dev["command-node"].ok and 'exec: "npm": executable file not found' in dev["command-npm"].detail
    assert run.store.get("node-18-run").outcomes == {"build": "done", "test": "skipped"}
    assert not registry.manifests


def test_an_example_that_does_not_build_fails_the_run_image(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    engine.broken_example = True
    run = run_of(sample, tmp_path, engine, registry)
    assert pipeline.execute(run, "all").exit_code == 6
    tests = {t.name: t for t in run.store.get("node-18-run").tests}
    assert tests["command-node"].ok  # the run image answers to node; npm is the dev image's only
    assert not tests["example"].ok and "its build failed" in tests["example"].detail
    assert ("node", "18") not in registry.indexes and ("node", "18-dev") in registry.indexes


def test_a_push_that_fails_is_retried_if_transient(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tenacity.nap.time.sleep", lambda seconds: None)  # no back-off in a unit test
    engine.push_failures = [TransientError("503"), PublishError("unauthorized: authentication required")]
    run = run_of(sample, tmp_path, engine, registry, jobs=1)
    outcomes = pipeline.execute(run, "all")
    assert outcomes.exit_code == 7
    assert statuses(outcomes, "push") == {"node-18-dev": Status.FAILED, "node-18-run": Status.DONE}
    assert "unauthorized" in run.store.get("node-18-dev").error


def test_a_registry_that_does_not_answer(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    """Building needs no registry (said once); pushing does: it fails at once, in a sentence (the
    host lacks a registry: exit 4), and nothing counts as pushed."""
    registry.down = True
    run = run_of(sample, tmp_path, engine, registry)
    outcomes = pipeline.execute(run, "build")
    assert outcomes.exit_code == 0 and engine.builds == ["node-18-dev", "node-18-run"]
    assert logged(run).count("the registry does not answer") == 1
    assert pipeline.execute(run_of(sample, tmp_path, engine, registry), "test").exit_code == 0
    run = run_of(sample, tmp_path, engine, registry)
    outcomes = pipeline.execute(run, "push")
    assert outcomes.exit_code == 4 and not engine.pushes
    assert all("the registry at registry.test does not answer" in o.note for o in outcomes.failures())
    assert not run.store.get("node-18-run").pushed
    assert [d.kind for d in pipeline.plan(run).values()] == [Kind.PUSH, Kind.PUSH]


def test_the_registry_is_asked_about_the_images_at_once_and_its_silence_said_once(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A no-op run is mostly questions to the registry: both images' are asked together (neither
    is answered until the other is asked), and a registry that answers neither is said once."""
    registry.down = True
    together, answer = threading.Barrier(2, timeout=10), registry._answer

    def once_both_ask(what: str) -> None:
        together.wait()
        answer(what)

    monkeypatch.setattr(registry, "_answer", once_both_ask)
    run = run_of(sample, tmp_path, engine, registry)
    assert [d.kind for d in pipeline.plan(run).values()] == [Kind.BUILD, Kind.BUILD]
    assert logged(run).count("the registry does not answer") == 1


def test_separate_commands_carry_out_their_part(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    """test before build says so; build, test, push as CI runs them do what all does."""
    outcomes = pipeline.execute(run_of(sample, tmp_path, engine, registry), "test")
    assert outcomes.exit_code == 5 and "is not built" in outcomes.failures()[0].note
    for command in ("build", "test", "push"):
        assert pipeline.execute(run_of(sample, tmp_path, engine, registry), command).exit_code == 0
    assert ("node", "18") in registry.indexes and engine.builds == ["node-18-dev", "node-18-run"]


def test_a_published_image_missing_a_tag_is_mended(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    assert pipeline.execute(run_of(sample, tmp_path, engine, registry), "all").exit_code == 0
    del registry.indexes[("node", "18.20.4")]  # a run stopped half way
    other = FakeEngine(sample, registry)
    run = run_of(sample, tmp_path / "other", other, registry)
    outcomes = pipeline.execute(run, "all")
    assert outcomes.exit_code == 0 and not other.pushes and not other.builds and not other.pulls
    assert statuses(outcomes, "index") == {
        "node-18-dev": Status.UNCHANGED,
        "node-18-run": Status.DONE,
    }  # no layer moved
    assert registry.tagged[-1] == "node:18.20.4" and registry.served("node", "18.20.4") == registry.served("node", "18")


def test_the_layer_cache_serves_only_the_same_package_index() -> None:
    current = Inputs("dockerfile", "context", "recipe:1", "index of today")
    yesterday = Inputs("d", "c", "p", "index of yesterday")
    assert cache_is_current((yesterday, Inputs("d", "c", "p", "index of today")), current)
    assert not cache_is_current((yesterday,), current)
    assert not cache_is_current((), current)


# the scheduler


def decisions_of(sample: catalog.Catalog) -> list[Decision]:
    inputs = Inputs("d", "c", "p", "i")
    return [Decision(t, Kind.BUILD, ("new",), inputs, Facts(State(t.id))) for t in expand(sample)]


def test_parents_first_and_in_parallel(sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine) -> None:
    run = run_of(sample, tmp_path, engine, FakeRegistry(), jobs=4)
    order: list[str] = []
    at_once: list[int] = []
    active = set()
    lock = threading.Lock()

    def action(decision: Decision) -> None:
        target = decision.target
        with lock:
            active.add(target.id)
            at_once.append(len(active))
            if target.variant == "run":
                assert target.parents[0] in order  # its dev image is done
        time.sleep(0.05)
        with lock:
            active.discard(target.id)
            order.append(target.id)

    outcomes = run.each("build", action, decisions_of(sample))
    assert sorted(order) == sorted(t.id for t in expand(sample))
    assert max(at_once) > 1 and all(o.status is Status.DONE for o in outcomes)


def test_a_failure_skips_its_dependents_and_names_them(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine
) -> None:
    run = run_of(sample, tmp_path, engine, FakeRegistry())
    done: list[str] = []

    def action(decision: Decision) -> str | None:
        if decision.target.id == "node-18-dev":
            raise BuildError("node-18-dev: apt-get failed")
        done.append(decision.target.id)
        return None

    outcomes = Outcomes(tuple(run.each("build", action, decisions_of(sample))))
    assert {o.target for o in outcomes.failures()} == {"node-18-dev", "node-18-run"}
    skipped = outcomes.failure("node-18-run")
    assert skipped is not None and isinstance(skipped.error, BuildError)
    assert skipped.note == "skipped: it needs node-18-dev, which failed" and outcomes.exit_code == 5
    assert sorted(done) == sorted(t.id for t in expand(sample) if not t.id.startswith("node-18-"))
    assert "✕ node-18-dev" in logged(run) and "- node-18-run              build: skipped" in logged(run)
    assert run.store.get("node-18-dev").error == "build: node-18-dev: apt-get failed"
    # a later stage leaves out what failed before it
    later = run.each("test", lambda decision: None, decisions_of(sample), outcomes)
    assert not {o.target for o in later} & {"node-18-dev", "node-18-run"}


def test_a_failed_builds_log_is_folded_on_github(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = run_of(sample, tmp_path, engine, FakeRegistry(), jobs=1)
    run.log = Log(tmp_path / "logs", io.StringIO())

    def action(decision: Decision) -> None:
        raise BuildError(f"{decision.target.id}: apt-get failed", log="E: Unable to locate package nodejs\n")

    run.each("build", action, [d for d in decisions_of(sample) if d.target.variant == "dev"])
    expected = "::group::node-18-dev: the end of its build log\n  E: Unable to locate package nodejs\n::endgroup::"
    assert expected in logged(run)


def test_a_stage_that_passes_clears_the_error_it_left(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine
) -> None:
    run = run_of(sample, tmp_path, engine, FakeRegistry())
    run.store.put(State("node-18-dev", error="test: it broke"))
    run.store.put(State("node-18-run", error="build: apt-get failed"))
    node = [d for d in decisions_of(sample) if d.target.id.startswith("node-18-")]
    run.each("test", lambda decision: "passed before, unchanged", node)
    assert run.store.get("node-18-dev").error == ""
    assert run.store.get("node-18-run").error == "build: apt-get failed"  # another stage's
    assert run.store.get("node-18-dev").outcomes == {"test": "unchanged"}


def test_outcomes_summary_and_exit_code() -> None:
    from builder.run import Outcome

    built = Outcomes((Outcome("a", "build", Status.DONE), Outcome("b", "build", Status.UNCHANGED, "why")))
    tested = (
        Outcome("a", "test", Status.FAILED, "boom", BuildError("boom")),
        Outcome("b", "test", Status.FAILED, "boom", PublishError("boom")),
    )
    outcomes = built + tested
    assert outcomes.summary() == "build: 1 done, 1 unchanged; test: 2 failed"
    assert outcomes.exit_code == 5


def test_a_bug_in_the_last_image_worked_on_is_not_lost(
    sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine
) -> None:
    """An unexpected error (not birdhouse's) in an image still running once nothing is left to
    submit goes up like any other, rather than vanishing with its outcome (a run said exit 0)."""
    run = run_of(sample, tmp_path, engine, FakeRegistry())
    decisions = list(decisions_of(sample))
    last = decisions[-1].target.id

    def action(decision: Decision) -> None:
        if decision.target.id == last:
            time.sleep(0.2)  # still running when the others are done
            raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        run.each("push", action, decisions, parents_first=False)


# platforms: one tag, an index of them


def both(catalog_text: str, engine: FakeEngine) -> list[Target]:
    """node 18's images for linux/amd64 and linux/arm64, their bases in the engine."""
    text = catalog_text.replace(
        "  vendor: birdhouse\n", "  vendor: birdhouse\n  platforms: [linux/amd64, linux/arm64]\n"
    )
    catalogs = [catalog.parse(text, Path("catalog.yaml"), platform) for platform in (AMD64, ARM64)]
    for each in catalogs:
        for base in each.bases.values():
            engine.references[base_image(base, each.platform)] = engine.add({})
    return select([t for each in catalogs for t in expand(each)], NODE)


def test_a_tag_moves_only_once_every_platform_passed(
    sample: catalog.Catalog, catalog_text: str, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    targets = both(catalog_text, engine)
    engine.broken_builds.add("node-18-run-arm64")

    def run() -> Run:
        log = Log(tmp_path / "logs", io.StringIO())
        return Run(sample, targets, tmp_path / "out", log, connect=lambda: engine, given_registry=registry)

    outcomes = pipeline.execute(run(), "all")
    assert outcomes.exit_code == 5  # the build that failed
    assert statuses(outcomes, "push") == {"node-18-dev": Status.DONE, "node-18-run": Status.DONE,
                                          "node-18-dev-arm64": Status.DONE}  # fmt: skip
    assert "tags not moved: node-18-run-arm64 failed" in outcomes.failure("node-18-run").note  # type: ignore[union-attr]
    assert registry.digest("node", "18") is None  # its amd64 image is pushed by digest, but no tag moved
    assert list(registry.entries("node", "18-dev")[1]) == ["linux/amd64", "linux/arm64"]

    engine.broken_builds.clear()
    assert pipeline.execute(run(), "all").exit_code == 0
    served = {platform: registry.served("node", "18", platform) for platform in (AMD64, ARM64)}
    assert {p: s.labels[labels.ID] for p, s in served.items() if s} == {
        AMD64: "node-18-run",
        ARM64: "node-18-run-arm64",
    }
    amd64 = served[AMD64]
    assert amd64 and amd64.index == registry.digest("node", "18")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    indexes = {row["id"]: row["index"] for row in report}
    assert indexes["node-18-run"] == indexes["node-18-run-arm64"] == registry.digest("node", "18")


def test_the_platforms_jobs_push_by_digest_and_index_points_the_tags(
    sample: catalog.Catalog, catalog_text: str, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    """The nightly: a job per platform pushes by digest (`all --by-digest`); the last job
    (`index`) points the tags at what they pushed, only where every platform's image is there."""
    targets = both(catalog_text, engine)

    def run(platform: Platform | None, out: str) -> Run:
        chosen = [t for t in targets if platform is None or t.platform == platform]
        log = Log(tmp_path / "logs", io.StringIO())
        return Run(sample, chosen, tmp_path / out, log, connect=lambda: engine, given_registry=registry)

    assert pipeline.execute(run(AMD64, "amd64"), "all", by_digest=True).exit_code == 0
    assert not registry.tagged and not statuses(pipeline.execute(run(AMD64, "amd64"), "all", by_digest=True), "index")
    outcomes = pipeline.execute(run(None, "assemble"), "index")
    assert outcomes.exit_code == 7 and "no image of this build pushed for linux/arm64" in outcomes.items[0].note
    assert not registry.tagged  # not all there: nothing moved

    assert pipeline.execute(run(ARM64, "arm64"), "all", by_digest=True).exit_code == 0
    outcomes = pipeline.execute(run(None, "assemble"), "index")
    assert outcomes.exit_code == 0 and set(statuses(outcomes, "index").values()) == {Status.DONE}
    assert len(statuses(outcomes, "index")) == 4  # each image's record says its tags were pointed
    assert list(registry.entries("node", "18.20.4")[1]) == ["linux/amd64", "linux/arm64"]
    assert {m.platform for m in ledger.history(registry, "node", "18-dev")} == {"linux/amd64", "linux/arm64"}


def test_adding_a_platform_keeps_the_published_one_and_both_records_say_the_index(
    sample: catalog.Catalog, catalog_text: str, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry
) -> None:
    targets = both(catalog_text, engine)

    def run(platforms: tuple[Platform, ...]) -> Run:
        log = Log(tmp_path / "logs", io.StringIO())
        chosen = [t for t in targets if t.platform in platforms]
        return Run(sample, chosen, tmp_path / "out", log, connect=lambda: engine, given_registry=registry)

    assert pipeline.execute(run((AMD64,)), "all").exit_code == 0  # a native run: amd64 alone
    before = registry.served("node", "18")
    assert pipeline.execute(run((AMD64, ARM64)), "all").exit_code == 0
    assert run((AMD64,)).store.get("node-18-run").decision == "published: already published"
    amd64, arm64 = (registry.served("node", "18", p) for p in (AMD64, ARM64))
    assert before and amd64 and arm64 and amd64.digest == before.digest  # kept as it was
    store = run((AMD64,)).store
    assert store.get("node-18-run").index == store.get("node-18-run-arm64").index == registry.digest("node", "18")
