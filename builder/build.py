"""Build stage: build a rendered context, check the version the runtime reports, label it, and
tag it as a candidate (birdhouse/candidate:<id>): not yet for publishing, that needs its tests."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
from pathlib import Path

from builder import __version__, labels, ledger
from builder.buildid import Inputs
from builder.catalog import Catalog
from builder.errors import BuildError
from builder.seams import Engine
from builder.state import State, Store
from builder.targets import Target, full_tags, local_repository


def revision() -> str:
    """The checkout's git commit, if it is one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def image_labels(target: Target, catalog: Catalog, full_version: str, size: int) -> dict[str, str]:
    """The standard org.opencontainers.image.* labels, and birdhouse's own."""
    language = catalog.languages[target.language]
    out = {
        "org.opencontainers.image.title": f"{target.language}:{target.tags[0]}" if target.tags else target.id,
        "org.opencontainers.image.description": (
            f"{language.title} {full_version} {target.variant} microcontainer on Debian {target.version.suite}"
        ),
        labels.VERSION: full_version,
        "org.opencontainers.image.vendor": catalog.vendor,
        "org.opencontainers.image.source": catalog.source,
        "org.opencontainers.image.url": language.homepage,
        "org.opencontainers.image.revision": revision(),
        labels.CREATED: datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        labels.ID: target.id,
        labels.VARIANT: target.variant,
        labels.BUILDER: __version__,
        labels.SIZE: str(size),
    }
    if target.version.eol:
        out[labels.EOL] = target.version.eol
    return out


def probe_version(engine: Engine, image: str, target: Target) -> str:
    """Run the catalog's version command in image; return the version it reports."""
    probe = target.version.probe
    result = engine.run(image, list(probe.command[1:]), entrypoint=[probe.command[0]], timeout=120)
    match = re.search(probe.pattern, result.output, re.MULTILINE)
    if result.exit_code != 0 or not match:
        raise BuildError(
            f"{target.id}: `{' '.join(probe.command)}` did not report a version "
            f"(exit {result.exit_code}): {result.output.strip()[:300]}"
        )
    return match.group("version")


def check_version(target: Target, full_version: str) -> None:
    wanted = target.version.version
    if full_version != wanted and not full_version.startswith(wanted + "."):
        raise BuildError(
            f"{target.id}: the image reports {target.language} {full_version}, "
            f"but the catalog says {wanted}: nothing was tagged"
        )


def adopt(engine: Engine, target: Target, store: Store, image_id: str, inputs: Inputs) -> State:
    """Take an image of this build id the engine holds (a candidate of an earlier run, whose out/
    folder is gone) as target's candidate; return its state."""
    attrs = engine.inspect(image_id)
    version = (attrs["Config"].get("Labels") or {}).get(labels.VERSION, "")
    engine.tag(image_id, local_repository("candidate"), target.id)
    state = store.get(target.id).anew(image_id=image_id, build_id=inputs.build_id, version=version,
                                      tags=full_tags(target, version), size=int(attrs["Size"]))  # fmt: skip
    return store.put(state)


def cache_is_current(held: tuple[Inputs, ...], inputs: Inputs) -> bool:
    """Whether the engine's layer cache may serve a build: only while the engine holds an image of
    the target (held: their inputs) built from the same package index; else a cached `apt-get
    install` layer would hold an older index's packages under a build id that names the new one."""
    return any(earlier.packages == inputs.packages for earlier in held)


def build(
    engine: Engine,
    catalog: Catalog,
    target: Target,
    *,
    context: Path,
    store: Store,
    log_file: io.TextIOBase,
    inputs: Inputs,
    nocache: bool = False,
    proxy: str | None = None,
) -> State:
    """Build target from its rendered context; return its new state (saved in store)."""
    started = ledger.now()
    own = {labels.ID: target.id, labels.BUILD_ID: inputs.build_id, labels.INPUTS: inputs.to_json()}
    image = engine.build(context, log_file, labels=own, nocache=nocache, proxy=proxy)
    if target.variant == "run" and not target.version.probe.in_run:
        # nothing in the image to ask (static binaries only): it has its dev image's version
        full_version = store.get(target.parents[0]).version
        if not full_version:
            raise BuildError(f"{target.id}: {target.parents[0]} is not built, and its version is this image's")
    else:
        full_version = probe_version(engine, image, target)
    check_version(target, full_version)
    size = int(engine.inspect(image)["Size"])
    budget = {"dev": target.version.dev.budget_mb, "run": target.version.run.budget_mb}.get(target.variant)
    if budget and size > budget * 1e6:
        raise BuildError(f"{target.id}: {size / 1e6:.1f} MB is over its budget of {budget} MB: nothing was tagged")
    own_labels = image_labels(target, catalog, full_version, size)
    architecture = target.platform.architecture  # the builder says the engine's own
    if target.variant == "run":  # the same inputs, the same image (builder.reproduce)
        stamped = engine.reproducible(image, {**own_labels, **own}, architecture)
    else:
        stamped = engine.stamp(image, own_labels, log_file, architecture)
    engine.tag(stamped, local_repository("candidate"), target.id)
    return store.put(
        store.get(target.id).anew(
            image_id=stamped,
            build_id=inputs.build_id,
            version=full_version,
            tags=full_tags(target, full_version),
            size=size,
            started=started,
            finished=ledger.now(),
        )
    )
