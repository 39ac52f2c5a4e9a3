from __future__ import annotations

from pathlib import Path

import pytest

from builder import catalog
from builder.errors import SelectionError
from builder.targets import Target, expand, floating_tags, ladder, select, variant_tag


def ids(targets: list[Target]) -> list[str]:
    return [target.id for target in targets]


def test_every_version_has_a_dev_and_a_run_image(sample: catalog.Catalog) -> None:
    targets = expand(sample)
    assert ids(targets) == [
        "node-18-dev", "node-18-run", "node-20-dev", "node-20-run",
        "python-3.11-dev", "python-3.11-run", "python-3.13-dev", "python-3.13-run",
    ]  # fmt: skip
    run = next(t for t in targets if t.id == "node-18-run")
    assert run.parents == ("node-18-dev",)
    assert run.base == "bookworm"


def test_shorter_tags_go_to_the_newest_version(sample: catalog.Catalog) -> None:
    python = sample.languages["python"].versions
    assert floating_tags(python[0], python) == ("3.11",)
    assert floating_tags(python[1], python) == ("3.13", "3", "latest")


def test_latest_false_keeps_a_prerelease_off_the_shared_tags(sample: catalog.Catalog, catalog_text: str) -> None:
    text = catalog_text.replace('      - version: "3.13"\n', '      - version: "3.13"\n        latest: false\n')
    python = catalog.parse(text, Path("catalog.yaml")).languages["python"].versions
    assert floating_tags(python[0], python) == ("3.11", "3", "latest")
    assert floating_tags(python[1], python) == ("3.13",)


def test_ladder_adds_what_is_longer_than_the_catalog_version() -> None:
    assert ladder("18.20.4", "18") == ("18.20.4", "18.20")
    assert ladder("3.11.2", "3.11") == ("3.11.2",)
    assert ladder("1.2", "1.2") == ()


def test_dev_tags() -> None:
    assert variant_tag("18", "dev") == "18-dev"
    assert variant_tag("latest", "dev") == "dev"
    assert variant_tag("latest", "run") == "latest"


def test_every_tag_of_a_language_belongs_to_one_image(sample: catalog.Catalog) -> None:
    for language in sample.languages:
        tags = [(t.variant, tag) for t in expand(sample) if t.language == language for tag in t.tags]
        assert len(tags) == len(set(tags))
        assert ("run", "latest") in tags and ("dev", "dev") in tags


def test_select_by_glob(sample: catalog.Catalog) -> None:
    targets = expand(sample)
    assert ids(select(targets, ["python-*-dev"])) == ["python-3.11-dev", "python-3.13-dev"]
    assert len(select(targets, [])) == len(targets)


def test_a_run_image_brings_its_dev_image(sample: catalog.Catalog) -> None:
    assert ids(select(expand(sample), ["node-18-run"])) == ["node-18-dev", "node-18-run"]


def test_an_empty_selection_is_an_error(sample: catalog.Catalog) -> None:
    with pytest.raises(SelectionError, match="no image matches 'rust-\\*'"):
        select(expand(sample), ["node-*", "rust-*"])


def test_a_blocked_version_stays_listed_but_gets_no_images(sample: catalog.Catalog, catalog_text: str) -> None:
    text = catalog_text.replace(
        '      - version: "3.11"\n', '      - version: "3.11"\n        blocked: its -dev package is gone\n'
    )
    blocked = catalog.parse(text, Path("catalog.yaml"))
    assert blocked.languages["python"].versions[0].blocked == "its -dev package is gone"
    assert not [t for t in expand(blocked) if t.id.startswith("python-3.11")]
    assert next(t for t in expand(blocked) if t.id == "python-3.13-run").tags == ("3.13", "3", "latest")
