"""Unit tests are pure logic: they can never reach a Docker engine or a registry."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from builder import catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests must not reach Docker")

    monkeypatch.setattr(docker.APIClient, "__init__", refuse)
    monkeypatch.setattr(docker.DockerClient, "__init__", refuse)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/unit-tests-have-no-docker.sock")
    monkeypatch.setenv("BIRDHOUSE_APT_PROXY", "off")


SAMPLE = Path(__file__).parent / "catalog.yaml"


@pytest.fixture(scope="session")
def sample() -> catalog.Catalog:
    """A catalog frozen for these tests (node and python, on every base), so that the catalog can
    grow without changing what they expect; test_real_catalog.py checks the real one."""
    return catalog.load(SAMPLE)


@pytest.fixture
def catalog_text() -> str:
    return SAMPLE.read_text()
