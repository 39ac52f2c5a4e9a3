"""Build ids: a hash of everything that decides an image's content, so that an image whose id is
already built or published is neither rebuilt nor pushed.

The inputs are the rendered Dockerfile, the build context, the parent image (the suite's base, by
its recipe), the suite's package index (the digests its Release files give for the Packages lists,
so an update in bookworm-security changes the id of every bookworm image and of nothing else), the
version check the image must pass, the builder's own version, and the tests (so a published build
id is one whose tests passed). None depends on the machine: the same catalog and mirror give the
same ids on every machine, and a fresh one finds what the registry already serves. The inputs are
kept as a label, so that a plan can say what changed."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from functools import cache

import requests

from builder import __version__
from builder.catalog import Base
from builder.errors import HostError
from builder.platforms import AMD64, Platform
from builder.render import Rendered

REASONS = {
    "dockerfile": "template changed",
    "context": "template changed",
    "parent": "base changed",
    "packages": "package updated",
    "check": "version check changed",
    "builder": "builder changed",
    "tests": "tests changed",
}


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclass(frozen=True)
class Inputs:
    dockerfile: str
    context: str
    parent: str
    packages: str
    check: str = ""  # the version the catalog expects and how it is asked for
    builder: str = __version__
    tests: str = ""  # smoketest.tests_digest: a published build id is one whose tests passed

    @property
    def build_id(self) -> str:
        return sha256(json.dumps(asdict(self), sort_keys=True))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Inputs | None:
        try:
            return cls(**json.loads(text)) if text else None
        except (TypeError, ValueError):
            return None

    def changes(self, before: Inputs | None) -> list[str]:
        """Why an image built from these inputs differs from one built from before."""
        if before is None:
            return ["new"]
        mine, theirs = asdict(self), asdict(before)
        return sorted({REASONS[key] for key in mine if mine[key] != theirs[key]})


def release_url(source: str) -> str:
    """The Release file of a one-line apt source: `deb URI SUITE COMPONENT…`."""
    parts = [p for p in source.split() if not p.startswith("[")]
    if len(parts) < 3 or parts[0] != "deb":
        raise HostError(f"not a one-line apt source: {source!r}")
    return f"{parts[1].rstrip('/')}/dists/{parts[2]}/Release"


def index_digests(release: str, components: list[str], architecture: str = "amd64") -> list[str]:
    """The SHA256 lines of a Release file for the components' Packages lists."""
    section = release.split("SHA256:", 1)[-1]
    wanted = {
        f"{component}/binary-{architecture}/Packages{ext}" for component in components for ext in ("", ".gz", ".xz")
    }
    return sorted(
        line.split()[0]
        for line in section.splitlines()
        if re.match(r"^\s+[0-9a-f]{64}\s+\d+\s+\S+$", line) and line.split()[2] in wanted
    )


@cache
def _fetch(url: str) -> str:
    try:
        response = requests.get(url, timeout=30)
        response.raise_for_status()
    except requests.RequestException as error:
        raise HostError(f"cannot read the package index {url}: {error}") from None
    return response.text


@cache
def packages_digest(base: Base, architecture: str = "amd64") -> str:
    """A digest of base's package index for an architecture: changes whenever a package of its
    suites does."""
    if not base.bootstrapped:
        return ""
    digests = []
    for source in base.sources:
        components = source.split()[3:]
        digests += index_digests(_fetch(release_url(source)), components, architecture)
    return sha256("\n".join(digests))


def inputs(rendered: Rendered, parent: str, base: Base, tests: str, platform: Platform = AMD64) -> Inputs:
    """What a build id is made of; another platform's base (parent) and package index are its own."""
    context = sha256("".join(f"{path.name}\0{sha256(path.read_bytes())}\n" for path in rendered.files))
    version = rendered.target.version
    check = sha256(json.dumps([version.version, version.probe.command, version.probe.pattern, version.probe.in_run]))
    packages = packages_digest(base, platform.debian)
    return Inputs(sha256(rendered.dockerfile), context, parent, packages, check, tests=tests)
