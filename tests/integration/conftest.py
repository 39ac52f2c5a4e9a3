"""Integration tests: the real Docker engine and the real registry, no mocks.

Under CI (CI=true) a missing engine or registry fails the tests; elsewhere it skips them. Every
local image and every pushed tag they create is named under a per-session prefix and removed
at the end. The Debian bases are kept if they were there before (they are a cache)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from builder import services
from builder.bases import base_image
from builder.catalog import load
from builder.engine import DockerEngine
from builder.errors import HostError

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = "127.0.0.1:5000"
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
    bases = [base_image(base) for base in catalog.bases.values()]
    kept = {reference for reference in bases if engine.image_id(reference)}
    yield engine
    for reference in engine.references("dev.birdhouse.id"):
        if reference.startswith(f"{SESSION}") or f"/{SESSION}" in reference:
            engine.untag(reference)
    for reference in set(bases) - kept:
        engine.untag(reference)


@pytest.fixture(scope="session")
def registry(engine: DockerEngine) -> Iterator[str]:
    try:
        services.ensure_registry(REGISTRY)
    except HostError as error:
        unavailable(f"registry ({error})")
    yield REGISTRY
    for repository in repositories():
        if not repository.startswith(SESSION):
            continue
        tags = requests.get(f"http://{REGISTRY}/v2/{repository}/tags/list", timeout=10).json().get("tags") or []
        for tag in tags:
            digest = manifest_digest(repository, tag)
            if digest:
                requests.delete(f"http://{REGISTRY}/v2/{repository}/manifests/{digest}", timeout=10)


def repositories() -> Iterator[str]:
    """Every repository of the registry, page by page (it serves at most 1000 names a page)."""
    last = ""
    while True:
        params: dict[str, str | int] = {"n": 100, "last": last}
        page = requests.get(f"http://{REGISTRY}/v2/_catalog", params=params, timeout=10).json()
        names = page.get("repositories") or []
        yield from names
        if len(names) < 100:
            return
        last = names[-1]


def manifest_digest(repository: str, tag: str) -> str | None:
    response = requests.head(
        f"http://{REGISTRY}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=10,
    )
    return response.headers.get("Docker-Content-Digest") if response.ok else None


@dataclass(frozen=True)
class Names:
    """Where one test's images go: local names and the registry namespace, both its own."""

    local: str
    namespace: str
    out: Path

    def pushed(self, language: str, tag: str) -> str | None:
        return manifest_digest(f"{self.namespace}/{language}", tag)

    def reference(self, language: str, tag: str) -> str:
        return f"{REGISTRY}/{self.namespace}/{language}:{tag}"


@pytest.fixture
def names(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: DockerEngine, registry: str
) -> Names:
    own = f"{SESSION}/{request.node.name.split('[')[0].removeprefix('test_').replace('_', '-')}"
    own += f"-{secrets.token_hex(2)}"
    monkeypatch.setenv("BIRDHOUSE_LOCAL", own)
    monkeypatch.setenv("BIRDHOUSE_NAMESPACE", own)
    monkeypatch.delenv("BIRDHOUSE_REGISTRY", raising=False)
    return Names(local=own, namespace=own, out=tmp_path / "out")


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the real catalog that a test may change (next to nothing else)."""
    path = tmp_path / "catalog.yaml"
    path.write_text((ROOT / "catalog.yaml").read_text())
    return path
