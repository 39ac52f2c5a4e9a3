"""Test stage: the catalog's smoke tests for each image, plus checks every run image must pass.
An image that passes all of them is tagged birdhouse/<language>:<tag>, ready to push."""

from __future__ import annotations

from pathlib import Path

from builder.catalog import SmokeTest
from builder.engine import Engine, RunResult, tar_folder
from builder.render import IMAGES
from builder.state import CheckResult, State, Store
from builder.targets import Target, local_repository

NONROOT = "65532"
SHELLS = ("/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/sh", "/bin/busybox")


def _fits(result: RunResult, expect: str, *, last_line: bool) -> CheckResult | None:
    output = result.output.rstrip()
    seen = output.splitlines()[-1].strip() if (last_line and output) else output
    if result.exit_code == 0 and seen == expect:
        return None
    tail = "\n".join(output.splitlines()[-15:])
    return CheckResult("", "", False, f"exit {result.exit_code}, expected {expect!r}, got:\n{tail}")


def _result(test: SmokeTest, result: RunResult, *, last_line: bool = False) -> CheckResult:
    failure = _fits(result, test.expect, last_line=last_line)
    if failure is None:
        return CheckResult(test.name, test.kind, True)
    return CheckResult(test.name, test.kind, False, failure.detail)


def policy(engine: Engine, image: str) -> list[CheckResult]:
    """What every run image must be: non-root by default, and without a shell."""
    user = engine.inspect(image)["Config"].get("User", "")
    results = [
        CheckResult("runs-as-65532", "policy", user.split(":")[0] == NONROOT, f"the default user is {user or 'root'!r}")
    ]
    for shell in SHELLS:
        run = engine.run(image, ["-c", "echo shell"], entrypoint=[shell], timeout=60)
        if run.exit_code == 0 or "shell" in run.output.splitlines():
            results.append(CheckResult("no-shell", "policy", False, f"{shell} runs in the image"))
            break
    else:
        results.append(CheckResult("no-shell", "policy", True))
    return results


def smoke_test(engine: Engine, target: Target, store: Store, images: Path = IMAGES) -> State:
    """Run target's tests on its candidate image; record them; tag the image if all pass."""
    state = store.get(target.id)
    files = tar_folder(images / target.language / "tests", "tests")
    results: list[CheckResult] = []
    tests = [
        t for t in target.version.tests if t.kind == target.variant or (t.kind == "pair" and target.variant == "run")
    ]
    for test in tests:
        if test.kind == "dev":
            run = engine.run(state.image_id, list(test.command), files=[files])
            results.append(_result(test, run, last_line=True))
        elif test.kind == "run":
            run = engine.run(state.image_id, list(test.args), entrypoint=list(test.entrypoint) or None, files=[files])
            results.append(_result(test, run))
        else:
            results.append(_pair(engine, target, store, test, files))
    if target.variant == "run":
        results.extend(policy(engine, state.image_id))
    state = store.put(state.evolve(tests=tuple(results), tested_image=state.image_id))
    if state.passed:
        for tag in state.tags:
            engine.tag(state.image_id, local_repository(target.language), tag)
    return state


def _pair(engine: Engine, target: Target, store: Store, test: SmokeTest, files: bytes) -> CheckResult:
    """What the dev image builds into /out runs in the run image."""
    dev = store.get(target.parents[0])
    if not dev.image_id:
        return CheckResult(test.name, test.kind, False, f"{target.parents[0]} is not built")
    built = engine.run(dev.image_id, list(test.build), files=[files], extract="/out")
    if built.exit_code != 0 or built.archive is None:
        tail = "\n".join(built.output.splitlines()[-15:])
        return CheckResult(test.name, test.kind, False, f"the dev half failed (exit {built.exit_code}):\n{tail}")
    run = engine.run(
        store.get(target.id).image_id,
        list(test.args),
        entrypoint=list(test.entrypoint) or None,
        files=[files, built.archive],
    )
    return _result(test, run)
