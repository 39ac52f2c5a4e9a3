"""Another platform's images, built and tested on this amd64 host under qemu (`make setup`
registers it), and one tag for both platforms: lua 5.4 for linux/amd64 and linux/arm64, the arm64
ones from a base bootstrapped for arm64, pushed by digest, then named by one index per tag."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import pytest

from builder.cli import main
from builder.engine import DockerEngine
from builder.state import Store

from .conftest import Names, platform_of

pytestmark = pytest.mark.integration


def machine(reference: str, *platform: str) -> str:
    """What `uname -m` says in the dev image reference, run as people type it."""
    command = ["docker", "run", "--rm", "--pull", "always", *platform, "--entrypoint", "uname", reference, "-m"]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="emulates arm64 on an amd64 host")
def test_a_pair_for_both_platforms_is_one_tag(engine: DockerEngine, names: Names, catalog_copy: Path) -> None:
    assert main(["all", "--platform", "all", "--out", str(names.out), "lua-5.4-*"]) == 0

    store = Store(names.out / "state")
    dev, run = store.get("lua-5.4-dev-arm64"), store.get("lua-5.4-run-arm64")
    assert dev.passed and run.passed  # the version, the commands, the pair test (a C module built in dev), the policy
    assert {engine.inspect(dev.image_id)["Architecture"], engine.inspect(run.image_id)["Architecture"]} == {"arm64"}
    assert engine.image_id(f"{names.local}/lua:5.4-arm64") == run.image_id  # local tags say the platform
    rows = {row["id"]: row for row in json.loads((names.out / "report.json").read_text())}
    assert rows["lua-5.4-run-arm64"]["platform"] == "linux/arm64" and rows["lua-5.4-run-arm64"]["passed"]

    # one tag, an index of both platforms' images, each pushed by digest; the report says the index
    amd64 = store.get("lua-5.4-run")
    for tag in ("5.4", amd64.tags[0], "5.4-dev"):
        index = names.index("lua", tag)
        assert index and [platform_of(m) for m in index["manifests"]] == ["linux/amd64", "linux/arm64"]
    assert names.pushed("lua", "5.4", "linux/arm64") == run.digest and names.pushed("lua", "5.4") == amd64.digest
    assert rows["lua-5.4-run"]["index"] == rows["lua-5.4-run-arm64"]["index"] != ""
    dev_tag = names.reference("lua", "5.4-dev")
    assert (machine(dev_tag), machine(dev_tag, "--platform", "linux/arm64")) == ("x86_64", "aarch64")

    # a native-only run that changes the amd64 run image keeps the arm64 entry of each tag
    text = catalog_copy.read_text()
    entrypoint = '      entrypoint: ["/usr/bin/lua{version}"]\n'
    catalog_copy.write_text(text.replace(entrypoint, entrypoint + '      exclude: ["*/no-such-file"]\n', 1))
    assert main(["all", "--catalog", str(catalog_copy), "--out", str(names.out), "lua-5.4-*"]) == 0
    rebuilt = store.get("lua-5.4-run")
    assert rebuilt.digest != amd64.digest and names.pushed("lua", "5.4") == rebuilt.digest
    assert names.pushed("lua", "5.4", "linux/arm64") == run.digest
