"""The two seams to the outside, as the stages see them: a Docker engine and a registry. Typed
protocols, so that unit tests drive every stage with small fakes; builder.engine.DockerEngine and
builder.registry.RegistryClient are the real ones."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class RunResult:
    """A container's exit code and output."""

    exit_code: int
    output: str
    archive: bytes | None = None  # the tar of `extract`, when asked for


@dataclass(frozen=True)
class Served:
    """An image as a registry serves it under a tag."""

    digest: str  # the manifest's
    compressed: int  # its config and layers, as the manifest gives them
    image_id: str  # the config's digest: the id the engine gives the image once pulled
    labels: dict[str, str]


class Engine(Protocol):
    """A Docker engine: images, builds, containers, pushes. Errors are builder.errors."""

    def image_id(self, reference: str) -> str | None: ...
    def inspect(self, reference: str) -> dict[str, Any]: ...
    def tag(self, image_id: str, repository: str, tag: str) -> None: ...
    def untag(self, reference: str) -> None: ...
    def image_ids(self, *labels: str) -> list[str]: ...
    def labelled(self, key: str) -> dict[str, dict[str, str]]: ...
    def export(self, image: str) -> AbstractContextManager[tarfile.TarFile]: ...
    def import_tarball(self, tarball: Path, reference: str, changes: list[str]) -> None: ...
    def pull(self, reference: str) -> None: ...
    def build(
        self,
        context: Path,
        log: io.TextIOBase,
        *,
        labels: Mapping[str, str] | None = None,
        nocache: bool = False,
        proxy: str | None = None,
        buildargs: Mapping[str, str] | None = None,
    ) -> str: ...
    def stamp(self, image_id: str, labels: Mapping[str, str], log: io.TextIOBase) -> str: ...
    def run(
        self,
        image: str,
        command: list[str] | None = None,
        *,
        entrypoint: list[str] | None = None,
        user: str | None = None,
        files: Mapping[str, bytes] | None = None,
        extract: str | None = None,
        read_only: bool = False,
        timeout: int = 900,
    ) -> RunResult: ...
    def login(self, registry: str, username: str, password: str) -> None: ...
    def push(self, repository: str, tag: str, log: io.TextIOBase) -> str: ...


class Registry(Protocol):
    """Where images go: a host, a namespace under it, and what it serves."""

    @property
    def host(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def local(self) -> bool: ...
    def repository(self, language: str) -> str: ...
    def served(self, language: str, tag: str) -> Served | None: ...
    def digest(self, language: str, tag: str) -> str | None: ...
    def tag(self, language: str, digest: str, tag: str) -> str: ...
