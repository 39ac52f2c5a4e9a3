"""The usage pages (docs/images): made from the catalog and the records, each showing its
language's example as the tests build it; the committed pages are current."""

from __future__ import annotations

import re
from pathlib import Path

from builder import catalog, docs
from builder.state import State

ROOT = Path(__file__).resolve().parents[2]
REAL = catalog.load(ROOT / "catalog.yaml")


def test_a_page_has_the_tags_sizes_contents_commands_and_example(sample: catalog.Catalog) -> None:
    states = {"python-3.13-run": State("python-3.13-run", version="3.13.5", size=37_000_000)}
    page = docs.page(sample.languages["python"], sample, states)
    assert "| 3.13 | trixie | `127.0.0.1:5000/python:3.13.5`, `3.13`, `3`, `latest` |" in page
    assert "37.0 MB, -" in page  # the run image's size; the dev image has no record
    assert "`libstdc++.so.6`" in page and "no shell" in page and "`nonroot` (65532)" in page
    assert "- run: `python3`" in page and "`pip`" in page
    for path in docs.example_files("python"):
        assert path.read_text().rstrip("\n") in page  # every file of the example, as the tests build it
    assert page.rstrip().endswith("3 birds: robin, tit, wren\n```".rstrip())


def test_every_language_has_an_example_and_a_current_page() -> None:
    for name, language in REAL.languages.items():
        files = docs.example_files(name)
        assert files and files[0].name == "Dockerfile", f"{name} has no example"
        committed = (ROOT / "docs" / "images" / f"{name}.md").read_text()
        for path in files:
            assert path.read_text().rstrip("\n") in committed, f"docs/images/{name}.md: `python -m builder docs`"
        assert language.versions[0].commands.dev[0].name in committed


def test_every_link_between_the_pages_leads_to_a_file() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in pages
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text())
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert not broken, broken
