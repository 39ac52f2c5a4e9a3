"""The closure floor of a run image: the bytes its runtime cannot do without.

Computed from the image's own files, independently of how they were put there: the entrypoint
and the catalog's paths (with everything under them), the CA bundle and zoneinfo, plus the ELF
closure of every ELF file among them (PT_INTERP, DT_NEEDED, resolved through DT_RUNPATH/DT_RPATH
and the default library folders, as the loader does). Image size ÷ floor is the closure overhead."""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Iterable

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from builder.platforms import PLATFORMS

LIBRARY_PATH = (
    *(folder for p in PLATFORMS.values() for folder in (f"/lib/{p.triplet}", f"/usr/lib/{p.triplet}")),
    "/lib64",
    "/lib",
    "/usr/lib",
)


class Tree:
    """An image's files, read from its `docker export` tar, with symlinks resolved as in the image."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members = {"/" + m.name.removeprefix("./").rstrip("/"): m for m in tar.getmembers()}
        # folders the tar may hold entries under without an entry of their own
        self.folders = {posixpath.dirname(path) for path in self.members}

    def resolve(self, path: str, depth: int = 0) -> str | None:
        """path with every symlink in it followed; None if it leads nowhere (or loops)."""
        if depth > 40:
            return None
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        current = "/"
        for index, part in enumerate(parts):
            candidate = posixpath.join(current, part)
            member = self.members.get(candidate)
            if member is None:
                if index == len(parts) - 1 and candidate not in self.folders:
                    return None
                current = candidate  # a folder the tar has no entry of, only entries under it
                continue
            if member.issym():
                target = posixpath.join(current, member.linkname)
                rest = "/".join(parts[index + 1 :])
                return self.resolve(posixpath.join(target, rest) if rest else target, depth + 1)
            current = candidate
        return current

    def under(self, folder: str) -> Iterable[str]:
        prefix = folder.rstrip("/") + "/"
        return (path for path in self.members if path.startswith(prefix))

    def size(self, path: str) -> int:
        member = self.members[path]
        return member.size if member.isfile() else 0

    def elf_needs(self, path: str) -> tuple[str | None, list[str], list[str]]:
        """(interpreter, DT_NEEDED names, search folders) of an ELF file; (None, [], []) otherwise."""
        member = self.members[path]
        handle = self.tar.extractfile(member) if member.isfile() else None
        if handle is None or handle.read(4) != b"\x7fELF":
            return None, [], []
        handle.seek(0)
        try:
            elf = ELFFile(io.BytesIO(handle.read()))
            segments = elf.iter_segments()
            interp = next((s.get_interp_name() for s in segments if s["p_type"] == "PT_INTERP"), None)  # type: ignore[attr-defined]
            needed: list[str] = []
            search: list[str] = []
            for section in elf.iter_sections():
                if isinstance(section, DynamicSection):
                    for tag in section.iter_tags():
                        if tag.entry.d_tag == "DT_NEEDED":
                            needed.append(tag.needed)  # type: ignore[attr-defined]
                        elif tag.entry.d_tag in ("DT_RUNPATH", "DT_RPATH"):
                            origin = posixpath.dirname(path)
                            runpath = tag.runpath if tag.entry.d_tag == "DT_RUNPATH" else tag.rpath  # type: ignore[attr-defined]
                            search += [p.replace("$ORIGIN", origin) for p in runpath.split(":") if p]
        except ELFError:
            return None, [], []
        return interp, needed, search

    def library(self, name: str) -> str | None:
        """Where the loader finds a shared library by name in the default folders, if anywhere."""
        return next((real for folder in LIBRARY_PATH if (real := self.resolve(posixpath.join(folder, name)))), None)


def closure(tree: Tree, roots: Iterable[str], wanted: frozenset[str] = frozenset()) -> frozenset[str]:
    """The real paths of the roots (files, or folders with all under them) and of their ELF
    closure, added to wanted (a closure already taken)."""
    found = set(wanted)
    pending: list[str] = []
    for root in roots:
        real = tree.resolve(root)
        if real is None:
            continue
        pending += [real, *(tree.resolve(p) or p for p in tree.under(real))]
    while pending:
        path = pending.pop()
        if path in found or path not in tree.members:
            continue
        found.add(path)
        interp, needed, search = tree.elf_needs(path)
        if interp and (real := tree.resolve(interp)):
            pending.append(real)
        for name in needed:
            for folder in (*search, *LIBRARY_PATH):
                if real := tree.resolve(posixpath.join(folder, name)):
                    pending.append(real)
                    break
    return frozenset(found)


def size(tree: Tree, paths: Iterable[str]) -> int:
    return sum(tree.size(path) for path in paths)


def floor(tar: tarfile.TarFile, roots: Iterable[str]) -> int:
    """Bytes of the roots (files, or folders with all under them) and their ELF closure."""
    tree = Tree(tar)
    return size(tree, closure(tree, roots))
