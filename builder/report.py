"""Report stage: the closing table of images, tags, sizes and test results, and out/report.json."""

from __future__ import annotations

import json
from pathlib import Path

from builder.state import State
from builder.targets import Target


def size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n else "-"


def rows(targets: list[Target], states: dict[str, State]) -> list[dict[str, object]]:
    out = []
    for target in targets:
        state = states[target.id]
        out.append(
            {
                "id": target.id,
                "version": state.version or target.version.version,
                "tags": list(state.tags or target.tags),
                "size": state.size,
                "tests": {t.name: t.ok for t in state.tests},
                "passed": state.passed,
                "pushed": state.pushed,
                "error": state.error,
            }
        )
    return out


def table(report: list[dict[str, object]]) -> str:
    """A plain-text table, one line per image."""
    lines = [("image", "version", "tags", "size", "tests", "pushed")]
    for row in report:
        tests = row["tests"]
        assert isinstance(tests, dict)
        passed = sum(1 for ok in tests.values() if ok)
        verdict = f"✓ {passed}/{len(tests)}" if row["passed"] else (f"✕ {passed}/{len(tests)}" if tests else "✕ -")
        if row["error"]:
            verdict = "✕ " + str(row["error"]).splitlines()[0][:40]
        pushed = row["pushed"]
        assert isinstance(pushed, dict)
        lines.append(
            (
                str(row["id"]),
                str(row["version"]),
                ", ".join(row["tags"]),  # type: ignore[arg-type]
                size(int(row["size"])),  # type: ignore[call-overload]
                verdict,
                f"{len(pushed)} tags" if pushed else "-",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text)


def write(report: list[dict[str, object]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return path
