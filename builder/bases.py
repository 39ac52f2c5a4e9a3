"""Base images, one per Debian suite: bootstrapped with mmdebstrap and imported, or pulled."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from builder.catalog import Base
from builder.engine import Engine
from builder.errors import HostError
from builder.log import Log

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


def base_image(base: Base) -> str:
    """The image reference a target's Dockerfile starts FROM."""
    return base.image or f"{BASE_REPOSITORY}:{base.name}"


def mmdebstrap_command(base: Base, tarball: Path) -> list[str]:
    """The bootstrap of a minbase chroot of base's suite, with its sources and apt settings."""
    command = ["mmdebstrap", "--variant=minbase", "--quiet"]
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


def ensure(engine: Engine, base: Base, log: Log, proxy: str | None = None) -> str:
    """Make base's image present in the engine (reusing it while it exists); return its reference."""
    reference = base_image(base)
    if engine.image_id(reference):
        return reference
    if not base.bootstrapped:
        with log.step(f"base-{base.name}", f"pull {reference}"):
            engine.pull(reference)
        return reference
    if not shutil.which("mmdebstrap"):
        raise HostError("mmdebstrap is not installed: run `make setup` (apt-get install mmdebstrap)")
    with log.step(f"base-{base.name}", f"bootstrap Debian {base.suite}"), tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tmp) / f"{base.name}.tar"
        command = mmdebstrap_command(base, tarball)
        env = {**os.environ, "http_proxy": proxy} if proxy else None  # apt honours it; the image keeps none
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0:
            raise HostError(f"bootstrapping base '{base.name}' failed ({' '.join(command)}):\n{result.stderr[-4000:]}")
        engine.import_tarball(tarball, reference, changes=["ENV LANG=C.UTF-8", 'CMD ["bash"]'])
    return reference
