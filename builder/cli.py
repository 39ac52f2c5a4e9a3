"""`python -m builder`: the command line. Only main() prints results and picks the exit code."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import errno
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from builder import attest, docs, ledger, pipeline, platforms, services
from builder import catalog as catalog_module
from builder import debug as debugging
from builder import plan as plan_module
from builder import verify as verifying
from builder.catalog import Catalog
from builder.decide import Kind
from builder.engine import DockerEngine
from builder.errors import BirdhouseError, HostError, PublishError, SelectionError
from builder.log import Log
from builder.registry import RegistryClient
from builder.run import Run
from builder.state import Store
from builder.targets import Target, expand, select

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "list": "list the catalog's images (--json for data)",
    "plan": "print what a run would do, touching nothing",
    "render": "write each image's Dockerfile and context to OUT/render/<id>/",
    "build": "bootstrap the bases, build the images, check their versions",
    "test": "run the smoke tests; tag the images that pass",
    "push": "push the images that passed, check their digests, point their tags at an index of platforms",
    "all": "render, build, test and push, then print the table",
    "index": "point each image's tags at an index of its platforms' images, pushed by digest (`push --by-digest`)",
    "report": "write out/report.{json,html,md} from the records (--compare-fat: build the fat comparators first)",
    "docs": "write docs/images/<language>.md, a usage page per language, from the catalog and the records",
}
DEBUG = (
    "a shell (or COMMAND) in the dev image beside a running container or an image, sharing its processes and network"
)
HISTORY = "every digest a tag (node:18) was pointed at, newest first, from the registry's ledgers"
SBOM = "the SBOM attached to an image (node:18) in the registry: SPDX 2.3 JSON, or CycloneDX 1.6 with --cyclonedx"
PROVENANCE = "the provenance attached to an image (node:18) in the registry: its in-toto Statement (SLSA provenance v1)"
VERIFY = "rebuild a published run image (node:18) from this checkout, no cache, and check it is the same image"
GC = "the retention policy: delete the builds older than --keep-days that no tag serves nor the window's ledger names"


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("images", nargs="*", metavar="IMAGE", help="globs over image ids (python-*-dev); default: all")
    common.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
    common.add_argument("--out", type=Path, default=ROOT / "out", help="work folder (default: %(default)s)")
    common.add_argument("--changed-since", metavar="REF", help="only the images that `git diff REF` touches")
    common.add_argument("--shard", metavar="I/N", help="only shard I of N (a language version's images stay together)")
    common.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="OS/ARCH",
        help="build for these platforms (linux/arm64; repeated or comma-separated; all: the catalog's); "
        "default: this host's own (for index: all)",
    )
    top = argparse.ArgumentParser(prog="python -m builder", description="birdhouse: microcontainer build farm")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_ in COMMANDS.items():
        sub = commands.add_parser(name, parents=[common], help=help_, description=help_)
        if name == "list":
            sub.add_argument("--json", action="store_true", help="print JSON")
        if name == "plan":
            sub.add_argument("--json", dest="format", action="store_const", const="json", help="= --format json")
            sub.add_argument("--format", choices=("text", "json", "github-matrix"), default="text")
        if name in ("build", "all"):
            sub.add_argument("--no-cache", action="store_true", help="build without the engine's layer cache")
        if name in ("push", "all"):
            sub.add_argument(
                "--by-digest",
                action="store_true",
                help="push each image by digest under its own tag only; `index` then points the tags",
            )
        if name == "report":
            sub.add_argument(
                "--compare-fat",
                action="store_true",
                help="build the fat comparators (full Debian, as official images are made) to measure against",
            )
        if name in ("build", "test", "push", "all", "report"):
            sub.add_argument(
                "-j",
                "--jobs",
                type=int,
                default=os.cpu_count() or 1,
                help="images at once (default: the cores, %(default)s)",
            )
    debugging = commands.add_parser("debug", help=DEBUG, description=DEBUG)
    debugging.add_argument("target", metavar="TARGET", help="a running container, or a run image to start")
    debugging.add_argument("what", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="run this, not a shell")
    debugging.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
    looking = commands.add_parser("history", help=HISTORY, description=HISTORY)
    looking.add_argument("tag", metavar="LANGUAGE:TAG", help="node:18, python:3.13-dev")
    looking.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
    for name, help_ in (("sbom", SBOM), ("provenance", PROVENANCE)):
        reading = commands.add_parser(name, help=help_, description=help_)
        reading.add_argument("tag", metavar="LANGUAGE:TAG", help="node:18, python:3.13-dev")
        reading.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
        if name == "sbom":
            reading.add_argument("--cyclonedx", action="store_true", help="CycloneDX 1.6 JSON, not SPDX 2.3")
        reading.add_argument("--platform", metavar="OS/ARCH", help="the image for this platform (default: the host's)")
    checking = commands.add_parser("verify", help=VERIFY, description=VERIFY)
    checking.add_argument("tag", nargs="?", metavar="LANGUAGE:TAG", help="node:18, python:3.13")
    checking.add_argument("--sample", type=int, metavar="N", help="N run images of the catalog, a new N each day")
    checking.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
    checking.add_argument("--platform", metavar="OS/ARCH", help="rebuild this platform's image (default: the host's)")
    checking.add_argument(
        "--out", type=Path, default=ROOT / "out", help="work folder: its verify/ (default: %(default)s)"
    )
    keeping = commands.add_parser("gc", help=GC, description=GC)
    keeping.add_argument("--keep-days", type=int, default=30, help="keep every build of this many days (%(default)s)")
    keeping.add_argument("--catalog", type=Path, default=ROOT / "catalog.yaml", help="default: %(default)s")
    return top


def _list(targets: list[Target], catalog: Catalog, as_json: bool) -> None:
    if as_json:
        print(json.dumps([target.as_dict() for target in targets], indent=2))
        return
    today = datetime.date.today().isoformat()
    for target in targets:
        eol = target.version.eol
        note = f"  (past its end of life, {eol})" if eol and eol < today else f"  (eol {eol})" if eol else ""
        print(f"{target.id:<24} {', '.join(target.tags)}{note}")
    for language in catalog.languages.values():
        for version in language.versions:
            if why := catalog.unbuilt(version):
                print(f"{language.name}-{version.version} is not built: {why}")


def _plan(work: Run, as_format: str) -> None:
    decisions = list(pipeline.plan(work).values())
    if as_format == "github-matrix":
        print(plan_module.github_matrix(decisions))
        return
    if as_format == "json":
        print(json.dumps([d.as_dict(work.registry.repository(d.target.language)) for d in decisions], indent=2))
        return
    for decision in decisions:
        print(f"{decision.target.id:<24} {decision.kind:<9} {decision.reason}")
    todo = [d for d in decisions if d.kind not in (Kind.PUBLISHED, Kind.UNCHANGED)]
    print(f"{len(todo)} of {len(decisions)} images to build, test or push")


def _debug(args: argparse.Namespace, catalog: Catalog) -> int:
    command = args.what[1:] if args.what[:1] == ["--"] else args.what
    registry = RegistryClient.from_env(catalog.registry, catalog.namespace)
    result = debugging.debug(DockerEngine.connect(), catalog, registry, args.target, command)
    print(result.output, end="")
    return result.exit_code


def _image(args: argparse.Namespace, catalog: Catalog) -> tuple[RegistryClient, str, str]:
    """The registry, language and tag args.tag names: LANGUAGE:TAG in the registry configured, or a
    whole reference (127.0.0.1:5000/node:18, ghcr.io/owner/birdhouse/node:18), with the credentials
    configured."""
    name, _, tag = args.tag.rpartition(":")
    registry = RegistryClient.from_env(catalog.registry, catalog.namespace)
    if "/" in name:
        host, _, rest = name.partition("/")
        namespace, _, name = rest.rpartition("/")
        registry = dataclasses.replace(registry, host=host, namespace=namespace)
    if name not in catalog.languages or not tag or "/" in tag:
        raise SelectionError(
            f"{args.tag}: expected LANGUAGE:TAG of the catalog's languages (node:18), or REGISTRY/LANGUAGE:TAG"
        )
    return registry, name, tag


def _history(args: argparse.Namespace, catalog: Catalog) -> int:
    registry, language, tag = _image(args, catalog)
    moments = ledger.history(registry, language, tag)
    if not moments:
        raise SelectionError(f"the ledger names no publish of {args.tag}")
    for moment in moments:
        print(f"{moment.time}  {moment.platform:<11}  {moment.digest}  build {moment.build_id[:12]}")
    return 0


def _gc(args: argparse.Namespace, catalog: Catalog) -> int:
    registry = RegistryClient.from_env(catalog.registry, catalog.namespace)
    if registry.host == catalog.registry and registry.local:
        services.ensure_registry(registry.host)
    today = datetime.datetime.now(datetime.UTC).date()
    for language in catalog.languages:
        for digest, tag in ledger.expired(registry, language, args.keep_days, today).items():
            registry.delete(language, digest)
            print(f"deleted {registry.repository(language)}@{digest} ({tag})")
            for attached in attest.detach(registry, language, digest):
                print(f"deleted {registry.repository(language)}@{attached} (its {', '.join(attest.KINDS)})")
    return 0


def _attached(args: argparse.Namespace, catalog: Catalog) -> int:
    registry, language, tag = _image(args, catalog)
    kind, title = ("att", "provenance.intoto.json") if args.command == "provenance" else ("sbom", "sbom.spdx.json")
    if getattr(args, "cyclonedx", False):
        title = "sbom.cdx.json"
    documents = attest.read(registry, language, tag, kind, platforms.named(args.platform))
    if title not in documents:
        raise PublishError(f"{args.tag}: its {kind} holds no {title} (it holds {', '.join(documents)})")
    if kind == "att":
        print(json.dumps(attest.statement(documents[title]), indent=1))
    else:
        print(documents[title].decode(), end="")
    return 0


def _verify(args: argparse.Namespace, catalog: Catalog) -> int:
    if bool(args.tag) == bool(args.sample):
        raise SelectionError("verify takes LANGUAGE:TAG or --sample N")
    registry = RegistryClient.from_env(catalog.registry, catalog.namespace)
    if args.platform:
        catalog = catalog_module.load(args.catalog, platforms.named(args.platform))
    if args.sample:
        images = verifying.sample(catalog, args.sample, datetime.datetime.now(datetime.UTC).date())
    else:
        registry, language, tag = _image(args, catalog)
        images = [(language, tag)]
    out = args.out / "verify"
    work = Run(catalog, [], out, Log(out / "logs"), given_registry=registry)
    failures: list[BirdhouseError] = []
    for language, tag in images:
        try:
            verdict = verifying.verify(work, language, tag)
        except BirdhouseError as error:
            print(f"✕ {error}", file=sys.stderr)
            failures.append(error)
            continue
        print(
            f"{verdict.reference} ({verdict.target}) rebuilt from this checkout is the same image: {verdict.image_id}"
        )
    return min((error.exit_code for error in failures), default=0)


TOOLS: dict[str, Callable[[argparse.Namespace, Catalog], int]] = {
    "debug": _debug,
    "history": _history,
    "sbom": _attached,
    "provenance": _attached,
    "verify": _verify,
    "gc": _gc,
}


def _targets(args: argparse.Namespace, catalog: Catalog) -> list[Target]:
    """The images a command works on: the catalog's for each platform chosen, narrowed as asked."""
    asked = args.platform or (["all"] if args.command == "index" else [])
    chosen = platforms.chosen(asked, catalog.platforms)
    for platform in chosen if args.command in ("build", "test", "all") else ():
        if not platforms.runs_here(platform):
            raise HostError(
                f"{platform.name} programs do not run on this host: `make setup` registers qemu's emulators"
            )
    comparators = args.command == "report"  # their sizes; --compare-fat builds them
    catalogs = [catalog if p == catalog.platform else catalog_module.load(args.catalog, p) for p in chosen]
    targets = select([t for each in catalogs for t in expand(each, comparators=comparators)], args.images)
    if args.changed_since:
        targets = plan_module.changed_since(targets, catalog, args.changed_since)
    if args.shard:
        targets = plan_module.shard(targets, args.shard)
    return targets


def run(args: argparse.Namespace) -> int:
    catalog = catalog_module.load(args.catalog)
    if tool := TOOLS.get(args.command):
        return tool(args, catalog)
    targets = _targets(args, catalog)
    if not targets and (args.changed_since or args.shard):
        print("nothing to do: the selection is empty", file=sys.stderr)
        return 0
    if args.command == "list":
        _list(targets, catalog, args.json)
        return 0
    if args.command == "docs":
        store = Store(args.out / "state")
        for path in docs.write(catalog, {t.id: store.get(t.id) for t in expand(catalog)}, ROOT / "docs" / "images"):
            print(path)
        return 0
    log = Log(args.out / "logs")
    work = Run(catalog, targets, args.out, log, nocache=getattr(args, "no_cache", False), jobs=getattr(args, "jobs", 1))
    if args.command == "plan":
        _plan(work, args.format)
        return 0
    outcomes = pipeline.execute(
        work, args.command, compare_fat=getattr(args, "compare_fat", False), by_digest=getattr(args, "by_digest", False)
    )
    if args.command == "render":
        for target in targets:
            print(work.context(target) / "Dockerfile")
    if outcomes.items:
        log.info(outcomes.summary())
    for failure in outcomes.failures():
        log.info(f"✕ {failure.target}: {failure.note.splitlines()[0]}")
    return outcomes.exit_code


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
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        where = f" (writing {error.filename})" if error.filename else ""
        print(f"error: no space left on this machine's disk{where}: free some (`docker image prune`) and run again; "
              "what a run did not finish it does again", file=sys.stderr)  # fmt: skip
        return HostError.exit_code
    except BrokenPipeError:  # `python -m builder list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
