"""`python -m builder`: the command line. Only main() prints results and picks the exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from builder import catalog as catalog_module
from builder import pipeline, render
from builder.catalog import Catalog
from builder.errors import BirdhouseError
from builder.log import Log
from builder.publish import Registry
from builder.targets import Target, expand, select

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "list": "list the catalog's images (--json for data)",
    "plan": "print what a run would do, touching nothing",
    "render": "write each image's Dockerfile and context to OUT/render/<id>/",
    "build": "bootstrap the bases, build the images, check their versions",
    "test": "run the smoke tests; tag the images that pass",
    "push": "push the images that passed their tests, and check their digests",
    "all": "render, build, test and push, then print the table",
    "report": "write out/report.{json,html,md} from what the stages recorded",
}


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("images", nargs="*", metavar="IMAGE", help="globs over image ids (python-*-dev); default: all")
    common.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
    common.add_argument("--out", type=Path, default=ROOT / "out", help="work folder (default: %(default)s)")
    top = argparse.ArgumentParser(prog="python -m builder", description="birdhouse: microcontainer build farm")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_ in COMMANDS.items():
        sub = commands.add_parser(name, parents=[common], help=help_, description=help_)
        if name in ("list", "plan"):
            sub.add_argument("--json", action="store_true", help="print JSON")
        if name in ("build", "all"):
            sub.add_argument("--no-cache", action="store_true", help="build without the engine's layer cache")
    return top


def _list(targets: list[Target], as_json: bool) -> None:
    if as_json:
        print(json.dumps([target.as_dict() for target in targets], indent=2))
        return
    for target in targets:
        eol = f"  (eol {target.version.eol})" if target.version.eol else ""
        print(f"{target.id:<24} {', '.join(target.tags)}{eol}")


def _plan(targets: list[Target], catalog: Catalog, as_json: bool) -> None:
    registry = Registry.from_env(catalog.registry, catalog.namespace)
    plan = [
        {
            **target.as_dict(),
            "template": render.template_name(target),
            "steps": ["render", "build", "test", "push"],
            "repository": registry.repository(target.language),
        }
        for target in targets
    ]
    if as_json:
        print(json.dumps(plan, indent=2))
        return
    for step, target in zip(plan, targets, strict=True):
        print(f"{target.id:<24} from {target.base}, {step['template']} → {step['repository']}:{', '.join(target.tags)}")


def run(args: argparse.Namespace) -> int:
    catalog = catalog_module.load(args.catalog)
    comparators = args.command in ("render", "build", "all", "report")
    targets = select(expand(catalog, comparators=comparators), args.images)
    if args.command == "list":
        _list(targets, args.json)
        return 0
    if args.command == "plan":
        _plan(targets, catalog, args.json)
        return 0
    log = Log(args.out / "logs")
    work = pipeline.Run(catalog, targets, args.out, log, nocache=getattr(args, "no_cache", False))
    for stage in pipeline.STAGES[args.command]:
        stage(work)
    if args.command == "render":
        for target in targets:
            print(work.context(target) / "Dockerfile")
    if work.failures:
        for target_id, error in work.failures.items():
            log.info(f"✕ {target_id}: {str(error).splitlines()[0]}")
        return min(error.exit_code for error in work.failures.values())
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    args = parser().parse_args(argv)
    try:
        return run(args)
    except BirdhouseError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
