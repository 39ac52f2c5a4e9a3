"""Expand the catalog into build targets (one per image), and select among them by glob."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

from builder.catalog import Catalog, Version
from builder.errors import SelectionError
from builder.platforms import AMD64, Platform

# The fat comparator of a language's newest version (compare_fat: true): full Debian with the
# runtime and its build tools, the way official images are made (images/fat.Dockerfile.j2). It is
# built and measured against the run image by `report --compare-fat`, never tested, never pushed,
# never part of `all`; it has no tags and no budget.
COMPARATOR = "fat"


@dataclass(frozen=True)
class Target:
    """One image to build: `python-3.13-run`. tags are those known before the build; the build
    adds the ladder of the full version the runtime reports (see `ladder`)."""

    id: str
    language: str
    version: Version
    variant: str
    base: str
    tags: tuple[str, ...]
    parents: tuple[str, ...]
    platform: Platform = AMD64

    @property
    def comparator(self) -> bool:
        """A fat comparator (see COMPARATOR)."""
        return self.variant == COMPARATOR

    @property
    def suffix(self) -> str:
        return "-dev" if self.variant == "dev" else ""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "language": self.language,
            "version": self.version.version,
            "variant": self.variant,
            "suite": self.version.suite,
            "base": self.base,
            "platform": self.platform.name,
            "eol": self.version.eol,
            "platforms": list(self.version.platforms),
            "tags": list(self.tags),
            "parents": list(self.parents),
        }


def _prefixes(version: str) -> list[str]:
    parts = version.split(".")
    return [".".join(parts[: n + 1]) for n in range(len(parts))]


def newest(versions: tuple[Version, ...]) -> Version | None:
    """The newest version that may take the shared tags (latest)."""
    candidates = [v for v in versions if v.latest and not v.blocked]
    return max(candidates, key=lambda v: v.key) if candidates else None


def floating_tags(version: Version, siblings: tuple[Version, ...]) -> tuple[str, ...]:
    """The catalog version and the shorter prefixes this version is the newest of, then latest.

    python 3.13 gets 3.13, 3 and latest; python 3.11 next to it gets only 3.11."""
    tags = [version.version]
    for prefix in reversed(_prefixes(version.version)[:-1]):
        owners = tuple(v for v in siblings if prefix in _prefixes(v.version))
        if newest(owners) is version:
            tags.append(prefix)
    if newest(siblings) is version:
        tags.append("latest")
    return tuple(tags)


def ladder(full_version: str, version: str) -> tuple[str, ...]:
    """Tags longer than the catalog version: 18.20.4 and 18.20 for node 18 reporting 18.20.4."""
    prefixes = _prefixes(full_version)
    return tuple(reversed([p for p in prefixes if len(p.split(".")) > len(version.split("."))]))


def full_tags(target: Target, full_version: str) -> tuple[str, ...]:
    """All of target's tags once its runtime reported full_version, the longest first."""
    longer = ladder(full_version, target.version.version)
    return tuple(variant_tag(tag, target.variant) for tag in longer) + target.tags


def variant_tag(tag: str, variant: str) -> str:
    """`18` → `18-dev`, and `latest` → `dev`, for the dev variant."""
    if variant == "run":
        return tag
    return "dev" if tag == "latest" else f"{tag}-dev"


def local_repository(name: str) -> str:
    """A local image name: BIRDHOUSE_LOCAL (default birdhouse), then name."""
    return f"{os.environ.get('BIRDHOUSE_LOCAL') or 'birdhouse'}/{name}"


def target_id(language: str, version: str, variant: str, platform: Platform = AMD64) -> str:
    """`python-3.13-run`; another platform's images say it: `python-3.13-run-arm64`."""
    return f"{language}-{version}-{variant}{platform.suffix}"


def expand(catalog: Catalog, *, comparators: bool = False) -> list[Target]:
    """Every image of the catalog on its platform, dev before run, in catalog order; with
    comparators, also the fat images (built and measured, never tested or pushed) of languages that
    ask for one."""
    targets = []
    for language in catalog.languages.values():
        for version in language.versions:
            if catalog.unbuilt(version):
                continue
            if comparators and language.compare_fat and version is newest(language.versions):
                targets.append(
                    Target(
                        id=target_id(language.name, version.version, COMPARATOR, catalog.platform),
                        language=language.name,
                        version=version,
                        variant=COMPARATOR,
                        base=version.suite,
                        tags=(),
                        parents=(),
                        platform=catalog.platform,
                    )
                )
            floating = floating_tags(version, language.versions)
            for variant in ("dev", "run"):
                dev_id = target_id(language.name, version.version, "dev", catalog.platform)
                targets.append(
                    Target(
                        id=target_id(language.name, version.version, variant, catalog.platform),
                        language=language.name,
                        version=version,
                        variant=variant,
                        base=version.suite,
                        tags=tuple(variant_tag(tag, variant) for tag in floating),
                        # the run image's pair test runs what its dev image built
                        parents=(dev_id,) if variant == "run" else (),
                        platform=catalog.platform,
                    )
                )
    return targets


def select(targets: list[Target], patterns: list[str]) -> list[Target]:
    """The targets whose id matches any glob, with the images they need; no pattern means all."""
    if not patterns:
        return list(targets)
    by_id = {target.id: target for target in targets}
    wanted: set[str] = set()
    for pattern in patterns:
        matched = fnmatch.filter(by_id, pattern)
        if not matched:
            raise SelectionError(
                f"no image matches '{pattern}'; images are named like {next(iter(by_id), '…')} "
                "(`python -m builder list` shows them)"
            )
        wanted.update(matched)
    for target_id_ in list(wanted):
        wanted.update(by_id[target_id_].parents)
    return [target for target in targets if target.id in wanted]
