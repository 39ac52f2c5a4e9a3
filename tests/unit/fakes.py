"""Typed fakes of the two seams (builder.seams): an engine and a registry that keep images in
memory, so that unit tests drive every decision and stage, failures included, without Docker.

The engine answers the sample catalog's version probes and smoke tests as a good image would;
a test breaks what it wants broken (a build, a test, a push, the registry)."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import tarfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from builder import labels as names
from builder.catalog import Catalog
from builder.errors import BuildError, HostError, TransientError
from builder.platforms import AMD64, Platform
from builder.seams import RunResult, Served
from builder.smoketest import ANY_UID, NONROOT

VERSIONS = {"node": "v{}.20.4", "python": "Python {}.5"}  # what the sample's probes print


DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(manifest: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(repr(manifest).encode()).hexdigest()


@dataclass
class Image:
    labels: dict[str, str]
    size: int = 50_000_000
    architecture: str = "amd64"


@dataclass
class FakeRegistry:
    """A registry serving what FakeEngine pushes; `down` makes it stop answering."""

    host: str = "registry.test"
    username: str | None = None
    password: str | None = None
    down: bool = False
    manifests: dict[tuple[str, str], Served] = field(default_factory=dict)  # (language, tag) -> what it serves
    indexes: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)  # -> platform -> entry
    architectures: dict[str, str] = field(default_factory=dict)  # an image's digest -> its config's (default amd64)
    asked: list[str] = field(default_factory=list)
    tagged: list[str] = field(default_factory=list)  # language:tag, pointed at a manifest there
    documents: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # other manifests (ledgers)
    offers_referrers: bool = False  # the OCI 1.1 referrers API
    refuses_attachments: bool = False  # takes no manifest with a subject (an SBOM, a provenance)
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return False

    @property
    def auth(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password} if self.username and self.password else None

    def repository(self, language: str) -> str:
        return f"{self.host}/{language}"

    def _answer(self, what: str) -> None:
        self.asked.append(what)
        if self.down:
            raise TransientError(f"reading https://{self.host}/v2/{what}: connection refused")

    def ping(self) -> None:
        if self.down:
            raise HostError(f"the registry at {self.host} does not answer (connection refused)")

    def served(self, language: str, tag: str, platform: Platform = AMD64) -> Served | None:
        self._answer(f"{language}/manifests/{tag}")
        if (language, tag) in self.indexes:
            entry = self.indexes[(language, tag)].get(platform.name)
            image = self._image(language, entry["digest"]) if entry else None
            return replace(image, index=_digest(self.indexes[(language, tag)])) if image else None
        served = self.manifests.get((language, tag))
        if served and self.architectures.get(served.digest, "amd64") != platform.architecture:
            return None
        return served

    def _image(self, language: str, digest: str) -> Served | None:
        return next((s for (lang, _), s in self.manifests.items() if lang == language and s.digest == digest), None)

    def digest(self, language: str, tag: str) -> str | None:
        self._answer(f"HEAD {language}/manifests/{tag}")
        if (language, tag) in self.indexes:
            return _digest(self.indexes[(language, tag)])
        served = self.manifests.get((language, tag))
        document = self.documents.get((language, tag))
        return served.digest if served else _digest(document) if document else None

    def entries(self, language: str, tag: str) -> tuple[str, dict[str, dict[str, Any]]]:
        self._answer(f"{language}/manifests/{tag}")
        if (language, tag) in self.indexes:
            return _digest(self.indexes[(language, tag)]), dict(self.indexes[(language, tag)])
        served = self.manifests.get((language, tag))
        if served is None:
            return "", {}
        architecture = self.architectures.get(served.digest, "amd64")
        platform = {"architecture": architecture, "os": "linux"}
        entry = {"mediaType": DOCKER_MANIFEST, "digest": served.digest, "size": 1234, "platform": platform}
        return "", {f"linux/{architecture}": entry}

    def put_index(self, language: str, tag: str, manifests: list[dict[str, Any]]) -> str:
        self._answer(f"PUT {language}/manifests/{tag}")
        self.indexes[(language, tag)] = {f"linux/{m['platform']['architecture']}": m for m in manifests}
        self.manifests.pop((language, tag), None)
        self.tagged.append(f"{language}:{tag}")
        return _digest(self.indexes[(language, tag)])

    def tags(self, language: str) -> list[str]:
        return sorted({tag for (lang, tag) in [*self.manifests, *self.documents, *self.indexes] if lang == language})

    def blob(self, language: str, digest: str) -> bytes | None:
        return self.blobs.get(digest)

    def manifest(self, language: str, reference: str) -> dict[str, Any] | None:
        """A document by its tag or, as a registry serves any manifest, by its digest."""
        by_digest = (doc for (lang, _), doc in self.documents.items() if lang == language and _digest(doc) == reference)
        return self.documents.get((language, reference)) or next(by_digest, None)

    def put_blob(self, language: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def descriptor(self, language: str, reference: str) -> dict[str, Any] | None:
        self._answer(f"{language}/manifests/{reference}")
        served = next((s for (lang, tag), s in self.manifests.items() if reference in (tag, s.digest)), None)
        return {"mediaType": DOCKER_MANIFEST, "digest": served.digest, "size": 1234} if served else None

    def referrers(self, language: str, digest: str) -> list[dict[str, Any]] | None:
        if not self.offers_referrers:
            return None
        return [
            {"digest": reference, "artifactType": manifest.get("artifactType")}
            for (lang, reference), manifest in self.documents.items()
            if lang == language and manifest.get("subject", {}).get("digest") == digest
        ]

    def put_manifest(self, language: str, reference: str | None, manifest: dict[str, Any]) -> str:
        if self.refuses_attachments and "subject" in manifest:
            return ""
        digest = _digest(manifest)
        self.documents[(language, reference or digest)] = manifest
        return digest

    def delete(self, language: str, digest: str) -> None:
        for key in [key for key, index in self.indexes.items() if key[0] == language and _digest(index) == digest]:
            del self.indexes[key]
        for key in [key for key, served in self.manifests.items() if key[0] == language and served.digest == digest]:
            del self.manifests[key]
        for key in [
            key for key, document in self.documents.items() if key[0] == language and _digest(document) == digest
        ]:
            del self.documents[key]


@dataclass
class FakeEngine:
    """An engine of in-memory images. Builds take their labels and version from the catalog;
    containers answer the catalog's probes and tests; pushes go to registry."""

    catalog: Catalog
    registry: FakeRegistry
    images: dict[str, Image] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)  # repository:tag -> image id
    broken_builds: set[str] = field(default_factory=set)
    unreproducible: set[str] = field(
        default_factory=set
    )  # run images whose rebuilds differ  # target ids whose build fails
    broken_tests: set[str] = field(default_factory=set)  # test names that fail
    missing_commands: set[str] = field(default_factory=set)  # names no image answers to
    broken_example: bool = False  # the language's example does not build
    push_failures: list[Exception] = field(default_factory=list)  # raised by the next pushes, in turn
    builds: list[str] = field(default_factory=list)  # target ids, in the order built
    examples: list[str] = field(default_factory=list)  # the run images whose language's example was built
    pushes: list[str] = field(default_factory=list)  # references, in the order pushed
    pulls: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def add(self, marks: dict[str, str]) -> str:
        """A new image with these labels; its id."""
        image_id = f"sha256:{next(self._ids):064x}"
        self.images[image_id] = Image(dict(marks))
        return image_id

    def _resolve(self, reference: str) -> str | None:
        return reference if reference in self.images else self.references.get(reference)

    # images

    def image_id(self, reference: str) -> str | None:
        return self._resolve(reference)

    def inspect(self, reference: str) -> dict[str, Any]:
        image_id = self._resolve(reference)
        if image_id is None:
            raise HostError(f"no such image: {reference}")
        image = self.images[image_id]
        return {"Id": image_id, "Size": image.size, "Config": {"Labels": image.labels, "User": "65532:65532"}}

    def tag(self, image_id: str, repository: str, tag: str) -> None:
        self.references[f"{repository}:{tag}"] = image_id

    def untag(self, reference: str) -> None:
        self.references.pop(reference, None)

    def image_ids(self, *wanted: str) -> list[str]:
        pairs = [label.split("=", 1) for label in wanted]
        return [i for i, image in self.images.items() if all(image.labels.get(k) == v for k, v in pairs)]

    def labelled(self, key: str) -> dict[str, dict[str, str]]:
        newest_first = reversed(list(self.images.items()))
        return {image_id: dict(image.labels) for image_id, image in newest_first if key in image.labels}

    @contextmanager
    def export(self, image: str) -> Iterator[tarfile.TarFile]:
        """A clean run image's files: its runtime, the library floor, a CA bundle, passwd, and the
        runtime's package listed for scanners."""
        files = {"etc/ssl/certs/ca-certificates.crt": b"-----BEGIN CERTIFICATE-----", "etc/passwd": b"nonroot"}
        files |= {f"usr/lib/x86_64-linux-gnu/{name}": b"lib" for name in self.catalog.library_floor.libraries}
        files |= {"usr/bin/runtime": b"runtime", "etc/os-release": b'ID=debian\nVERSION_ID="13"\n'}
        status = b"Package: runtime\nVersion: 1.0-1\nArchitecture: amd64\n"
        sums = f"{hashlib.md5(b'runtime', usedforsecurity=False).hexdigest()}  usr/bin/runtime\n".encode()
        files |= {"var/lib/dpkg/status.d/runtime": status, "var/lib/dpkg/status.d/runtime.md5sums": sums}
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        buffer.seek(0)
        with tarfile.open(fileobj=buffer) as tar:
            yield tar

    def import_tarball(self, tarball: Path, reference: str, changes: list[str]) -> None:
        self.references[reference] = self.add({})

    def pull(self, reference: str, auth: Mapping[str, str] | None = None) -> None:
        repository, at, digest = reference.partition("@")  # by digest: that image
        repository, _, tag = (repository if at else reference).rpartition(":")
        language = repository.rsplit("/", 1)[-1]
        served = self.registry._image(language, digest) if at else self.registry.served(language, tag)
        if served is None:
            raise HostError(f"cannot pull {reference}: not found")
        self.pulls.append(reference)
        self.images[served.image_id] = Image(dict(served.labels))
        self.references[reference] = served.image_id

    # builds

    def build(
        self,
        context: Path,
        log: io.TextIOBase,
        *,
        labels: Mapping[str, str] | None = None,
        nocache: bool = False,
        proxy: str | None = None,
        buildargs: Mapping[str, str] | None = None,
    ) -> str:
        if context.name == "example":  # a language's example, FROM the dev and run images under test
            if self.broken_example:
                raise BuildError("build of example: the command '/bin/sh -c c++ birds.cpp' returned 1", log="error\n")
            run = self.images[(buildargs or {})["RUN"]]
            self.examples.append(run.labels.get(names.ID, ""))
            return self.add({names.ID: run.labels.get(names.ID, ""), "example": "yes"})
        target_id = context.name
        if target_id in self.broken_builds:
            raise BuildError(f"build of {target_id}: apt-get failed", log="E: Unable to locate package\n")
        self.builds.append(target_id)
        return self.add(dict(labels or {}))

    def stamp(self, image_id: str, labels: Mapping[str, str], log: io.TextIOBase, architecture: str = "amd64") -> str:
        stamped = self.add({**self.images[image_id].labels, **labels})
        self.images[stamped].architecture = architecture
        return stamped

    def reproducible(self, image_id: str, labels: Mapping[str, str], architecture: str = "amd64") -> str:
        """As the engine's: its labels those given, the created one a fixed time, no revision; its
        id theirs (unless the image's id is in unreproducible: a new one each time)."""
        fixed = {k: v for k, v in labels.items() if k != "org.opencontainers.image.revision"}
        marks = {**self.images[image_id].labels, **fixed, names.CREATED: "2026-11-24T17:41:07Z"}
        if marks.get(names.ID) in self.unreproducible:
            made = self.add(marks)
            self.images[made].architecture = architecture
            return made
        same = "sha256:" + hashlib.sha256(json.dumps([marks, architecture], sort_keys=True).encode()).hexdigest()
        self.images[same] = Image(marks, architecture=architecture)
        return same

    # containers

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
    ) -> RunResult:
        """What a good image prints: its version to a probe, a test's expected output to a test
        (as the uid it runs as); the dev half of a pair test leaves an empty /out."""
        words = [*(entrypoint or []), *(command or [])]
        marks = self.images[self._resolve(image) or image].labels
        language, version = marks.get(names.ID, "").split("-")[:2]
        entry = next(v for v in self.catalog.languages[language].versions if v.version == version)
        if extract:
            return RunResult(0, "", archive=b"")
        if marks.get("example"):
            return RunResult(0, entry.example + "\n")
        if entrypoint and entrypoint[0] in self.missing_commands:
            return RunResult(127, f'exec: "{entrypoint[0]}": executable file not found in $PATH')
        for test in entry.tests:
            if words in ([*test.entrypoint, *test.args], list(test.command)) or words == list(test.args):
                output = test.expect.replace(NONROOT, ANY_UID) if user and user.startswith(ANY_UID) else test.expect
                return RunResult(1, "it broke") if test.name in self.broken_tests else RunResult(0, output + "\n")
        return RunResult(0, VERSIONS[language].format(version) + "\n")

    # registry

    def push(self, repository: str, tag: str, log: io.TextIOBase, auth: Mapping[str, str] | None = None) -> str:
        if self.push_failures:
            raise self.push_failures.pop(0)
        image_id = self.references[f"{repository}:{tag}"]
        digest = "sha256:" + image_id.removeprefix("sha256:")[::-1]  # one manifest per image, whatever its tags
        self.pushes.append(f"{repository}:{tag}")
        served = Served(digest, 10_000_000, image_id, dict(self.images[image_id].labels))
        self.registry.manifests[(repository.rsplit("/", 1)[-1], tag)] = served
        self.registry.architectures[digest] = self.images[image_id].architecture
        return digest
