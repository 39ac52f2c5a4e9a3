"""birdhouse's speed goals, measured side by side in one run (run it after `make all`):

1. a no-op rebuild of the whole catalog      goal: ≤ 3 s, zero builds, zero pushes
2. one catalog entry changed                  goal: only its images rebuild
3. 2 workers against 1 on a cold subset       goal: ≥ 1.5× faster
4. a warm package cache against a cold one    goal: ≥ 2× faster

Usage: .venv/bin/python bench/bench.py [--steps STEP ...] [--images GLOB ...] [--subset ID ...]. It
prints the figures and the ratios; --images narrows 1 and 2, --subset names the cold images of 3 and 4.
Nothing it does is pushed: steps 2-4 build into folders of their own and push nowhere."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DONE = re.compile(r"^✓ (\S+)\s+(build|push to \S+)(: .*)? \(")


def builder(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run `python -m builder ARGS`; return its wall time and its output (it must succeed)."""
    start = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "builder", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    took = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"bench: `builder {' '.join(args)}` failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return took, result.stderr


def did(output: str, stage: str) -> list[str]:
    """The images a stage really worked on (a line with no `: note`)."""
    out = []
    for line in output.splitlines():
        match = DONE.match(line)
        if match and match.group(2).startswith(stage) and not match.group(3):
            out.append(match.group(1))
    return out


def noop(images: list[str]) -> list[str]:
    took, output = builder("all", *images)
    builds, pushes = did(output, "build"), did(output, "push")
    verdict = "✓" if took <= 3 and not builds and not pushes else "✕"
    return [
        f"{verdict} no-op rebuild of {' '.join(images) or 'the catalog'}: {took:.1f} s, {len(builds)} builds, {len(pushes)} pushes (goal ≤ 3 s, 0, 0)"
    ]


def one_entry_changed(work: Path, images: list[str]) -> list[str]:
    catalog = yaml.safe_load((ROOT / "catalog.yaml").read_text())
    language = "python" if "python" in catalog["languages"] else next(iter(catalog["languages"]))
    spec = catalog["languages"][language]
    entry = spec["versions"][0]
    entry["run"] = {**spec["run"], "env": {**spec["run"].get("env", {}), "BIRDHOUSE_BENCH": str(time.time())}}
    work.mkdir(parents=True, exist_ok=True)
    path = work / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    shutil.copytree(ROOT / "out" / "state", work / "out" / "state")
    took, output = builder("build", "--catalog", str(path), "--out", str(work / "out"), *images)
    rebuilt = did(output, "build")
    expected = [f"{language}-{entry['version']}-run"]
    verdict = "✓" if rebuilt == expected else "✕"
    return [
        f"{verdict} one entry changed ({expected[0]}'s run env): rebuilt {rebuilt or 'nothing'} in {took:.1f} s (goal: only {expected})"
    ]


def workers(work: Path, subset: list[str]) -> list[str]:
    times = {}
    for jobs in (1, 2):
        times[jobs], _ = builder("build", "--no-cache", "-j", str(jobs), "--out", str(work / f"out-j{jobs}"), *subset)
    ratio = times[1] / times[2]
    verdict = "✓" if ratio >= 1.5 else "✕"
    return [
        f"{verdict} cold build of {' '.join(subset)}: 1 worker {times[1]:.0f} s, 2 workers {times[2]:.0f} s: "
        f"{ratio:.2f}× (goal ≥ 1.5×)"
    ]


def package_cache(work: Path, subset: list[str]) -> list[str]:
    """A fresh apt-cacher-ng on its own port and cache folder: its first build fills it (cold),
    the second finds everything in it (warm)."""
    cache = work / "cache"
    for folder in ("cache", "log"):
        (cache / folder).mkdir(parents=True)
    shutil.chown(cache / "cache", "apt-cacher-ng", "apt-cacher-ng")
    shutil.chown(cache / "log", "apt-cacher-ng", "apt-cacher-ng")
    config = (ROOT / "scripts/apt-cacher-ng/acng.conf").read_text()
    config = config.replace("/var/cache/apt-cacher-ng", str(cache / "cache")).replace(
        "/var/log/apt-cacher-ng", str(cache / "log")
    )
    (cache / "acng.conf").write_text(config.replace("Port: 3142", "Port: 3143"))
    pidfile = cache / "pid"
    subprocess.run(
        ["apt-cacher-ng", "-c", str(cache), f"pidfile={pidfile}", f"SocketPath={cache / 'socket'}"], check=True
    )
    try:
        time.sleep(1)
        env = {"BIRDHOUSE_APT_PROXY": "http://127.0.0.1:3143"}
        cold, _ = builder("build", "--no-cache", "--out", str(work / "out-cold"), *subset, env=env)
        debs_cold = upstream_debs(cache / "log" / "apt-cacher.log")
        warm, _ = builder("build", "--no-cache", "--out", str(work / "out-warm"), *subset, env=env)
        debs_warm = upstream_debs(cache / "log" / "apt-cacher.log") - debs_cold
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    ratio = cold / warm
    verdict = "✓" if ratio >= 2 else "✕"
    return [
        f"{verdict} cold build of {' '.join(subset)}: cold package cache {cold:.0f} s, warm {warm:.0f} s: {ratio:.2f}× (goal ≥ 2×)",
        f"  .deb files downloaded from the mirror: {debs_cold / 1e6:.1f} MB cold, {debs_warm / 1e6:.1f} MB warm",
    ]


def upstream_debs(log: Path) -> int:
    """The bytes of .deb files apt-cacher-ng fetched from the mirror so far (its log's `I` lines)."""
    if not log.exists():
        return 0
    lines = (line.split("|") for line in log.read_text().splitlines())
    return sum(int(f[2]) for f in lines if len(f) > 4 and f[1] == "I" and f[4].endswith(".deb"))


STEPS = {
    "noop": lambda work, args: noop(args.images),
    "changed": lambda work, args: one_entry_changed(work, args.images),
    "workers": lambda work, args: workers(work, args.subset),
    "cache": lambda work, args: package_cache(work, args.subset),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset", nargs="+", default=["python-3.11-dev", "node-18-dev"], help="images for 3 and 4")
    parser.add_argument("--images", nargs="+", default=[], help="globs narrowing 1 and 2 (default: the catalog)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS), help="which goals to measure")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="birdhouse-bench-") as tmp:
        work = Path(tmp)
        for step in args.steps:
            for line in STEPS[step](work / step, args):
                print(line, flush=True)
                lines.append(line)
    verdicts = [line for line in lines if line.startswith(("✓", "✕"))]
    sys.exit(0 if all(line.startswith("✓") for line in verdicts) else 1)


if __name__ == "__main__":
    main()
