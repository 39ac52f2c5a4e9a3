"""Publishing through a registry that fails: 30% of requests answered with a 5xx or a 429, a reset,
a reset halfway through, or a stall (tests/integration/faultproxy.py) still publishes exactly what a
clean publish does; a registry that is down fails fast and in a sentence; a publish killed half way
and run again converges."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from builder import attest, ledger
from builder.cli import main
from builder.engine import DockerEngine
from builder.platforms import AMD64
from builder.registry import OCI_INDEX, RegistryClient
from builder.state import Store

from .conftest import ROOT, Names
from .faultproxy import FaultProxy

pytestmark = pytest.mark.integration
IMAGES = ("python-3.13-*",)


def served(registry: str, namespace: str, language: str) -> dict[str, str]:
    """Every image tag of a repository and the digest it serves, read from the registry itself (the
    ledgers, which record when, are read apart, and the SBOMs and provenance, which name the
    repository, are left out)."""
    tags = requests.get(f"http://{registry}/v2/{namespace}/{language}/tags/list", timeout=10).json().get("tags") or []
    out = {}
    for tag in tags:
        if tag.startswith(("ledger-", "sha256-")):
            continue
        response = requests.head(
            f"http://{registry}/v2/{namespace}/{language}/manifests/{tag}",
            headers={"Accept": f"{OCI_INDEX}, application/vnd.docker.distribution.manifest.v2+json"},
            timeout=10,
        )
        out[tag] = response.headers["Docker-Content-Digest"]
    return out


def test_a_publish_through_faults_is_exact(engine: DockerEngine, names: Names, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["all", "--out", str(names.out), *IMAGES]) == 0
    clean = served(names.registry, names.namespace, "python")
    assert clean

    proxy = FaultProxy(names.registry, rate=0.3, seed=7)
    faulty = f"{names.namespace}-faulty"
    try:
        monkeypatch.setenv("BIRDHOUSE_REGISTRY", proxy.address)
        monkeypatch.setenv("BIRDHOUSE_NAMESPACE", faulty)
        assert main(["push", "--out", str(names.out), *IMAGES]) == 0
    finally:
        proxy.stop()
    assert sum(proxy.faults.values()) > 10, proxy.faults  # it did fail, and often
    assert served(names.registry, faulty, "python") == clean  # tag for tag, digest for digest
    recorded = ledger.read(RegistryClient(names.registry, faulty), "python", "3.13")
    assert {(entry.tag, entry.index or entry.digest) for entry in recorded} == set(
        clean.items()
    )  # the ledger, once each
    assert len(recorded) == len(clean)
    for tag in ("3.13", "3.13-dev"):  # and what travels with each image is there too
        assert attest.read(RegistryClient(names.registry, faulty), "python", tag, "sbom", AMD64)


def test_a_registry_that_is_down_fails_fast_in_a_sentence(
    engine: DockerEngine, names: Names, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["all", "--out", str(names.out), *IMAGES]) == 0
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("BIRDHOUSE_REGISTRY", nobody)
    capsys.readouterr()
    start = time.monotonic()
    assert main(["push", "--out", str(names.out), *IMAGES]) == 4
    assert time.monotonic() - start < 30
    err = capsys.readouterr().err
    assert f"the registry at {nobody} does not answer (connection refused)" in err
    assert "Traceback" not in err and "HTTPConnectionPool" not in err
    state = Store(names.out / "state").get("python-3.13-run")
    assert not [reference for reference in state.pushed if reference.startswith(nobody)]


def test_a_publish_killed_half_way_converges(engine: DockerEngine, names: Names, tmp_path: Path) -> None:
    assert main(["all", "--out", str(names.out), *IMAGES]) == 0
    clean = served(names.registry, names.namespace, "python")
    proxy = FaultProxy(names.registry, rate=0.0, seed=1)  # a slow path to kill the push on
    killed = f"{names.namespace}-killed"
    env = {**os.environ, "BIRDHOUSE_REGISTRY": proxy.address, "BIRDHOUSE_NAMESPACE": killed}
    command = [sys.executable, "-m", "builder", "push", "--out", str(names.out), *IMAGES]
    try:
        push = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while proxy.requests < 15 and push.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        push.send_signal(signal.SIGKILL)
        push.wait()
        assert served(names.registry, killed, "python") != clean  # it stopped half way
        rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
    finally:
        proxy.stop()
    assert served(names.registry, killed, "python") == clean
