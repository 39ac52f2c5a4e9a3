"""Test stage: the catalog's smoke tests for each image, and the policy every run image must meet.
An image that passes them all is tagged birdhouse/<language>:<tag>, ready to push."""

from __future__ import annotations

import functools
import io
import json
import re
from dataclasses import asdict
from pathlib import Path

from builder import __version__, fixtures, floor, labels, packages, policy
from builder.buildid import sha256
from builder.catalog import Fixture, SmokeTest
from builder.engine import tar_folder
from builder.errors import BuildError
from builder.platforms import Platform
from builder.render import IMAGES, closure_paths
from builder.seams import Engine, RunResult
from builder.state import CheckResult, State, Store
from builder.targets import Target, local_repository

NONROOT = "65532"
ANY_UID = "12345"
Toolchain = tuple[frozenset[str], frozenset[str]]  # the catalog's compilers, its package managers
NO_TOOLCHAIN: Toolchain = (frozenset(), frozenset())


def _verdict(name: str, kind: str, result: RunResult, expect: str, *, last_line: bool = False) -> CheckResult:
    output = result.output.rstrip()
    seen = output.splitlines()[-1].strip() if (last_line and output) else output
    if result.exit_code == 0 and seen == expect:
        return CheckResult(name, kind, True)
    tail = "\n".join(output.splitlines()[-15:])
    return CheckResult(name, kind, False, f"exit {result.exit_code}, expected {expect!r}, got:\n{tail}")


def _in_run_image(
    engine: Engine, target: Target, image: str, test: SmokeTest, files: dict[str, bytes]
) -> list[CheckResult]:
    """A run-side test as the image's user, then as an arbitrary uid, then on a read-only root."""
    entrypoint = list(test.entrypoint) or None
    run = engine.run(image, list(test.args), entrypoint=entrypoint, files=files)
    results = [_verdict(test.name, test.kind, run, test.expect)]
    as_any = engine.run(image, list(test.args), entrypoint=entrypoint, files=files, user=f"{ANY_UID}:{ANY_UID}")
    results.append(_verdict(f"{test.name}-any-uid", "policy", as_any, test.expect.replace(NONROOT, ANY_UID)))
    if target.version.run.read_only:
        read_only = engine.run(image, list(test.args), entrypoint=entrypoint, files=files, read_only=True)
        results.append(_verdict(f"{test.name}-read-only", "policy", read_only, test.expect))
    return results


def _pair(engine: Engine, target: Target, store: Store, test: SmokeTest, files: dict[str, bytes]) -> list[CheckResult]:
    """What the dev image builds into /out runs in the run image."""
    dev = store.get(target.parents[0])
    if not dev.image_id:
        return [CheckResult(test.name, test.kind, False, f"{target.parents[0]} is not built")]
    built = engine.run(dev.image_id, list(test.build), files=files, extract="/out")
    if built.exit_code != 0 or built.archive is None:
        tail = "\n".join(built.output.splitlines()[-15:])
        return [CheckResult(test.name, test.kind, False, f"the dev half failed (exit {built.exit_code}):\n{tail}")]
    image = store.get(target.id).image_id
    return _in_run_image(engine, target, image, test, {**files, "/out": built.archive})


@functools.cache
def _fixture(fixture: Fixture, platform: Platform) -> bytes:
    """A fixture's folder for platform as a tar for a test container, fetched (on the host) the
    first time."""
    return tar_folder(fixtures.fetch(fixture, platform=platform))


def _user(engine: Engine, image: str) -> CheckResult:
    user = engine.inspect(image)["Config"].get("User", "")
    return CheckResult(
        "runs-as-65532", "policy", user.split(":")[0] == NONROOT, f"the default user is {user or 'root'!r}"
    )


def tests_digest(target: Target, images: Path = IMAGES) -> str:
    """What decides target's test results besides the image: its tests, their files and fixtures,
    the policy."""
    version = target.version
    specs = json.dumps(
        [[asdict(test) for test in version.tests], [asdict(f) for f in version.fixtures]], sort_keys=True
    )
    files = tar_folder(images / target.language / "tests") + tar_folder(images / target.language / "example")
    specs += f"\0{version.example}"
    return sha256(f"{specs}\0{sha256(files)}\0{target.version.run.read_only}\0{__version__}")


def _commands(engine: Engine, target: Target, image: str) -> list[CheckResult]:
    """Every name the image answers to (catalog: commands), asked as people ask it; where it says
    so, its answer holds the catalog's version."""
    version = target.version
    wanted = re.compile(rf"(?<![\d.]){re.escape(version.version)}(?!\d)")
    results = []
    for command in version.commands.dev if target.variant == "dev" else version.commands.run:
        ran = engine.run(image, list(command.ask), entrypoint=[command.name])
        asked = " ".join((command.name, *command.ask))
        tail = "\n".join(ran.output.strip().splitlines()[-8:])
        if ran.exit_code != 0:
            detail = f"`{asked}`: exit {ran.exit_code}:\n{tail}"
        elif command.version and not wanted.search(ran.output):
            detail = f"`{asked}` does not say {target.language} {version.version}:\n{tail}"
        else:
            detail = ""
        results.append(CheckResult(f"command-{command.name}", "command", not detail, detail))
    return results


def _example(engine: Engine, target: Target, store: Store, images: Path) -> CheckResult:
    """The language's example (images/<language>/example, shown on its page in docs/images), built
    as the page shows it but FROM the dev and run images under test, then run: it prints what the
    catalog says. The example's image goes; its build stage stays, as build cache."""
    dev, run = store.get(target.parents[0]).image_id, store.get(target.id).image_id
    if not dev:
        return CheckResult("example", "example", False, f"{target.parents[0]} is not built")
    log = io.StringIO()
    try:
        image = engine.build(images / target.language / "example", log, labels={labels.TEST: "1"},
                             buildargs={"DEV": dev, "RUN": run})  # fmt: skip
    except BuildError as error:
        tail = "\n".join((error.log or log.getvalue()).strip().splitlines()[-15:])
        return CheckResult("example", "example", False, f"its build failed: {error}\n{tail}")
    try:
        return _verdict("example", "example", engine.run(image), target.version.example)
    finally:
        engine.untag(image)


def _packages(engine: Engine, target: Target, store: Store, tree: floor.Tree) -> list[CheckResult]:
    """The packages the run image lists for scanners (status.d), held to its files: those its dev
    image's packages ship (their md5sums: the same suite, the same day) must be listed."""
    dev = store.get(target.parents[0]) if target.parents else None
    shipped: dict[str, list[str]] = {}
    if dev and dev.image_id:
        sums = engine.run(dev.image_id, ["cat /var/lib/dpkg/info/*.md5sums"], entrypoint=["sh", "-c"])
        if sums.exit_code != 0:
            return [CheckResult("files-have-their-packages", "policy", False, f"{dev.id}: {sums.output[-300:]}")]
        shipped = packages.shipped_files(sums.output, tree)
    return packages.check(tree, packages.installed(tree), shipped)


def smoke_test(
    engine: Engine, target: Target, store: Store, toolchain: Toolchain = NO_TOOLCHAIN, images: Path = IMAGES
) -> State:
    """Run target's tests, its commands' and (for a run image) the policy, which keeps toolchain out,
    on its candidate image; record them; tag the image for publishing if all pass."""
    state = store.get(target.id)
    tests = {"/tests": tar_folder(images / target.language / "tests")}
    results: list[CheckResult] = []
    for test in target.version.tests:
        mine = test.kind == "dev" if target.variant == "dev" else test.kind in ("run", "pair")
        if not mine:
            continue
        files = {
            **tests,
            **{f"/fixtures/{name}": _fixture(target.version.fixture(name), target.platform) for name in test.fixtures},
        }
        if test.kind == "dev":
            run = engine.run(state.image_id, list(test.command), files=files)
            results.append(_verdict(test.name, test.kind, run, test.expect, last_line=True))
        elif test.kind == "run":
            results.extend(_in_run_image(engine, target, state.image_id, test, files))
        else:
            results.extend(_pair(engine, target, store, test, files))
    results.extend(_commands(engine, target, state.image_id))
    floor_bytes = libraries = 0
    if target.variant == "run":
        results.append(_example(engine, target, store, images))
        results.append(_user(engine, state.image_id))
        spec = target.version.run
        with engine.export(state.image_id) as tar:
            entries = policy.entries(tar)
            results.extend(policy.check(entries, *toolchain))
            tree = floor.Tree(tar)
            runtime = floor.closure(tree, [*spec.entrypoint[:1], *closure_paths(spec)])
            whole = runtime
            if spec.floor:
                found = {name: tree.library(name) for name in spec.floor.libraries}
                results.append(policy.library_floor(name for name, path in found.items() if path is None))
                whole = floor.closure(tree, [path for path in found.values() if path], runtime)
            else:
                results.append(policy.static_only(entries))
            floor_bytes, libraries = floor.size(tree, whole), floor.size(tree, whole - runtime)
            results.extend(_packages(engine, target, store, tree))
    state = store.put(
        state.evolve(
            tests=tuple(results),
            tested_image=state.image_id,
            tests_digest=tests_digest(target, images),
            floor=floor_bytes,
            libraries=libraries,
            error="",
        )
    )
    if state.passed:  # another platform's under tags that say it: birdhouse/lua:5.4-arm64
        for tag in state.tags:
            engine.tag(state.image_id, local_repository(target.language), tag + target.platform.suffix)
    return state
