"""`verify` on the fakes: a published run image rebuilt from the same checkout is the same image;
one whose rebuild differs, or whose inputs moved, is said to be so; the nightly's sample."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest

from builder import buildid, catalog, pipeline, verify
from builder.bases import base_image
from builder.errors import BuildError, SelectionError
from builder.log import Log
from builder.run import Run
from builder.targets import expand, select

from .fakes import FakeEngine, FakeRegistry


@pytest.fixture(autouse=True)
def same_package_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildid, "packages_digest", lambda base, architecture: f"index of {base.name}")


def published(sample: catalog.Catalog, tmp_path: Path) -> tuple[FakeEngine, FakeRegistry]:
    registry = FakeRegistry()
    engine = FakeEngine(sample, registry)
    for base in sample.bases.values():
        engine.references[base_image(base)] = engine.add({})
    run = Run(sample, select(expand(sample), ["node-18-*"]), tmp_path / "out", Log(tmp_path / "logs", io.StringIO()),
              connect=lambda: engine, given_registry=registry)  # fmt: skip
    assert pipeline.execute(run, "all").exit_code == 0
    return engine, registry


def served_id(registry: FakeRegistry) -> str:
    served = registry.served("node", "18")
    assert served is not None
    return served.image_id


def checker(sample: catalog.Catalog, tmp_path: Path, engine: FakeEngine, registry: FakeRegistry) -> Run:
    log = Log(tmp_path / "verify-logs", io.StringIO())
    return Run(sample, [], tmp_path / "verify", log, connect=lambda: engine, given_registry=registry)


def test_a_rebuild_from_the_same_inputs_is_the_image_served(sample: catalog.Catalog, tmp_path: Path) -> None:
    engine, registry = published(sample, tmp_path)
    builds = len(engine.builds)
    verdict = verify.verify(checker(sample, tmp_path, engine, registry), "node", "18")
    assert verdict.target == "node-18-run" and verdict.image_id == served_id(registry)
    assert engine.builds[builds:] == ["node-18-run"]  # rebuilt, the run image alone


def test_a_rebuild_that_differs_is_named(sample: catalog.Catalog, tmp_path: Path) -> None:
    engine, registry = published(sample, tmp_path)
    engine.unreproducible.add("node-18-run")
    with pytest.raises(BuildError, match=r"rebuilt from the same inputs, it is sha256:.*not reproducible"):
        verify.verify(checker(sample, tmp_path, engine, registry), "node", "18")


def test_inputs_that_moved_are_named_and_nothing_is_built(
    sample: catalog.Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, registry = published(sample, tmp_path)
    builds = len(engine.builds)
    monkeypatch.setattr(buildid, "packages_digest", lambda base, architecture: "a newer index")
    with pytest.raises(BuildError, match=r"its inputs moved since it was built \(package updated\)"):
        verify.verify(checker(sample, tmp_path, engine, registry), "node", "18")
    assert len(engine.builds) == builds


def test_dev_images_and_unknown_tags_are_refused(sample: catalog.Catalog, tmp_path: Path) -> None:
    engine, registry = published(sample, tmp_path)
    with pytest.raises(SelectionError, match="is a dev image: run images are the reproducible ones"):
        verify.verify(checker(sample, tmp_path, engine, registry), "node", "18-dev")
    with pytest.raises(SelectionError, match="serves no linux/amd64 image"):
        verify.verify(checker(sample, tmp_path, engine, registry), "node", "99")


def test_the_sample_goes_round_the_catalog_day_by_day(sample: catalog.Catalog) -> None:
    runs = [(t.language, t.tags[0]) for t in expand(sample) if t.variant == "run"]
    day = datetime.date(2026, 12, 2)
    seen = set()
    for n in range(len(runs)):
        chosen = verify.sample(sample, 2, day + datetime.timedelta(days=n))
        assert len(chosen) == 2 and len(set(chosen)) == 2 and set(chosen) <= set(runs)
        seen.update(chosen)
    assert seen == set(runs)
    assert verify.sample(sample, 2, day) == verify.sample(sample, 2, day)
