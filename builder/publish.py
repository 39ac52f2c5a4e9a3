"""Publish stage: push each tested image under all its tags, retrying only transient failures,
then read the digest back from the registry and check it is the one pushed."""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass

import requests
import tenacity

from builder.engine import LABEL, Engine
from builder.errors import PublishError, SmokeTestError, TransientError
from builder.state import State, Store
from builder.targets import Target

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
logger = logging.getLogger("birdhouse.publish")
BUILD_ID = f"{LABEL}.build-id"


@dataclass(frozen=True)
class Registry:
    """Where images go: host[:port], a namespace, and credentials from the environment."""

    host: str
    namespace: str = ""
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, default: str, namespace: str) -> Registry:
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

    def _get(self, language: str, what: str, accept: str = MANIFEST_TYPES) -> requests.Response | None:
        """GET /v2/<repository>/<what>, with credentials (basic, or a bearer token where the registry
        asks for one); None for a 404. 5xx and network errors are transient."""
        scheme = "http" if self.local else "https"
        url = f"{scheme}://{self.host}/v2/{self.path(language)}/{what}"
        headers = {"Accept": accept}
        auth = (self.username, self.password) if self.username and self.password else None
        try:
            response = requests.get(url, headers=headers, auth=auth, timeout=30)
            if response.status_code == 401 and "Bearer" in response.headers.get("WWW-Authenticate", ""):
                headers["Authorization"] = f"Bearer {self._token(response.headers['WWW-Authenticate'], auth)}"
                response = requests.get(url, headers=headers, timeout=30)
        except requests.RequestException as error:
            raise TransientError(f"reading {url}: {error}") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 500:
            raise TransientError(f"reading {url}: HTTP {response.status_code}")
        if not response.ok:
            raise PublishError(f"reading {url}: HTTP {response.status_code}")
        return response

    def manifest(self, language: str, tag: str) -> tuple[str | None, int]:
        """The digest the registry serves for language:tag (None if it has none), and the
        compressed size its manifest gives (config and layers)."""
        response = self._get(language, f"manifests/{tag}")
        if response is None:
            return None, 0
        manifest = response.json()
        parts = [manifest.get("config", {}), *manifest.get("layers", [])]
        return response.headers.get("Docker-Content-Digest"), sum(int(part.get("size", 0)) for part in parts)

    def labels(self, language: str, tag: str) -> dict[str, str]:
        """The labels of the image the registry serves for language:tag ({} if none)."""
        response = self._get(language, f"manifests/{tag}")
        config = (response.json().get("config") or {}).get("digest") if response else None
        blob = self._get(language, f"blobs/{config}", accept="*/*") if config else None
        labels: dict[str, str] = ((blob.json().get("config") or {}).get("Labels") or {}) if blob else {}
        return labels

    @staticmethod
    def _token(challenge: str, auth: tuple[str, str] | None) -> str:
        fields = dict(part.split("=", 1) for part in challenge.removeprefix("Bearer ").split(",") if "=" in part)
        params = {key: value.strip('"') for key, value in fields.items() if key in ("service", "scope")}
        response = requests.get(fields["realm"].strip('"'), params=params, auth=auth, timeout=30)
        if not response.ok:
            raise PublishError(f"the registry refused a token: HTTP {response.status_code}")
        body = response.json()
        return str(body.get("token") or body.get("access_token"))


def _retrying(attempts: int) -> tenacity.Retrying:
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=2, max=30),
        before_sleep=tenacity.before_sleep_log(logger, logging.WARNING),
        reraise=True,
    )


def publish(
    engine: Engine,
    target: Target,
    store: Store,
    registry: Registry,
    log_file: io.TextIOBase,
    *,
    attempts: int = 4,
) -> tuple[State, bool]:
    """Push target's tested image under each of its tags, longest tag first, and check each digest;
    a tag that already serves an image of the same build id is left as it is. Returns the state,
    whose `pushed` holds every tag, and whether anything was pushed."""
    state = store.get(target.id)
    if not state.passed:
        failed = ", ".join(t.name for t in state.tests if not t.ok) or "not tested"
        raise SmokeTestError(f"{target.id}: not pushed: its tests did not pass ({failed})")
    repository = registry.repository(target.language)
    pushed = {}
    compressed = 0
    anything = False
    for tag in state.tags:
        if state.build_id and registry.labels(target.language, tag).get(BUILD_ID) == state.build_id:
            served, compressed = registry.manifest(target.language, tag)
            pushed[f"{repository}:{tag}"] = str(served)
            continue
        engine.tag(state.image_id, repository, tag)
        for attempt in _retrying(attempts):
            with attempt:
                digest = engine.push(repository, tag, log_file)
                served, compressed = registry.manifest(target.language, tag)
        if served != digest:
            raise PublishError(f"{repository}:{tag}: pushed {digest}, but the registry serves {served}")
        pushed[f"{repository}:{tag}"] = digest
        anything = True
    return store.put(state.evolve(pushed=pushed, compressed=compressed, error="")), anything
