"""`python -m builder debug TARGET [-- COMMAND…]`: a way into a shell-less container that changes
nothing in it. The dev image of the target's language version (the same build: the full version's
`-dev` tag) runs beside the target, sharing its process and network namespaces: the target's
processes are in its /proc, its files under /proc/1/root, its ports on localhost. An interactive
shell (through the docker command line, which owns the terminal), or one command, whose output and
exit code come back. TARGET is a running container, or an image, which is started for the while."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from builder import labels
from builder.catalog import Catalog
from builder.engine import DockerEngine
from builder.errors import HostError, SelectionError
from builder.registry import RegistryClient
from builder.seams import RunResult
from builder.targets import expand, full_tags


def dev_image(engine: DockerEngine, catalog: Catalog, registry: RegistryClient, image: str) -> str:
    """The dev image of the same language version and build as image (pulled if not here)."""
    marks = engine.inspect(image)["Config"].get("Labels") or {}
    target = next((t for t in expand(catalog) if t.id == marks.get(labels.ID)), None)
    if target is None or target.variant != "run":
        raise SelectionError(
            f"{image} is no birdhouse run image of this catalog (its id label: {marks.get(labels.ID)!r})"
        )
    dev = next(t for t in expand(catalog) if t.id == target.parents[0])
    reference = f"{registry.repository(dev.language)}:{full_tags(dev, marks.get(labels.VERSION, ''))[0]}"
    if not engine.image_id(reference):
        engine.pull(reference, registry.auth)
    return reference


@contextmanager
def running(engine: DockerEngine, target: str) -> Iterator[str]:
    """The id of the running container target names, or of one started from the image it names
    (removed afterwards)."""
    container = engine.container(target)
    if container is not None:
        yield container
        return
    if not engine.image_id(target):
        raise SelectionError(f"{target}: no running container and no image of that name")
    started = engine.start(target)
    try:
        yield started
    finally:
        engine.remove(started)


def debug(
    engine: DockerEngine, catalog: Catalog, registry: RegistryClient, target: str, command: list[str]
) -> RunResult:
    """Run command (a shell if none: the terminal goes to it) in target's dev image beside target."""
    with running(engine, target) as container:
        dev = dev_image(engine, catalog, registry, engine.container_image(container))
        if command:
            return engine.beside(dev, container, command)
        docker = shutil.which("docker")
        if not docker:
            raise HostError("an interactive shell needs the docker command line: `make setup` installs it")
        shared = [f"--pid=container:{container}", f"--network=container:{container}", "--cap-add=SYS_PTRACE"]
        print(f"{dev} beside {container[:12]}: its processes are in /proc, its files under /proc/1/root")
        os.execv(docker, [docker, "run", "--rm", "-it", *shared, "--entrypoint", "bash", dev])
