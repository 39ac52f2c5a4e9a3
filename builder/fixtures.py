"""Fixtures: packages from a registry that tests install (binary wheels from PyPI, npm packages
with native addons). Test containers have no network, so they are fetched on the host, with its
pip and npm, into a cache kept between runs and keyed by what was asked for; a test gets each
fixture it names at /fixtures/<name>.

- pypi: the wheels of `packages` and their dependencies for the fixture's Python (manylinux, this
  machine's architecture), and a requirements.txt naming `packages`: `pip install --no-index
  --find-links /fixtures/<name> -r /fixtures/<name>/requirements.txt`.
- npm: a package.json depending on `packages`, its package-lock.json, and an npm cache holding
  every package it locks: `npm install --offline --cache /fixtures/<name>/cache`.

Delete the cache folder (`BIRDHOUSE_CACHE`, default ~/.cache/birdhouse) to fetch newer releases."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from builder.buildid import sha256
from builder.catalog import Fixture
from builder.errors import HostError
from builder.platforms import AMD64, Platform, native

FORMAT = 2  # of a fixture's folder: a change here fetches every fixture again
_locks: dict[str, threading.Lock] = {}
_locking = threading.Lock()


def cache_folder() -> Path:
    """Where fetched fixtures are kept: BIRDHOUSE_CACHE, else $XDG_CACHE_HOME/birdhouse."""
    if env := os.environ.get("BIRDHOUSE_CACHE"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "birdhouse"


def folder_name(fixture: Fixture, platform: Platform = AMD64) -> str:
    """The cache folder of what a fixture asks for (its name in the catalog aside), for platform."""
    spec = {key: value for key, value in asdict(fixture).items() if key != "name"}
    if platform != AMD64:
        spec["platform"] = platform.name
    return f"{fixture.source}-{sha256(json.dumps([FORMAT, spec], sort_keys=True))[:16]}"


def _run(command: list[str], cwd: Path, what: str) -> None:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HostError(f"{what}: {error}") from None
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-12:])
        raise HostError(f"{what}: `{' '.join(command[:4])} …` failed (exit {result.returncode}):\n{tail}")


def _pypi(fixture: Fixture, folder: Path, platform: Platform) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-input"]
    command += ["--dest", str(folder), "--only-binary=:all:", "--implementation", "cp"]
    # manylinux tags a Debian bullseye (glibc 2.31) or newer runs, for the platform's machine
    command += ["--python-version", fixture.python, *(f"--platform={tag}" for tag in platform.manylinux)]
    _run([*command, *fixture.packages], folder, f"fetching {', '.join(fixture.packages)} from PyPI")
    (folder / "requirements.txt").write_text("".join(f"{package}\n" for package in fixture.packages))


def npm_dependency(package: str) -> tuple[str, str]:
    """`sharp@^0.34` → (sharp, ^0.34); `@node-rs/bcrypt` → (@node-rs/bcrypt, *)."""
    at = package.rfind("@")
    return (package[:at], package[at + 1 :] or "*") if at > 0 else (package, "*")


def _npm(fixture: Fixture, folder: Path, platform: Platform) -> None:
    npm = shutil.which("npm")
    if not npm:
        raise HostError("npm is not installed, and it fetches the npm fixtures: run `make setup`")
    dependencies = dict(npm_dependency(package) for package in fixture.packages)
    manifest = {"name": "birdhouse-fixture", "private": True, "dependencies": dependencies}
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    # the lock file keeps the download addresses (an offline install needs them, some npm configs omit
    # them); install scripts do not run here: the test runs them, in the dev image
    command = [npm, "install", "--cache", str(folder / "cache"), "--no-audit", "--no-fund", "--ignore-scripts"]
    command += ["--omit-lockfile-registry-resolved=false"]
    # the optional packages of prebuilt binaries (sharp's) for the platform's machine
    command += [f"--cpu={platform.node}", "--os=linux", "--libc=glibc"]
    _run(command, folder, f"fetching {', '.join(fixture.packages)} from npm")
    shutil.rmtree(folder / "node_modules", ignore_errors=True)
    shutil.rmtree(folder / "cache" / "_logs", ignore_errors=True)


FETCHERS: dict[str, Callable[[Fixture, Path, Platform], None]] = {"pypi": _pypi, "npm": _npm}


def fetch(fixture: Fixture, cache: Path | None = None, platform: Platform | None = None) -> Path:
    """The folder holding fixture for platform (this host's by default), fetched the first time it
    is asked for (once at a time)."""
    cache = cache or cache_folder()
    platform = platform or native()
    folder = cache / folder_name(fixture, platform)
    with _locking:
        lock = _locks.setdefault(folder.name, threading.Lock())
    with lock:
        if folder.is_dir():
            return folder
        cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache))
        try:
            FETCHERS[fixture.source](fixture, partial, platform)
            partial.rename(folder)  # whole or not at all
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return folder
