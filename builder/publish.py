"""Publish stage: push each tested image under all its tags, retrying only transient failures,
then read the digest back from the registry and check it is the one pushed."""

from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass

import requests
import tenacity

from builder.build import SIZE
from builder.buildid import Inputs
from builder.engine import LABEL, Engine
from builder.errors import PublishError, SmokeTestError, TransientError
from builder.state import CheckResult, State, Store
from builder.targets import Target, full_tags

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
logger = logging.getLogger("birdhouse.publish")
_local = threading.local()


def _session() -> requests.Session:
    """This thread's HTTP session: its connections are kept alive from one request to the next."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    session: requests.Session = _local.session
    return session


BUILD_ID = f"{LABEL}.build-id"


@dataclass(frozen=True)
class Served:
    """An image as a registry serves it under a tag."""

    digest: str  # the manifest's
    compressed: int  # its config and layers, as the manifest gives them
    image_id: str  # the config's digest: the id the engine gives the image once pulled
    labels: dict[str, str]


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

    def labels(self, language: str, tag: str) -> dict[str, str]:
        """The labels of the image the registry serves for language:tag ({} if none)."""
        served = self.served(language, tag)
        return served.labels if served else {}

    @staticmethod
    def _token(challenge: str, auth: tuple[str, str] | None) -> str:
        fields = dict(part.split("=", 1) for part in challenge.removeprefix("Bearer ").split(",") if "=" in part)
        params = {key: value.strip('"') for key, value in fields.items() if key in ("service", "scope")}
        response = _session().get(fields["realm"].strip('"'), params=params, auth=auth, timeout=30)
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
        reference = f"{repository}:{tag}"
        if reference in state.pushed and registry.digest(target.language, tag) == state.pushed[reference]:
            pushed[reference], compressed = state.pushed[reference], state.compressed
            continue  # it still serves what this image's last push left there
        served = registry.served(target.language, tag)
        if served and state.build_id and served.labels.get(BUILD_ID) == state.build_id:
            pushed[reference], compressed = served.digest, served.compressed
            continue
        engine.tag(state.image_id, repository, tag)
        for attempt in _retrying(attempts):
            with attempt:
                digest = engine.push(repository, tag, log_file)
                served = registry.served(target.language, tag)
        if served is None or served.digest != digest:
            serves = served.digest if served else "nothing"
            raise PublishError(f"{repository}:{tag}: pushed {digest}, but the registry serves {serves}")
        pushed[reference], compressed = digest, served.compressed
        anything = True
    return store.put(state.evolve(pushed=pushed, compressed=compressed, error="")), anything


def published(registry: Registry, target: Target, store: Store, inputs: Inputs) -> str | None:
    """The reference under which the registry serves target's image of inputs' build id, or None.
    Its state is taken from the registry: its tests passed before it was pushed (the tests are a
    build input), and it is pulled only if something built here needs it."""
    tag = target.tags[0]
    served = registry.served(target.language, tag)
    if served is None or served.labels.get(BUILD_ID) != inputs.build_id:
        return None
    repository = registry.repository(target.language)
    reference = f"{repository}:{tag}"
    state = store.get(target.id)
    if state.build_id == inputs.build_id and state.image_id == served.image_id and state.passed:
        return reference  # this machine built, tested and pushed it: its own record is fuller
    version = served.labels.get("org.opencontainers.image.version", "")
    tags = full_tags(target, version)
    # the tags serving it too (a run stopped half way may have left some behind: publish mends them)
    pushed = {f"{repository}:{t}": served.digest for t in tags if registry.digest(target.language, t) == served.digest}
    store.put(
        State(
            id=target.id,
            image_id=served.image_id,
            build_id=inputs.build_id,
            version=version,
            tags=tags,
            size=int(served.labels.get(SIZE) or 0),
            compressed=served.compressed,
            tests=(CheckResult("published", "registry", True, f"passed before {reference} was pushed"),),
            tested_image=served.image_id,
            tests_digest=inputs.tests,
            pushed=pushed,
        )
    )
    return reference
