"""Plans and selections, as pure logic: decisions, what a change touches, shards, the matrix."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from builder import buildid, catalog, labels, plan
from builder.errors import SelectionError
from builder.platforms import ARM64
from builder.targets import Target, expand

CURRENT = buildid.Inputs("dockerfile", "context", "base", "packages")


def target(sample: catalog.Catalog, target_id: str) -> Target:
    return next(t for t in expand(sample) if t.id == target_id)


def test_build_ids_follow_every_input() -> None:
    assert CURRENT.build_id == buildid.Inputs("dockerfile", "context", "base", "packages").build_id
    for change, reason in (
        ({"dockerfile": "x"}, "template changed"),
        ({"context": "x"}, "template changed"),
        ({"parent": "x"}, "base changed"),
        ({"packages": "x"}, "package updated"),
        ({"builder": "0"}, "builder changed"),
        ({"tests": "x"}, "tests changed"),
    ):
        before = buildid.Inputs(**{**CURRENT.__dict__, **change})
        assert before.build_id != CURRENT.build_id
        assert CURRENT.changes(before) == [reason]
    assert CURRENT.changes(None) == ["new"]
    assert buildid.Inputs.from_json(CURRENT.to_json()) == CURRENT
    assert buildid.Inputs.from_json("not json") is None


def test_release_files_give_the_package_index_digests() -> None:
    release = (
        "Origin: Debian\nSHA256:\n"
        " " + "a" * 64 + " 50060337 main/binary-amd64/Packages\n"
        " " + "b" * 64 + "  8790396 main/binary-amd64/Packages.xz\n"
        " " + "c" * 64 + "  1000000 main/binary-arm64/Packages\n"
        " " + "d" * 64 + "  1000000 contrib/binary-amd64/Packages\n"
    )
    assert buildid.index_digests(release, ["main"]) == ["a" * 64, "b" * 64]
    assert buildid.release_url("deb http://deb.debian.org/debian-security bookworm-security main") == (
        "http://deb.debian.org/debian-security/dists/bookworm-security/Release"
    )


def modified(sample: catalog.Catalog, change: dict[tuple[object, ...], object]) -> catalog.Catalog:
    data = yaml.safe_load((Path(__file__).parent / "catalog.yaml").read_text())
    for path, value in change.items():
        node = data
        *parents, last = path
        for key in parents:
            node = node[key]
        node[last] = value
    return catalog.parse(yaml.safe_dump(data), Path("catalog.yaml"))


def test_a_catalog_change_touches_only_what_differs(sample: catalog.Catalog) -> None:
    after = modified(sample, {("languages", "node", "versions", 0, "eol"): "2099-01-01"})
    ids = plan.changed_ids(expand(after), sample, after, ["catalog.yaml"])
    assert ids == {"node-18-dev", "node-18-run"}


def test_a_base_change_touches_the_images_on_it(sample: catalog.Catalog) -> None:
    after = modified(sample, {("bases", "trixie", "check_valid_until"): False})
    ids = plan.changed_ids(expand(after), sample, after, ["catalog.yaml"])
    assert ids == {"node-20-dev", "node-20-run", "python-3.13-dev", "python-3.13-run"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            ["images/python/tests/hello.py"],
            {"python-3.11-dev", "python-3.11-run", "python-3.13-dev", "python-3.13-run"},
        ),
        (["images/run.Dockerfile.j2"], "all"),
        (["builder/render.py"], "all"),
        (["README.md", "tests/unit/test_plan.py"], set()),
    ],
)
def test_file_changes(sample: catalog.Catalog, files: list[str], expected: object) -> None:
    targets = expand(sample)
    ids = plan.changed_ids(targets, sample, sample, files)
    assert ids == ({t.id for t in targets} if expected == "all" else expected)


def test_shards_are_deterministic_and_keep_versions_together(sample: catalog.Catalog) -> None:
    targets = expand(sample)
    shards = [[t.id for t in plan.shard(targets, f"{i}/3")] for i in (1, 2, 3)]
    assert sorted(i for shard in shards for i in shard) == sorted(t.id for t in targets)
    assert shards[0] == ["node-18-dev", "node-18-run", "python-3.13-dev", "python-3.13-run"]
    assert shards == [[t.id for t in plan.shard(targets, f"{i}/3")] for i in (1, 2, 3)]
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(SelectionError, match="expected I/N"):
            plan.shard(targets, bad)


def test_the_github_matrix_lists_versions_with_work(sample: catalog.Catalog) -> None:
    from builder.decide import Facts, decide_all
    from builder.seams import Served
    from builder.state import State

    targets = expand(sample)
    published = Served("sha256:m", 1, "sha256:c", {labels.BUILD_ID: CURRENT.build_id})
    facts = {t.id: Facts(State(t.id), served=published if t.language == "node" else None) for t in targets}
    decisions = decide_all(targets, {t.id: CURRENT for t in targets}, facts)
    matrix = json.loads(plan.github_matrix(list(decisions.values())))
    on_amd64 = {"platform": "linux/amd64", "runner": "ubuntu-24.04"}
    assert matrix == {
        "include": [
            {"name": "python-3.11", "images": "python-3.11-dev python-3.11-run", **on_amd64},
            {"name": "python-3.13", "images": "python-3.13-dev python-3.13-run", **on_amd64},
        ]
    }
    arm64 = [dataclasses.replace(t, id=f"{t.id}-arm64", platform=ARM64) for t in targets if t.language == "python"]
    decisions = decide_all(arm64, {t.id: CURRENT for t in arm64}, {t.id: Facts(State(t.id)) for t in arm64})
    jobs = json.loads(plan.github_matrix(list(decisions.values())))["include"]
    assert jobs[0] == {"name": "python-3.11-arm64", "images": "python-3.11-dev-arm64 python-3.11-run-arm64",
                       "platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}  # fmt: skip
