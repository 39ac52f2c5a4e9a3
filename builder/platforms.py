"""The platforms an image is made for, each under the names the tools give it: the OCI platform
(linux/arm64, in the catalog, the registry and `docker run --platform`), Debian's architecture
(arm64: packages, mmdebstrap --arch, purls), its multiarch triplet (aarch64-linux-gnu: library
folders, which the catalog's paths say as {triplet}), the machine the kernel reports (aarch64) and
node's name for it (arm64; x64 for amd64's)."""

from __future__ import annotations

import platform as host
from dataclasses import dataclass
from pathlib import Path

from builder.errors import HostError, SelectionError


@dataclass(frozen=True)
class Platform:
    name: str  # linux/arm64
    debian: str  # arm64
    triplet: str  # aarch64-linux-gnu
    machine: str  # aarch64
    node: str  # arm64: node's process.arch, npm's --cpu

    @property
    def architecture(self) -> str:
        """The image config's architecture (OCI's, as Go names it)."""
        return self.name.split("/")[1]

    @property
    def suffix(self) -> str:
        """What names of its images and bases add: `-arm64`; nothing for amd64, whose names were
        given before there were other platforms."""
        return "" if self.name == "linux/amd64" else f"-{self.architecture}"

    @property
    def manylinux(self) -> tuple[str, ...]:
        """The wheel platform tags pip may take for this machine, newest glibc policy last."""
        return tuple(f"{policy}_{self.machine}" for policy in ("manylinux2014", "manylinux_2_17", "manylinux_2_28"))

    def substitute(self, text: str) -> str:
        """A catalog string with {arch} and {triplet} said for this platform."""
        return text.replace("{arch}", self.debian).replace("{triplet}", self.triplet)


AMD64 = Platform("linux/amd64", "amd64", "x86_64-linux-gnu", "x86_64", "x64")
ARM64 = Platform("linux/arm64", "arm64", "aarch64-linux-gnu", "aarch64", "arm64")
PLATFORMS = {p.name: p for p in (AMD64, ARM64)}


def native() -> Platform:
    """The platform this host runs without an emulator."""
    machine = host.machine()
    found = next((p for p in PLATFORMS.values() if p.machine == machine), None)
    if found is None:
        raise HostError(f"this host is a {machine}: birdhouse builds on {', '.join(PLATFORMS)} hosts only")
    return found


def runs_here(platform: Platform) -> bool:
    """Whether this host runs platform's programs: its own, or through an emulator that binfmt_misc
    hands them to (`make setup` registers qemu's)."""
    if platform == native():
        return True
    entry = Path(f"/proc/sys/fs/binfmt_misc/qemu-{platform.machine}")
    try:
        return entry.read_text().startswith("enabled")
    except OSError:
        return False


def chosen(asked: list[str], catalog: list[str]) -> list[Platform]:
    """The platforms a run builds: those asked (`all`: the catalog's), else the host's own."""
    if not asked:
        return [native()]
    names = [name for said in asked for name in said.split(",") if name]
    if "all" in names:
        names = [name for name in PLATFORMS if name in catalog]
    return [named(name) for name in dict.fromkeys(names)]


def named(name: str | None) -> Platform:
    """The platform name says (linux/arm64), else the host's own."""
    if not name:
        return native()
    if name not in PLATFORMS:
        raise SelectionError(f"--platform {name}: not a platform birdhouse builds ({', '.join(PLATFORMS)}, or all)")
    return PLATFORMS[name]
