"""Publish stage: push each tested image under all its tags, retrying only transient failures,
then read the digest back from the registry and check it is the one pushed."""

from __future__ import annotations

import io
import logging

import tenacity

from builder import labels
from builder.errors import PublishError, SmokeTestError, TransientError
from builder.seams import Engine, Registry
from builder.state import State, Store
from builder.targets import Target

logger = logging.getLogger("birdhouse.publish")


def _retrying(attempts: int) -> tenacity.Retrying:
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=2, max=30),
        before_sleep=tenacity.before_sleep_log(logger, logging.WARNING),
        reraise=True,
    )


def publish(
    engine: Engine,
    target: Target,
    store: Store,
    registry: Registry,
    log_file: io.TextIOBase,
    *,
    attempts: int = 4,
) -> tuple[State, bool]:
    """Push target's tested image under each of its tags, longest tag first, and check each digest;
    a tag that already serves an image of the same build id is left as it is. Returns the state,
    whose `pushed` holds every tag, and whether anything was pushed."""
    state = store.get(target.id)
    if not state.passed:
        failed = ", ".join(t.name for t in state.tests if not t.ok) or "not tested"
        raise SmokeTestError(f"{target.id}: not pushed: its tests did not pass ({failed})")
    repository = registry.repository(target.language)
    pushed = {}
    compressed = 0
    anything = False
    for tag in state.tags:
        reference = f"{repository}:{tag}"
        if reference in state.pushed and registry.digest(target.language, tag) == state.pushed[reference]:
            pushed[reference], compressed = state.pushed[reference], state.compressed
            continue  # it still serves what this image's last push left there
        served = registry.served(target.language, tag)
        if served and state.build_id and served.labels.get(labels.BUILD_ID) == state.build_id:
            pushed[reference], compressed = served.digest, served.compressed
            continue
        engine.tag(state.image_id, repository, tag)
        for attempt in _retrying(attempts):
            with attempt:
                digest = engine.push(repository, tag, log_file)
                served = registry.served(target.language, tag)
        if served is None or served.digest != digest:
            serves = served.digest if served else "nothing"
            raise PublishError(f"{repository}:{tag}: pushed {digest}, but the registry serves {serves}")
        pushed[reference], compressed = digest, served.compressed
        anything = True
    return store.put(state.evolve(pushed=pushed, compressed=compressed, error="")), anything
