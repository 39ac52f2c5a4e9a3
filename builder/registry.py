"""A registry's HTTP API, read directly (the Docker engine pushes; this reads back what a tag
serves): manifests, image configs and their labels, digests. Credentials from the environment,
basic or a bearer token where the registry asks for one; kept-alive sessions, one per thread."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import requests

from builder.errors import PublishError, TransientError
from builder.seams import Served

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
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
    password: str | None = None

    @classmethod
    def from_env(cls, default: str, namespace: str) -> RegistryClient:
        return cls(
            host=os.environ.get("BIRDHOUSE_REGISTRY") or default,
            namespace=os.environ.get("BIRDHOUSE_NAMESPACE", namespace).strip("/"),
            username=os.environ.get("BIRDHOUSE_REGISTRY_USERNAME") or None,
            password=os.environ.get("BIRDHOUSE_REGISTRY_PASSWORD") or None,
        )

    @property
    def local(self) -> bool:
        return self.host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")

    def repository(self, language: str) -> str:
        return "/".join(part for part in (self.host, self.namespace, language) if part)

    def path(self, language: str) -> str:
        return "/".join(part for part in (self.namespace, language) if part)

    def _get(
        self, language: str, what: str, accept: str = MANIFEST_TYPES, method: str = "GET"
    ) -> requests.Response | None:
        """GET (or HEAD) /v2/<repository>/<what>, with credentials (basic, or a bearer token where the
        registry asks for one); None for a 404. 5xx and network errors are transient."""
        scheme = "http" if self.local else "https"
        url = f"{scheme}://{self.host}/v2/{self.path(language)}/{what}"
        headers = {"Accept": accept}
        auth = (self.username, self.password) if self.username and self.password else None
        try:
            response = _session().request(method, url, headers=headers, auth=auth, timeout=30)
            if response.status_code == 401 and "Bearer" in response.headers.get("WWW-Authenticate", ""):
                headers["Authorization"] = f"Bearer {self._token(response.headers['WWW-Authenticate'], auth)}"
                response = _session().request(method, url, headers=headers, timeout=30)
        except requests.RequestException as error:
            raise TransientError(f"reading {url}: {error}") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 500:
            raise TransientError(f"reading {url}: HTTP {response.status_code}")
        if not response.ok:
            raise PublishError(f"reading {url}: HTTP {response.status_code}")
        return response

    def served(self, language: str, tag: str) -> Served | None:
        """What the registry serves for language:tag (None if nothing): one manifest and its config."""
        response = self._get(language, f"manifests/{tag}")
        if response is None:
            return None
        manifest = response.json()
        config = (manifest.get("config") or {}).get("digest") or ""
        blob = self._get(language, f"blobs/{config}", accept="*/*") if config else None
        parts = [manifest.get("config", {}), *manifest.get("layers", [])]
        return Served(
            digest=response.headers.get("Docker-Content-Digest") or "",
            compressed=sum(int(part.get("size", 0)) for part in parts),
            image_id=config,
            labels=((blob.json().get("config") or {}).get("Labels") or {}) if blob else {},
        )

    def digest(self, language: str, tag: str) -> str | None:
        """The digest of the manifest the registry serves for language:tag (a HEAD: no body read)."""
        response = self._get(language, f"manifests/{tag}", method="HEAD")
        return response.headers.get("Docker-Content-Digest") if response is not None else None

    @staticmethod
    def _token(challenge: str, auth: tuple[str, str] | None) -> str:
        fields = dict(part.split("=", 1) for part in challenge.removeprefix("Bearer ").split(",") if "=" in part)
        params = {key: value.strip('"') for key, value in fields.items() if key in ("service", "scope")}
        response = _session().get(fields["realm"].strip('"'), params=params, auth=auth, timeout=30)
        if not response.ok:
            raise PublishError(f"the registry refused a token: HTTP {response.status_code}")
        body = response.json()
        return str(body.get("token") or body.get("access_token"))
