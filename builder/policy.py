"""What every run image must be, read off its files: no shell, no package manager (nor its
database: the packages are listed for scanners in /var/lib/dpkg/status.d alone), no compiler, no
setuid or setgid file, no headers or static libraries, and a CA bundle. Pure logic over the
image's file list (Engine.export gives it), so each rule is tested without Docker. The compilers and
package managers are those every language of the catalog declares (its dev commands' kinds:
Catalog.toolchain), and the system's own below."""

from __future__ import annotations

import re
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from builder.state import CheckResult

CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")
SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "toybox"}
# the system's package managers, and the toolchain under every compiler
SYSTEM_PACKAGE_MANAGERS = frozenset({"dpkg", "apt", "apt-get", "aptitude", "apk", "rpm", "yum", "dnf", "microdnf"})
SYSTEM_COMPILERS = frozenset({"cpp", "cc1", "cc1plus", "ld", "ld.bfd", "ld.gold", "as", "clang", "clang++", "tcc"})
PACKAGE_DATABASES = ("var/lib/dpkg", "var/lib/apt", "etc/apt", "var/cache/apt", "lib/apk", "var/lib/rpm")
# what scanners read instead of a database, in distroless's layout (builder.packages): files directly
# in it are the one thing under PACKAGE_DATABASES a run image may hold
STATUS_D = "var/lib/dpkg/status.d"
DEV_FILE = re.compile(r"\.(?:h|hh|hpp|hxx|a)$")
SHARED_LIBRARY = re.compile(r"\.so(?:\.[0-9]+)*$")


@dataclass(frozen=True)
class Entry:
    """One file of an image: its path without a leading slash, mode, size and kind."""

    path: str
    mode: int = 0o644
    size: int = 0
    kind: str = "file"  # file, dir, symlink, other

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def in_bin(self) -> bool:
        return self.path.rsplit("/", 1)[0] in BIN_DIRS if "/" in self.path else False


def entries(tar: tarfile.TarFile) -> list[Entry]:
    """The entries of an image's filesystem tar (`docker export`)."""
    out = []
    for member in tar:
        kind = "file" if member.isfile() else "dir" if member.isdir() else "symlink" if member.issym() else "other"
        out.append(Entry(member.name.removeprefix("./").lstrip("/"), member.mode, member.size, kind))
    return out


def _rule(name: str, offenders: Iterable[Entry], what: str) -> CheckResult:
    return rule(name, [f"/{path}" for path in sorted({entry.path for entry in offenders})], what)


def rule(name: str, found: list[str], what: str) -> CheckResult:
    """A policy check that passes when nothing is found, and else says what, with the first few."""
    if not found:
        return CheckResult(name, "policy", True)
    return CheckResult(name, "policy", False, f"{what}: {few(found)}")


def few(found: list[str], shown: int = 8) -> str:
    """The first of found, and how many more there are."""
    return ", ".join(found[:shown]) + (f" and {len(found) - shown} more" if len(found) > shown else "")


def check(
    files: list[Entry], compilers: Iterable[str] = frozenset(), package_managers: Iterable[str] = frozenset()
) -> list[CheckResult]:
    """Every rule over an image's files, then the CA bundle's presence; compilers and
    package_managers: the catalog's, beside the system's."""
    managers = SYSTEM_PACKAGE_MANAGERS | set(package_managers)
    names = "|".join(sorted(re.escape(name) for name in SYSTEM_COMPILERS | set(compilers)))
    compiler = re.compile(rf"^(?:[a-z0-9_]+-linux-gnu[a-z]*-)?(?:{names})(?:-[0-9.]+)?$")  # x86_64-linux-gnu-gcc-14

    def package_manager(entry: Entry) -> bool:
        folder = entry.path.rsplit("/", 1)[0]
        if (entry.kind == "dir" and entry.path in ("var/lib/dpkg", STATUS_D)) or (
            entry.kind == "file" and folder == STATUS_D
        ):
            return False
        in_database = any(entry.path == db or entry.path.startswith(db + "/") for db in PACKAGE_DATABASES)
        return in_database or (entry.in_bin and entry.name in managers)

    def a_compiler(entry: Entry) -> bool:
        return entry.kind != "dir" and bool(compiler.match(entry.name)) and (entry.in_bin or "/gcc/" in entry.path)

    rules: dict[str, tuple[Callable[[Entry], bool], str]] = {
        "no-shell": (lambda e: e.kind != "dir" and e.name in SHELLS, "a shell is in the image"),
        "no-package-manager": (package_manager, "a package manager or its database is in the image"),
        "no-compiler": (a_compiler, "a compiler is in the image"),
        "no-setuid": (lambda e: e.kind == "file" and bool(e.mode & 0o6000), "setuid or setgid files"),
        "no-headers-or-static-libraries": (
            lambda e: e.kind == "file" and bool(DEV_FILE.search(e.name)),
            "headers or static libraries",
        ),
    }
    results = [_rule(name, filter(test, files), what) for name, (test, what) in rules.items()]
    bundle = any(e.path == CA_BUNDLE and e.kind == "file" and e.size > 0 for e in files)
    results.append(CheckResult("ca-bundle", "policy", bundle, "" if bundle else f"/{CA_BUNDLE} is missing"))
    return results


def library_floor(missing: Iterable[str]) -> CheckResult:
    """The catalog's library floor is whole: missing names the libraries the loader cannot find."""
    missing = sorted(missing)
    return CheckResult(
        "library-floor", "policy", not missing, f"the library floor lacks {', '.join(missing)}" if missing else ""
    )


def static_only(files: list[Entry]) -> CheckResult:
    """An image for static binaries (no library floor) holds no shared library, no loader."""
    shared = (e for e in files if e.kind != "dir" and SHARED_LIBRARY.search(e.name))
    return _rule("no-shared-libraries", shared, "a shared library in an image for static binaries")
