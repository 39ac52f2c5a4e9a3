"""The selections that plans feed CI: the images a git change touches, a deterministic shard, and
a GitHub matrix of the language versions whose decisions have work (builder.decide)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from builder import catalog as catalog_module
from builder.catalog import Catalog
from builder.decide import Decision, Kind
from builder.errors import CatalogError, SelectionError
from builder.targets import Target

ROOT = Path(__file__).resolve().parent.parent


# What a change to a file touches: everything, one language, or (the catalog) what differs in it.
SHARED = ("builder/", "images/context/", "pyproject.toml")


def changed_ids(targets: Iterable[Target], before: Catalog | None, after: Catalog, files: Iterable[str]) -> set[str]:
    """The ids of the targets that a change of files (and of the catalog, before → after) touches.
    A catalog that could not be read before counts as all changed."""
    targets = list(targets)
    touched: set[str] = set()
    for name in files:
        if name.startswith(SHARED) or (name.startswith("images/") and name.count("/") == 1):
            return {target.id for target in targets}  # a shared template, the builder itself
        if name.startswith("images/"):
            language = name.split("/")[1]
            touched |= {target.id for target in targets if target.language == language}
        if name == "catalog.yaml":
            if before is None:
                return {target.id for target in targets}
            for target in targets:
                old = before.languages.get(target.language)
                same_version = old is not None and target.version in old.versions
                same_base = before.bases.get(target.base) == after.bases[target.base]
                if not (same_version and same_base):
                    touched.add(target.id)
    return touched


def changed_since(targets: list[Target], after: Catalog, ref: str) -> list[Target]:
    """The targets that `git diff REF` (committed or not) touches, with the images they need."""
    try:
        diff = subprocess.run(
            ["git", "diff", "--name-only", ref, "--"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        text = subprocess.run(
            ["git", "show", f"{ref}:catalog.yaml"], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise SelectionError(f"--changed-since {ref}: git cannot diff against it ({error})") from None
    try:
        before = catalog_module.parse(text.stdout, Path(f"{ref}:catalog.yaml")) if text.returncode == 0 else None
    except CatalogError:
        before = None
    ids = changed_ids(targets, before, after, diff)
    ids |= {parent for target in targets if target.id in ids for parent in target.parents}
    return [target for target in targets if target.id in ids]


def groups(targets: list[Target]) -> list[list[Target]]:
    """Targets grouped by language version and platform (a run image with its dev image), in
    catalog order."""
    out: dict[tuple[str, str, str], list[Target]] = {}
    for target in targets:
        out.setdefault((target.language, target.version.version, target.platform.name), []).append(target)
    return list(out.values())


def shard(targets: list[Target], spec: str) -> list[Target]:
    """Shard I of N (`I/N`): every N-th language version from the I-th, so a version's images
    stay together and the same catalog always shards the same way."""
    try:
        index, count = (int(part) for part in spec.split("/"))
        if not 1 <= index <= count:
            raise ValueError
    except ValueError:
        raise SelectionError(f"--shard {spec!r}: expected I/N with 1 ≤ I ≤ N, as 2/4") from None
    return [target for n, group in enumerate(groups(targets)) if n % count == index - 1 for target in group]


RUNNERS = {"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm"}  # GitHub's, native to each


def github_matrix(decisions: list[Decision]) -> str:
    """A GitHub Actions matrix: one job per language version and platform that has something to
    do, on a runner native to the platform."""
    jobs = []
    for group in groups([decision.target for decision in decisions]):
        idle = (Kind.PUBLISHED, Kind.UNCHANGED)
        todo = [d for d in decisions if d.target in group and d.kind not in idle]
        if todo:
            first = group[0]
            jobs.append(
                {
                    "name": f"{first.language}-{first.version.version}{first.platform.suffix}",
                    "images": " ".join(t.id for t in group),
                    "platform": first.platform.name,
                    "runner": RUNNERS[first.platform.name],
                }
            )
    return json.dumps({"include": jobs}, separators=(",", ":"))
