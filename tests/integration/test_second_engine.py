"""Building against another engine through DOCKER_HOST: a second dockerd on this machine, with
its own data, sockets and bridge (builds reach the package cache on the host's network); the
host's own engine keeps its docker0."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from builder import services
from builder.bases import base_image
from builder.catalog import load
from builder.cli import main
from builder.engine import DockerEngine
from builder.state import Store

from .conftest import ROOT, Names, unavailable

pytestmark = pytest.mark.integration
PYTHON = ("python-3.13-dev", "python-3.13-run")


def link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True, check=False).returncode == 0


@pytest.fixture
def second_engine(engine: DockerEngine) -> Iterator[str]:
    """A second dockerd with its own data, sockets and bridge. Its own bridge, not --bridge=none:
    a dockerd told there is no bridge deletes the host's docker0, which the first engine needs."""
    if not shutil.which("dockerd"):
        unavailable("dockerd to start a second engine with")
    if not services.apt_proxy():
        unavailable("package cache on 127.0.0.1:3142 (the second engine's builds use the host's network for it)")
    # short paths: a unix socket's path has a length limit; an interface name has 15 characters
    root = Path(tempfile.mkdtemp(prefix="bh2-", dir="/tmp"))
    bridge = root.name.replace("-", "")[:15]
    had_docker0 = link_exists("docker0")
    host = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("wb")
    daemon = None
    try:
        for command in (["ip", "link", "add", bridge, "type", "bridge"], ["ip", "link", "set", bridge, "up"]):
            subprocess.run(command, check=True, capture_output=True)
        daemon = subprocess.Popen(
            ["dockerd", f"--host={host}", f"--data-root={root}/data", f"--exec-root={root}/exec",
             f"--pidfile={root}/docker.pid", f"--bridge={bridge}", "--iptables=false", "--ip-masq=false"],
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        for _ in range(60):
            try:
                docker.DockerClient(base_url=host, timeout=5).ping()
                break
            except docker.errors.DockerException:
                time.sleep(1)
        else:
            pytest.fail(f"the second dockerd did not start: {(root / 'dockerd.log').read_text()[-2000:]}")
        assert link_exists("docker0") or not had_docker0, "the second dockerd deleted the host's docker0"
        yield host
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(timeout=60)
        log.close()
        for mounted in ("data", "exec/netns/default", "exec"):  # what a dockerd may leave mounted
            subprocess.run(["umount", "-R", f"{root}/{mounted}"], capture_output=True, check=False)
        subprocess.run(["ip", "link", "delete", bridge], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_another_engine_takes_what_is_published_and_builds_only_what_changed(
    engine: DockerEngine,
    second_engine: str,
    names: Names,
    catalog_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fresh machine (a second engine, a fresh work folder) and one registry: what the registry
    serves with the same build id is neither built nor pushed, nor even pulled; a change to one
    image builds that one there, on a base bootstrapped there, pulling what its tests need."""
    assert main(["all", "--out", str(names.out), "python-3.13-*"]) == 0  # published from the first engine
    published = names.pushed("python", "3.13")
    other = DockerEngine(docker.DockerClient(base_url=second_engine))
    base = base_image(load(ROOT / "catalog.yaml").bases["trixie"])
    monkeypatch.setenv("DOCKER_HOST", second_engine)
    fresh = names.out.parent / "fresh"

    assert main(["all", "--out", str(fresh), "python-3.13-*"]) == 0
    for image in PYTHON:
        state = Store(fresh / "state").get(image)
        assert state.decision == "published: already published", state.decision
        assert state.outcomes == {"build": "unchanged", "test": "unchanged", "push": "unchanged", "index": "unchanged"}
    assert other.image_id(base) is None  # nothing bootstrapped, built or pulled
    assert other.image_ids("dev.birdhouse.id") == []

    text = catalog_copy.read_text()
    more = '        - "*/__pycache__"\n        - /usr/lib/python{version}/this.py\n'
    catalog_copy.write_text(text.replace('        - "*/__pycache__"\n', more))  # python's run images only
    assert main(["all", "--catalog", str(catalog_copy), "--out", str(fresh), "python-3.13-*"]) == 0
    dev, run = (Store(fresh / "state").get(image) for image in PYTHON)
    assert dev.decision == "published: already published" and run.decision == "build: template changed"
    assert run.outcomes == {"build": "done", "test": "done", "push": "done", "index": "done"}
    assert other.image_id(dev.image_id)  # pulled there, for the run image's pair test
    assert other.image_id(base)  # bootstrapped on the engine DOCKER_HOST names
    assert run.passed and other.image_id(run.image_id)
    assert names.pushed("python", "3.13") not in (None, published)
    monkeypatch.delenv("DOCKER_HOST")
    assert engine.image_id(run.image_id) is None  # built on the second engine only


@pytest.mark.parametrize(("language", "version"), [("python", "3.13"), ("node", "18")])
def test_a_run_image_rebuilt_on_a_clean_engine_is_the_same_image(
    engine: DockerEngine,
    second_engine: str,
    names: Names,
    catalog_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
    version: str,
) -> None:
    """Reproducible run images: published from the first engine, then rebuilt from the same
    checkout with no cache on a clean second engine (`verify`): the same image id, and pushed from
    there, the same digest. A checkout whose inputs moved says so, and rebuilds nothing."""
    assert main(["all", "--out", str(names.out), f"{language}-{version}-*"]) == 0
    built = Store(names.out / "state").get(f"{language}-{version}-run")
    other = DockerEngine(docker.DockerClient(base_url=second_engine))
    monkeypatch.setenv("DOCKER_HOST", second_engine)
    capsys.readouterr()

    assert main(["verify", f"{language}:{version}", "--out", str(names.out.parent / "fresh")]) == 0
    assert f"is the same image: {built.image_id}" in capsys.readouterr().out
    assert other.image_id(built.image_id)  # built there, from nothing of the first engine's
    repository = f"{names.registry}/{names.namespace}/{language}"
    other.tag(built.image_id, repository, "rebuilt")
    with (names.out / "rebuilt.log").open("w") as log:
        assert other.push(repository, "rebuilt", log) == names.pushed(language, version)

    if language != "python":
        return
    text = catalog_copy.read_text()
    more = '        - "*/__pycache__"\n        - /usr/lib/python{version}/this.py\n'
    catalog_copy.write_text(text.replace('        - "*/__pycache__"\n', more))  # python's run images only
    moved = [
        "verify",
        f"{language}:{version}",
        "--catalog",
        str(catalog_copy),
        "--out",
        str(names.out.parent / "moved"),
    ]
    assert main(moved) == 5
    assert "its inputs moved since it was built (template changed)" in capsys.readouterr().err
