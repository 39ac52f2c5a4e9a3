"""birdhouse's speed goals, measured side by side in one run (run it after `make all`):

1. a no-op rebuild of the whole catalog      goal: ≤ 3 s, zero builds, zero pushes
2. one catalog entry changed                  goal: only its images rebuild
3. 2 workers against 1 on a cold subset       goal: ≥ 1.5× faster
4. a warm package cache against a cold one    goal: ≥ 2× faster
5. syft on published run images               goal: it finds the distro and the packages their SBOMs list
6. two no-cache builds of a dev image          measured: how far dev images are from reproducible
7. every published run image rebuilt          goal: each rebuild (no cache) is the image the registry serves
                                              (the engine's dangling images are pruned after each)
8. a pair built for linux/arm64 under qemu     measured: its build and test times and run image size beside amd64's

Usage: .venv/bin/python bench/bench.py [--steps STEP ...] [--images GLOB ...] [--subset ID ...]
[--scan LANGUAGE:TAG ...] [--dev ID ...] [--emulated ID ...] [--write docs/performance.md]. It prints the figures and the ratios; --images
narrows 1, 2 and 7, --subset names the cold images of 3 and 4, --scan the published images of 5, --dev the dev images of 6,
--emulated the images of 8. Nothing it does is pushed: steps 2-4 build into folders of their own
and push nowhere. --write also writes them, with the sizes of out/report.json (`make bench` runs
`report --compare-fat` first, for the fat comparators), the date and the machine, to a markdown page."""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from fnmatch import fnmatch
from pathlib import Path

import yaml

from builder import attest, services, verify
from builder import sbom as sbom_module
from builder.catalog import load
from builder.engine import DockerEngine
from builder.registry import RegistryClient
from builder.targets import expand

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
    # its first version that --images takes in
    entry = next(
        v for v in spec["versions"] if not images or any(fnmatch(f"{language}-{v['version']}-run", g) for g in images)
    )
    # a copy of its own: a value shared with the language's run would be dumped as an alias
    entry["run"] = copy.deepcopy(
        {**spec["run"], "env": {**spec["run"].get("env", {}), "BIRDHOUSE_BENCH": str(time.time())}}
    )
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


def scanners(work: Path, images: list[str]) -> list[str]:
    """What Anchore's syft finds in published run images (the registry the catalog names, as `make
    all` left it) beside what their SBOMs list and what their files say (status.d), what that
    listing costs in bytes, and how long the SBOMs and provenance take to make."""
    catalog = load(ROOT / "catalog.yaml")
    registry = RegistryClient.from_env(catalog.registry, catalog.namespace)
    engine = DockerEngine.connect()
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false", "SYFT_REGISTRY_INSECURE_USE_HTTP": "true",
           "XDG_CACHE_HOME": str(work / "cache")}  # fmt: skip
    lines = []
    for image in images:
        language, tag = image.split(":", 1)
        reference = f"{registry.repository(language)}:{tag}"
        sbom = subprocess.run(
            [PYTHON, "-m", "builder", "sbom", image], cwd=ROOT, capture_output=True, text=True, check=False
        )
        seen = subprocess.run([str(Path(PYTHON).with_name("syft")), "-q", f"registry:{reference}", "-o", "json"],
                              capture_output=True, text=True, env=env, check=False)  # fmt: skip
        if sbom.returncode or seen.returncode:
            lines.append(f"✕ {image}: {(sbom.stderr or seen.stderr).strip()[-300:]}")
            continue
        listed = {ref["referenceLocator"].split("?")[0] for package in json.loads(sbom.stdout)["packages"]
                  for ref in package.get("externalRefs", []) if ref["referenceLocator"].startswith("pkg:deb/")}  # fmt: skip
        found = json.loads(seen.stdout)
        debs = {a["purl"].split("?")[0] for a in found["artifacts"] if a["type"] == "deb"}
        distro = f"{found['distro'].get('id', 'no distro')} {found['distro'].get('versionID', '')}".strip()
        engine.pull(reference, registry.auth)
        start = time.monotonic()
        packages, release = attest.image_packages(engine, reference, "run")
        subject = sbom_module.Subject(registry.repository(language), tag, "sha256:" + "0" * 64, "2026-01-01T00:00:00Z")
        sbom_module.spdx(subject, packages, release)
        sbom_module.cyclonedx(subject, packages, release)
        sbom_module.provenance(subject, target={}, inputs={}, found=packages, distro=release,
                               started="", finished="", build_id="")  # fmt: skip
        took = time.monotonic() - start
        with engine.export(reference) as tar:
            files = [m for m in tar if m.isfile()]
        status = sum(m.size for m in files if m.name.startswith("var/lib/dpkg/status.d/"))
        notices = sum(m.size for m in files if m.name.startswith("usr/share/doc/") and m.name.endswith("/copyright"))
        derived = {package.purl(release).split("?")[0] for package in packages}
        verdict = "✓" if listed and listed == debs == derived and found["distro"].get("id") else "✕"
        lines.append(f"{verdict} syft on {image}: {distro}, {len(debs)} Debian packages; its SBOM lists {len(listed)}, "
                     f"its files {len(derived)}, {len(listed & debs & derived)} the same (goal: a distro, the same "
                     f"packages); status.d adds {status / 1e3:.0f} kB, the copyright files {notices / 1e3:.0f} kB; "
                     f"SBOMs and provenance take {took:.1f} s")  # fmt: skip
    return lines


def dev_distance(work: Path, images: list[str]) -> list[str]:
    """How far dev images are from being reproducible: two no-cache builds of each, the files that
    differ (kind, mode, owner, link or content; not times)."""
    engine = DockerEngine.connect()
    lines = []
    for image in images:
        builder("render", image, "--out", str(work))
        built = []
        for n in (1, 2):
            with (work / f"{image}-{n}.log").open("w") as log:
                built.append(engine.build(work / "render" / image, log, nocache=True, proxy=services.apt_proxy()))
        differ = verify.differences(engine, *built)
        with engine.export(built[0]) as tar:
            total = sum(1 for _ in tar)
        for image_id in built:
            engine.untag(image_id)
        lines.append(f"- {image}: {len(differ)} of {total} files differ between two no-cache builds "
                     f"({', '.join('/' + path for path in differ[:4])}{' …' if len(differ) > 4 else ''}); "
                     f"run images: none (`verify`)")  # fmt: skip
    return lines


def rebuilds(images: list[str]) -> list[str]:
    """`verify` on every run image of the catalog (or of --images) that the registry serves: each is
    rebuilt with no layer cache from this checkout and held to the served image id. After each, the
    engine's dangling images go (`docker image prune`): a no-cache rebuild leaves its build stage's
    layers, 0.2 to 1 GB an image, more than a disk holds for the whole catalog."""
    engine = DockerEngine.connect()
    catalog = load(ROOT / "catalog.yaml")
    registry = RegistryClient.from_env(catalog.registry, catalog.namespace)
    everything = [t for t in expand(catalog) if t.variant == "run"]
    targets = [t for t in everything if not images or any(fnmatch(t.id, g) for g in images)]
    served = [t for t in targets if registry.served(t.language, t.tags[0]) is not None]
    lines, matched = [], 0
    for target in served:
        image = f"{target.language}:{target.tags[0]}"
        start = time.monotonic()
        result = subprocess.run(
            [PYTHON, "-m", "builder", "verify", image], cwd=ROOT, capture_output=True, text=True, check=False
        )
        engine.client.images.prune(filters={"dangling": True})
        said = (result.stdout + result.stderr).strip().splitlines() or ["(nothing said)"]
        matched += result.returncode == 0
        lines.append(
            f"  {'✓' if result.returncode == 0 else '✕'} {image} ({time.monotonic() - start:.0f} s): {said[-1][:300]}"
        )
    verdict = "✓" if served and matched == len(served) else "✕"
    selected = f", {len(targets)} of them taken by --images" if images else ""
    return [f"{verdict} {matched} of {len(served)} published run images rebuilt to the digest the registry serves "
            f"(the catalog has {len(everything)} run images{selected}; goal: all)", *lines]  # fmt: skip


def emulation(work: Path, images: list[str]) -> list[str]:
    """The images built (no layer cache, their bases already there) and tested for linux/amd64 and
    for linux/arm64, the latter under qemu (`make setup`), into folders of their own: the times of
    each, and the run images' sizes, side by side."""
    measured = {}
    for name in ("linux/amd64", "linux/arm64"):
        builder("build", "--platform", name, "--out", str(work / f"{name.replace('/', '-')}-base"), *images)  # its base
        out = work / name.replace(
            "/", "-"
        )  # a folder with no records: every image is tested, even one rebuilt the same
        built, _ = builder("build", "--platform", name, "--no-cache", "--out", str(out), *images)
        tested, _ = builder("test", "--platform", name, "--out", str(out), *images)
        states = [json.loads(path.read_text()) for path in (out / "state").glob("*-run*.json")]
        measured[name] = (built, tested, sum(state["size"] for state in states))
    (amd_built, amd_tested, amd_size), (arm_built, arm_tested, arm_size) = measured.values()
    return [
        f"- {' '.join(images)} for linux/arm64 under qemu on this {platform.machine()} host: built in {arm_built:.0f} s "
        f"against {amd_built:.0f} s ({arm_built / amd_built:.1f}×), tested in {arm_tested:.0f} s against "
        f"{amd_tested:.0f} s ({arm_tested / amd_tested:.1f}×); run image {mb(arm_size)} against {mb(amd_size)} "
        f"({arm_size / amd_size:.2f}×)"
    ]


STEPS = {
    "noop": lambda work, args: noop(args.images),
    "changed": lambda work, args: one_entry_changed(work, args.images),
    "workers": lambda work, args: workers(work, args.subset),
    "cache": lambda work, args: package_cache(work, args.subset),
    "scanners": lambda work, args: scanners(work, args.scan),
    "dev-distance": lambda work, args: dev_distance(work, args.dev),
    "rebuilds": lambda work, args: rebuilds(args.images),
    "emulation": lambda work, args: emulation(work, args.emulated),
}


# distroless's Java images ship a whole JRE: gcr.io/distroless/java21-debian12 is about 220 MB
DISTROLESS_JAVA_MB = 220


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")  # fmt: skip
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.freedesktop_os_release().get('PRETTY_NAME', platform.system())}, {os.cpu_count()} × {cpu}, {memory:.0f} GiB"


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n else "-"


def ratio(value: float | None) -> str:
    return f"{value:.1f}×" if value else "-"


def sizes(report: Path) -> list[str]:
    """The run images' sizes from the last report, as a markdown table, and the JVM's beside distroless's."""
    rows = [row for row in json.loads(report.read_text()) if row["variant"] == "run" and row["size"]]
    lines = [
        "| run image | size | compressed | closure floor | library floor adds | overhead | dev ÷ run | fat ÷ run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['id']} | {mb(row['size'])} | {mb(row['compressed'])} | {mb(row['floor'])} | "
            f"{'+' + mb(row['libraries']) if row['libraries'] else '-'} | {row['overhead'] or 0:.3f}× | "
            f"{ratio(row['dev_ratio'])} | {ratio(row['fat_ratio'])} |"
        )
    jvm = [row for row in rows if row["id"].startswith(("java-", "kotlin-", "scala-", "clojure-"))]
    if jvm:
        low, high = min(r["size"] for r in jvm), max(r["size"] for r in jvm)
        lines += ["", f"The JVM run images (a JRE with every module but tools and desktop-only ones, and fonts) "
                  f"are {mb(low)} to {mb(high)}; distroless's Java images, a whole JRE, are about {DISTROLESS_JAVA_MB} MB."]  # fmt: skip
    floors = [row["libraries"] for row in rows if row["libraries"]]
    if floors:
        lines += ["", f"The library floor adds {mb(min(floors))} to {mb(max(floors))} to a run image, "
                  f"{mb(sum(floors) / len(floors))} on average ({len(floors)} run images; static and go's hold none)."]  # fmt: skip
    return lines


def write(path: Path, measured: list[str], steps: list[str]) -> None:
    report = ROOT / "out" / "report.json"
    run = (
        "`make bench`"
        if steps == list(STEPS)
        else f"`bench/bench.py --steps {' '.join(steps)}` (the other goals not measured)"
    )
    page = [
        "# Performance",
        "",
        f"Written by {run} on {datetime.date.today().isoformat()}, on {machine()}.",
        "",
        "## Speed goals",
        "",
        *(f"{'  ' if line.startswith('  ') else ''}- {line.strip().removeprefix('- ')}" for line in measured),
        "",
        "## Sizes",
        "",
        *(sizes(report) if report.exists() else ["No report yet: `make all` first."]),
    ]
    path.write_text("\n".join(page) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset", nargs="+", default=["python-3.13-dev", "node-18-dev"], help="images for 3 and 4")
    parser.add_argument("--images", nargs="+", default=[], help="globs narrowing 1 and 2 (default: the catalog)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS), help="which goals to measure")
    parser.add_argument("--scan", nargs="+", default=["python:3.13", "node:18", "go:1.24", "java:21"], help="for 5")
    parser.add_argument("--dev", nargs="+", default=["python-3.13-dev"], help="dev images for 6")
    parser.add_argument("--emulated", nargs="+", default=["lua-5.4-*"], help="images for 8 (globs)")
    parser.add_argument("--write", type=Path, metavar="PAGE", help="also write the figures and sizes to PAGE")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="birdhouse-bench-") as tmp:
        work = Path(tmp)
        for step in args.steps:
            for line in STEPS[step](work / step, args):
                print(line, flush=True)
                lines.append(line)
    if args.write:
        write(args.write, lines, args.steps)
    verdicts = [line for line in lines if line.startswith(("✓", "✕"))]
    sys.exit(0 if all(line.startswith("✓") for line in verdicts) else 1)


if __name__ == "__main__":
    main()
