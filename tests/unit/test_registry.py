"""RegistryClient's requests, on a fake HTTP session: what a retry sends again."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from builder import registry as registry_module
from builder.registry import RegistryClient


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
