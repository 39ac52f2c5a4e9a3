"""Publish stage: push each tested image once, by digest, under its own tag (which never moves:
builder.ledger.immutable_tag); then, once every platform's image of a language version's variant
has passed and is pushed, point the tags people use at an OCI image index of them, keeping the
entries of the platforms this run did not build. Retry only transient failures; read each digest
back from the registry and check it is the one pushed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from builder import labels, ledger
from builder.errors import PublishError, SmokeTestError
from builder.platforms import PLATFORMS
from builder.registry import retrying
from builder.seams import Engine, Registry
from builder.state import State, Store
from builder.targets import Target


def publish(
    engine: Engine,
    target: Target,
    store: Store,
    registry: Registry,
    log_file: io.TextIOBase,
    *,
    attempts: int = 16,  # a docker push is several requests, and each attempt needs them all
) -> tuple[State, list[tuple[str, str]]]:
    """Push target's tested image under its own tag (unless the registry holds it already) and
    check the digest the registry serves there. Returns the state, whose `digest` is the image's
    manifest, and the tag this push pointed, with that digest (none if it was there)."""
    state = store.get(target.id)
    if not state.passed:
        failed = ", ".join(t.name for t in state.tests if not t.ok) or "not tested"
        raise SmokeTestError(f"{target.id}: not pushed: its tests did not pass ({failed})")
    if state.digest and registry.descriptor(target.language, state.digest) is not None:
        return store.put(state.evolve(error="")), []  # pushed before (or the registry's record of it)
    repository = registry.repository(target.language)
    # the day it was built (a run image's created label is the time its packages fix: builder.reproduce)
    created = state.finished or (engine.inspect(state.image_id)["Config"].get("Labels") or {}).get(labels.CREATED, "")
    own, served = ledger.immutable_tag(
        registry,
        target.language,
        version=state.version,
        created=created or ledger.now(),
        suffix=target.suffix,
        image_id=state.image_id,
        platform=target.platform,
    )
    pointed = []
    if served is None:
        for attempt in retrying(attempts):
            with attempt:
                engine.tag(state.image_id, repository, own)
                digest = engine.push(repository, own, log_file, registry.auth)
                served = registry.served(target.language, own, target.platform)
        if served is None or served.digest != digest:
            serves = served.digest if served else "nothing"
            raise PublishError(f"{repository}:{own}: pushed {digest}, but the registry serves {serves}")
        pointed.append((own, digest))
    pushed = {f"{repository}:{own}": served.digest}
    state = state.evolve(digest=served.digest, pushed=pushed, compressed=served.compressed, error="")
    return store.put(state), pointed


@dataclass(frozen=True)
class Pushed:
    """One platform's image of a tag, pushed by digest."""

    target: Target
    digest: str  # its manifest's
    tags: tuple[str, ...]  # all of them, the longest first (targets.full_tags)
    build_id: str


def point(registry: Registry, language: str, images: list[Pushed], log_file: io.TextIOBase) -> dict[str, str]:
    """Point each tag of images (the platforms of one language version's variant) at an index
    naming them by platform, and the images of other platforms the tag served before; tag -> the
    index's digest, for the tags moved."""
    descriptors: dict[str, dict[str, Any]] = {}
    for image in images:
        found = registry.descriptor(language, image.digest)
        if found is None:
            where = f"{registry.repository(language)}@{image.digest} ({image.target.id})"
            raise PublishError(f"{where}: the registry does not serve it")
        platform = image.target.platform
        descriptors[image.target.id] = found | {
            "platform": {"architecture": platform.architecture, "os": platform.name.split("/")[0]}
        }
    order = list(PLATFORMS)
    moved = {}
    for tag in dict.fromkeys(tag for image in images for tag in image.tags):  # the longest first
        index, entries = registry.entries(language, tag)
        new = {i.target.platform.name: descriptors[i.target.id] for i in images if tag in i.tags}
        merged = entries | new
        if index and all(entries.get(name, {}).get("digest") == d["digest"] for name, d in new.items()):
            continue  # an index that names these images already
        manifests = [merged[name] for name in sorted(merged, key=lambda n: order.index(n) if n in order else 99)]
        for attempt in retrying(16):
            with attempt:
                digest = registry.put_index(language, tag, manifests)
        if not digest or registry.digest(language, tag) != digest:
            raise PublishError(f"{registry.repository(language)}:{tag}: its index was not taken")
        log_file.write(f"{registry.repository(language)}:{tag}: index {digest} ({', '.join(sorted(merged))})\n")
        moved[tag] = digest
    return moved
