"""Publishing one image: transient failures retried (each one logged, a bounded number of times),
others not; the digest read back; an untested image never pushed; a tag that still serves what
was pushed checked with one request. On the typed fakes of tests/unit/fakes.py."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from builder import labels, publish
from builder.catalog import Catalog
from builder.errors import PublishError, SmokeTestError, TransientError
from builder.registry import RegistryClient
from builder.seams import Served
from builder.state import CheckResult, State, Store
from builder.targets import Target, expand

from .fakes import FakeEngine, FakeRegistry


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tenacity.nap.time.sleep", lambda seconds: None)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def engine(sample: Catalog, registry: FakeRegistry) -> FakeEngine:
    return FakeEngine(sample, registry)


@pytest.fixture
def target(sample: Catalog) -> Target:
    return next(t for t in expand(sample) if t.id == "python-3.11-run")


@pytest.fixture
def store(tmp_path: Path, engine: FakeEngine, target: Target) -> Store:
    """A tested image of python-3.11-run."""
    image = engine.add({labels.ID: target.id, labels.BUILD_ID: "b1"})
    store = Store(tmp_path)
    store.put(
        State(id=target.id, image_id=image, build_id="b1", tested_image=image, tags=("3.11.2", "3.11"),
              tests=(CheckResult("hello", "run", True),))
    )  # fmt: skip
    return store


def test_transient_failures_are_retried_and_logged(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    engine.push_failures = [TransientError("503"), TransientError("connection reset")]
    with caplog.at_level(logging.WARNING):
        state, anything = publish.publish(engine, target, store, registry, io.StringIO())
    assert engine.pushes == ["registry.test/python:3.11.2"] and anything  # 3.11: pointed at it, no push
    assert registry.tagged == ["python:3.11"]
    assert list(state.pushed) == ["registry.test/python:3.11.2", "registry.test/python:3.11"]
    assert len([r for r in caplog.records if "Retrying" in r.getMessage()]) == 2


def test_other_failures_are_not_retried(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store
) -> None:
    engine.push_failures = [PublishError("unauthorized: authentication required"), TransientError("never asked")]
    with pytest.raises(PublishError, match="unauthorized"):
        publish.publish(engine, target, store, registry, io.StringIO())
    assert len(engine.push_failures) == 1  # one push: the other failure was never reached


def test_retries_stop(engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store) -> None:
    engine.push_failures = [TransientError("503") for _ in range(10)]
    with pytest.raises(TransientError):
        publish.publish(engine, target, store, registry, io.StringIO(), attempts=3)
    assert len(engine.push_failures) == 7


def test_a_digest_mismatch_fails(engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store) -> None:
    class Elsewhere(FakeRegistry):
        def served(self, language: str, tag: str) -> Served | None:
            return Served("sha256:someone-else", 1000, "sha256:9", labels={})

    with pytest.raises(PublishError, match="the registry serves sha256:someone-else"):
        publish.publish(engine, target, store, Elsewhere(), io.StringIO())


def test_an_untested_image_is_never_pushed(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store
) -> None:
    store.put(store.get(target.id).evolve(image_id="sha256:2"))  # rebuilt since it was tested
    with pytest.raises(SmokeTestError, match="not pushed"):
        publish.publish(engine, target, store, registry, io.StringIO())
    assert engine.pushes == [] and not registry.manifests


def test_a_tag_still_serving_what_was_pushed_is_checked_with_one_request(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store
) -> None:
    publish.publish(engine, target, store, registry, io.StringIO())
    moved = registry.manifests[("python", "3.11")]
    registry.manifests[("python", "3.11")] = Served("sha256:moved", 1, "sha256:other", {})  # someone moved 3.11
    registry.asked.clear()
    state, anything = publish.publish(engine, target, store, registry, io.StringIO())
    assert registry.asked == [
        "HEAD python/manifests/3.11.2",  # still what this image's push left: one request
        "HEAD python/manifests/3.11",  # moved:
        "python/manifests/3.11",  # not this build id,
        "PUT python/manifests/3.11",  # so pointed back at this image's manifest,
        "python/manifests/3.11",  # and read back
    ]
    assert engine.pushes == ["registry.test/python:3.11.2"] and anything  # no layer moved again
    assert state.pushed["registry.test/python:3.11"] == moved.digest


def test_registry_names() -> None:
    registry = RegistryClient("ghcr.io", "acme/birdhouse")
    assert registry.repository("node") == "ghcr.io/acme/birdhouse/node"
    assert not registry.local
    assert RegistryClient("127.0.0.1:5000").repository("node") == "127.0.0.1:5000/node"
