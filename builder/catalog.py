"""Load catalog.yaml, validate it against catalog.schema.json, and turn it into frozen records."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from builder import yamlfile
from builder.errors import CatalogError
from builder.platforms import AMD64, Platform, native

VARIANTS = ("dev", "run")


@dataclass(frozen=True)
class Base:
    name: str
    suite: str
    sources: tuple[str, ...] = ()
    check_valid_until: bool = True
    default_release: str | None = None
    image: str | None = None

    @property
    def bootstrapped(self) -> bool:
        return self.image is None


@dataclass(frozen=True)
class VersionProbe:
    command: tuple[str, ...]
    pattern: str
    in_run: bool = True


@dataclass(frozen=True)
class DevSpec:
    packages: tuple[str, ...]
    command: tuple[str, ...]
    budget_mb: float | None = None
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LibraryFloor:
    """The shared libraries every run image holds (but those of static binaries), and their packages."""

    packages: tuple[str, ...]
    libraries: tuple[str, ...]


@dataclass(frozen=True)
class RunSpec:
    packages: tuple[str, ...]
    paths: tuple[str, ...]
    entrypoint: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    tzdata: bool = False
    read_only: bool = True
    budget_mb: float | None = None
    env: tuple[tuple[str, str], ...] = ()
    floor: LibraryFloor | None = None  # the catalog's library floor; None for static binaries' images
    fonts: bool = False  # fontconfig and DejaVu, for headless text rendering


@dataclass(frozen=True)
class Fixture:
    """Packages fetched on the host for the tests (builder.fixtures): from pypi or npm."""

    name: str
    source: str
    packages: tuple[str, ...]
    python: str = ""


@dataclass(frozen=True)
class Command:
    """A name an image answers to. link: a link to that file is made; script (dev only): a script
    running that command line is made; neither: the packages put it on PATH."""

    name: str
    link: str = ""
    script: str = ""
    ask: tuple[str, ...] = ("--version",)
    version: bool = False  # its answer holds the catalog's version
    kind: str = "runtime"  # runtime, compiler, package-manager or tool

    @property
    def made(self) -> bool:
        """Whether the image's template makes it (a link or a script), rather than its packages."""
        return bool(self.link or self.script)


@dataclass(frozen=True)
class Commands:
    dev: tuple[Command, ...] = ()
    run: tuple[Command, ...] = ()


@dataclass(frozen=True)
class SmokeTest:
    """One smoke test. kind is run, dev or pair; build is the dev half of a pair test; fixtures
    name the fetched packages it gets at /fixtures/<name>."""

    kind: str
    name: str
    expect: str
    args: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    fixtures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Version:
    language: str
    version: str
    suite: str
    eol: str | None
    latest: bool
    probe: VersionProbe
    dev: DevSpec
    run: RunSpec
    tests: tuple[SmokeTest, ...]
    blocked: str | None = None  # why it cannot be built now
    platforms: tuple[str, ...] = ("linux/amd64",)  # the OCI platforms it is made for
    fixtures: tuple[Fixture, ...] = ()
    commands: Commands = Commands()
    example: str = ""  # what images/<language>/example prints, built with this version's images

    def fixture(self, name: str) -> Fixture:
        return next(fixture for fixture in self.fixtures if fixture.name == name)

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


@dataclass(frozen=True)
class Language:
    name: str
    title: str
    homepage: str
    versions: tuple[Version, ...]
    compare_fat: bool = False


@dataclass(frozen=True)
class Catalog:
    path: Path
    registry: str
    namespace: str
    vendor: str
    source: str
    bases: Mapping[str, Base]
    library_floor: LibraryFloor
    languages: Mapping[str, Language]
    platform: Platform = AMD64  # the one its {arch} and {triplet} were said for

    @property
    def platforms(self) -> list[str]:
        """Every platform a version of it is made for."""
        found = {name for language in self.languages.values() for v in language.versions for name in v.platforms}
        return sorted(found)

    def unbuilt(self, version: Version) -> str | None:
        """Why version gets no images on this catalog's platform, or None."""
        if version.blocked:
            return version.blocked
        if self.platform.name not in version.platforms:
            return f"it is made for {', '.join(version.platforms)}, not {self.platform.name}"
        return None

    def toolchain(self, kind: str) -> frozenset[str]:
        """The names of every language's dev commands of a kind (compiler, package-manager): the
        policy keeps them out of every run image."""
        return frozenset(
            command.name
            for language in self.languages.values()
            for version in language.versions
            for command in version.commands.dev
            if command.kind == kind
        )


def _schema() -> dict[str, Any]:
    text = resources.files("builder").joinpath("catalog.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _explain(error: jsonschema.ValidationError, schema: Mapping[str, Any]) -> str:
    where = _where(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = sorted(set(error.instance) - set(known))
        if known and unknown:
            hints = "; ".join(f"'{key}'{_did_you_mean(key, known)}" for key in unknown)
            return f"{where}: unknown key {hints}; known keys: {', '.join(sorted(known))}"
    if error.validator == "enum" and isinstance(error.instance, str):
        return f"{where}: {error.message}{_did_you_mean(error.instance, error.validator_value)}"
    if error.validator == "oneOf" and error.schema is schema["$defs"]["base"]:
        return f"{where}: a base needs either 'sources' (bootstrap) or 'image' (pull), not both"
    return f"{where}: {error.message}"


def _validate(data: Any, path: Path) -> None:
    schema = _schema()
    # A version's suite must name a base: say so in the schema, so the error reads like any other.
    if isinstance(data, dict) and isinstance(data.get("bases"), dict) and data["bases"]:
        schema["$defs"]["version"]["properties"]["suite"]["enum"] = sorted(data["bases"])
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [_explain(error, schema) for error in errors[:10]]
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise CatalogError(f"{path}: invalid catalog:\n  " + "\n  ".join(lines) + more)


def _substitute(node: Any, version: str, platform: Platform) -> Any:
    if isinstance(node, str):
        return platform.substitute(node.replace("{version}", version))
    if isinstance(node, list):
        return tuple(_substitute(value, version, platform) for value in node)
    if isinstance(node, dict):
        return {key: _substitute(value, version, platform) for key, value in node.items()}
    return node


def _env(spec: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(spec.pop("env", {}).items()))


def _version(
    name: str, language: dict[str, Any], entry: dict[str, Any], floor: LibraryFloor, platform: Platform
) -> Version:
    v = entry["version"]
    # a version's recipe keys replace the language's, one by one
    dev = _substitute({**language["dev"], **entry.get("dev", {})}, v, platform)
    run = _substitute({**language["run"], **entry.get("run", {})}, v, platform)
    probe = _substitute(language["version"], v, platform)
    tests = tuple(
        SmokeTest(kind=kind, **_substitute(test, v, platform))
        for kind in ("run", "dev", "pair")
        for test in language["tests"][kind]
    )
    fixtures = tuple(
        Fixture(name=key, source=spec["from"], packages=tuple(spec["packages"]), python=spec.get("python", ""))
        for key, spec in sorted(_substitute(entry.get("fixtures", language.get("fixtures", {})), v, platform).items())
    )
    return Version(
        language=name,
        version=v,
        suite=entry["suite"],
        eol=entry.get("eol"),
        latest=entry.get("latest", True),
        probe=VersionProbe(**probe),
        dev=DevSpec(env=_env(dev), **dev),
        run=RunSpec(env=_env(run), floor=floor if run.pop("library_floor", True) else None, **run),
        tests=tests,
        blocked=entry.get("blocked"),
        platforms=tuple(entry["platforms"]),
        fixtures=fixtures,
        example=language["example"]["expect"],
        commands=Commands(
            dev=tuple(_command(spec, v, platform, "tool") for spec in language["commands"]["dev"]),
            run=tuple(_command(spec, v, platform, "runtime") for spec in language["commands"]["run"]),
        ),
    )


def _command(spec: dict[str, Any], version: str, platform: Platform, kind: str) -> Command:
    spec = {"kind": kind, **_substitute(spec, version, platform)}
    return Command(**spec)


def _check_semantics(data: dict[str, Any], path: Path) -> None:
    """What the schema cannot say: unique versions, patterns that compile with a version group."""
    problems = []
    for name, language in data["languages"].items():
        seen: dict[str, int] = {}
        for index, entry in enumerate(language["versions"]):
            where = f"languages.{name}.versions[{index}].version"
            if entry["version"] in seen:
                problems.append(f"{where}: '{entry['version']}' is already versions[{seen[entry['version']]}]")
            seen.setdefault(entry["version"], index)
        where = f"languages.{name}.version.pattern"
        try:
            if "version" not in re.compile(language["version"]["pattern"]).groupindex:
                problems.append(f"{where}: needs a group named version, as (?P<version>…)")
        except re.error as error:
            problems.append(f"{where}: not a regular expression: {error}")
        names = [test["name"] for kind in ("run", "dev", "pair") for test in language["tests"][kind]]
        for test in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"languages.{name}.tests: the name '{test}' is used twice")
        # every version has the fixtures the tests name (its own, or the language's)
        for number, entry in enumerate(language["versions"]):
            own = "fixtures" in entry
            fixtures = entry["fixtures"] if own else language.get("fixtures", {})
            where = f"languages.{name}.versions[{number}].fixtures" if own else f"languages.{name}.fixtures"
            for kind in ("run", "dev", "pair"):
                for index, test in enumerate(language["tests"][kind]):
                    for wanted in test.get("fixtures", ()):
                        problem = (
                            f"languages.{name}.tests.{kind}[{index}].fixtures: '{wanted}' is not in {where}"
                            f"{_did_you_mean(wanted, fixtures)}"
                        )
                        if wanted not in fixtures and problem not in problems:
                            problems.append(problem)
    if problems:
        raise CatalogError(f"{path}: invalid catalog:\n  " + "\n  ".join(problems))


def parse(text: str, path: Path, platform: Platform | None = None) -> Catalog:
    """Validate a catalog's text and build its records, its strings said for platform (this host's
    by default); raise CatalogError naming what is wrong."""
    data = yamlfile.load(text, path)
    _validate(data, path)
    _check_semantics(data, path)
    platform = platform or native()
    defaults = data.get("defaults", {})
    platforms = defaults.get("platforms", ["linux/amd64"])
    libraries = [
        each if isinstance(each, str) else each["name"]
        for each in data["library_floor"]["libraries"]
        if isinstance(each, str) or platform.name in each["platforms"]
    ]
    floor = LibraryFloor(tuple(data["library_floor"]["packages"]), tuple(libraries))
    bases = {
        name: Base(
            name=name,
            suite=spec.get("suite", name),
            sources=tuple(spec.get("sources", ())),
            check_valid_until=spec.get("check_valid_until", True),
            default_release=spec.get("default_release"),
            image=spec.get("image"),
        )
        for name, spec in sorted(data["bases"].items())
    }
    languages = {
        name: Language(
            name=name,
            title=spec["title"],
            homepage=spec["homepage"],
            compare_fat=spec.get("compare_fat", False),
            versions=tuple(
                sorted(
                    (
                        # platforms: the version's, else the language's, else the catalog's
                        _version(name, spec, {"platforms": spec.get("platforms", platforms), **entry}, floor, platform)
                        for entry in spec["versions"]
                    ),
                    key=lambda version: version.key,
                )
            ),
        )
        for name, spec in sorted(data["languages"].items())
    }
    return Catalog(
        path=path,
        registry=defaults.get("registry", "127.0.0.1:5000"),
        namespace=defaults.get("namespace", ""),
        vendor=defaults.get("vendor", "birdhouse"),
        source=defaults.get("source", ""),
        bases=bases,
        library_floor=floor,
        languages=languages,
        platform=platform,
    )


def load(path: Path, platform: Platform | None = None) -> Catalog:
    """Read and parse the catalog at path (a regular file of a sane size, builder.yamlfile)."""
    return parse(yamlfile.read(path), path, platform)
