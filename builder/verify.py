"""`python -m builder verify LANGUAGE:TAG`: rebuild a published run image from this checkout, with
no layer cache, and check it is the image the registry serves, byte for byte (builder.reproduce).
First the build's inputs, as the image's label records them, are held to this checkout's: if they
moved (a template, a package, the base recipe…), a rebuild cannot be the same image, and that is
said instead."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from builder import bases, build, buildid, labels, render, smoketest
from builder.buildid import Inputs
from builder.catalog import Catalog
from builder.errors import BuildError, SelectionError
from builder.policy import few
from builder.run import Run
from builder.seams import Engine
from builder.state import State
from builder.targets import expand, local_repository


@dataclass(frozen=True)
class Verdict:
    reference: str
    target: str
    image_id: str  # the registry's (its config's digest), which the rebuild gave too


def verify(run: Run, language: str, tag: str) -> Verdict:
    """Rebuild language:tag's run image (nocache) on run's engine; BuildError naming what differs."""
    reference = f"{run.registry.repository(language)}:{tag}"
    served = run.registry.served(language, tag, run.catalog.platform)
    if served is None:
        raise SelectionError(f"{reference}: the registry serves no {run.catalog.platform.name} image")
    target_id = served.labels.get(labels.ID, "")
    target = next((t for t in expand(run.catalog) if t.id == target_id), None)
    if target is None:
        raise SelectionError(f"{reference} is {target_id or 'no birdhouse image'}, which the catalog does not hold")
    if target.variant != "run":
        raise SelectionError(f"{reference} is a {target.variant} image: run images are the reproducible ones")
    rendered = render.render(target, run.catalog)
    context = render.write(rendered, run.context(target))
    base = run.catalog.bases[target.base]
    identity = bases.identity(base, run.engine, target.platform)
    inputs = buildid.inputs(rendered, identity, base, smoketest.tests_digest(target), target.platform)
    moved = inputs.changes(Inputs.from_json(served.labels.get(labels.INPUTS)))
    if moved:
        raise BuildError(f"{reference}: its inputs moved since it was built ({', '.join(moved)}): a rebuild differs")
    if not target.version.probe.in_run:  # static binaries: the version is its dev image's, as recorded
        run.store.put(State(target.parents[0], version=served.labels.get(labels.VERSION, "")))
    bases.ensure(run.engine, base, run.log, proxy=run.apt_proxy, platform=target.platform)
    candidate = f"{local_repository('candidate')}:{target.id}"
    before = run.engine.image_id(candidate)
    with run.log.file(target.id) as log_file:
        state = build.build(
            run.engine,
            run.catalog,
            target,
            context=context,
            store=run.store,
            log_file=log_file,
            inputs=inputs,
            nocache=True,
            proxy=run.apt_proxy,
        )
    if before and before != state.image_id:
        run.engine.tag(before, local_repository("candidate"), target.id)  # the farm's candidate, as it was
    if state.image_id != served.image_id:
        run.engine.pull(reference, run.registry.auth)
        differ = few([f"/{path}" for path in differences(run.engine, served.image_id, state.image_id)])
        raise BuildError(
            f"{reference}: rebuilt from the same inputs, it is {state.image_id}, but the registry serves "
            f"{served.image_id}: not reproducible: {differ or 'the same files, another config'}"
        )
    return Verdict(reference, target.id, state.image_id)


def differences(engine: Engine, one: str, other: str) -> list[str]:
    """The paths whose kind, mode, owner, link or content differ between two images (or that one
    of them lacks)."""
    seen: list[dict[str, tuple[object, ...]]] = []
    for image in (one, other):
        with engine.export(image) as tar:
            files: dict[str, tuple[object, ...]] = {}
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                content = hashlib.sha256(handle.read()).hexdigest() if handle else ""
                files[member.name] = (member.type, member.mode, member.uid, member.gid, member.linkname, content)
            seen.append(files)
    first, second = seen
    return sorted(path for path in first.keys() | second.keys() if first.get(path) != second.get(path))


def sample(catalog: Catalog, count: int, day: datetime.date) -> list[tuple[str, str]]:
    """count run images of the catalog (language, first tag), a new count each day, round the
    catalog in turn."""
    runs = [target for target in expand(catalog) if target.variant == "run" and target.tags]
    start = day.toordinal() * count % len(runs) if runs else 0
    chosen = [runs[(start + n) % len(runs)] for n in range(min(count, len(runs)))]
    return [(target.language, target.tags[0]) for target in chosen]
