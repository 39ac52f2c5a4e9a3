"""Building against another engine through DOCKER_HOST: a second dockerd on this machine, with
its own data, sockets and no bridge (builds reach the package cache on the host's network)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from builder import services
from builder.cli import main
from builder.engine import Engine

from .conftest import Names, unavailable

pytestmark = pytest.mark.integration


@pytest.fixture
def second_engine(engine: Engine) -> Iterator[str]:
    if not shutil.which("dockerd"):
        unavailable("dockerd to start a second engine with")
    if not services.apt_proxy():
        unavailable("package cache on 127.0.0.1:3142 (a bridge-less engine's builds need it)")
    # short paths: a unix socket's path has a length limit
    root = Path(tempfile.mkdtemp(prefix="bh2-", dir="/tmp"))
    host = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("wb")
    daemon = subprocess.Popen(
        ["dockerd", f"--host={host}", f"--data-root={root}/data", f"--exec-root={root}/exec",
         f"--pidfile={root}/docker.pid", "--bridge=none", "--iptables=false", "--ip-masq=false"],
        stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(60):
            try:
                docker.DockerClient(base_url=host, timeout=5).ping()
                break
            except docker.errors.DockerException:
                time.sleep(1)
        else:
            pytest.fail(f"the second dockerd did not start: {(root / 'dockerd.log').read_text()[-2000:]}")
        yield host
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        log.close()
        subprocess.run(["umount", "-R", f"{root}/data"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_docker_host_selects_the_engine(
    engine: Engine, second_engine: str, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", second_engine)
    assert main(["build", "--out", str(names.out), "python-3.11-dev"]) == 0
    assert main(["test", "--out", str(names.out), "python-3.11-dev"]) == 0

    other = Engine(docker.DockerClient(base_url=second_engine))
    assert other.image_id(f"{names.local}/python:3.11-dev")
    assert other.image_id("birdhouse/base:bookworm")  # bootstrapped for that engine
    monkeypatch.delenv("DOCKER_HOST")
    assert engine.image_id(f"{names.local}/python:3.11-dev") is None  # not on the first one
    assert os.environ.get("DOCKER_HOST") is None
