"""Integration tests: the real Docker engine and a real registry of their own, no mocks.

Under CI (CI=true) a missing engine or registry fails the tests; elsewhere it skips them. Every
local image they create is named under a per-session prefix and removed at the end; the registry,
with all they pushed, goes too. The Debian bases are kept if they were there before (a cache)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from builder import services
from builder.bases import base_image
from builder.catalog import load
from builder.engine import DockerEngine
from builder.errors import HostError
from builder.platforms import PLATFORMS
from builder.registry import OCI_INDEX

ROOT = Path(__file__).resolve().parents[2]
SESSION = f"birdhouse-test-{secrets.token_hex(3)}"


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI has no {reason}: .ci/run must start it (make setup)")
    pytest.skip(f"no {reason} (make setup starts one)")


@pytest.fixture(scope="session")
def engine() -> Iterator[DockerEngine]:
    try:
        engine = DockerEngine.connect()
    except HostError as error:
        unavailable(f"Docker engine ({error})")
    catalog = load(ROOT / "catalog.yaml")
    bases = [base_image(base, platform) for base in catalog.bases.values() for platform in PLATFORMS.values()]
    kept = {reference for reference in bases if engine.image_id(reference)}
    yield engine
    for reference in engine.references("dev.birdhouse.id"):
        if reference.startswith(f"{SESSION}") or f"/{SESSION}" in reference:
            engine.untag(reference)
    for reference in set(bases) - kept:
        engine.untag(reference)


@pytest.fixture(scope="session")
def registry(engine: DockerEngine) -> Iterator[str]:
    """A registry of the tests' own, on a free port of 127.0.0.1 (the engine pushes there over http,
    as to any loopback registry), its data in a folder of its own: the user's embedded registry is
    never touched; stopped and removed at the end."""
    home = Path(tempfile.mkdtemp(prefix="birdhouse-test-registry-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    try:
        process = services.serve(address, home)
    except HostError as error:
        shutil.rmtree(home, ignore_errors=True)
        unavailable(f"registry ({error})")
    try:
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def platform_of(descriptor: dict[str, Any]) -> str:
    return f"{descriptor['platform']['os']}/{descriptor['platform']['architecture']}"


@dataclass(frozen=True)
class Names:
    """Where one test's images go: local names and a registry namespace, both its own."""

    local: str
    namespace: str
    out: Path
    registry: str

    def pushed(self, language: str, tag: str, platform: str = "linux/amd64") -> str | None:
        """The digest of the image the registry serves for language:tag on platform (its index's
        entry), if any."""
        index = self.index(language, tag)
        if index is None:
            return None
        return next((m["digest"] for m in index["manifests"] if platform_of(m) == platform), None)

    def index(self, language: str, tag: str) -> dict[str, Any] | None:
        """The OCI image index the registry serves for language:tag, if any."""
        response = requests.get(
            f"http://{self.registry}/v2/{self.namespace}/{language}/manifests/{tag}",
            headers={"Accept": OCI_INDEX},
            timeout=10,
        )
        if not response.ok:
            return None
        assert response.headers["Content-Type"] == OCI_INDEX, f"{language}:{tag} serves no index"
        index: dict[str, Any] = response.json()
        return index

    def reference(self, language: str, tag: str) -> str:
        return f"{self.registry}/{self.namespace}/{language}:{tag}"


@pytest.fixture
def names(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: DockerEngine, registry: str
) -> Names:
    own = f"{SESSION}/{request.node.name.split('[')[0].removeprefix('test_').replace('_', '-')}"
    own += f"-{secrets.token_hex(2)}"
    monkeypatch.setenv("BIRDHOUSE_LOCAL", own)
    monkeypatch.setenv("BIRDHOUSE_NAMESPACE", own)
    monkeypatch.setenv("BIRDHOUSE_REGISTRY", registry)
    return Names(local=own, namespace=own, out=tmp_path / "out", registry=registry)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the real catalog that a test may change (next to nothing else)."""
    path = tmp_path / "catalog.yaml"
    path.write_text((ROOT / "catalog.yaml").read_text())
    return path
