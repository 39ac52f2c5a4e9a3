"""What people and CI see: a line per image and stage with ✓/✕ and its time, log folds on
GitHub Actions, and one log file per image under out/logs."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


def _duration(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


@dataclass
class Step:
    note: str = ""


class Log:
    def __init__(self, folder: Path, stream: TextIO | None = None) -> None:
        self.folder = folder
        self.stream = stream or sys.stderr
        self.github = os.environ.get("GITHUB_ACTIONS") == "true"
        self.color = self.stream.isatty() and "NO_COLOR" not in os.environ

    def _mark(self, ok: bool) -> str:
        mark = "✓" if ok else "✕"
        if self.color:
            return f"\033[32m{mark}\033[0m" if ok else f"\033[31m{mark}\033[0m"
        return mark

    def info(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=self.stream, flush=True)

    def file(self, name: str) -> io.TextIOWrapper:
        """The log file of one image (appended to by each stage)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return (self.folder / f"{name}.log").open("a", encoding="utf-8")

    @contextmanager
    def fold(self, title: str) -> Iterator[None]:
        """What is printed inside is folded away under a title on GitHub Actions; as is elsewhere."""
        if self.github:
            print(f"::group::{title}", file=self.stream, flush=True)
        try:
            yield
        finally:
            if self.github:
                print("::endgroup::", file=self.stream, flush=True)

    @contextmanager
    def step(self, name: str, what: str) -> Iterator[Step]:
        """One line when the step ends: ✓ or ✕, name, what, time, and the note the step left;
        the error goes up unchanged."""
        start = time.monotonic()
        step = Step()
        ok = False
        try:
            yield step
            ok = True
        finally:
            took = _duration(time.monotonic() - start)
            note = f": {step.note}" if step.note else ""
            print(f"{self._mark(ok)} {name:<24} {what}{note} ({took})", file=self.stream, flush=True)
