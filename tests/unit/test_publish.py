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
    def labels(self, language: str, tag: str) -> dict[str, str]:
        return {}

    def manifest(self, language: str, tag: str) -> tuple[str | None, int]:
        return "sha256:" + tag, 1000


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
        def manifest(self, language: str, tag: str) -> tuple[str | None, int]:
            return "sha256:someone-else", 1000

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
