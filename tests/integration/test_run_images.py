"""What run images must hold for what people install: the library floor (a run image without it
is not published), and the README's way to carry more (a C extension built from source in the dev
image, carried with birdhouse-closure)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from builder import services
from builder.cli import main
from builder.engine import DockerEngine
from builder.state import Store

from .conftest import ROOT, Names

pytestmark = pytest.mark.integration
EXAMPLE = ROOT / "docs/examples/psycopg2-from-source/Dockerfile"


def test_a_run_image_without_its_library_floor_is_not_published(
    engine: DockerEngine, names: Names, catalog_copy: Path
) -> None:
    """librt left out of python's run image: the policy names it, and lxml's wheel (which links it)
    fails to load in the run image although it installed in the dev image."""
    text = catalog_copy.read_text()
    catalog_copy.write_text(
        text.replace('        - "*/__pycache__"\n', '        - "*/__pycache__"\n        - "*/librt.so.1"\n', 1)
    )
    assert main(["all", "--catalog", str(catalog_copy), "--out", str(names.out), "python-3.13-*"]) == 6

    tests = {t.name: t for t in Store(names.out / "state").get("python-3.13-run").tests}
    assert not tests["library-floor"].ok and tests["library-floor"].detail == "the library floor lacks librt.so.1"
    wheels = tests["wheels-installed-in-dev-run-in-run"]
    assert not wheels.ok and "lxml: ImportError: librt.so.1: cannot open shared object file" in wheels.detail
    assert Store(names.out / "state").get("python-3.13-dev").passed  # the wheels installed and worked there
    assert names.pushed("python", "3.13") is None


def test_a_library_carried_with_the_closure_tool_loads_in_the_run_image(engine: DockerEngine, names: Names) -> None:
    """The README's example, as written but for the registry it names: psycopg2 built from source
    against libpq in python:3.13-dev, carried into python:3.13, imported there."""
    assert EXAMPLE.read_text() in (ROOT / "README.md").read_text()  # the example the README shows
    assert main(["all", "--out", str(names.out), "python-3.13-*"]) == 0
    context = names.out / "example"
    context.mkdir(parents=True)
    registry = names.reference("python", "3.13").rsplit("/python:", 1)[0]
    dockerfile = EXAMPLE.read_text().replace("ARG REGISTRY=127.0.0.1:5000\n", f"ARG REGISTRY={registry}\n")
    assert dockerfile != EXAMPLE.read_text()
    (context / "Dockerfile").write_text(dockerfile)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps", "--dest", str(context), "psycopg2"],
        check=True, capture_output=True,
    )  # fmt: skip

    dangling = set(engine.api.images(filters={"dangling": True}, quiet=True))
    image = None
    try:
        with (names.out / "example.log").open("w") as log:
            image = engine.build(context, log, labels={"dev.birdhouse.test": "1"}, proxy=services.apt_proxy())
        ran = engine.run(
            image, ["-c", "import psycopg2; print('libpq', psycopg2.extensions.libpq_version() >= 150000)"]
        )
        assert (ran.exit_code, ran.output.strip()) == (0, "libpq True"), ran.output
        files = engine.run(image, ["-c", "import os; print(sorted(os.listdir('/usr/lib/x86_64-linux-gnu')))"]).output
        assert "libpq.so.5" in files  # carried: python's run image has no libpq of its own
        # it carries python:3.13's labels, build id included, but is no image of the farm's to adopt
        assert engine.inspect(image)["Config"]["Labels"]["dev.birdhouse.id"] == "python-3.13-run"
        assert image not in engine.labelled("dev.birdhouse.id")
        listed = engine.run(image, ["-c", "import os; print(sorted(os.listdir('/var/lib/dpkg/status.d')))"]).output
        assert "'libpq5'" in listed and "'libpq5.md5sums'" in listed and "'libpython3.13-minimal'" in listed
    finally:
        if image:
            engine.untag(image)
        for leftover in set(engine.api.images(filters={"dangling": True}, quiet=True)) - dangling:  # its build stage
            engine.untag(leftover)
