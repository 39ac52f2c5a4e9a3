"""The ledger: every tag a publish pointed, at which digest, from which build, when. It is kept in
the registry beside the images, one per language version (the tag `ledger-<version>` of the
language's repository: an OCI manifest whose one layer is the ledger's JSON), so that what a tag
ever pointed at can be looked up (`python -m builder history node:18`) and the retention policy
(`python -m builder gc`) never deletes what it names within its window. Each build also gets an
immutable tag, its full version and build date (`18.20.4-20261202`, `-r2` for a second build that
day, `-arm64` after it for linux/arm64), which never moves: each platform's image is pushed under it,
and the tags people use then serve an index of those images (builder.publish.point)."""

from __future__ import annotations

import datetime
import json
import re
import threading
from dataclasses import asdict, dataclass

from builder import labels
from builder.errors import PublishError
from builder.platforms import Platform
from builder.registry import put_artifact
from builder.seams import Registry, Served

MEDIA_TYPE = "application/vnd.birdhouse.ledger.v1+json"
IMMUTABLE = re.compile(r"-(?P<date>\d{8})(?:-r(?P<n>\d+))?(?:-dev)?(?:-[a-z0-9]+)?$")
_locks: dict[tuple[str, str], threading.Lock] = {}
_locking = threading.Lock()


@dataclass(frozen=True)
class Entry:
    tag: str
    digest: str
    build_id: str
    time: str  # UTC, ISO 8601
    platform: str = "linux/amd64"  # digest is this platform's image
    index: str = ""  # the index the tag then served ("": the image itself)


def tag_of(version: str) -> str:
    return f"ledger-{version}"


def read(registry: Registry, language: str, version: str) -> list[Entry]:
    """The ledger of a language version; empty if it has none yet."""
    manifest = registry.manifest(language, tag_of(version))
    if manifest is None:
        return []
    layers = [layer for layer in manifest.get("layers", []) if layer.get("mediaType") == MEDIA_TYPE]
    data = registry.blob(language, layers[0]["digest"]) if layers else None
    if data is None:
        raise PublishError(f"{registry.repository(language)}:{tag_of(version)}: a ledger without its data")
    return [Entry(**entry) for entry in json.loads(data)]


def append(registry: Registry, language: str, version: str, entries: list[Entry]) -> None:
    """Add entries to the ledger of a language version (one writer at a time in this process: the
    nightly gives each language version one job)."""
    if not entries:
        return
    with _locking:
        lock = _locks.setdefault((language, version), threading.Lock())
    with lock:
        ledger = read(registry, language, version) + entries
        data = json.dumps([asdict(entry) for entry in ledger], indent=1).encode()
        title = {"org.opencontainers.image.title": f"birdhouse ledger of {language} {version}"}
        put_artifact(registry, language, tag_of(version), MEDIA_TYPE, [(MEDIA_TYPE, data, {})], annotations=title)


def history(registry: Registry, language: str, tag: str) -> list[Entry]:
    """Every digest tag was pointed at, newest first, from every ledger of the language."""
    versions = [name.removeprefix("ledger-") for name in registry.tags(language) if name.startswith("ledger-")]
    entries = [entry for version in versions for entry in read(registry, language, version) if entry.tag == tag]
    return sorted(entries, key=lambda entry: entry.time, reverse=True)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def immutable_tag(
    registry: Registry, language: str, *, version: str, created: str, suffix: str, image_id: str, platform: Platform
) -> tuple[str, Served | None]:
    """The build's own tag, `<full version>-<build date>`, then `-r2`, `-r3` … while the registry
    serves another image under it (suffix, then the platform's, after it); and what it serves
    there already (this image: image_id), or None."""
    base = f"{version}-{created[:10].replace('-', '')}"
    for n in range(1, 100):
        tag = f"{base}{'' if n == 1 else f'-r{n}'}{suffix}{platform.suffix}"
        if registry.digest(language, tag) is None:
            return tag, None
        served = registry.served(language, tag, platform)
        if served is not None and served.image_id == image_id:
            return tag, served
    raise PublishError(f"{base}: a hundred builds in one day")


def own_image(
    registry: Registry, language: str, *, version: str, suffix: str, platform: Platform, build_id: str
) -> tuple[str, Served] | None:
    """The newest image of build_id under an own tag of the catalog version (`18` finds
    `18.20.4-20261202-arm64`) on platform: what a push by digest left for `index` to point at."""
    pattern = re.compile(rf"{re.escape(version)}(?:[.+~-].*)?-\d{{8}}(?:-r\d+)?{re.escape(suffix + platform.suffix)}")
    own = [tag for tag in registry.tags(language) if pattern.fullmatch(tag)]
    for tag in sorted(own, key=_built, reverse=True)[:8]:
        served = registry.served(language, tag, platform)
        if served is not None and served.labels.get(labels.BUILD_ID) == build_id:
            return tag, served
    return None


def _built(tag: str) -> tuple[str, int]:
    match = IMMUTABLE.search(tag)
    return (match.group("date"), int(match.group("n") or 1)) if match else ("", 0)


def expired(registry: Registry, language: str, keep_days: int, today: datetime.date) -> dict[str, str]:
    """The manifests the retention policy lets go (digest → an immutable tag of it): builds older
    than keep_days that no other tag serves (itself, or in its index) and no ledger entry of the
    window names."""
    cutoff = today - datetime.timedelta(days=keep_days)
    tags = registry.tags(language)
    serving = {tag: registry.digest(language, tag) for tag in tags if not tag.startswith("ledger-")}
    immutable = {tag: digest for tag, digest in serving.items() if IMMUTABLE.search(tag) and digest}
    kept = {digest for tag, digest in serving.items() if tag not in immutable}
    for tag in set(serving) - set(immutable):
        kept |= {entry["digest"] for entry in registry.entries(language, tag)[1].values()}
    versions = [tag.removeprefix("ledger-") for tag in tags if tag.startswith("ledger-")]
    window = cutoff.isoformat()
    kept |= {e.digest for v in versions for e in read(registry, language, v) if e.time[:10] >= window}
    out = {}
    for tag, digest in immutable.items():
        match = IMMUTABLE.search(tag)
        built = datetime.datetime.strptime(match.group("date"), "%Y%m%d").date() if match else today
        if built < cutoff and digest not in kept:
            out[digest] = tag
    return out
