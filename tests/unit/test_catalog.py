from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from builder import catalog
from builder.errors import CatalogError

HERE = Path("catalog.yaml")


def error_of(text: str) -> str:
    with pytest.raises(CatalogError) as raised:
        catalog.parse(text, HERE)
    return str(raised.value)


def test_the_sample_validates(sample: catalog.Catalog) -> None:
    assert {"node", "python"} <= set(sample.languages)
    assert [v.version for v in sample.languages["python"].versions] == ["3.11", "3.13"]
    assert [v.version for v in sample.languages["node"].versions] == ["18", "20"]


def test_version_is_substituted_per_entry(sample: catalog.Catalog) -> None:
    python311 = sample.languages["python"].versions[0]
    assert "python3.11-dev" in python311.dev.packages
    assert python311.run.entrypoint == ("/usr/bin/python3.11",)
    assert python311.probe.command == ("/usr/bin/python3.11", "--version")


def test_eol_dates_stay_strings(sample: catalog.Catalog) -> None:
    assert sample.languages["node"].versions[0].eol == "2025-04-30"


def test_misspelt_suite_names_the_path_and_suggests(catalog_text: str) -> None:
    message = error_of(catalog_text.replace("suite: trixie", "suite: trixy", 1))
    assert (
        "languages.node.versions[1].suite: 'trixy' is not one of ['bookworm', 'bookworm-backports', 'bullseye', 'sid', 'trixie']"
        in message
    )
    assert "did you mean 'trixie'" in message


def test_unknown_key_is_named_with_a_suggestion(catalog_text: str) -> None:
    message = error_of(catalog_text.replace("      packages: [nodejs, npm", "      pakages: [nodejs, npm", 1))
    assert "languages.node.dev" in message
    assert "'pakages' (did you mean 'packages'?)" in message


def test_missing_required_key(catalog_text: str) -> None:
    message = error_of(catalog_text.replace("    title: Python\n", ""))
    assert "languages.python: 'title' is a required property" in message


def test_bad_eol_date(catalog_text: str) -> None:
    assert "is not a 'date'" in error_of(catalog_text.replace("eol: 2025-04-30", "eol: '2025-13-40'"))


def test_duplicate_version(catalog_text: str) -> None:
    message = error_of(catalog_text.replace('- version: "20"', '- version: "18"'))
    assert "languages.node.versions[1].version: '18' is already versions[0]" in message


def test_pattern_needs_a_version_group(catalog_text: str) -> None:
    message = error_of(catalog_text.replace("'^v(?P<version>\\d+\\.\\d+\\.\\d+)'", "'^v(\\d+)'"))
    assert "languages.node.version.pattern: needs a group named version" in message


def test_a_base_is_bootstrapped_or_pulled_not_both(catalog_text: str) -> None:
    text = catalog_text.replace("  bookworm:\n", "  bookworm:\n    image: debian:bookworm\n", 1)
    assert "bases.bookworm: a base needs either 'sources' (bootstrap) or 'image' (pull)" in error_of(text)


def test_a_pulled_base(catalog_text: str) -> None:
    data = yaml.safe_load(catalog_text)
    data["bases"]["bookworm"] = {"image": "example/debian:12"}
    parsed = catalog.parse(yaml.safe_dump(data), HERE)
    assert parsed.bases["bookworm"].image == "example/debian:12"
    assert not parsed.bases["bookworm"].bootstrapped


def test_a_stale_suite_is_accepted_for_that_suite_only(sample: catalog.Catalog) -> None:
    stale = [name for name, base in sample.bases.items() if not base.check_valid_until]
    assert stale == ["sid"]


def test_invalid_yaml_names_the_line() -> None:
    message = error_of("languages: [\n  node: {")
    assert "catalog.yaml: not valid YAML" in message
    assert "line" in message


def test_not_a_mapping() -> None:
    assert "(top level): 'a list' is not of type 'object'" in error_of("a list")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read the catalog"):
        catalog.load(tmp_path / "missing.yaml")


def test_a_version_recipe_replaces_only_the_keys_it_gives(catalog_text: str) -> None:
    data = yaml.safe_load(catalog_text)
    node = data["languages"]["node"]
    node["versions"][0]["run"] = {"budget_mb": 999}
    parsed = catalog.parse(yaml.safe_dump(data), HERE).languages["node"].versions
    assert parsed[0].run.budget_mb == 999
    assert parsed[0].run.entrypoint == parsed[1].run.entrypoint == tuple(node["run"]["entrypoint"])


def test_the_library_floor_is_each_run_images_but_static_ones(catalog_text: str, sample: catalog.Catalog) -> None:
    assert sample.library_floor.libraries[:2] == ("libc.so.6", "libm.so.6")
    assert all(v.run.floor == sample.library_floor for lang in sample.languages.values() for v in lang.versions)
    data = yaml.safe_load(catalog_text)
    data["languages"]["node"]["run"]["library_floor"] = False
    assert all(v.run.floor is None for v in catalog.parse(yaml.safe_dump(data), HERE).languages["node"].versions)
    data["library_floor"]["libraries"].append("libc.so")
    assert "library_floor.libraries[4]: 'libc.so' does not match" in error_of(yaml.safe_dump(data))


FIXTURES = {"wheels": {"from": "pypi", "python": "{version}", "packages": ["numpy"]}}


def test_fixtures_are_per_version_and_tests_name_them(catalog_text: str) -> None:
    data = yaml.safe_load(catalog_text)
    python = data["languages"]["python"]
    python["fixtures"] = FIXTURES
    python["tests"]["dev"][0]["fixtures"] = ["wheels"]
    parsed = catalog.parse(yaml.safe_dump(data), HERE).languages["python"].versions
    assert [v.fixture("wheels").python for v in parsed] == ["3.11", "3.13"]
    assert parsed[0].tests[1].fixtures == ("wheels",) and parsed[0].fixture("wheels").source == "pypi"

    python["tests"]["dev"][0]["fixtures"] = ["wheel"]
    assert (
        "languages.python.tests.dev[0].fixtures: 'wheel' is not in languages.python.fixtures (did you mean 'wheels'?)"
        in error_of(yaml.safe_dump(data))
    )
    python["tests"]["dev"][0]["fixtures"] = ["wheels"]
    python["versions"][1]["fixtures"] = {"other": copy.deepcopy(FIXTURES["wheels"])}
    assert "'wheels' is not in languages.python.versions[1].fixtures" in error_of(yaml.safe_dump(data))


def test_a_pypi_fixture_says_for_which_python(catalog_text: str) -> None:
    data = yaml.safe_load(catalog_text)
    data["languages"]["python"]["fixtures"] = {"wheels": {"from": "pypi", "packages": ["numpy"]}}
    assert "languages.python.fixtures.wheels: 'python' is a required property" in error_of(yaml.safe_dump(data))
    data["languages"]["python"]["fixtures"] = {"wheels": {"from": "cpan", "packages": ["Moose"]}}
    assert "languages.python.fixtures.wheels.from: 'cpan' is not one of ['pypi', 'npm']" in error_of(
        yaml.safe_dump(data)
    )
