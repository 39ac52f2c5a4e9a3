"""Fixtures: their cache folders, npm specs, and a fetch that is whole or not at all (no network:
the fetchers are replaced)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from builder import fixtures
from builder.catalog import Fixture
from builder.errors import HostError
from builder.platforms import AMD64, ARM64, Platform

WHEELS = Fixture("wheels", "pypi", ("numpy",), "3.13")


def test_a_fixture_is_cached_by_what_it_asks_for_not_its_name() -> None:
    assert fixtures.folder_name(WHEELS) == fixtures.folder_name(Fixture("other", "pypi", ("numpy",), "3.13"))
    assert fixtures.folder_name(WHEELS) != fixtures.folder_name(Fixture("wheels", "pypi", ("numpy",), "3.11"))
    assert fixtures.folder_name(WHEELS).startswith("pypi-")
    # another platform's wheels are other files; amd64's folder keeps the name it had
    assert fixtures.folder_name(WHEELS, ARM64) != fixtures.folder_name(WHEELS) == fixtures.folder_name(WHEELS, AMD64)


@pytest.mark.parametrize(
    ("spec", "dependency"),
    [("sharp@^0.34", ("sharp", "^0.34")), ("@node-rs/bcrypt", ("@node-rs/bcrypt", "*")), ("@a/b@1", ("@a/b", "1"))],
)
def test_npm_specs(spec: str, dependency: tuple[str, str]) -> None:
    assert fixtures.npm_dependency(spec) == dependency


def test_fetched_once_then_taken_from_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = []

    def fake(fixture: Fixture, folder: Path, platform: Platform) -> None:
        calls.append(fixture)
        (folder / "requirements.txt").write_text("numpy\n")

    monkeypatch.setitem(fixtures.FETCHERS, "pypi", fake)
    threads = [threading.Thread(target=fixtures.fetch, args=(WHEELS, tmp_path)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    folder = fixtures.fetch(WHEELS, tmp_path)
    assert calls == [WHEELS] and (folder / "requirements.txt").read_text() == "numpy\n"


def test_a_failed_fetch_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(fixture: Fixture, folder: Path, platform: Platform) -> None:
        (folder / "half").write_text("")
        raise HostError("PyPI does not answer")

    monkeypatch.setitem(fixtures.FETCHERS, "pypi", broken)
    with pytest.raises(HostError, match="PyPI does not answer"):
        fixtures.fetch(WHEELS, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BIRDHOUSE_CACHE", str(tmp_path / "c"))
    assert fixtures.cache_folder() == tmp_path / "c"
    monkeypatch.delenv("BIRDHOUSE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert fixtures.cache_folder() == tmp_path / "x/birdhouse"
