"""Package metadata in run images: images/context/packages.sh on this machine's own files and dpkg
database, and builder.packages reading and checking the layout it writes."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from builder import packages
from builder.floor import Tree

CONTEXT = Path(__file__).resolve().parents[2] / "images/context"
TRUE = Path("/bin/true").resolve()  # /usr/bin/true; coreutils lists it as /bin/true


def sh(script: str, *args: str) -> None:
    result = subprocess.run(["bash", str(CONTEXT / script), *args], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def tree_of(root: Path, tmp_path: Path) -> Tree:
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(root, ".")
    return Tree(tarfile.open(path))


def owner(path: Path) -> str:
    out = subprocess.run(["dpkg", "-S", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split(":")[0]


def test_packages_sh_lists_the_packages_of_a_closure_and_their_files_only(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    sh("closure.sh", str(root), "/bin/true")
    sh("packages.sh", str(root))

    tree = tree_of(root, tmp_path)
    found = {package.name: package for package in packages.installed(tree)}
    coreutils, libc = found[owner(Path("/bin/true"))], found[owner(Path("/lib/x86_64-linux-gnu/libc.so.6"))]
    assert coreutils.files[str(TRUE)] == hashlib.md5(TRUE.read_bytes(), usedforsecurity=False).hexdigest()
    assert set(coreutils.files) == {str(TRUE), "/usr/share/doc/coreutils/copyright"}  # not its other files
    assert coreutils.version and coreutils.architecture == "amd64"
    assert libc.source == "glibc"
    assert coreutils.licenses and "GPL-3+" in coreutils.licenses  # its copyright file is machine-readable
    assert set(found) == {"base-files", coreutils.name, libc.name}  # os-release comes from base-files
    assert packages.os_release(tree)["ID"] == "debian"
    assert not (root / "var/lib/dpkg/status").exists() and not list(root.glob("**/dpkg-query"))
    assert all(result.ok for result in packages.check(tree, list(found.values()), {})), packages.check(
        tree, list(found.values()), {}
    )

    # nothing newer than the newest of the packages' files (what the build made gets that time)
    newest = max((root / path.lstrip("/")).lstat().st_mtime for p in found.values() for path in p.files)
    assert all(path.lstat().st_mtime <= newest for path in root.rglob("*"))
    assert (root / "var/lib/dpkg/status.d").lstat().st_mtime == newest

    sh("packages.sh", str(root))  # again: written anew, the same
    assert {p.name: p for p in packages.installed(tree_of(root, tmp_path))} == found


def member(tar: tarfile.TarFile, name: str, data: bytes = b"", link: str = "") -> None:
    info = tarfile.TarInfo(name)
    if link:
        info.type, info.linkname = tarfile.SYMTYPE, link
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


STATUS = b"Package: libfoo1\nStatus: install ok installed\nVersion: 1.2-3+deb12u1\nArchitecture: amd64\nSource: foo (1.2-3)\n"
DEP5 = (
    b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: foo\n\n"
    b"Files: *\nCopyright: someone\nLicense: LGPL-2.1+ or MIT\n\nFiles: debian/*\nLicense: GPL-2+\n\n"
    b"License: GPL-2+\n text\n"
)


def image(tmp_path: Path, *, status: bool = True, extra: bytes = b"", listed: bytes = b"lib") -> Tree:
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:
        member(tar, "lib", link="usr/lib")
        member(tar, "usr/lib/os-release", b'ID=debian\nVERSION_ID="12"\n')
        member(tar, "etc/os-release", link="../usr/lib/os-release")
        member(tar, "usr/lib/libfoo.so.1", b"lib")
        member(tar, "usr/lib/libbar.so.1", b"bar")
        member(tar, "usr/share/doc/libfoo1/copyright", DEP5)
        if status:
            member(tar, "var/lib/dpkg/status.d/libfoo1", STATUS + extra)
            member(tar, "var/lib/dpkg/status.d/libfoo1.md5sums", f"{md5(listed)}  usr/lib/libfoo.so.1\n".encode())
    return Tree(tarfile.open(path))


def test_the_layout_read_back_with_purls_and_licences(tmp_path: Path) -> None:
    tree = image(tmp_path)
    (foo,) = packages.installed(tree)
    assert (foo.name, foo.version, foo.source, foo.source_version) == ("libfoo1", "1.2-3+deb12u1", "foo", "1.2-3")
    assert foo.files == {"/usr/lib/libfoo.so.1": md5(b"lib")}
    assert foo.licenses == ("LGPL-2.1+", "MIT", "GPL-2+")
    distro = packages.os_release(tree)
    assert foo.purl(distro) == "pkg:deb/debian/libfoo1@1.2-3%2Bdeb12u1?arch=amd64&distro=debian-12"


def test_licences_only_from_machine_readable_copyright_files() -> None:
    assert packages.licenses("This is free software, under the GPL.\n\nLicense: GPL-2\n") == ()


@pytest.mark.parametrize(
    ("case", "failing"),
    [
        ("whole", set()),
        ("no status.d", {"package-metadata", "files-have-their-packages"}),
        ("a file listed but changed", {"packages-have-their-files"}),
        ("a file of a package not listed", {"files-have-their-packages"}),
    ],
)
def test_the_policy_rules(tmp_path: Path, case: str, failing: set[str]) -> None:
    tree = image(tmp_path, status=case != "no status.d", listed=b"other" if "changed" in case else b"lib")
    shipped = packages.shipped_files(
        f"{md5(b'lib')}  lib/libfoo.so.1\n{md5(b'bar')}  lib/libbar.so.1\n"
        if "not listed" in case
        else f"{md5(b'lib')}  lib/libfoo.so.1\n{md5(b'not this one')}  lib/libbar.so.1\n",
        tree,
    )
    results = packages.check(tree, packages.installed(tree), shipped)
    assert {r.name for r in results if not r.ok} == failing, results
    assert len(results) == 3


def test_a_package_listed_with_no_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:
        member(tar, "usr/lib/os-release", b"ID=debian\n")
        member(tar, "etc/os-release", link="../usr/lib/os-release")
        member(tar, "var/lib/dpkg/status.d/libfoo1", STATUS)
        member(tar, "var/lib/dpkg/status.d/libfoo1.md5sums", b"")
    with tarfile.open(path) as tar:
        tree = Tree(tar)
        (result,) = [r for r in packages.check(tree, packages.installed(tree), {}) if not r.ok]
    assert result.name == "packages-have-their-files" and "libfoo1 (no file)" in result.detail
