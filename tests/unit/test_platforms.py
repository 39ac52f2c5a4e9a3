"""Platforms in the catalog: which each version is made for, the strings said for one, and which
images a run on a platform gets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from builder import bases, catalog, platforms, policy, render
from builder.errors import CatalogError, HostError, SelectionError
from builder.targets import expand

HERE = Path("catalog.yaml")
AMD64, ARM64 = platforms.AMD64, platforms.ARM64
NODE_20 = '      - version: "20"\n        suite: trixie\n'


def test_without_platforms_a_catalog_is_for_amd64(catalog_text: str) -> None:
    parsed = catalog.parse(catalog_text, HERE, AMD64)
    assert {v.platforms for lang in parsed.languages.values() for v in lang.versions} == {("linux/amd64",)}


def test_defaults_then_language_then_version(catalog_text: str) -> None:
    text = catalog_text.replace(
        "  vendor: birdhouse\n", "  vendor: birdhouse\n  platforms: [linux/amd64, linux/arm64]\n"
    )
    text = text.replace("    compare_fat: true\n", "    compare_fat: true\n    platforms: [linux/arm64]\n", 1)  # node
    text = text.replace(NODE_20, NODE_20 + "        platforms: [linux/amd64]\n")
    parsed = catalog.parse(text, HERE, AMD64)
    node18, node20 = parsed.languages["node"].versions
    assert node18.platforms == ("linux/arm64",)
    assert node20.platforms == ("linux/amd64",)
    assert parsed.languages["python"].versions[0].platforms == ("linux/amd64", "linux/arm64")


def test_an_unknown_or_repeated_platform_is_named(catalog_text: str) -> None:
    for platforms_, said in (("[linux/arm64/v8]", "'linux/arm64/v8' is not one of"), ("[]", "should be non-empty"),
                             ("[linux/arm64, linux/arm64]", "has non-unique elements")):  # fmt: skip
        text = catalog_text.replace(NODE_20, NODE_20 + f"        platforms: {platforms_}\n")
        with pytest.raises(CatalogError) as raised:
            catalog.parse(text, HERE, AMD64)
        assert "languages.node.versions[1].platforms" in str(raised.value)
        assert said in str(raised.value)


def test_the_schema_knows_the_platforms_builder_knows() -> None:
    assert catalog._schema()["$defs"]["platforms"]["items"]["enum"] == list(platforms.PLATFORMS)


def test_arch_and_triplet_are_said_for_the_catalogs_platform(catalog_text: str) -> None:
    text = catalog_text.replace(
        "      entrypoint: [/usr/bin/node]\n      budget_mb: 110\n",
        '      entrypoint: [/usr/bin/node]\n      budget_mb: 110\n      env: {LIBS: "/usr/lib/{triplet}", ARCH: "{arch}"}\n',
        1,
    )
    for platform, libs, arch in ((AMD64, "/usr/lib/x86_64-linux-gnu", "amd64"), (ARM64, "/usr/lib/aarch64-linux-gnu", "arm64")):  # fmt: skip
        parsed = catalog.parse(text, HERE, platform)
        assert parsed.platform is platform
        assert dict(parsed.languages["node"].versions[0].run.env) == {"LIBS": libs, "ARCH": arch}


def test_a_run_gets_the_images_of_versions_made_for_its_platform(catalog_text: str) -> None:
    text = catalog_text.replace(NODE_20, NODE_20 + "        platforms: [linux/arm64]\n")
    on_amd64 = catalog.parse(text, HERE, AMD64)
    assert not [t for t in expand(on_amd64) if t.id.startswith("node-20-")]
    assert on_amd64.unbuilt(on_amd64.languages["node"].versions[1]) == "it is made for linux/arm64, not linux/amd64"
    on_arm64 = catalog.parse(text, HERE, ARM64)
    assert [t.id for t in expand(on_arm64) if t.id.startswith("node-20-")] == ["node-20-dev-arm64", "node-20-run-arm64"]
    assert not [t for t in expand(on_arm64) if t.id.startswith("node-18-")]  # made for the default, amd64
    assert expand(on_amd64)[0].as_dict()["platforms"] == ["linux/amd64"]


def test_the_host_platform_is_its_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    assert platforms.native() is ARM64
    monkeypatch.setattr("platform.machine", lambda: "riscv64")
    with pytest.raises(HostError, match="this host is a riscv64"):
        platforms.native()


def test_wheel_tags_follow_the_machine() -> None:
    assert ARM64.manylinux == ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64")
    assert AMD64.architecture == "amd64" and ARM64.architecture == "arm64"


@pytest.mark.parametrize("name", ["gcc", "x86_64-linux-gnu-gcc-14", "aarch64-linux-gnu-gcc", "arm-linux-gnueabihf-cc"])
def test_the_policy_knows_a_compiler_under_any_triplet(name: str) -> None:
    files = [policy.Entry(f"usr/bin/{name}", 0o755, 10), policy.Entry("usr/bin/python3.13", 0o755, 10)]
    found = next(r for r in policy.check(files, compilers={"gcc", "cc"}) if r.name == "no-compiler")
    assert not found.ok
    assert found.detail == f"a compiler is in the image: /usr/bin/{name}"


def test_another_platforms_base_is_bootstrapped_for_it_and_named_so(sample: catalog.Catalog) -> None:
    trixie = sample.bases["trixie"]
    assert "--arch=arm64" in bases.mmdebstrap_command(trixie, Path("t.tar"), ARM64)
    assert "--arch=amd64" in bases.mmdebstrap_command(trixie, Path("t.tar"))
    assert bases.base_image(trixie, ARM64).startswith("birdhouse/base:trixie-arm64-")
    assert bases.recipe(trixie, ARM64) != bases.recipe(trixie)
    # amd64's recipe is as it was before platforms were said: its bases, and build ids, stay
    before = [c for c in bases.mmdebstrap_command(trixie, Path("base.tar")) if c != "--arch=amd64"]
    expected = hashlib.sha256(json.dumps([before, bases.IMPORT_CHANGES]).encode()).hexdigest()
    assert bases.recipe(trixie) == expected


def test_another_platforms_images_say_it_in_their_ids_and_dockerfiles(catalog_text: str) -> None:
    catalog_text = catalog_text.replace(
        "  vendor: birdhouse\n", "  vendor: birdhouse\n  platforms: [linux/amd64, linux/arm64]\n"
    )
    on_arm64 = catalog.parse(catalog_text, HERE, ARM64)
    run = next(t for t in expand(on_arm64) if t.id == "python-3.13-run-arm64")
    assert run.parents == ("python-3.13-dev-arm64",) and run.platform is ARM64
    assert (
        run.tags == next(t for t in expand(catalog.parse(catalog_text, HERE, AMD64)) if t.id == "python-3.13-run").tags
    )
    dockerfile = render.render(run, on_arm64).dockerfile
    assert f"FROM {bases.base_image(on_arm64.bases['trixie'], ARM64)}" in dockerfile


def test_chosen_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    everything = ["linux/amd64", "linux/arm64"]
    assert platforms.chosen([], everything) == [AMD64]
    assert platforms.chosen(["all"], everything) == [AMD64, ARM64]
    assert platforms.chosen(["all"], ["linux/arm64"]) == [ARM64]
    assert platforms.chosen(["linux/arm64,linux/amd64", "linux/arm64"], everything) == [ARM64, AMD64]
    with pytest.raises(SelectionError, match="--platform linux/mips: not a platform birdhouse builds"):
        platforms.chosen(["linux/mips"], everything)


def test_a_floor_library_some_platforms_lack_says_where(catalog_text: str) -> None:
    """glibc's libmvec: x86_64's, and aarch64's only from glibc 2.38, so not in the floor there."""
    real = (Path(__file__).resolve().parents[2] / "catalog.yaml").read_text()
    floors = {p: catalog.parse(real, HERE, p).library_floor.libraries for p in (AMD64, ARM64)}
    assert "libmvec.so.1" in floors[AMD64] and "libmvec.so.1" not in floors[ARM64]
    assert set(floors[AMD64]) - set(floors[ARM64]) == {"libmvec.so.1"}
    text = catalog_text.replace("libc.so.6, libm.so.6,", "libc.so.6, {name: libm.so.6, platforms: [linux/mips]},", 1)
    with pytest.raises(CatalogError, match=r"library_floor.libraries\[1\].platforms\[0\]: 'linux/mips' is not one of"):
        catalog.parse(text, HERE, AMD64)
