"""The HTML report as a person sees it: opened in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from builder import report

pytestmark = pytest.mark.integration

ROWS = [
    report.Row(
        id=f"{language}-run", language=language, variant="run", version="1.0.0", tags=("1.0.0", "1"),
        digest="sha256:abc", size=run, compressed=run // 3, floor=run - 100_000, dev_size=dev, fat_size=fat,
        libraries=4_000_000, tests={"hello": True}, passed=True, error="",
    )
    for language, fat, dev, run in (("node", 1_150_000_000, 850_000_000, 97_000_000), ("python", 1_100_000_000, 630_000_000, 29_000_000))
]  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("CI has no chromium: make setup installs it")
        pytest.skip("no chromium (make setup installs it)")
    return found


def browse(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={page.parent / 'profile'}"]  # fmt: skip
    return subprocess.run(
        [chromium(), *flags, *args, page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    )


def test_the_report_renders_its_chart_and_figures(tmp_path: Path) -> None:
    report.write(ROWS, tmp_path)
    page = tmp_path / "report.html"

    dom = browse(page, "--dump-dom").stdout
    assert dom.count('class="bar bar-') == 8
    for figure in ("97.0 MB", "29.0 MB", "1150.0 MB", "11.9×", "37.9×", "✓ 1/1"):
        assert figure in dom

    shot = tmp_path / "shot.png"
    browse(page, f"--screenshot={shot}", "--window-size=1200,900")
    colours = set(Image.open(shot).convert("RGB").get_flattened_data())
    for name, hex_colour in report.BAR_COLOURS:
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, f"the {name} bars are not drawn"
