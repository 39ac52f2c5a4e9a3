"""The closure floor, on a small image tree made from this machine's own ELF files."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from builder.floor import floor

LIBC = Path("/lib/x86_64-linux-gnu/libc.so.6").resolve()
LOADER = Path("/lib64/ld-linux-x86-64.so.2").resolve()
TRUE = Path("/bin/true").resolve()


def image(tmp_path: Path) -> Path:
    """A merged-/usr tree: /usr/bin/prog (needs libc), the loader behind /lib64, and extra files."""
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:

        def link(name: str, target: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)

        def data(name: str, payload: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))

        link("lib", "usr/lib")
        link("lib64", "usr/lib64")
        tar.add(TRUE, "usr/bin/prog")
        tar.add(LIBC, "usr/lib/x86_64-linux-gnu/libc.so.6")
        tar.add(LOADER, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        link("usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        data("usr/share/prog/data.txt", b"x" * 1000)
        data("usr/lib/x86_64-linux-gnu/libunused.so.1", b"y" * 5000)
        data("etc/passwd", b"root:x:0:0::/:/nonexistent\n")
    return path


def test_the_floor_is_the_binary_its_libraries_and_its_data(tmp_path: Path) -> None:
    with tarfile.open(image(tmp_path)) as tar:
        got = floor(tar, ["/usr/bin/prog", "/usr/share/prog"])
    assert got == TRUE.stat().st_size + LIBC.stat().st_size + LOADER.stat().st_size + 1000


def test_roots_through_symlinks_and_missing_roots(tmp_path: Path) -> None:
    with tarfile.open(image(tmp_path)) as tar:
        assert (
            floor(tar, ["/lib/x86_64-linux-gnu/libc.so.6", "/nowhere"]) == LIBC.stat().st_size + LOADER.stat().st_size
        )


def test_a_library_by_name_and_a_closure_taken_on_top_of_another(tmp_path: Path) -> None:
    from builder.floor import Tree, closure, size

    with tarfile.open(image(tmp_path)) as tar:
        tree = Tree(tar)
        assert tree.library("libc.so.6") == "/usr/lib/x86_64-linux-gnu/libc.so.6"  # through /lib
        assert tree.library("libnothing.so.1") is None
        runtime = closure(tree, ["/usr/bin/prog"])
        unused = tree.library("libunused.so.1")
        assert unused is not None
        whole = closure(tree, [unused], runtime)
        assert whole - runtime == {unused} and size(tree, whole - runtime) == 5000
