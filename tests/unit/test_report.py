from __future__ import annotations

import json
from pathlib import Path

from builder import attest, catalog, report
from builder.state import CheckResult, State
from builder.targets import Target, expand


def states(sample: catalog.Catalog) -> tuple[list[Target], dict[str, State]]:
    targets = [t for t in expand(sample, comparators=True) if t.language == "python"]
    ok = (CheckResult("hello", "run", True),)
    made = {
        "python-3.13-fat": State("python-3.13-fat", image_id="sha256:f", version="3.13.5", size=1_200_000_000),
        "python-3.13-dev": State("python-3.13-dev", image_id="sha256:d", version="3.13.5", tags=("3.13.5-dev",),
                                 size=600_000_000, tests=ok, tested_image="sha256:d"),
        "python-3.13-run": State(
            "python-3.13-run", image_id="sha256:r", version="3.13.5", tags=("3.13.5", "3.13", "3", "latest"),
            size=30_000_000, tests=ok,
            tested_image="sha256:r", floor=29_900_000, compressed=11_000_000,
            pushed={"127.0.0.1:5000/python:3.13.5": "sha256:abc"},
        ),
        "python-3.11-dev": State("python-3.11-dev"),
        "python-3.11-run": State("python-3.11-run", error="build: python-3.11-run: 30.6 MB is over its budget"),
    }  # fmt: skip
    return targets, made


def test_rows_compare_run_with_dev_fat_and_floor(sample: catalog.Catalog) -> None:
    targets, made = states(sample)
    rows = {row.id: row for row in report.rows(targets, made)}
    assert "python-3.13-fat" not in rows  # a comparator, not an image of its own
    run = rows["python-3.13-run"]
    assert (run.fat_ratio, run.dev_ratio) == (40.0, 20.0)
    assert round(run.overhead or 0, 4) == 1.0033
    assert run.digest == "sha256:abc" and run.compressed == 11_000_000
    assert rows["python-3.11-run"].fat_size == 0  # only the newest version has a fat comparator


def test_the_table_shows_figures_and_failures(sample: catalog.Catalog) -> None:
    targets, made = states(sample)
    text = report.table(report.rows(targets, made))
    line = next(line for line in text.splitlines() if line.startswith("python-3.13-run"))
    for figure in ("30.0 MB", "11.0 MB", "29.9 MB", "1.003×", "20.0×", "40.0×", "✓ 1/1"):
        assert figure in line
    assert "✕ build: python-3.11-run: 30.6 MB is over its budget" in text


def test_json_markdown_and_html_are_written(sample: catalog.Catalog, tmp_path: Path) -> None:
    targets, made = states(sample)
    written = report.write(report.rows(targets, made), tmp_path)
    assert [p.name for p in written] == ["report.json", "report.html", "report.md"]
    data = {row["id"]: row for row in json.loads((tmp_path / "report.json").read_text())}
    assert data["python-3.13-run"]["fat_ratio"] == 40.0
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith("| image | version |") and "| python-3.13-run | 3.13.5 |" in markdown
    page = (tmp_path / "report.html").read_text()
    assert page.count('class="bar bar-') == 4 * 2  # fat, dev, run, floor for each run image
    assert "<title>run: 30.0 MB</title>" in page and "<title>fat: 1200.0 MB</title>" in page


def test_the_report_links_the_sboms_and_provenance_written(sample: catalog.Catalog, tmp_path: Path) -> None:
    targets, made = states(sample)
    for path in attest.files(tmp_path, "python-3.13-run").values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    report.write(report.rows(targets, made), tmp_path)
    data = {row["id"]: row for row in json.loads((tmp_path / "report.json").read_text())}
    assert data["python-3.13-run"]["documents"]["spdx"] == "sbom/python-3.13-run.spdx.json"
    assert data["python-3.13-dev"]["documents"] == {}  # none written: none linked
    assert '<a href="sbom/python-3.13-run.cdx.json">cyclonedx</a>' in (tmp_path / "report.html").read_text()
    assert "[provenance](sbom/python-3.13-run.provenance.json)" in (tmp_path / "report.md").read_text()
