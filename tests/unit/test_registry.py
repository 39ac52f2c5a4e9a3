"""RegistryClient's requests, on a fake HTTP session: what a retry sends again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

from builder import registry as registry_module
from builder.platforms import AMD64, ARM64
from builder.registry import RegistryClient

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"


class Session:
    """Answers 503 to the first request, then 201; keeps the headers of each."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def request(self, method: str, url: str, *, headers: dict[str, str], **extra: Any) -> requests.Response:
        self.sent.append(dict(headers))
        response = requests.Response()
        response.status_code = 503 if len(self.sent) == 1 else 201
        response.headers["Docker-Content-Digest"] = "sha256:" + "a" * 64
        return response


def test_a_retried_manifest_put_keeps_its_content_type(monkeypatch: pytest.MonkeyPatch) -> None:
    session = Session()
    monkeypatch.setattr(registry_module, "_session", lambda: session)
    monkeypatch.setattr(registry_module, "_wait", lambda state: 0.0)
    client = RegistryClient("127.0.0.1:5000")
    assert client.put_manifest("python", "3.13", {"schemaVersion": 2}) == "sha256:" + "a" * 64
    assert [headers.get("Content-Type") for headers in session.sent] == [registry_module.OCI_MANIFEST] * 2


class Served:
    """Answers GETs from a map of paths to (media type, JSON body); 404 for the rest."""

    def __init__(self, paths: dict[str, tuple[str, dict[str, Any]]]) -> None:
        self.paths = paths

    def request(self, method: str, url: str, *, headers: dict[str, str], **extra: Any) -> requests.Response:
        response = requests.Response()
        path = url.split("/v2/python/", 1)[1]
        response.status_code = 200 if path in self.paths else 404
        if path in self.paths:
            kind, body = self.paths[path]
            response._content = json.dumps(body).encode()
            response.headers["Content-Type"] = kind
            response.headers["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(response._content).hexdigest()
        return response


def test_a_tag_is_read_through_its_index_for_each_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    image = {"config": {"digest": "sha256:cfg-arm"}, "layers": [{"size": 10}]}
    arm = "sha256:" + hashlib.sha256(json.dumps(image).encode()).hexdigest()
    index = {"manifests": [{"digest": arm, "platform": {"os": "linux", "architecture": "arm64"}}]}
    plain = {"config": {"digest": "sha256:cfg-amd"}, "layers": []}
    session = Served({
        "manifests/3.13": (registry_module.OCI_INDEX, index),
        f"manifests/{arm}": (DOCKER, image),
        "blobs/sha256:cfg-arm": ("application/json", {"architecture": "arm64", "config": {"Labels": {"k": "arm"}}}),
        "manifests/old": (DOCKER, plain),  # one image, pushed before tags served indexes
        "blobs/sha256:cfg-amd": ("application/json", {"architecture": "amd64", "config": {}}),
    })  # fmt: skip
    monkeypatch.setattr(registry_module, "_session", lambda: session)
    client = RegistryClient("127.0.0.1:5000")
    served = client.served("python", "3.13", ARM64)
    assert served and (served.digest, served.image_id, served.labels) == (arm, "sha256:cfg-arm", {"k": "arm"})
    assert served.index and served.tagged == served.index
    assert client.served("python", "3.13", AMD64) is None  # the index names no amd64 image
    assert client.served("python", "old", ARM64) is None and client.served("python", "old", AMD64)
    digest, entries = client.entries("python", "old")
    assert digest == "" and list(entries) == ["linux/amd64"]  # one image, as the entry of its platform
    assert client.entries("python", "3.13")[1]["linux/arm64"]["digest"] == arm
