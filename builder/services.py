"""The embedded registry: Debian's docker-registry on 127.0.0.1:5000, started when the
configured registry is that address and nothing answers there."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

from builder.errors import HostError

CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: {address}
"""


APT_CACHE = "http://127.0.0.1:3142"


def apt_proxy() -> str | None:
    """The package cache builds download through: BIRDHOUSE_APT_PROXY (`off` for none), else the
    one `make setup` starts on 127.0.0.1:3142 if it answers."""
    configured = os.environ.get("BIRDHOUSE_APT_PROXY", "").strip()
    if configured.lower() in ("off", "none", "0"):
        return None
    proxy = configured or APT_CACHE
    try:
        with socket.create_connection(tuple(proxy.removeprefix("http://").rstrip("/").rsplit(":", 1)), timeout=2):  # type: ignore[arg-type]
            return proxy
    except (OSError, ValueError):
        if configured:
            raise HostError(f"BIRDHOUSE_APT_PROXY={configured} does not answer") from None
        return None


def state_folder() -> Path:
    """Where birdhouse keeps what outlives a run (the embedded registry's blobs)."""
    if env := os.environ.get("BIRDHOUSE_HOME"):
        return Path(env)
    return Path("/var/lib/birdhouse") if os.geteuid() == 0 else Path.home() / ".local/share/birdhouse"


def answers(address: str, scheme: str = "http", ca: str | None = None) -> bool:
    try:
        return requests.get(f"{scheme}://{address}/v2/", timeout=3, verify=ca or True).status_code in (200, 401)
    except requests.RequestException:
        return False


def serve(
    address: str, home: Path, extra: str = "", scheme: str = "http", ca: str | None = None
) -> subprocess.Popen[bytes]:
    """Debian's docker-registry serving address, its data and log under home, once it answers
    (extra: more of its configuration, under `http:` first: `  tls: …`, then `auth: …`)."""
    binary = shutil.which("docker-registry")
    if not binary:
        raise HostError(
            f"no registry answers at {address} and docker-registry is not installed: "
            "run `make setup`, or set BIRDHOUSE_REGISTRY"
        )
    (home / "registry").mkdir(parents=True, exist_ok=True)
    config = home / "registry.yml"
    config.write_text(CONFIG.format(data=home / "registry", address=address) + extra)
    with (home / "registry.log").open("ab") as log:
        process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    for _ in range(60):
        if answers(address, scheme, ca):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.5)
    raise HostError(f"the registry did not start at {address}: see {home / 'registry.log'}")


def ensure_registry(address: str = "127.0.0.1:5000") -> bool:
    """Start the embedded registry at address (it outlives the run) unless one answers there;
    True if started."""
    if answers(address):
        return False
    serve(address, state_folder())
    return True
