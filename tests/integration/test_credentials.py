"""A registry that asks for a password, over TLS with a CA of the test's own (installed for the
engine in /etc/docker/certs.d/<host:port>/, and given to the builder as BIRDHOUSE_REGISTRY_CA):
a publish works end to end, and the password is nowhere in what the run wrote or ran."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import requests

from builder import services
from builder.cli import main
from builder.engine import DockerEngine
from builder.state import Store

from .conftest import Names, unavailable

pytestmark = pytest.mark.integration
USER = "birdhouse"
CERTS_D = Path("/etc/docker/certs.d")


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def secure_registry(engine: DockerEngine, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """(address, password, CA file) of a registry with basic auth over TLS; all of it removed after."""
    if not shutil.which("openssl"):
        unavailable("openssl to make the test's CA with")
    password = secrets.token_urlsafe(24)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    ca, key, csr, cert = (tmp_path / name for name in ("ca.pem", "key.pem", "server.csr", "server.pem"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=birdhouse test CA",
            "-keyout", str(tmp_path / "ca-key.pem"), "-out", str(ca))  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    (tmp_path / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(tmp_path / "ca-key.pem"),
            "-CAcreateserial", "-days", "1", "-extfile", str(tmp_path / "san.cnf"), "-out", str(cert))  # fmt: skip
    (tmp_path / "htpasswd").write_text(f"{USER}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()}\n")
    home = tmp_path / "registry"
    home.mkdir()
    extra = (
        f"  tls:\n    certificate: {cert}\n    key: {key}\n"
        f"auth:\n  htpasswd:\n    realm: birdhouse-test\n    path: {tmp_path / 'htpasswd'}\n"
    )
    trusted = CERTS_D / address
    trusted.mkdir(parents=True)
    shutil.copy(ca, trusted / "ca.crt")
    process = None
    try:
        process = services.serve(address, home, extra=extra, scheme="https", ca=str(ca))
        yield address, password, ca
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(trusted, ignore_errors=True)


def test_a_password_over_tls_works_and_is_written_nowhere(
    engine: DockerEngine,
    names: Names,
    secure_registry: tuple[str, str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    address, password, ca = secure_registry
    assert requests.get(f"https://{address}/v2/", verify=str(ca), timeout=10).status_code == 401  # it asks
    monkeypatch.setenv("BIRDHOUSE_REGISTRY", address)
    monkeypatch.setenv("BIRDHOUSE_REGISTRY_USERNAME", USER)
    monkeypatch.setenv("BIRDHOUSE_REGISTRY_PASSWORD", password)
    monkeypatch.setenv("BIRDHOUSE_REGISTRY_CA", str(ca))
    ran: list[Any] = []
    popen = subprocess.Popen.__init__

    def recorded(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        ran.append(args)
        popen(self, args, *rest, **options)

    monkeypatch.setattr(subprocess.Popen, "__init__", recorded)
    assert main(["all", "--out", str(names.out), "python-3.13-*"]) == 0
    monkeypatch.undo()

    run = Store(names.out / "state").get("python-3.13-run")
    assert run.pushed[f"{address}/{names.namespace}/python:3.13"]
    authorised = requests.get(
        f"https://{address}/v2/{names.namespace}/python/tags/list", auth=(USER, password), verify=str(ca), timeout=10
    )
    assert "3.13" in authorised.json()["tags"]

    # nowhere: the terminal, the work folder (logs, records, report), the commands run, the images
    out, err = capfd.readouterr()
    written = [out, err, *(path.read_text(errors="replace") for path in names.out.rglob("*") if path.is_file())]
    written += [" ".join(map(str, args)) if isinstance(args, list) else str(args) for args in ran]
    image = engine.inspect(run.image_id)
    written += [str(image["Config"]), str(engine.api.history(run.image_id))]
    assert not [text for text in written if password in text]
