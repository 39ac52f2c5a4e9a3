"""Build stage's last step for run images: the same inputs give the same image, byte for byte.

Two builds of a run image differ only in time: the files' contents are the packages', but what the
build made (folders, /etc/passwd, the CA bundle, status.d) has the build's mtimes, and the image's
config has the build's `created`, the intermediate container and image ids. So the built image is
saved (`docker save`), each layer rewritten with every mtime clamped to the image's epoch (the
newest mtime among its packages' files, as status.d lists them: a time the packages fix) and no
owner names, and the config rewritten with that epoch as every time, the labels given, and no
trace of the build's containers; then loaded. The image id is the config's digest, so two engines
given the same inputs load the same id (`python -m builder verify` checks a published image so)."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import re
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from builder import labels as label_names

STATUS_D = "var/lib/dpkg/status.d/"
KEEP_PAX = "SCHILY.xattr."  # file capabilities and other xattrs are content; the rest is time


def epoch(layers: list[tarfile.TarFile]) -> int:
    """The newest mtime among the files the layers' status.d lists (0 if none)."""
    mtimes: dict[str, int] = {}
    listed: set[str] = set()
    for layer in layers:
        for member in layer:
            name = member.name.removeprefix("./")
            mtimes[name] = int(member.mtime)
            if name.startswith(STATUS_D) and name.endswith(".md5sums") and member.isfile():
                handle = layer.extractfile(member)
                for line in (handle.read() if handle else b"").decode(errors="replace").splitlines():
                    listed.add(line.partition("  ")[2].lstrip("/"))
    return max((mtimes[path] for path in listed if path in mtimes), default=0)


def iso(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _layer(source: tarfile.TarFile, target: IO[bytes], clamp: int) -> None:
    with tarfile.open(fileobj=target, mode="w", format=tarfile.PAX_FORMAT) as out:
        for member in source:
            copy = tarfile.TarInfo(member.name)
            copy.type, copy.mode, copy.uid, copy.gid = member.type, member.mode, member.uid, member.gid
            copy.linkname, copy.size = member.linkname, member.size
            copy.devmajor, copy.devminor = member.devmajor, member.devminor
            copy.mtime = min(int(member.mtime), clamp)
            copy.uname = copy.gname = ""
            copy.pax_headers = {k: v for k, v in member.pax_headers.items() if k.startswith(KEEP_PAX)}
            out.addfile(copy, source.extractfile(member) if member.isfile() else None)


def config(
    original: Mapping[str, Any], diff_ids: list[str], image_labels: Mapping[str, str], when: int, architecture: str
) -> bytes:
    """The image's config with every time `when`, the labels given, the new layers' ids, the
    architecture it is for, and none of the build's own: its container, its intermediate image,
    its host name, the engine's version."""
    stamp = iso(when)
    settings = dict(original.get("config") or {})
    settings.update(Image="", Hostname="", Labels=dict(image_labels))
    history = [
        {
            **entry,
            "created": stamp,
            "created_by": re.sub(r"\b(dir|file):[0-9a-f]{64}", r"\1", entry.get("created_by", "")),
        }
        for entry in original.get("history") or []
    ]
    out = {
        "architecture": architecture,
        "os": original.get("os", "linux"),
        "config": settings,
        "created": stamp,
        "history": history,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    if original.get("variant"):
        out["variant"] = original["variant"]
    return json.dumps(out, sort_keys=True, separators=(",", ":")).encode()


def normalize(saved: IO[bytes], out: IO[bytes], image_labels: Mapping[str, str], architecture: str = "amd64") -> str:
    """Write into out a `docker load` archive of the image `docker save` wrote to saved, rewritten
    as this module says, with image_labels as its labels (its created label the epoch's time, no
    revision label: both would differ between builds of the same inputs); its image id."""
    with (
        tempfile.TemporaryDirectory() as work,
        tarfile.open(fileobj=saved, mode="r:") as archive,
        contextlib.ExitStack() as stack,
    ):
        (manifest,) = json.load(_file(archive, "manifest.json"))
        original = json.load(_file(archive, manifest["Config"]))
        layers = [
            stack.enter_context(tarfile.open(fileobj=_file(archive, name), mode="r:")) for name in manifest["Layers"]
        ]
        when = epoch(layers)
        written = []
        for index, layer in enumerate(layers):
            path = Path(work) / f"{index}.tar"
            with path.open("w+b") as handle:
                _layer(layer, handle, when)
                handle.seek(0)
                written.append((path, "sha256:" + _sha256(handle)))
        fixed = {key: value for key, value in image_labels.items() if key != "org.opencontainers.image.revision"}
        fixed[label_names.CREATED] = iso(when)
        data = config(original, [diff_id for _, diff_id in written], fixed, when, architecture)
        image_id = "sha256:" + hashlib.sha256(data).hexdigest()
        with tarfile.open(fileobj=out, mode="w") as result:
            _add(result, f"{image_id[7:]}.json", data)
            names = []
            for path, diff_id in written:
                name = f"{diff_id[7:]}/layer.tar"
                result.add(path, name)
                names.append(name)
            entry = [{"Config": f"{image_id[7:]}.json", "RepoTags": None, "Layers": names}]
            _add(result, "manifest.json", json.dumps(entry).encode())
    return image_id


def retarget(saved: IO[bytes], out: IO[bytes], architecture: str) -> str:
    """Write into out a `docker load` archive of the image `docker save` wrote to saved, its config
    saying the architecture it is for (the classic builder says the engine's), its layers as they
    are; its image id. An image built under an emulator gets its own platform's."""
    with tarfile.open(fileobj=saved, mode="r:") as archive, tarfile.open(fileobj=out, mode="w") as result:
        (manifest,) = json.load(_file(archive, "manifest.json"))
        data = json.dumps({**json.load(_file(archive, manifest["Config"])), "architecture": architecture}).encode()
        image_id = "sha256:" + hashlib.sha256(data).hexdigest()
        _add(result, f"{image_id[7:]}.json", data)
        for name in manifest["Layers"]:
            member = archive.getmember(name)
            result.addfile(member, archive.extractfile(member))
        entry = [{"Config": f"{image_id[7:]}.json", "RepoTags": None, "Layers": manifest["Layers"]}]
        _add(result, "manifest.json", json.dumps(entry).encode())
    return image_id


def _file(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    handle = archive.extractfile(name)
    if handle is None:
        raise ValueError(f"docker save gave no {name}")
    return handle


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()
