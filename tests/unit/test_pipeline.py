"""The stage runner: parents before children, N at a time, a failure skips what needs it."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from builder import catalog
from builder.errors import BuildError
from builder.log import Log
from builder.pipeline import Run
from builder.targets import Target, expand


def run_of(sample: catalog.Catalog, tmp_path: Path, jobs: int) -> tuple[Run, io.StringIO]:
    stream = io.StringIO()
    return Run(sample, expand(sample), tmp_path, Log(tmp_path / "logs", stream), jobs=jobs), stream


def test_parents_first_and_in_parallel(sample: catalog.Catalog, tmp_path: Path) -> None:
    run, _ = run_of(sample, tmp_path, jobs=4)
    order: list[str] = []
    at_once: list[int] = []
    active = set()
    lock = threading.Lock()

    def action(target: Target) -> None:
        with lock:
            active.add(target.id)
            at_once.append(len(active))
            if target.variant == "run":
                assert target.parents[0] in order  # its dev image is done
        time.sleep(0.05)
        with lock:
            active.discard(target.id)
            order.append(target.id)

    run.each("build", action)
    assert sorted(order) == sorted(t.id for t in run.targets)
    assert max(at_once) > 1
    assert not run.failures


def test_a_failure_skips_its_dependents_and_names_them(sample: catalog.Catalog, tmp_path: Path) -> None:
    run, stream = run_of(sample, tmp_path, jobs=2)
    done: list[str] = []

    def action(target: Target) -> str | None:
        if target.id == "node-18-dev":
            raise BuildError("node-18-dev: apt-get failed")
        done.append(target.id)
        return None

    run.each("build", action)
    assert set(run.failures) == {"node-18-dev", "node-18-run"}
    assert "node-18-run: skipped: it needs node-18-dev, which failed" in str(run.failures["node-18-run"])
    assert isinstance(run.failures["node-18-run"], BuildError)
    assert sorted(done) == sorted(t.id for t in run.targets if t.language != "node" or t.version.version != "18")
    log = stream.getvalue()
    assert "✕ node-18-dev" in log and "- node-18-run              build: skipped" in log
    assert "build: node-18-dev: apt-get failed" in (tmp_path / "state/node-18-dev.json").read_text()


def test_a_failed_builds_log_is_folded_on_github(
    sample: catalog.Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run, stream = run_of(sample, tmp_path, jobs=1)

    def action(target: Target) -> None:
        raise BuildError(f"{target.id}: apt-get failed", log="E: Unable to locate package nodejs\n")

    run.each("build", action, variants=("dev",))
    out = stream.getvalue()
    assert "::group::node-18-dev: the end of its build log\n  E: Unable to locate package nodejs\n::endgroup::" in out


def test_the_layer_cache_serves_only_the_same_package_index(sample: catalog.Catalog) -> None:
    from builder import build
    from builder.buildid import Inputs

    target = next(t for t in expand(sample) if t.id == "python-3.11-run")
    current = Inputs("dockerfile", "context", "recipe:1", "index of today")

    class Engine:
        def __init__(self, *packages: str) -> None:
            self.labels = {f"sha256:{n}": Inputs("d", "c", "p", index).to_json() for n, index in enumerate(packages)}

        def image_ids(self, *labels: str) -> list[str]:
            assert labels == ("dev.birdhouse.id=python-3.11-run",)
            return list(self.labels)

        def inspect(self, image_id: str) -> dict[str, object]:
            return {"Config": {"Labels": {build.INPUTS: self.labels[image_id]}}}

    assert build.cache_is_current(Engine("index of yesterday", "index of today"), target, current)  # type: ignore[arg-type]
    assert not build.cache_is_current(Engine("index of yesterday"), target, current)  # type: ignore[arg-type]
    assert not build.cache_is_current(Engine(), target, current)  # type: ignore[arg-type]
