"""builder.reproduce on made-up `docker save` archives: two builds that differ in time only give the
same image id; a byte of content does not."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import Any

from builder import reproduce

PACKAGED = 1_700_000_000  # the packages' files' time
LISTED = f"{hashlib.md5(b'lib', usedforsecurity=False).hexdigest()}  usr/lib/libfoo.so.1\n".encode()


def member(tar: tarfile.TarFile, name: str, data: bytes, mtime: int, **pax: str) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.uname, info.pax_headers = len(data), mtime, "root", dict(pax)
    tar.addfile(info, io.BytesIO(data))


def saved(built: int, passwd: bytes = b"nonroot:x:65532\n") -> io.BytesIO:
    """A run image as `docker save` gives it, built at the time built."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        member(tar, "usr/lib/libfoo.so.1", b"lib", PACKAGED, **{"SCHILY.xattr.security.capability": "cap"})
        member(tar, "var/lib/dpkg/status.d/libfoo1.md5sums", LISTED, built)
        member(tar, "etc/passwd", passwd, built, atime=str(built))
    diff_id = "sha256:" + hashlib.sha256(layer.getvalue()).hexdigest()
    config: dict[str, Any] = {
        "architecture": "amd64",
        "os": "linux",
        "created": f"{built}",
        "container": f"container-{built}",
        "docker_version": "20.10.24",
        "config": {"Image": f"sha256:{built}", "Hostname": "vm", "Labels": {"old": "1"}, "User": "65532"},
        "history": [{"created": f"{built}", "created_by": f"COPY dir:{'ab' * 32} in / "}],
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        member(tar, "config.json", json.dumps(config).encode(), built)
        member(tar, "layer/layer.tar", layer.getvalue(), built)
        manifest = [{"Config": "config.json", "RepoTags": ["x:1"], "Layers": ["layer/layer.tar"]}]
        member(tar, "manifest.json", json.dumps(manifest).encode(), built)
    out.seek(0)
    return out


LABELS = {"org.opencontainers.image.revision": "abc123", "dev.birdhouse.id": "python-3.13-run"}


def rewrite(source: io.BytesIO) -> tuple[str, tarfile.TarFile]:
    out = io.BytesIO()
    image_id = reproduce.normalize(source, out, LABELS)
    out.seek(0)
    return image_id, tarfile.open(fileobj=out)


def read(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    assert handle is not None
    return handle.read()


def test_builds_apart_in_time_are_one_image() -> None:
    first, archive = rewrite(saved(1_800_000_000))
    second, _ = rewrite(saved(1_800_000_999))
    assert first == second

    (manifest,) = json.loads(read(archive, "manifest.json"))
    data = read(archive, manifest["Config"])
    assert "sha256:" + hashlib.sha256(data).hexdigest() == first  # the id docker load gives
    config = json.loads(data)
    assert config["created"] == "2023-11-14T22:13:20Z"  # the packages' time
    assert config["config"]["Labels"] == {
        "dev.birdhouse.id": "python-3.13-run",
        "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
    }  # the labels given, but the revision: a rebuild from another commit is the same image
    assert "container" not in config and config["config"]["Image"] == "" and config["config"]["Hostname"] == ""
    assert config["history"][0]["created_by"] == "COPY dir in / "

    with tarfile.open(fileobj=archive.extractfile(manifest["Layers"][0])) as layer:
        members = {m.name: m for m in layer}
    assert {m.mtime for m in members.values()} == {PACKAGED}
    assert members["usr/lib/libfoo.so.1"].pax_headers == {"SCHILY.xattr.security.capability": "cap"}
    assert members["etc/passwd"].pax_headers == {} and members["etc/passwd"].uname == ""


def test_a_byte_of_content_is_another_image() -> None:
    assert rewrite(saved(1_800_000_000))[0] != rewrite(saved(1_800_000_000, b"nonroot:x:65533\n"))[0]


def test_an_image_without_packages_listed_takes_the_epoch() -> None:
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        member(tar, "etc/passwd", b"x", 1_800_000_000)
    with tarfile.open(fileobj=io.BytesIO(layer.getvalue())) as tar:
        assert reproduce.epoch([tar]) == 0


def config_of(archive: tarfile.TarFile) -> dict[str, Any]:
    (entry,) = json.loads(read(archive, "manifest.json"))
    config: dict[str, Any] = json.loads(read(archive, entry["Config"]))
    return config


def test_an_image_built_under_an_emulator_says_its_platforms_architecture() -> None:
    out = io.BytesIO()
    image_id = reproduce.normalize(saved(PACKAGED + 10), out, LABELS, "arm64")
    out.seek(0)
    with tarfile.open(fileobj=out) as archive:
        assert config_of(archive)["architecture"] == "arm64"
    assert image_id != rewrite(saved(PACKAGED + 10))[0]  # amd64's


def test_retarget_changes_the_architecture_only() -> None:
    source = saved(PACKAGED + 10)
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(source.getvalue())) as before:
        image_id = reproduce.retarget(source, out, "arm64")
        out.seek(0)
        with tarfile.open(fileobj=out) as after:
            assert config_of(after) == {**config_of(before), "architecture": "arm64"}
            (entry,) = json.loads(read(after, "manifest.json"))
            assert image_id == "sha256:" + hashlib.sha256(read(after, entry["Config"])).hexdigest()
            assert read(after, "layer/layer.tar") == read(before, "layer/layer.tar")
