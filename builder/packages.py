"""The packages a run image tells scanners it holds, read off its files in distroless's layout
(images/context/packages.sh writes it): /etc/os-release, and for each Debian package with files in
the image /var/lib/dpkg/status.d/<package> (its status entry), <package>.md5sums (its files there)
and /usr/share/doc/<package>/copyright. The SBOM lists these packages, and the policy holds the
layout to two rules: every file the image holds of a package is listed under that package, and
every package listed has its files there, as listed. Pure logic over a floor.Tree."""

from __future__ import annotations

import email.parser
import hashlib
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packageurl import PackageURL

from builder.floor import Tree
from builder.policy import rule
from builder.state import CheckResult

STATUS_D = "/var/lib/dpkg/status.d"
OS_RELEASE = "/etc/os-release"
DEP5 = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    architecture: str
    source: str  # its source package
    source_version: str
    files: Mapping[str, str]  # path (from /) -> md5, as status.d lists them
    licenses: tuple[str, ...] = ()  # as its copyright file names them, where it is machine-readable
    homepage: str = ""
    maintainer: str = ""

    def purl(self, distro: Mapping[str, str]) -> str:
        """The package URL scanners and SBOMs name a Debian package by."""
        release = distro.get("VERSION_ID") or distro.get("VERSION_CODENAME", "")  # sid has no VERSION_ID
        qualifiers = {"arch": self.architecture, "distro": f"{distro.get('ID', 'debian')}-{release}"}
        return str(PackageURL("deb", "debian", self.name, self.version, qualifiers).to_string())


def _read(tree: Tree, path: str) -> bytes | None:
    real = tree.resolve(path)
    member = tree.members.get(real) if real else None
    handle = tree.tar.extractfile(member) if member is not None and member.isfile() else None
    return handle.read() if handle else None


def os_release(tree: Tree) -> dict[str, str]:
    """/etc/os-release's fields; empty if the image has none."""
    lines = _text(tree, OS_RELEASE).splitlines()
    fields = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip().strip('"') for key, value in fields}


def licenses(copyright_text: str) -> tuple[str, ...]:
    """The licences a machine-readable (DEP-5) copyright file names, in the order it first names
    them; none for one in free form."""
    paragraphs = re.split(r"\n\s*\n", copyright_text)
    if not paragraphs or not re.match(rf"^Format:\s*{re.escape(DEP5)}", paragraphs[0].lstrip(), re.IGNORECASE | re.M):
        return ()
    found: dict[str, None] = {}
    for paragraph in paragraphs[1:]:
        match = re.search(r"^License:[ \t]*(\S[^\n]*)", paragraph, re.MULTILINE)
        if match and re.search(r"^Files:", paragraph, re.MULTILINE):
            for name in re.split(r"\s+(?:or|and)\s+|\s*[|,]\s*", match.group(1).strip()):
                if name and name.lower() not in ("or", "and", "with"):
                    found.setdefault(name, None)
    return tuple(found)


def _md5sums(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        digest, _, path = line.partition("  ")
        if re.fullmatch(r"[0-9a-f]{32}", digest) and path:
            out["/" + path.lstrip("/")] = digest
    return out


def installed(tree: Tree) -> list[Package]:
    """Every package the image's status.d lists, by name."""
    out = []
    for path in sorted(tree.under(STATUS_D)):
        name = posixpath.basename(path)
        if posixpath.dirname(path) != STATUS_D or name.endswith(".md5sums") or not tree.members[path].isfile():
            continue
        files = _md5sums((_read(tree, f"{path}.md5sums") or b"").decode(errors="replace"))
        out.append(_package(_text(tree, path), name, files, _text(tree, f"/usr/share/doc/{name}/copyright")))
    return out


def in_database(tree: Tree) -> list[Package]:
    """Every package an ordinary dpkg database lists as installed (a dev image's
    /var/lib/dpkg/status), without their files, by name."""
    out = []
    for entry in re.split(r"\n\s*\n", _text(tree, "/var/lib/dpkg/status")):
        fields = email.parser.Parser().parsestr(entry)
        name = fields.get("Package", "")
        if name and (fields.get("Status") or "").endswith(" installed"):
            out.append(_package(entry, name, {}, _text(tree, f"/usr/share/doc/{name}/copyright")))
    return sorted(out, key=lambda package: package.name)


def _text(tree: Tree, path: str) -> str:
    return (_read(tree, path) or b"").decode(errors="replace")


def _package(entry: str, name: str, files: Mapping[str, str], copyright_text: str) -> Package:
    fields = email.parser.Parser().parsestr(entry)
    source, _, source_version = (fields.get("Source") or fields.get("Package") or name).partition(" ")
    version = fields.get("Version", "")
    return Package(
        name=fields.get("Package", name),
        version=version,
        architecture=fields.get("Architecture", ""),
        source=source,
        source_version=source_version.strip("()") or version,
        files=files,
        licenses=licenses(copyright_text),
        homepage=fields.get("Homepage", ""),
        maintainer=fields.get("Maintainer", ""),
    )


def md5(tree: Tree, path: str) -> str | None:
    """The md5 of a regular file of the image (at its real path); None if there is none."""
    data = _read(tree, path)
    return hashlib.md5(data, usedforsecurity=False).hexdigest() if data is not None else None


def check(tree: Tree, packages: list[Package], shipped: Mapping[str, Iterable[str]]) -> list[CheckResult]:
    """The layout's rules. shipped: the files of the suite's packages, as their md5sums list them
    (path from / -> md5s), from the image's dev image (the same suite and day): a file of the
    image that is one of them, byte for byte, must be listed in status.d."""
    results = []
    distro = os_release(tree)
    missing = [what for what, ok in ((OS_RELEASE, bool(distro.get("ID"))), (STATUS_D, bool(packages))) if not ok]
    results.append(rule("package-metadata", missing, "scanners find no"))

    listed = {path for package in packages for path in package.files}
    wrong = []
    for package in packages:
        if not package.files:
            wrong.append(f"{package.name} (no file)")
        for path, digest in sorted(package.files.items()):
            real = tree.resolve(path)
            if real != path or md5(tree, path) != digest:
                wrong.append(f"{package.name}: /{path.lstrip('/')} ({'missing' if real is None else 'differs'})")
    results.append(rule("packages-have-their-files", wrong, "status.d lists what the image lacks"))

    uncovered = []
    for path in sorted(tree.members):
        if path in listed or not tree.members[path].isfile():
            continue
        digests = shipped.get(path)
        if digests and md5(tree, path) in set(digests):
            uncovered.append(path)
    results.append(rule("files-have-their-packages", uncovered, "files of packages status.d does not list"))
    return results


def shipped_files(md5sums: str, tree: Tree) -> dict[str, list[str]]:
    """The dev image's md5sums lines ("<md5>  <path>", as `cat /var/lib/dpkg/info/*.md5sums` gives
    them), keyed by each path's real path in the run image (merged /usr: lib/x.so is usr/lib/x.so)."""
    out: dict[str, list[str]] = {}
    for line in md5sums.splitlines():
        digest, _, path = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{32}", digest) or not path:
            continue
        path = "/" + path.lstrip("/")
        parent = tree.resolve(posixpath.dirname(path)) or posixpath.dirname(path)
        out.setdefault(posixpath.join(parent, posixpath.basename(path)), []).append(digest)
    return out
