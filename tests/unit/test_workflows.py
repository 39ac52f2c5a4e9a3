"""The GitHub workflows: valid, least-privilege, and calling only what exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from builder.cli import COMMANDS, TOOLS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    return data


def test_there_is_a_pr_and_a_nightly_workflow() -> None:
    assert [path.name for path in WORKFLOWS] == ["nightly.yml", "pr.yml"]
    assert "schedule" in load(ROOT / ".github/workflows/nightly.yml")[True]  # YAML reads `on` as True


def test_workflows_match_githubs_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {"packages"}, f"{path.name}: job {name} may write {writes}"
        assert writes == set() or path.name == "nightly.yml"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_steps_call_what_exists(path: Path) -> None:
    runs = [step["run"] for job in load(path)["jobs"].values() for step in job["steps"] if "run" in step]
    assert runs
    for run in runs:
        for target in re.findall(r"\bmake ([a-z-]+)", run):
            assert target in MAKE_TARGETS, f"{path.name}: make {target} is not a Makefile target"
        for command in re.findall(r"-m builder ([a-z-]+)", run):
            assert command in COMMANDS or command in TOOLS, f"{path.name}: builder has no command {command}"
