"""Publish stage: push each tested image once, by its first tag missing there, then point its other
tags at that manifest through the registry's API (no layer moves again); retry only transient
failures; read each digest back from the registry and check it is the one pushed."""

from __future__ import annotations

import io

from builder import labels, ledger
from builder.errors import PublishError, SmokeTestError
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
    """Push target's tested image under each of its tags, longest tag first, then under its own
    immutable tag (ledger.immutable_tag), and check each digest; a tag that already serves an image
    of the same build id is left as it is, and the image moves once: the other tags are pointed at
    its manifest. Returns the state, whose `pushed` holds every tag, and the tags this publish
    pointed, with their digest. Run again after a stop, it finishes what is missing."""
    state = store.get(target.id)
    if not state.passed:
        failed = ", ".join(t.name for t in state.tests if not t.ok) or "not tested"
        raise SmokeTestError(f"{target.id}: not pushed: its tests did not pass ({failed})")
    repository = registry.repository(target.language)
    pushed: dict[str, str] = {}
    compressed = 0
    pointed: list[tuple[str, str]] = []
    for tag in state.tags:
        reference = f"{repository}:{tag}"
        if reference in state.pushed and registry.digest(target.language, tag) == state.pushed[reference]:
            pushed[reference], compressed = state.pushed[reference], state.compressed
            continue  # it still serves what this image's last push left there
        served = registry.served(target.language, tag)
        if served and state.build_id and served.labels.get(labels.BUILD_ID) == state.build_id:
            pushed[reference], compressed = served.digest, served.compressed
            continue
        moved = next((d for d in pushed.values() if d), None)  # this image's manifest, already there
        for attempt in retrying(attempts):
            with attempt:
                if moved:
                    digest = registry.tag(target.language, moved, tag)
                    log_file.write(f"{reference}: tagged {moved}\n")
                else:
                    engine.tag(state.image_id, repository, tag)
                    digest = engine.push(repository, tag, log_file, registry.auth)
                served = registry.served(target.language, tag)
        if served is None or served.digest != digest:
            serves = served.digest if served else "nothing"
            raise PublishError(f"{repository}:{tag}: pushed {digest}, but the registry serves {serves}")
        pushed[reference], compressed = digest, served.compressed
        pointed.append((tag, digest))
    digest = pushed[f"{repository}:{state.tags[0]}"]
    # the day it was built (a run image's created label is the time its packages fix: builder.reproduce)
    created = state.finished or (engine.inspect(state.image_id)["Config"].get("Labels") or {}).get(labels.CREATED, "")
    if created:  # its own tag, which never moves
        own = ledger.immutable_tag(
            registry, target.language, version=state.version, created=created, suffix=target.suffix, digest=digest
        )
        if registry.digest(target.language, own) != digest:
            for attempt in retrying(attempts):
                with attempt:
                    registry.tag(target.language, digest, own)
            pointed.append((own, digest))
        pushed[f"{repository}:{own}"] = digest
    return store.put(state.evolve(pushed=pushed, compressed=compressed, error="")), pointed
