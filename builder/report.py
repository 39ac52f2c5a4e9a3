"""Report stage: per image its tags, digest, sizes (uncompressed, compressed, floor, what the
library floor costs, overhead, dev and fat comparisons), its last decision and outcomes, and its
tests, written as out/report.json, out/report.html (a table and a bar chart, self-contained) and
out/report.md (for a CI step summary); and the closing table."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from builder import attest
from builder.state import State
from builder.targets import Target


@dataclass(frozen=True)
class Row:
    id: str
    language: str
    variant: str
    version: str
    tags: tuple[str, ...]
    digest: str  # this platform's image
    size: int
    compressed: int
    floor: int
    libraries: int  # what the library floor adds to the runtime's closure
    dev_size: int
    fat_size: int
    tests: dict[str, bool]
    passed: bool
    error: str
    decision: str = ""  # what the last run decided (builder.decide), and why
    outcomes: dict[str, str] = field(default_factory=dict)  # stage -> what it last did
    platform: str = "linux/amd64"
    index: str = ""  # the index its tags serve, naming it for its platform

    @property
    def overhead(self) -> float | None:
        return self.size / self.floor if self.floor and self.size else None

    @property
    def dev_ratio(self) -> float | None:
        return self.dev_size / self.size if self.dev_size and self.size else None

    @property
    def fat_ratio(self) -> float | None:
        return self.fat_size / self.size if self.fat_size and self.size else None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "overhead": self.overhead, "dev_ratio": self.dev_ratio, "fat_ratio": self.fat_ratio}


def rows(targets: list[Target], states: dict[str, State]) -> list[Row]:
    """One row per dev and run image; a run image's row compares it with its dev and fat images."""
    fat = {(t.language, t.version.version, t.platform): states[t.id].size for t in targets if t.comparator}
    out = []
    for target in targets:
        if target.comparator:
            continue
        state = states[target.id]
        dev = states[target.parents[0]].size if target.parents and target.parents[0] in states else 0
        out.append(
            Row(
                id=target.id,
                language=target.language,
                variant=target.variant,
                version=state.version or target.version.version,
                tags=state.tags or target.tags,
                digest=state.digest or next(iter(state.pushed.values()), ""),
                size=state.size,
                compressed=state.compressed,
                floor=state.floor,
                libraries=state.libraries,
                dev_size=dev if target.variant == "run" else 0,
                fat_size=fat.get((target.language, target.version.version, target.platform), 0)
                if target.variant == "run"
                else 0,
                tests={t.name: t.ok for t in state.tests},
                passed=state.passed,
                error=state.error,
                decision=state.decision,
                outcomes=state.outcomes,
                platform=target.platform.name,
                index=state.index,
            )
        )
    return out


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n else "-"


def ratio(value: float | None, digits: int = 1) -> str:
    return f"{value:.{digits}f}×" if value else "-"


def verdict(row: Row) -> str:
    passed = sum(row.tests.values())
    if row.error:
        return "✕ " + row.error.splitlines()[0][:60]
    if not row.tests:
        return "- not tested"
    return f"{'✓' if row.passed else '✕'} {passed}/{len(row.tests)}"


COLUMNS = (
    "image",
    "version",
    "tags",
    "index",
    "size",
    "compressed",
    "floor",
    "lib floor",
    "overhead",
    "dev ÷ run",
    "fat ÷ run",
    "tests",
)


def cells(row: Row) -> tuple[str, ...]:
    return (
        row.id,
        row.version,
        ", ".join(row.tags),
        row.index.removeprefix("sha256:")[:12] or "-",
        mb(row.size),
        mb(row.compressed),
        mb(row.floor),
        f"+{mb(row.libraries)}" if row.libraries else "-",
        ratio(row.overhead, 3),
        ratio(row.dev_ratio),
        ratio(row.fat_ratio),
        verdict(row),
    )


def table(report: list[Row]) -> str:
    """A plain-text table, one line per image."""
    lines = [COLUMNS, *(cells(row) for row in report)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text)


def markdown(report: list[Row], documents: Documents | None = None) -> str:
    """The table in GitHub-flavoured markdown, for $GITHUB_STEP_SUMMARY, with links to each
    image's SBOM and provenance where they were written."""
    documents = documents or {}
    lines = ["| " + " | ".join((*COLUMNS, "sbom")) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for row in report:
        links = " ".join(f"[{name}]({path})" for name, path in documents.get(row.id, {}).items()) or "-"
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in (*cells(row), links)) + " |")
    return "\n".join(lines) + "\n"


Documents = dict[str, dict[str, str]]  # image id -> document name -> its path, relative to the report


def documents(report: list[Row], folder: Path) -> Documents:
    """The SBOMs and provenance written under folder/sbom/ (builder.attest), for each image."""
    names = {"sbom.spdx.json": "spdx", "sbom.cdx.json": "cyclonedx", "provenance.intoto.json": "provenance"}
    out: Documents = {}
    for row in report:
        found = {names[title]: path for title, path in attest.files(folder, row.id).items() if path.exists()}
        if found:
            out[row.id] = {name: str(path.relative_to(folder)) for name, path in found.items()}
    return out


BAR_COLOURS = (("fat", "#b0413e"), ("dev", "#e0a458"), ("run", "#3f7cac"), ("floor", "#7fb069"))


def chart(report: list[Row]) -> str:
    """An inline SVG: per run image, bars for its fat comparator, dev image, itself and its floor."""
    runs = [row for row in report if row.variant == "run"]
    biggest = max((max(r.fat_size, r.dev_size, r.size, r.floor) for r in runs), default=0) or 1
    label, bar, gap, width = 170, 14, 10, 560
    height = sum(len(BAR_COLOURS) * bar + gap for _ in runs) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label + width + 90}" height="{height}" role="img">']
    y = 10
    for row in runs:
        values = {"fat": row.fat_size, "dev": row.dev_size, "run": row.size, "floor": row.floor}
        parts.append(f'<text x="0" y="{y + 2 * bar}" class="label">{html.escape(row.id)}</text>')
        for name, colour in BAR_COLOURS:
            value = values[name]
            length = max(1.0, value / biggest * width) if value else 0
            parts.append(
                f'<rect class="bar bar-{name}" x="{label}" y="{y}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"><title>{name}: {mb(value)}</title></rect>'
            )
            parts.append(
                f'<text x="{label + length + 4:.1f}" y="{y + bar - 4}" class="value">{name} {mb(value)}</text>'
            )
            y += bar
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def page(report: list[Row], documents: Documents | None = None) -> str:
    """A self-contained HTML page: the bar chart and the table, with links to each image's SBOM
    and provenance."""
    documents = documents or {}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (*COLUMNS, "sbom"))
    body = "".join(
        f'<tr class="{"pass" if row.passed else "fail"}" id="{html.escape(row.id)}">'
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells(row))
        + "<td>"
        + " ".join(
            f'<a href="{html.escape(path)}">{html.escape(name)}</a>' for name, path in documents.get(row.id, {}).items()
        )
        + "</td></tr>"
        for row in report
    )
    legend = " ".join(f'<span style="color:{colour}">■ {name}</span>' for name, colour in BAR_COLOURS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>birdhouse report</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; }}
tr.fail td {{ background: #fbeaea; }} .label, .value {{ font: 12px system-ui, sans-serif; }}
</style></head><body>
<h1>birdhouse: microcontainer sizes</h1>
<p>Per run image: the fat comparator (full Debian with the runtime and its build tools, the way official
images are made), the dev image, the run image, and its closure floor. {legend}</p>
{chart(report)}
<h2>Images</h2>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""


def write(report: list[Row], folder: Path) -> list[Path]:
    """out/report.json, out/report.html and out/report.md, each linking the images' SBOMs and
    provenance under out/sbom/."""
    folder.mkdir(parents=True, exist_ok=True)
    found = documents(report, folder)
    data = [{**row.as_dict(), "documents": found.get(row.id, {})} for row in report]
    files = {
        "report.json": json.dumps(data, indent=2, sort_keys=True) + "\n",
        "report.html": page(report, found),
        "report.md": markdown(report, found),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return [folder / name for name in files]
