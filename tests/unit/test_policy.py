"""Each policy rule on made-up file lists: a clean image passes, each kind of cruft fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.catalog import load
from builder.policy import Entry, check

CLEAN = [
    Entry("usr/bin/python3.11", 0o755, 6_000_000),
    Entry("usr/lib/x86_64-linux-gnu/libc.so.6", 0o755, 2_000_000),
    Entry("lib64", 0o777, 0, "symlink"),
    Entry("etc/ssl/certs/ca-certificates.crt", 0o644, 200_000),
    Entry("etc/passwd", 0o644, 100),
    Entry("tmp", 0o1777, 0, "dir"),
    Entry("usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", 0o644, 100_000),
]


# the toolchain the real catalog declares (its dev commands' kinds)
REAL = load(Path(__file__).resolve().parents[2] / "catalog.yaml")
COMPILERS, MANAGERS = REAL.toolchain("compiler"), REAL.toolchain("package-manager")


def failures(files: list[Entry]) -> dict[str, str]:
    return {result.name: result.detail for result in check(files, COMPILERS, MANAGERS) if not result.ok}


def test_a_clean_image_passes() -> None:
    assert failures(CLEAN) == {}


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        (Entry("usr/bin/dash", 0o755, 100_000), "no-shell"),
        (Entry("bin/sh", 0o777, 0, "symlink"), "no-shell"),
        (Entry("usr/bin/busybox", 0o755, 1_000_000), "no-shell"),
        (Entry("var/lib/dpkg/status", 0o644, 1000), "no-package-manager"),
        (Entry("var/lib/dpkg/info/libc6:amd64.list", 0o644, 1000), "no-package-manager"),
        (Entry("var/lib/dpkg/status.d/info/libc6", 0o644, 1000), "no-package-manager"),  # no deeper
        (Entry("var/lib/dpkg/status.d/libc6", 0o777, 0, "symlink"), "no-package-manager"),
        (Entry("usr/bin/apt-get", 0o755, 1000), "no-package-manager"),
        (Entry("usr/local/bin/pip3", 0o755, 1000), "no-package-manager"),
        (Entry("usr/bin/gcc-12", 0o755, 1000), "no-compiler"),
        (Entry("usr/bin/x86_64-linux-gnu-gcc-12", 0o755, 1000), "no-compiler"),
        (Entry("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 0o755, 1000), "no-compiler"),
        (Entry("usr/bin/javac", 0o755, 1000), "no-compiler"),
        (Entry("usr/bin/passwd", 0o4755, 1000), "no-setuid"),
        (Entry("usr/bin/wall", 0o2755, 1000), "no-setuid"),
        (Entry("usr/include/python3.11/Python.h", 0o644, 1000), "no-headers-or-static-libraries"),
        (Entry("usr/lib/x86_64-linux-gnu/libc.a", 0o644, 1000), "no-headers-or-static-libraries"),
    ],
)
def test_each_kind_of_cruft_fails_its_rule(extra: Entry, rule: str) -> None:
    failed = failures([*CLEAN, extra])
    assert list(failed) == [rule]
    assert f"/{extra.path}" in failed[rule]


def test_names_alike_are_not_cruft() -> None:
    look_alikes = [
        Entry("usr/lib/python3.11/shlex.py"),
        Entry("usr/lib/python3.11/encodings/ascii.py"),
        Entry("usr/share/zoneinfo/Asia/Ashgabat"),  # not "ash"
        Entry("usr/lib/node/go", 0o644, 10),  # a file named go outside bin/
        Entry("usr/lib/python3.11/sh", 0o755, 0, "dir"),
    ]
    assert failures(CLEAN + look_alikes) == {}


def test_the_packages_listed_for_scanners_are_no_package_database() -> None:
    status_d = [
        Entry("var/lib/dpkg", 0o755, 0, "dir"),
        Entry("var/lib/dpkg/status.d", 0o755, 0, "dir"),
        Entry("var/lib/dpkg/status.d/libc6", 0o644, 900),
        Entry("var/lib/dpkg/status.d/libc6.md5sums", 0o644, 9000),
    ]
    assert failures(CLEAN + status_d) == {}


def test_the_ca_bundle_must_be_there() -> None:
    without = [entry for entry in CLEAN if "ca-certificates" not in entry.path]
    assert "ca-bundle" in failures(without)


def test_many_offenders_are_counted_not_all_listed() -> None:
    headers = [Entry(f"usr/include/h{i}.h") for i in range(20)]
    assert "and 12 more" in failures(CLEAN + headers)["no-headers-or-static-libraries"]


def test_the_library_floor_names_what_it_lacks() -> None:
    from builder.policy import library_floor

    assert library_floor([]).ok
    missing = library_floor(["librt.so.1", "libgcc_s.so.1"])
    assert not missing.ok and missing.detail == "the library floor lacks libgcc_s.so.1, librt.so.1"


def test_an_image_for_static_binaries_holds_no_shared_library() -> None:
    from builder.policy import static_only

    static = [entry for entry in CLEAN if ".so" not in entry.name]
    assert static_only(static).ok
    result = static_only(CLEAN)
    assert not result.ok and "/usr/lib/x86_64-linux-gnu/libc.so.6" in result.detail


def test_a_languages_toolchain_comes_from_its_declared_commands() -> None:
    """What the catalog declares as compilers and package managers is kept out of every run image."""
    assert {"gcc", "g++", "javac", "rustc", "go", "ghc", "erlc", "kotlinc", "scalac", "mcs"} <= COMPILERS
    assert {"pip", "pip3", "npm", "npx", "gem", "bundle", "composer", "cpanm", "luarocks", "cargo", "mix"} <= MANAGERS
    zig = [*CLEAN, Entry("usr/bin/zig", 0o755, 1000)]
    assert not [r for r in check(zig, COMPILERS, MANAGERS) if not r.ok]  # no language declares it
    assert [r.name for r in check(zig, {"zig"}, MANAGERS) if not r.ok] == ["no-compiler"]
