"""Retries: transient failures only, each one logged, a bounded number of times."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from builder import publish
from builder.catalog import Catalog
from builder.errors import PublishError, SmokeTestError, TransientError
from builder.state import CheckResult, State, Store
from builder.targets import Target, expand


class FlakyEngine:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.pushes = 0
        self.tags: list[str] = []

    def tag(self, image_id: str, repository: str, tag: str) -> None:
        self.tags.append(f"{repository}:{tag}")

    def push(self, repository: str, tag: str, log: io.TextIOBase) -> str:
        self.pushes += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sha256:" + tag


class FakeRegistry(publish.Registry):
    def served(self, language: str, tag: str) -> publish.Served | None:
        return publish.Served("sha256:" + tag, 1000, "sha256:1", labels={})  # of no build id of ours


@pytest.fixture
def tested(tmp_path: Path, sample: Catalog) -> tuple[Target, Store]:
    target = next(t for t in expand(sample) if t.id == "python-3.11-run")
    store = Store(tmp_path)
    store.put(
        State(id=target.id, image_id="sha256:1", tested_image="sha256:1", tags=("3.11.2", "3.11"),
              tests=(CheckResult("hello", "run", True),))
    )  # fmt: skip
    return target, store


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tenacity.nap.time.sleep", lambda seconds: None)


def test_transient_failures_are_retried_and_logged(tested, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    target, store = tested
    flaky = FlakyEngine([TransientError("503"), TransientError("connection reset")])
    with caplog.at_level(logging.WARNING):
        state, _ = publish.publish(flaky, target, store, FakeRegistry("127.0.0.1:5000"), io.StringIO())  # type: ignore[arg-type]
    assert flaky.pushes == 4  # two failures, then 3.11.2 and 3.11
    assert list(state.pushed) == ["127.0.0.1:5000/python:3.11.2", "127.0.0.1:5000/python:3.11"]
    assert len([r for r in caplog.records if "Retrying" in r.getMessage()]) == 2


def test_other_failures_are_not_retried(tested) -> None:  # type: ignore[no-untyped-def]
    target, store = tested
    flaky = FlakyEngine([PublishError("unauthorized: authentication required")])
    with pytest.raises(PublishError, match="unauthorized"):
        publish.publish(flaky, target, store, FakeRegistry("127.0.0.1:5000"), io.StringIO())  # type: ignore[arg-type]
    assert flaky.pushes == 1


def test_retries_stop(tested) -> None:  # type: ignore[no-untyped-def]
    target, store = tested
    flaky = FlakyEngine([TransientError("503")] * 10)
    with pytest.raises(TransientError):
        publish.publish(flaky, target, store, FakeRegistry("127.0.0.1:5000"), io.StringIO(), attempts=3)  # type: ignore[arg-type]
    assert flaky.pushes == 3


def test_a_digest_mismatch_fails(tested) -> None:  # type: ignore[no-untyped-def]
    target, store = tested

    class Other(FakeRegistry):
        def served(self, language: str, tag: str) -> publish.Served | None:
            return publish.Served("sha256:someone-else", 1000, "sha256:9", labels={})

    with pytest.raises(PublishError, match="the registry serves sha256:someone-else"):
        publish.publish(FlakyEngine([]), target, store, Other("127.0.0.1:5000"), io.StringIO())  # type: ignore[arg-type]


def test_an_untested_image_is_never_pushed(tested) -> None:  # type: ignore[no-untyped-def]
    target, store = tested
    store.put(store.get(target.id).evolve(image_id="sha256:2"))  # rebuilt since it was tested
    engine = FlakyEngine([])
    with pytest.raises(SmokeTestError, match="not pushed"):
        publish.publish(engine, target, store, FakeRegistry("127.0.0.1:5000"), io.StringIO())  # type: ignore[arg-type]
    assert engine.pushes == 0 and engine.tags == []


def test_registry_names() -> None:
    registry = publish.Registry("ghcr.io", "acme/birdhouse")
    assert registry.repository("node") == "ghcr.io/acme/birdhouse/node"
    assert not registry.local
    assert publish.Registry("127.0.0.1:5000").repository("node") == "127.0.0.1:5000/node"


def test_an_image_the_registry_serves_with_its_build_id_is_taken_as_published(tmp_path: Path, sample: Catalog) -> None:
    from builder.buildid import Inputs

    target = next(t for t in expand(sample) if t.id == "python-3.11-run")
    inputs = Inputs("dockerfile", "context", "recipe:1", "packages", tests="tests")
    labels = {
        publish.BUILD_ID: inputs.build_id,
        "org.opencontainers.image.version": "3.11.2.1",
        publish.SIZE: "29700000",
    }

    class Serving(FakeRegistry):
        def served(self, language: str, tag: str) -> publish.Served | None:
            return publish.Served("sha256:m", 12_000_000, "sha256:config", labels) if tag == "3.11" else None

        def digest(self, language: str, tag: str) -> str | None:
            return "sha256:m" if tag in ("3.11", "3.11.2") else None  # 3.11.2.x: a run stopped half way

    store = Store(tmp_path)
    registry = Serving("127.0.0.1:5000")
    assert publish.published(registry, target, store, inputs) == "127.0.0.1:5000/python:3.11"
    state = store.get(target.id)
    assert state.passed and state.image_id == "sha256:config" and state.tests_digest == "tests"
    assert (state.version, state.tags, state.size) == ("3.11.2.1", ("3.11.2.1", "3.11.2", "3.11"), 29_700_000)
    assert state.pushed == {"127.0.0.1:5000/python:3.11.2": "sha256:m", "127.0.0.1:5000/python:3.11": "sha256:m"}

    other = Inputs("dockerfile", "context", "recipe:1", "newer packages", tests="tests")
    assert publish.published(registry, target, Store(tmp_path / "other"), other) is None
    assert publish.published(FakeRegistry("127.0.0.1:5000"), target, Store(tmp_path / "none"), inputs) is None
    # 3.11.2.1 is not served: pushed lacks it, so the publish stage pulls the image and mends that tag


def test_a_tag_still_serving_what_was_pushed_is_checked_with_one_request(tested) -> None:  # type: ignore[no-untyped-def]
    target, store = tested
    pushed = {"127.0.0.1:5000/python:3.11.2": "sha256:a", "127.0.0.1:5000/python:3.11": "sha256:b"}
    store.put(store.get(target.id).evolve(pushed=pushed, compressed=7))
    asked: list[str] = []

    class Same(FakeRegistry):
        def digest(self, language: str, tag: str) -> str | None:
            asked.append(tag)
            return {"3.11.2": "sha256:a", "3.11": "sha256:moved"}[tag]  # someone moved 3.11

    engine = FlakyEngine([])
    state, anything = publish.publish(engine, target, store, Same("127.0.0.1:5000"), io.StringIO())  # type: ignore[arg-type]
    assert asked == ["3.11.2", "3.11"]
    assert engine.tags == ["127.0.0.1:5000/python:3.11"] and anything  # only the moved tag is pushed again
    assert state.pushed == {"127.0.0.1:5000/python:3.11.2": "sha256:a", "127.0.0.1:5000/python:3.11": "sha256:3.11"}
