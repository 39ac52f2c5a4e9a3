"""Publishing one image: pushed by digest under its own tag; transient failures retried (each one
logged, a bounded number of times), others not; the digest read back; an untested image never
pushed; an image the registry holds never pushed again. Pointing a tag at an index of platforms:
the other platforms' entries kept, nothing written when it names these images already. On the
typed fakes of tests/unit/fakes.py."""

from __future__ import annotations

import dataclasses
import io
import logging
from pathlib import Path

import pytest

from builder import labels, publish
from builder.catalog import Catalog
from builder.errors import PublishError, SmokeTestError, TransientError
from builder.platforms import AMD64, ARM64, Platform
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
              version="3.11.2", finished="2026-12-02T09:00:00Z", tests=(CheckResult("hello", "run", True),))
    )  # fmt: skip
    return store


def test_transient_failures_are_retried_and_logged(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    engine.push_failures = [TransientError("503"), TransientError("connection reset")]
    with caplog.at_level(logging.WARNING):
        state, pointed = publish.publish(engine, target, store, registry, io.StringIO())
    assert engine.pushes == ["registry.test/python:3.11.2-20261202"]  # by digest, under its own tag only
    assert pointed == [("3.11.2-20261202", state.digest)] and not registry.tagged
    assert state.pushed == {"registry.test/python:3.11.2-20261202": state.digest}
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
        def served(self, language: str, tag: str, platform: Platform = AMD64) -> Served | None:
            return Served("sha256:someone-else", 1000, "sha256:9", labels={})

        def digest(self, language: str, tag: str) -> str | None:
            return None

    with pytest.raises(PublishError, match="the registry serves sha256:someone-else"):
        publish.publish(engine, target, store, Elsewhere(), io.StringIO())


def test_an_untested_image_is_never_pushed(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store
) -> None:
    store.put(store.get(target.id).evolve(image_id="sha256:2"))  # rebuilt since it was tested
    with pytest.raises(SmokeTestError, match="not pushed"):
        publish.publish(engine, target, store, registry, io.StringIO())
    assert engine.pushes == [] and not registry.manifests


def test_an_image_the_registry_holds_is_not_pushed_again(
    engine: FakeEngine, registry: FakeRegistry, target: Target, store: Store
) -> None:
    publish.publish(engine, target, store, registry, io.StringIO())
    registry.asked.clear()
    state, pointed = publish.publish(engine, target, store, registry, io.StringIO())
    assert engine.pushes == ["registry.test/python:3.11.2-20261202"] and not pointed
    assert registry.asked == [f"python/manifests/{state.digest}"]  # one request: the registry holds it


def pushed(engine: FakeEngine, registry: FakeRegistry, target: Target, architecture: str) -> publish.Pushed:
    """target's image for architecture, pushed by digest."""
    image = engine.add({labels.ID: target.id})
    engine.images[image].architecture = architecture
    engine.tag(image, "registry.test/python", f"own-{architecture}")
    digest = engine.push("registry.test/python", f"own-{architecture}", io.StringIO())
    return publish.Pushed(target, digest, ("3.11.2", "3.11"), "b1")


def test_tags_serve_an_index_that_keeps_the_platforms_not_pushed(
    engine: FakeEngine, registry: FakeRegistry, target: Target
) -> None:
    arm64 = dataclasses.replace(target, id=target.id + "-arm64", platform=ARM64)
    amd = pushed(engine, registry, target, "amd64")
    registry.manifests[("python", "3.11")] = registry.manifests[("python", "own-amd64")]  # one image, as before
    moved = publish.point(registry, "python", [amd, pushed(engine, registry, arm64, "arm64")], io.StringIO())
    assert set(moved) == {"3.11.2", "3.11"}
    for tag in moved:
        index, entries = registry.entries("python", tag)
        assert index == moved[tag] and list(entries) == ["linux/amd64", "linux/arm64"]
        assert entries["linux/amd64"]["digest"] == amd.digest and entries["linux/amd64"]["platform"]["os"] == "linux"

    newer = pushed(engine, registry, target, "amd64")  # a native-only run: amd64 alone
    moved = publish.point(registry, "python", [newer], io.StringIO())
    entries = registry.entries("python", "3.11")[1]
    assert entries["linux/amd64"]["digest"] == newer.digest and "linux/arm64" in entries  # arm64 kept

    registry.asked.clear()
    assert publish.point(registry, "python", [newer], io.StringIO()) == {}  # names them already: not written
    assert not [asked for asked in registry.asked if asked.startswith("PUT")]


def test_registry_names() -> None:
    registry = RegistryClient("ghcr.io", "acme/birdhouse")
    assert registry.repository("node") == "ghcr.io/acme/birdhouse/node"
    assert not registry.local
    assert RegistryClient("127.0.0.1:5000").repository("node") == "127.0.0.1:5000/node"
