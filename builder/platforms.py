"""The platforms an image is made for, each under the names the tools give it: the OCI platform
(linux/arm64, in the catalog, the registry and `docker run --platform`), Debian's architecture
(arm64: packages, mmdebstrap --arch, purls), its multiarch triplet (aarch64-linux-gnu: library
folders, which the catalog's paths say as {triplet}) and the machine the kernel reports (aarch64)."""

from __future__ import annotations

import platform as host
from dataclasses import dataclass

from builder.errors import HostError


@dataclass(frozen=True)
class Platform:
    name: str  # linux/arm64
    debian: str  # arm64
    triplet: str  # aarch64-linux-gnu
    machine: str  # aarch64

    @property
    def architecture(self) -> str:
        """The image config's architecture (OCI's, as Go names it)."""
        return self.name.split("/")[1]

    @property
    def manylinux(self) -> tuple[str, ...]:
        """The wheel platform tags pip may take for this machine, newest glibc policy last."""
        return tuple(f"{policy}_{self.machine}" for policy in ("manylinux2014", "manylinux_2_17", "manylinux_2_28"))

    def substitute(self, text: str) -> str:
        """A catalog string with {arch} and {triplet} said for this platform."""
        return text.replace("{arch}", self.debian).replace("{triplet}", self.triplet)


PLATFORMS = {
    p.name: p
    for p in (
        Platform("linux/amd64", "amd64", "x86_64-linux-gnu", "x86_64"),
        Platform("linux/arm64", "arm64", "aarch64-linux-gnu", "aarch64"),
    )
}


def native() -> Platform:
    """The platform this host runs without an emulator."""
    machine = host.machine()
    found = next((p for p in PLATFORMS.values() if p.machine == machine), None)
    if found is None:
        raise HostError(f"this host is a {machine}: birdhouse builds on {', '.join(PLATFORMS)} hosts only")
    return found
