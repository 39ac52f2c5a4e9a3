"""`debug`: a shell-less node:18 container looked into from its dev image, changing nothing in it."""

from __future__ import annotations

import pytest

from builder import labels
from builder.cli import main
from builder.engine import DockerEngine

from .conftest import Names

pytestmark = pytest.mark.integration


def test_debug_beside_a_running_container_and_an_image(
    engine: DockerEngine, names: Names, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["all", "--out", str(names.out), "node-18-*"]) == 0
    reference = names.reference("node", "18")
    keep_running = "require('fs').writeFileSync('/tmp/debugged', 'here'); setInterval(() => {}, 1000)"
    container = engine.client.containers.run(reference, ["-e", keep_running], detach=True, labels={labels.TEST: "1"})
    try:
        capsys.readouterr()
        assert (
            main(
                [
                    "debug",
                    container.id,
                    "--",
                    "sh",
                    "-c",
                    "tr '\\0' ' ' </proc/1/cmdline; echo; ls /proc/1/root/app /proc/1/root/tmp",
                ]
            )
            == 0
        )
        out = capsys.readouterr().out
        assert out.startswith("/usr/bin/node -e require('fs')"), out  # its process list is ours to read
        assert "debugged" in out  # and its files, under /proc/1/root
        assert main(["debug", container.id, "--", "sh", "-c", "command -v sh"]) == 0  # the dev image has a shell
        assert capsys.readouterr().out == "/usr/bin/sh\n"
        assert engine.run(reference, ["-c", "true"], entrypoint=["sh"]).exit_code != 0  # the target still has none
        container.reload()
        assert container.status == "running"
    finally:
        container.remove(force=True)

    # an image: started for the while, then removed
    before = {c.id for c in engine.client.containers.list(all=True)}
    assert main(["debug", reference, "--", "sh", "-c", "tr '\\0' ' ' </proc/1/cmdline"]) == 0
    assert capsys.readouterr().out.startswith("/usr/bin/node")
    assert {c.id for c in engine.client.containers.list(all=True)} == before
