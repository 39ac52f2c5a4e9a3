from __future__ import annotations

import argparse
import errno
import json
from pathlib import Path

import docker
import pytest

from builder import cli
from builder.catalog import load
from builder.cli import _image, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(Path(__file__).parent / "catalog.yaml")


def test_list_json_has_every_image_with_its_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json", "--catalog", SAMPLE]) == 0
    images = json.loads(capsys.readouterr().out)
    assert len(images) == 8
    assert {"id", "language", "version", "variant", "tags"} <= set(images[0])
    versions = {(i["language"], i["version"]) for i in images}
    assert versions == {("node", "18"), ("node", "20"), ("python", "3.11"), ("python", "3.13")}
    assert sorted(i["variant"] for i in images) == ["dev"] * 4 + ["run"] * 4


def test_render_writes_the_dockerfiles(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["render", "--catalog", SAMPLE, "--out", str(tmp_path), "node-*"]) == 0
    written = sorted(p.parent.name for p in (tmp_path / "render").glob("*/Dockerfile"))
    assert written == ["node-18-dev", "node-18-run", "node-20-dev", "node-20-run"]  # no fat comparator


def test_a_bad_catalog_exits_2_without_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text(Path(SAMPLE).read_text().replace("        suite: bookworm", "        suite: bokworm", 1))
    assert main(["list", "--catalog", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "languages.node.versions[0].suite: 'bokworm' is not one of" in err
    assert "did you mean 'bookworm'" in err
    assert "Traceback" not in err


def test_an_empty_selection_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "cobol-*"]) == 3
    assert "no image matches 'cobol-*'" in capsys.readouterr().err


def test_without_an_engine_build_says_how_to_get_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise docker.errors.DockerException("Error while fetching server API version")

    monkeypatch.setattr(docker.DockerClient, "__init__", unreachable)
    assert main(["build", "--catalog", SAMPLE, "--out", str(tmp_path), "python-3.11-dev"]) == 4
    assert "make setup" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("given", "host", "namespace", "language", "tag"),
    [
        ("node:18", "127.0.0.1:5000", "", "node", "18"),
        ("127.0.0.1:5000/node:18", "127.0.0.1:5000", "", "node", "18"),
        ("ghcr.io/owner/birdhouse/python:3.13-dev", "ghcr.io", "owner/birdhouse", "python", "3.13-dev"),
    ],
)
def test_an_image_is_named_by_language_and_tag_or_in_whole(
    given: str, host: str, namespace: str, language: str, tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BIRDHOUSE_REGISTRY", "BIRDHOUSE_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    registry, found, found_tag = _image(argparse.Namespace(tag=given), load(Path(SAMPLE)))
    assert (registry.host, registry.namespace, found, found_tag) == (host, namespace, language, tag)


@pytest.mark.parametrize("given", ["cobol:1", "node", "node:", "127.0.0.1:5000/cobol:1"])
def test_an_image_of_no_catalog_language_is_refused(given: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sbom", "--catalog", SAMPLE, given]) == 3
    assert "expected LANGUAGE:TAG" in capsys.readouterr().err


def test_a_full_disk_is_one_sentence_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(args: argparse.Namespace) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", "out/state/java-11-run.json")

    monkeypatch.setattr(cli, "run", full)
    assert main(["list"]) == 4
    said = capsys.readouterr().err
    assert said.startswith("error: no space left") and "out/state/java-11-run.json" in said and "Traceback" not in said


def test_other_os_errors_are_not_taken_for_a_full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(args: argparse.Namespace) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", "out")

    monkeypatch.setattr(cli, "run", denied)
    with pytest.raises(PermissionError):
        main(["list"])
