"""A registry's HTTP API, read directly (the Docker engine pushes; this reads back what a tag
serves): manifests, image configs and their labels, digests. Credentials from the environment,
basic or a bearer token where the registry asks for one; kept-alive sessions, one per thread."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import tenacity

from builder.errors import HostError, PublishError, TransientError
from builder.platforms import AMD64, Platform
from builder.seams import Registry, Served

logger = logging.getLogger("birdhouse.registry")
READS = 8  # attempts at each request: a registry failing 30% of them still answers every one
EMBEDDED = "`make all` (or `push`) starts the embedded one; or check BIRDHOUSE_REGISTRY"


class Unanswered(TransientError):
    """No answer at all (a refused or reset connection, a timeout): transient, until it is not."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _reason(error: Exception) -> str:
    """The gist of a requests error, not urllib3's whole repr."""
    text = str(error)
    for known in (
        "Connection refused",
        "Connection reset",
        "timed out",
        "Remote end closed",
        "Name or service not known",
    ):
        if known.lower() in text.lower():
            return known.lower()
    return text.rsplit(": ", maxsplit=1)[-1][:120]


def _wait(state: tenacity.RetryCallState) -> float:
    """A 429's Retry-After where it gives one, else exponential back-off (0.25 s, 0.5 s, …, 8 s)."""
    error = state.outcome.exception() if state.outcome else None
    after = getattr(error, "retry_after", None)
    return float(after) if after else float(min(8.0, 0.25 * 2 ** (state.attempt_number - 1)))


def retrying(attempts: int) -> tenacity.Retrying:
    """Retry what is transient, attempts times at most, logging each retry."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=tenacity.stop_after_attempt(attempts),
        wait=_wait,
        before_sleep=tenacity.before_sleep_log(logger, logging.WARNING),
        reraise=True,
    )


MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEXES = (OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json")
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
_local = threading.local()


def _session() -> requests.Session:
    """This thread's HTTP session: its connections are kept alive from one request to the next."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    session: requests.Session = _local.session
    return session


@dataclass(frozen=True)
class RegistryClient:
    """Where images go: host[:port], a namespace, and credentials from the environment."""

    host: str
    namespace: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never printed
    ca: str | None = None  # a CA bundle to trust the registry's TLS with (BIRDHOUSE_REGISTRY_CA)

    @classmethod
    def from_env(cls, default: str, namespace: str) -> RegistryClient:
        return cls(
            host=os.environ.get("BIRDHOUSE_REGISTRY") or default,
            namespace=os.environ.get("BIRDHOUSE_NAMESPACE", namespace).strip("/"),
            username=os.environ.get("BIRDHOUSE_REGISTRY_USERNAME") or None,
            password=os.environ.get("BIRDHOUSE_REGISTRY_PASSWORD") or None,
            ca=os.environ.get("BIRDHOUSE_REGISTRY_CA") or None,
        )

    @property
    def auth(self) -> dict[str, str] | None:
        """The credentials as the engine takes them with a push or a pull (never stored)."""
        return {"username": self.username, "password": self.password} if self.username and self.password else None

    @property
    def local(self) -> bool:
        return self.host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")

    def repository(self, language: str) -> str:
        return "/".join(part for part in (self.host, self.namespace, language) if part)

    def path(self, language: str) -> str:
        return "/".join(part for part in (self.namespace, language) if part)

    @property
    def scheme(self) -> str:
        """https, but for a loopback registry with no CA of its own (the embedded one: plain http)."""
        return "http" if self.local and not self.ca else "https"

    def _request(
        self, language: str, what: str, *, method: str = "GET", accept: str = MANIFEST_TYPES, **extra: Any
    ) -> requests.Response | None:
        """One request to /v2/<repository>/<what>, with credentials (basic, or a bearer token where
        the registry asks for one), retried while the failure is transient (5xx, 429, resets,
        timeouts, a refused connection), each retry logged; None for a 404. A registry that never
        answers is the host's lack (HostError), a 5xx that stays a failed publish."""
        url = f"{self.scheme}://{self.host}/v2/{self.path(language)}/{what}"
        try:
            for attempt in retrying(READS):
                with attempt:
                    return self._once(method, url, accept, extra)
        except Unanswered as error:
            raise HostError(f"the registry at {self.host} does not answer ({error.reason}): {EMBEDDED}") from None
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    def _once(self, method: str, url: str, accept: str, extra: dict[str, Any]) -> requests.Response | None:
        # extra as it is: a retry sends the same headers (a manifest PUT without its Content-Type
        # is taken for a signed schema 1 manifest, and refused)
        headers = {"Accept": accept, **extra.get("headers", {})}
        extra = {key: value for key, value in extra.items() if key != "headers"}
        auth = (self.username, self.password) if self.username and self.password else None
        verify: str | bool = self.ca or True
        try:
            response = _session().request(method, url, headers=headers, auth=auth, timeout=30, verify=verify, **extra)
            if response.status_code == 401 and "Bearer" in response.headers.get("WWW-Authenticate", ""):
                token = self._token(response.headers["WWW-Authenticate"], auth, verify)
                headers["Authorization"] = f"Bearer {token}"
                response = _session().request(method, url, headers=headers, timeout=30, verify=verify, **extra)
        except requests.exceptions.SSLError as error:
            raise PublishError(f"{method} {url}: TLS: {error}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise Unanswered(f"{method} {url}", reason=_reason(error)) from None
        except requests.RequestException as error:
            raise TransientError(f"{method} {url}: {_reason(error)}") from None
        if response.status_code == 404:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            wait = response.headers.get("Retry-After", "")
            raise TransientError(
                f"{method} {url}: HTTP {response.status_code}", retry_after=float(wait) if wait.isdigit() else None
            )
        if not response.ok:
            raise PublishError(f"{method} {url}: HTTP {response.status_code}")
        return response

    def ping(self) -> None:
        """Whether the registry answers at all (any answer will do), asked a few times over a few
        seconds; HostError if not, so that a publish to a registry that is down fails fast."""
        url = f"{self.scheme}://{self.host}/v2/"
        for attempt in range(3):
            try:
                _session().get(url, timeout=10, verify=self.ca or True)
                return
            except requests.RequestException as error:
                reason = _reason(error)
                time.sleep(0.5 * 2**attempt)
        raise HostError(f"the registry at {self.host} does not answer ({reason}): {EMBEDDED}")

    def served(self, language: str, tag: str, platform: Platform = AMD64) -> Served | None:
        """What the registry serves for language:tag on platform (None if nothing): the image its
        index names for the platform, or the one image it serves if that is the platform's."""
        response = self._request(language, f"manifests/{tag}")
        if response is None:
            return None
        index = ""
        if response.headers.get("Content-Type") in INDEXES:
            index = response.headers.get("Docker-Content-Digest") or ""
            entry = self._entries(response.json()).get(platform.name)
            response = self._request(language, f"manifests/{entry['digest']}") if entry else None
            if response is None:
                return None
        manifest = response.json()
        config = (manifest.get("config") or {}).get("digest") or ""
        blob = self._request(language, f"blobs/{config}", accept="*/*") if config else None
        body = blob.json() if blob else {}
        if not index and body.get("architecture", platform.architecture) != platform.architecture:
            return None  # one image, another platform's
        parts = [manifest.get("config", {}), *manifest.get("layers", [])]
        return Served(
            digest=response.headers.get("Docker-Content-Digest") or "",
            compressed=sum(int(part.get("size", 0)) for part in parts),
            image_id=config,
            labels=(body.get("config") or {}).get("Labels") or {},
            index=index,
        )

    @staticmethod
    def _entries(index: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """An index's images by platform (linux/arm64)."""
        return {
            f"{(m.get('platform') or {}).get('os')}/{(m.get('platform') or {}).get('architecture')}": m
            for m in index.get("manifests", [])
        }

    def entries(self, language: str, tag: str) -> tuple[str, dict[str, dict[str, Any]]]:
        """What language:tag serves, as the descriptors of an index by platform: its index's (and the
        index's digest), or one image's as the entry of the platform its config says (and "")."""
        response = self._request(language, f"manifests/{tag}")
        if response is None:
            return "", {}
        digest = response.headers.get("Docker-Content-Digest") or ""
        kind = response.headers.get("Content-Type", "")
        if kind in INDEXES:
            return digest, self._entries(response.json())
        config = (response.json().get("config") or {}).get("digest")
        blob = self._request(language, f"blobs/{config}", accept="*/*") if config else None
        body = blob.json() if blob else {}
        platform = {"architecture": body.get("architecture", "amd64"), "os": body.get("os", "linux")}
        descriptor = {"mediaType": kind, "digest": digest, "size": len(response.content), "platform": platform}
        return "", {f"{platform['os']}/{platform['architecture']}": descriptor}

    def put_index(self, language: str, tag: str, manifests: list[dict[str, Any]]) -> str:
        """Point tag at an OCI image index of manifests (descriptors with their platform); its digest."""
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, indent=1).encode()
        put = self._request(language, f"manifests/{tag}", method="PUT", headers={"Content-Type": OCI_INDEX}, data=body)
        return (put.headers.get("Docker-Content-Digest") if put is not None else None) or ""

    def digest(self, language: str, tag: str) -> str | None:
        """The digest of the manifest the registry serves for language:tag (a HEAD: no body read)."""
        response = self._request(language, f"manifests/{tag}", method="HEAD")
        return response.headers.get("Docker-Content-Digest") if response is not None else None

    def tags(self, language: str) -> list[str]:
        """Every tag of the language's repository."""
        response = self._request(language, "tags/list", accept="application/json")
        return list((response.json().get("tags") or []) if response is not None else [])

    def blob(self, language: str, digest: str) -> bytes | None:
        response = self._request(language, f"blobs/{digest}", accept="*/*")
        return response.content if response is not None else None

    def manifest(self, language: str, reference: str) -> dict[str, Any] | None:
        response = self._request(language, f"manifests/{reference}", accept=OCI_MANIFEST)
        manifest: dict[str, Any] | None = response.json() if response is not None else None
        return manifest

    def put_blob(self, language: str, data: bytes) -> str:
        """Upload data as a blob, monolithically (a POST for an upload, a PUT of the data), the two
        again from the start while the failure is transient; its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if self._request(language, f"blobs/{digest}", method="HEAD", accept="*/*") is not None:
            return digest  # there already
        url = f"{self.scheme}://{self.host}/v2/{self.path(language)}/blobs/uploads/"
        for attempt in retrying(READS):
            with attempt:
                started = self._once("POST", url, "*/*", {})
                location = started.headers.get("Location", "") if started is not None else ""
                if location.startswith("/"):
                    location = f"{self.scheme}://{self.host}{location}"
                separator = "&" if "?" in location else "?"
                headers = {"Content-Type": "application/octet-stream"}
                if (
                    self._once(
                        "PUT", f"{location}{separator}digest={digest}", "*/*", {"data": data, "headers": headers}
                    )
                    is None
                ):
                    raise TransientError(f"{url}: the upload went away")
        return digest

    def descriptor(self, language: str, reference: str) -> dict[str, Any] | None:
        """The OCI descriptor (media type, digest, size) of the manifest reference names."""
        response = self._request(language, f"manifests/{reference}")
        if response is None:
            return None
        digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        return {"mediaType": response.headers.get("Content-Type", ""), "digest": digest, "size": len(response.content)}

    def referrers(self, language: str, digest: str) -> list[dict[str, Any]] | None:
        """The manifests whose subject is digest, as the OCI 1.1 referrers API lists them; None
        where the registry has no such API (distribution 2.8: a 404)."""
        response = self._request(language, f"referrers/{digest}", accept="application/vnd.oci.image.index.v1+json")
        if response is None or "json" not in response.headers.get("Content-Type", ""):
            return None
        manifests: list[dict[str, Any]] = response.json().get("manifests") or []
        return manifests

    def put_manifest(self, language: str, reference: str | None, manifest: dict[str, Any]) -> str:
        """Write an OCI manifest under reference (a tag), or by its digest alone (None); its digest."""
        body = json.dumps(manifest, sort_keys=True).encode()
        reference = reference or "sha256:" + hashlib.sha256(body).hexdigest()
        put = self._request(
            language, f"manifests/{reference}", method="PUT", headers={"Content-Type": OCI_MANIFEST}, data=body
        )
        return (put.headers.get("Docker-Content-Digest") if put is not None else None) or ""

    def delete(self, language: str, digest: str) -> None:
        """Delete the manifest digest (and so every tag of it)."""
        self._request(language, f"manifests/{digest}", method="DELETE", accept="*/*")

    @staticmethod
    def _token(challenge: str, auth: tuple[str, str] | None, verify: str | bool) -> str:
        fields = dict(part.split("=", 1) for part in challenge.removeprefix("Bearer ").split(",") if "=" in part)
        params = {key: value.strip('"') for key, value in fields.items() if key in ("service", "scope")}
        response = _session().get(fields["realm"].strip('"'), params=params, auth=auth, timeout=30, verify=verify)
        if not response.ok:
            raise PublishError(f"the registry refused a token: HTTP {response.status_code}")
        body = response.json()
        return str(body.get("token") or body.get("access_token"))


def put_artifact(
    registry: Registry,
    language: str,
    reference: str | None,
    artifact_type: str,
    layers: list[tuple[str, bytes, dict[str, str]]],
    *,
    subject: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
) -> str:
    """Write an OCI artifact into language's repository: an empty config and one layer per (media
    type, data, annotations), under reference (a tag, or None: by its digest), about subject if one
    is given; its digest."""
    blobs = [
        {"mediaType": media, "digest": registry.put_blob(language, data), "size": len(data)}
        | ({"annotations": notes} if notes else {})
        for media, data, notes in layers
    ]
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": OCI_EMPTY, "digest": registry.put_blob(language, b"{}"), "size": 2},
        "layers": blobs,
    }
    if subject:
        manifest["subject"] = subject
    if annotations:
        manifest["annotations"] = annotations
    return registry.put_manifest(language, reference, manifest)
