"""Another platform's images, built and tested on this amd64 host under qemu (`make setup`
registers it): lua 5.4 for linux/arm64, from a base bootstrapped for arm64."""

from __future__ import annotations

import json
import platform

import pytest

from builder.cli import main
from builder.engine import DockerEngine
from builder.state import Store

from .conftest import Names

pytestmark = pytest.mark.integration


@pytest.mark.skipif(platform.machine() != "x86_64", reason="emulates arm64 on an amd64 host")
def test_a_pair_for_arm64_builds_and_passes_its_tests_under_qemu(engine: DockerEngine, names: Names) -> None:
    assert main(["all", "--platform", "linux/arm64", "--out", str(names.out), "lua-5.4-*"]) == 0

    store = Store(names.out / "state")
    dev, run = store.get("lua-5.4-dev-arm64"), store.get("lua-5.4-run-arm64")
    assert dev.passed and run.passed  # the version, the commands, the pair test (a C module built in dev), the policy
    assert {engine.inspect(dev.image_id)["Architecture"], engine.inspect(run.image_id)["Architecture"]} == {"arm64"}
    assert engine.image_id(f"{names.local}/lua:5.4-arm64") == run.image_id  # local tags say the platform
    assert engine.image_id(f"{names.local}/lua:5.4") is None
    machine = engine.run(dev.image_id, ["-m"], entrypoint=["uname"])
    assert (machine.exit_code, machine.output.strip()) == (0, "aarch64")
    rows = {row["id"]: row for row in json.loads((names.out / "report.json").read_text())}
    assert rows["lua-5.4-run-arm64"]["platform"] == "linux/arm64" and rows["lua-5.4-run-arm64"]["passed"]
    assert names.pushed("lua", "5.4") is None  # only linux/amd64 images are pushed, for now
