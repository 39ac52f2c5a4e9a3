"""Base images, one per Debian suite and platform: bootstrapped with mmdebstrap and imported, or
pulled.

A bootstrapped base is named by its recipe (birdhouse/base:<name>-<digest of the mmdebstrap
command and the import's settings>; another platform's says it: <name>-arm64-<digest>), so its
name, and so the build ids of the images built on it, are the same on every machine; the packages
it holds are brought up to date by every image's own `apt-get upgrade` (the suite's package index
is a build input of its own)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from builder.catalog import Base
from builder.errors import HostError
from builder.log import Log
from builder.platforms import AMD64, Platform
from builder.seams import Engine

BASE_REPOSITORY = "birdhouse/base"

# As Debian's own slim images: no manuals, no docs but the copyright files, no translations.
DPKG_EXCLUDES = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
    "path-exclude=/usr/share/lintian/*",
)


IMPORT_CHANGES = ("ENV LANG=C.UTF-8", 'CMD ["bash"]')


def recipe(base: Base, platform: Platform = AMD64) -> str:
    """A digest of how a bootstrapped base is made: what changes it changes its name."""
    command = mmdebstrap_command(base, Path("base.tar"), platform)
    if platform == AMD64:  # amd64's bases were named before the platform was said: they keep their names
        command.remove("--arch=amd64")
    return hashlib.sha256(json.dumps([command, IMPORT_CHANGES]).encode()).hexdigest()


def base_image(base: Base, platform: Platform = AMD64) -> str:
    """The image reference a target's Dockerfile starts FROM."""
    if base.image:
        return base.image
    return f"{BASE_REPOSITORY}:{base.name}{platform.suffix}-{recipe(base, platform)[:12]}"


def identity(base: Base, engine: Engine | None, platform: Platform = AMD64) -> str:
    """What base adds to a build id: a bootstrapped base's recipe (the same on every machine, so
    nothing is bootstrapped to know an id), a pulled base's image id."""
    if base.bootstrapped:
        return f"recipe:{recipe(base, platform)}"
    return (engine.image_id(base_image(base)) if engine else None) or ""


def mmdebstrap_command(base: Base, tarball: Path, platform: Platform = AMD64) -> list[str]:
    """The bootstrap of a minbase chroot of base's suite for platform, with its sources and apt
    settings (another platform's runs under its emulator: `make setup`)."""
    command = ["mmdebstrap", "--variant=minbase", "--quiet", f"--arch={platform.debian}"]
    command += ['--aptopt=APT::Install-Recommends "false"']
    if not base.check_valid_until:
        # an expired Release file (a stale mirror's sid) is accepted for this suite only
        command += ['--aptopt=Acquire::Check-Valid-Until "false"']
    if base.default_release:
        command += [f'--aptopt=APT::Default-Release "{base.default_release}"']
    command += [f"--dpkgopt={option}" for option in DPKG_EXCLUDES]
    # as on Debian's slim images: packages whose scripts write man links (the JDK's) need the folder
    command += ['--customize-hook=mkdir -p "$1/usr/share/man/man1"']
    return [*command, base.suite, str(tarball), *base.sources]


def ensure(engine: Engine, base: Base, log: Log, proxy: str | None = None, platform: Platform = AMD64) -> str:
    """Make base's image for platform present in the engine (reusing it while it exists); return
    its reference."""
    reference = base_image(base, platform)
    if engine.image_id(reference):
        return reference
    if not base.bootstrapped and platform != AMD64:
        raise HostError(f"base '{base.name}' is pulled ({base.image}): its images are built for linux/amd64 only")
    if not base.bootstrapped:
        with log.step(f"base-{base.name}", f"pull {reference}"):
            engine.pull(reference)
        return reference
    if not shutil.which("mmdebstrap"):
        raise HostError("mmdebstrap is not installed: run `make setup` (apt-get install mmdebstrap)")
    with (
        log.step(f"base-{base.name}{platform.suffix}", f"bootstrap Debian {base.suite} for {platform.name}"),
        tempfile.TemporaryDirectory() as tmp,
    ):
        tarball = Path(tmp) / f"{base.name}.tar"
        command = mmdebstrap_command(base, tarball, platform)
        env = {**os.environ, "http_proxy": proxy} if proxy else None  # apt honours it; the image keeps none
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0:
            raise HostError(f"bootstrapping base '{base.name}' failed ({' '.join(command)}):\n{result.stderr[-4000:]}")
        engine.import_tarball(tarball, reference, changes=list(IMPORT_CHANGES))
    return reference
