"""The one seam to Docker: a DockerEngine owns a docker.DockerClient, and reads its streams as data.

Any `error` in a build or push stream raises, with the log attached; nothing else here prints."""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import docker
import docker.errors
import requests
import urllib3

from builder import labels, reproduce
from builder.errors import BuildError, HostError, PublishError, TransientError
from builder.seams import RunResult

# What a registry or the network says when trying again may help.
TRANSIENT = re.compile(
    r"\b(5\d\d|timeout|timed out|connection reset|connection refused|broken pipe|EOF|connection broken|"
    r"temporarily unavailable|too many requests|429)\b",
    re.IGNORECASE,
)


def tar_folder(folder: Path) -> bytes:
    """What folder holds, as a tar of relative paths, owned by root, timestamps zeroed."""

    def normalize(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = 0
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name, filter=normalize)
    return buffer.getvalue()


# What docker-py lets through when the engine goes away mid-call (restarted, stopped, its socket gone)
GONE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
)
Call = TypeVar("Call", bound=Callable[..., Any])
T = TypeVar("T")


def _guarded(method: Call) -> Call:
    """method, with an engine that goes away said in a sentence (HostError), not a traceback."""

    @functools.wraps(method)
    def guarded(self: DockerEngine, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except GONE as error:
            raise HostError(f"the Docker engine went away ({method.__name__}: {type(error).__name__}): "
                            "`make setup` starts it again") from None  # fmt: skip

    return cast(Call, guarded)


def _every_call_guarded(cls: type[T]) -> type[T]:
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _guarded(member))
    return cls


@_every_call_guarded
class DockerEngine:
    """A Docker engine (builder.seams.Engine): DOCKER_HOST, or the local socket. A call cut by the
    engine going away raises HostError, whatever the call."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.api = client.api

    @classmethod
    def connect(cls) -> DockerEngine:
        try:
            client = docker.from_env(timeout=600)
            client.ping()
        except (docker.errors.DockerException, requests.RequestException) as error:
            raise HostError(
                f"no Docker engine answers ({error}); `make setup` installs and starts one, or set DOCKER_HOST"
            ) from None
        return cls(client)

    # images

    def image_id(self, reference: str) -> str | None:
        try:
            image_id: str = self.api.inspect_image(reference)["Id"]
        except docker.errors.ImageNotFound:
            return None
        return image_id

    def inspect(self, reference: str) -> dict[str, Any]:
        attrs: dict[str, Any] = self.api.inspect_image(reference)
        return attrs

    def tag(self, image_id: str, repository: str, tag: str) -> None:
        self.api.tag(image_id, repository, tag, force=True)

    def untag(self, reference: str) -> None:
        try:
            self.api.remove_image(reference, noprune=False)
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as error:
            if error.status_code != 409:  # in use by a container: leave it
                raise

    def image_ids(self, *labels: str) -> list[str]:
        """The ids of the images that carry every label (key=value)."""
        return [image["Id"] for image in self.api.images(filters={"label": list(labels)})]

    def labelled(self, key: str) -> dict[str, dict[str, str]]:
        """Every image carrying label key, newest first, with its labels: one listing for all
        (asking for each image by label costs the engine a scan of every image). An image built
        FROM one of ours (an app, an example) carries its labels but not its size: it is left out."""
        images = sorted(self.api.images(filters={"label": key}), key=lambda image: -int(image.get("Created", 0)))
        return {
            image["Id"]: dict(image.get("Labels") or {})
            for image in images
            if (image.get("Labels") or {}).get(labels.SIZE, str(image.get("Size"))) == str(image.get("Size"))
        }

    def references(self, label: str) -> list[str]:
        """Every repository:tag whose image carries label (key or key=value)."""
        images = self.api.images(filters={"label": label})
        return sorted(tag for image in images for tag in image.get("RepoTags") or [] if tag != "<none>:<none>")

    @contextmanager
    def export(self, image: str) -> Iterator[tarfile.TarFile]:
        """image's filesystem as `docker export` of a container of it gives it, as a seekable tar."""
        # never started: the command is only there because an image without one cannot be created
        container = self.api.create_container(
            image, command=["/birdhouse-export"], labels={labels.TEST: "1"}, network_disabled=True
        )
        try:
            with tempfile.TemporaryFile() as spool:
                try:
                    for chunk in self.api.export(container):
                        spool.write(chunk)
                except GONE as error:
                    raise HostError(f"the Docker engine went away (export: {type(error).__name__})") from None
                spool.seek(0)
                with tarfile.open(fileobj=spool, mode="r:") as tar:
                    yield tar
        finally:
            with contextlib.suppress(*GONE, docker.errors.APIError):
                self.api.remove_container(container, force=True)

    def reproducible(self, image_id: str, labels: Mapping[str, str], architecture: str = "amd64") -> str:
        """image_id saved, rewritten by builder.reproduce (its times those its packages fix, labels
        given, the architecture it is for) and loaded again; the loaded image's id, which is its
        config's digest."""
        return self._resave(image_id, lambda saved, out: reproduce.normalize(saved, out, labels, architecture))

    def _resave(self, image_id: str, rewrite: Callable[[IO[bytes], IO[bytes]], str]) -> str:
        """image_id saved, rewritten (rewrite writes the archive to load, and says its image id) and
        loaded again; the loaded image's id."""
        with tempfile.TemporaryFile() as saved, tempfile.TemporaryFile() as rewritten:
            try:
                for chunk in self.api.get_image(image_id):
                    saved.write(chunk)
                saved.seek(0)
                expected = rewrite(saved, rewritten)
                rewritten.seek(0)
                said = "".join(str(line.get("stream", "")) for line in self.api.load_image(rewritten))
            except GONE as error:
                raise HostError(f"the Docker engine went away (save and load: {type(error).__name__})") from None
        if expected not in said:
            raise BuildError(f"{image_id[:19]}: loading it rewritten gave {said.strip()!r}, not {expected}")
        return expected

    def import_tarball(self, tarball: Path, reference: str, changes: list[str]) -> None:
        repository, tag = reference.rsplit(":", 1)
        self.api.import_image_from_file(str(tarball), repository=repository, tag=tag, changes=changes)

    def pull(self, reference: str, auth: Mapping[str, str] | None = None) -> None:
        try:
            self.client.images.pull(reference, auth_config=dict(auth) if auth else None)
        except docker.errors.APIError as error:
            raise HostError(f"cannot pull {reference}: {error.explanation or error}") from None

    # builds

    def _stream(self, chunks: Iterator[dict[str, Any]], log: io.TextIOBase, what: str) -> str | None:
        image_id = None
        tail: list[str] = []
        for chunk in chunks:
            if "error" in chunk or "errorDetail" in chunk:
                message = chunk.get("error") or chunk["errorDetail"].get("message", "")
                log.write(f"ERROR: {message}\n")
                raise BuildError(f"{what}: {message.strip()}", log="".join(tail[-40:]))
            text = chunk.get("stream") or chunk.get("status") or ""
            if text:
                log.write(text)
                tail.append(text)
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = aux["ID"]
            match = re.match(r"Successfully built ([0-9a-f]+)", text)
            if match and image_id is None:
                image_id = match.group(1)
        return image_id

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
        """Build context/Dockerfile (with buildargs); return the image id. A failed step raises
        BuildError. With proxy (an apt cache on the engine's host), the build's RUN steps use the
        host's network and reach it as http_proxy; the proxy is no build input and stays out of the image."""
        chunks = self.api.build(
            path=str(context),
            rm=True,
            forcerm=True,
            decode=True,
            nocache=nocache,
            labels=dict(labels or {}),
            buildargs={**(buildargs or {}), **({"http_proxy": proxy} if proxy else {})} or None,
            network_mode="host" if proxy else None,
        )
        image_id = self._stream(chunks, log, f"build of {context.name}")
        if not image_id:
            raise BuildError(f"build of {context.name}: the engine reported no image")
        return self.image_id(image_id) or image_id

    def stamp(self, image_id: str, labels: Mapping[str, str], log: io.TextIOBase, architecture: str = "amd64") -> str:
        """A copy of image_id with labels added: a metadata-only build, no new layer; its config
        says architecture (saved and loaded again where the builder said another)."""
        dockerfile = io.BytesIO(f"FROM {image_id}\n".encode())
        chunks = self.api.build(fileobj=dockerfile, rm=True, decode=True, labels=dict(labels))
        stamped = self._stream(chunks, log, f"labelling {image_id[:19]}")
        if not stamped:
            raise BuildError(f"labelling {image_id[:19]}: the engine reported no image")
        stamped = self.image_id(stamped) or stamped
        if self.inspect(stamped).get("Architecture") != architecture:
            labelled = stamped
            stamped = self._resave(labelled, lambda saved, out: reproduce.retarget(saved, out, architecture))
            # the copy saying the engine's architecture goes (its build cache, its parents, stays)
            with contextlib.suppress(docker.errors.APIError):
                self.api.remove_image(labelled, noprune=True)
        return stamped

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
        """Run a container with no network and return its exit code and output.

        files maps a folder (/tests) to a tar of what goes in it: each folder is a fresh volume,
        so this works on a read-only root filesystem (read_only, with /tmp a tmpfs) and against a
        remote engine alike. extract names one of those folders to return as a tar afterwards.
        The container and its volumes are removed whatever happens."""
        folders = dict(files or {})
        if extract:
            folders.setdefault(extract, b"")
        volumes = {folder: self.api.create_volume(labels={labels.TEST: "1"})["Name"] for folder in folders}
        container = None
        try:
            container = self.api.create_container(
                image,
                command=command,
                entrypoint=entrypoint,
                user=user or "",
                network_disabled=True,
                labels={labels.TEST: "1"},
                volumes=list(volumes),
                host_config=self.api.create_host_config(
                    network_mode="none",
                    read_only=read_only,
                    tmpfs={"/tmp": "mode=1777"} if read_only else None,
                    binds={name: {"bind": folder, "mode": "rw"} for folder, name in volumes.items()},
                ),
            )
            for folder, tar in folders.items():
                if tar:
                    self.api.put_archive(container, folder, tar)
            self.api.start(container)
            try:
                exit_code = self.api.wait(container, timeout=timeout)["StatusCode"]
            except requests.exceptions.RequestException:
                self.api.kill(container)
                return RunResult(124, f"timed out after {timeout}s")
            output = self.api.logs(container, stdout=True, stderr=True).decode(errors="replace")
            if not (extract and exit_code == 0):
                return RunResult(exit_code, output)
            stream, _ = self.api.get_archive(container, f"{extract}/.")
            return RunResult(exit_code, output, b"".join(stream))
        except docker.errors.APIError as error:
            return RunResult(125, f"the engine refused to run {image}: {error.explanation or error}")
        finally:
            if container is not None:
                self.api.remove_container(container, force=True)
            for name in volumes.values():
                self.api.remove_volume(name, force=True)

    # debugging (builder.debug)

    def container(self, reference: str) -> str | None:
        """The id of the running container reference names, if any."""
        try:
            attrs = self.api.inspect_container(reference)
        except docker.errors.NotFound:
            return None
        return str(attrs["Id"]) if attrs["State"].get("Running") else None

    def container_image(self, container: str) -> str:
        return str(self.api.inspect_container(container)["Image"])

    def start(self, image: str) -> str:
        """A container of image, started as its config says, with stdin held open (so a REPL waits)."""
        created = self.api.create_container(image, stdin_open=True, labels={labels.TEST: "1"})
        self.api.start(created)
        if not self.container(created["Id"]):
            output = self.api.logs(created, stdout=True, stderr=True).decode(errors="replace")
            self.remove(created["Id"])
            raise BuildError(f"{image} exited at once: start a container that keeps running and debug that\n{output}")
        return str(created["Id"])

    def remove(self, container: str) -> None:
        self.api.remove_container(container, force=True)

    def beside(self, image: str, container: str, command: list[str]) -> RunResult:
        """Run command in image sharing container's process and network namespaces (its files are
        under /proc/1/root); the new container is removed."""
        shared = f"container:{container}"
        created = self.api.create_container(
            image,
            command=command,
            entrypoint=[],
            labels={labels.TEST: "1"},
            host_config=self.api.create_host_config(pid_mode=shared, network_mode=shared, cap_add=["SYS_PTRACE"]),
        )
        try:
            self.api.start(created)
            exit_code = self.api.wait(created, timeout=300)["StatusCode"]
            return RunResult(exit_code, self.api.logs(created, stdout=True, stderr=True).decode(errors="replace"))
        finally:
            self.remove(created["Id"])

    # registry

    def push(self, repository: str, tag: str, log: io.TextIOBase, auth: Mapping[str, str] | None = None) -> str:
        """Push repository:tag (with auth: username and password, sent with this push only, stored
        nowhere); return the digest the registry acknowledged.

        Errors come inside the stream, not as exceptions: each one raises here, as a
        TransientError when trying again may help."""
        try:
            chunks = self.api.push(
                repository, tag=tag, stream=True, decode=True, auth_config=dict(auth) if auth else None
            )
            digest = None
            for chunk in chunks:
                if "error" in chunk or "errorDetail" in chunk:
                    message = chunk.get("error") or chunk["errorDetail"].get("message", "")
                    log.write(f"ERROR: {message}\n")
                    kind = TransientError if TRANSIENT.search(message) else PublishError
                    raise kind(f"push of {repository}:{tag}: {message.strip()}")
                if chunk.get("status") and chunk.get("progressDetail") in (None, {}):
                    log.write(f"{chunk.get('id', '')} {chunk['status']}\n")
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "Digest" in aux:
                    digest = aux["Digest"]
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError(f"push of {repository}:{tag}: {error}") from None
        except docker.errors.APIError as error:
            kind = TransientError if error.is_server_error() else PublishError
            raise kind(f"push of {repository}:{tag}: {error.explanation or error}") from None
        if not digest:
            raise PublishError(f"push of {repository}:{tag}: the registry acknowledged no digest")
        return str(digest)
