"""Building against another engine through DOCKER_HOST: a second dockerd on this machine, with
its own data, sockets and no bridge (builds reach the package cache on the host's network)."""

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
from builder.engine import Engine
from builder.state import Store

from .conftest import ROOT, Names, unavailable

pytestmark = pytest.mark.integration
PYTHON = ("python-3.11-dev", "python-3.11-run")


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


def test_another_engine_takes_what_is_published_and_builds_only_what_changed(
    engine: Engine,
    second_engine: str,
    names: Names,
    catalog_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A fresh machine (a second engine, a fresh work folder) and one registry: what the registry
    serves with the same build id is neither built nor pushed, nor even pulled; a change to one
    image builds that one there, on a base bootstrapped there, pulling what its tests need."""
    assert main(["all", "--out", str(names.out), "python-3.11-*"]) == 0  # published from the first engine
    published = names.pushed("python", "3.11")
    other = Engine(docker.DockerClient(base_url=second_engine))
    base = base_image(load(ROOT / "catalog.yaml").bases["bookworm"])
    monkeypatch.setenv("DOCKER_HOST", second_engine)
    fresh = names.out.parent / "fresh"
    capsys.readouterr()

    assert main(["all", "--out", str(fresh), "python-3.11-*"]) == 0
    err = capsys.readouterr().err
    assert err.count("serves this build id") == 2, err
    assert err.count("already published, unchanged") == 2, err
    assert other.image_id(base) is None  # nothing bootstrapped, built or pulled
    assert other.image_ids("dev.birdhouse.id") == []

    text = catalog_copy.read_text()
    more = '        - "*/__pycache__"\n        - /usr/lib/python{version}/this.py\n'
    catalog_copy.write_text(text.replace('        - "*/__pycache__"\n', more))  # python's run images only
    assert main(["all", "--catalog", str(catalog_copy), "--out", str(fresh), "python-3.11-*"]) == 0
    err = capsys.readouterr().err
    lines = {image: [line for line in err.splitlines() if line.split()[1:2] == [image]] for image in PYTHON}
    assert any("build: unchanged" in line and "serves this build id" in line for line in lines["python-3.11-dev"])
    assert any(" pull " in line for line in lines["python-3.11-dev"]), err  # for the run image's pair test
    assert any(line.startswith("✓") and " build (" in line for line in lines["python-3.11-run"]), err
    assert other.image_id(base)  # bootstrapped on the engine DOCKER_HOST names
    run = Store(fresh / "state").get("python-3.11-run")
    assert run.passed and other.image_id(run.image_id)
    assert names.pushed("python", "3.11") not in (None, published)
    monkeypatch.delenv("DOCKER_HOST")
    assert engine.image_id(run.image_id) is None  # built on the second engine only
