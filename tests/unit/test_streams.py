"""Build and push streams are read as data: an error chunk raises, transient ones as such."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from builder.engine import DockerEngine
from builder.errors import BuildError, PublishError, TransientError


class FakeAPI:
    """Stands in for docker.APIClient's streaming calls: yields the given chunks."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks

    def _yield(self) -> Iterator[dict[str, Any]]:
        yield from self.chunks

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._yield()

    def push(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._yield()

    def inspect_image(self, reference: str) -> dict[str, str]:
        return {"Id": "sha256:" + reference.removeprefix("sha256:").ljust(64, "0")}


def engine(chunks: list[dict[str, Any]]) -> DockerEngine:
    fake = DockerEngine.__new__(DockerEngine)
    fake.api = FakeAPI(chunks)
    return fake


def test_build_returns_the_image_id(tmp_path: Any) -> None:
    chunks: list[dict[str, Any]] = [
        {"stream": "Step 1/1 : FROM scratch\n"},
        {"aux": {"ID": "sha256:abc"}},
        {"stream": "Successfully built abc\n"},
    ]
    log = io.StringIO()
    assert engine(chunks).build(tmp_path, log) == "sha256:abc".ljust(71, "0")
    assert "Step 1/1" in log.getvalue()


def test_an_error_chunk_raises_with_the_log(tmp_path: Any) -> None:
    chunks: list[dict[str, Any]] = [
        {"stream": "Step 2/3 : RUN apt-get install nodejs\n"},
        {"stream": "E: Unable to locate package nodejs\n"},
        {"error": "The command '/bin/sh -c apt-get install nodejs' returned a non-zero code: 100"},
    ]
    with pytest.raises(BuildError, match="returned a non-zero code: 100") as raised:
        engine(chunks).build(tmp_path, io.StringIO())
    assert "Unable to locate package nodejs" in raised.value.log


def test_push_returns_the_acknowledged_digest() -> None:
    chunks: list[dict[str, Any]] = [
        {"status": "Pushed", "id": "abc"},
        {"status": "3.11: digest: sha256:feed size: 1234"},
        {"aux": {"Tag": "3.11", "Digest": "sha256:feed", "Size": 1234}},
    ]
    assert engine(chunks).push("127.0.0.1:5000/python", "3.11", io.StringIO()) == "sha256:feed"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("received unexpected HTTP status: 503 Service Unavailable", TransientError),
        ("read tcp 127.0.0.1:5000: connection reset by peer", TransientError),
        (  # an answer cut in its headers, as a proxy that drops the connection half way leaves it
            'Head "http://127.0.0.1:5000/v2/python/blobs/sha256:9aed": net/http: HTTP/1.x transport connection '
            'broken: malformed MIME header: missing colon: "Docker-Distribution-Api-Ver"',
            TransientError,
        ),
        ("unauthorized: authentication required", PublishError),
        ("manifest invalid: manifest invalid", PublishError),
    ],
)
def test_push_errors_arrive_in_the_stream(message: str, kind: type[Exception]) -> None:
    chunks: list[dict[str, Any]] = [
        {"status": "Preparing", "id": "abc"},
        {"errorDetail": {"message": message}, "error": message},
    ]
    with pytest.raises(kind) as raised:
        engine(chunks).push("127.0.0.1:5000/python", "3.11", io.StringIO())
    assert type(raised.value) is kind


def test_a_push_without_a_digest_fails() -> None:
    with pytest.raises(PublishError, match="acknowledged no digest"):
        engine([{"status": "Pushed"}]).push("r/python", "3.11", io.StringIO())


def test_an_engine_that_goes_away_mid_push_is_said_in_a_sentence() -> None:
    import urllib3

    from builder.errors import HostError

    class Gone(FakeAPI):
        def push(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            yield {"status": "Preparing", "id": "abc"}
            raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(0 bytes read)")

    fake = DockerEngine.__new__(DockerEngine)
    fake.api = Gone([])
    with pytest.raises(HostError, match=r"the Docker engine went away \(push: ProtocolError\)"):
        fake.push("127.0.0.1:5000/python", "3.13", io.StringIO())
