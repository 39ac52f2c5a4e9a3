"""images/context/closure.sh, the run images' file closure, on a small tree of this machine's files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "images/context/closure.sh"


def closure(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["bash", str(SCRIPT), *args[:-1], str(root), args[-1]]
    return subprocess.run(command, check=False, capture_output=True, text=True)


def test_files_links_and_libraries(tmp_path: Path) -> None:
    app = tmp_path / "src/opt/app"
    big = tmp_path / "src/usr/share/big"
    (app / "lib").mkdir(parents=True)
    (big / "sub").mkdir(parents=True)
    (app / "lib/a.txt").write_text("a")
    (big / "one").write_text("one")
    (big / "sub/skip").write_text("skip")
    shutil.copy("/bin/true", app / "lib/true")
    (app / "legal").symlink_to(big)  # a link to a folder elsewhere
    (app / "dangling").symlink_to("/nonexistent/file")
    root = tmp_path / "root"

    result = closure(root, "-x", "*/sub", str(app))
    assert result.returncode == 0, result.stderr

    copied = root / str(app).lstrip("/")
    assert (copied / "lib/a.txt").read_text() == "a"
    assert (copied / "legal").readlink() == big  # kept as a link ...
    assert (root / str(big).lstrip("/") / "one").exists()  # ... its folder's files copied one by one
    assert not (root / str(big).lstrip("/") / "sub").exists()  # ... through the excludes
    assert (copied / "dangling").readlink() == Path("/nonexistent/file")
    libc = subprocess.run(["ldd", "/bin/true"], check=False, capture_output=True, text=True).stdout
    real = os.path.realpath(next(word for word in libc.split() if "libc.so" in word and word.startswith("/")))
    assert (root / real.lstrip("/")).exists()  # true's shared library closure


def test_a_missing_path_fails(tmp_path: Path) -> None:
    result = closure(tmp_path / "root", str(tmp_path / "nothing"))
    assert result.returncode != 0 and "does not exist" in result.stderr


def test_a_library_by_name_comes_from_where_the_loader_finds_it(tmp_path: Path) -> None:
    result = closure(tmp_path / "root", "-l", "libc.so.6", "-x", "/nothing", str(tmp_path / "empty"))
    assert result.returncode != 0  # the path still has to exist
    (tmp_path / "empty").mkdir()
    result = closure(tmp_path / "root", "-l", "libc.so.6", "-l", "libm.so.6", str(tmp_path / "empty"))
    assert result.returncode == 0, result.stderr
    cache = subprocess.run(["ldconfig", "-p"], check=True, capture_output=True, text=True).stdout
    libm = next(line.split()[-1] for line in cache.splitlines() if line.split()[0] == "libm.so.6")
    assert (tmp_path / "root" / os.path.realpath(libm).lstrip("/")).is_file()


def test_a_library_that_is_not_installed_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = closure(tmp_path / "root", "-l", "libnothing.so.9", str(tmp_path / "empty"))
    assert result.returncode != 0 and "the library libnothing.so.9 is not installed" in result.stderr
