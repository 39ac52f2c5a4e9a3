"""Publish stage's last step: what travels with each pushed image. Its SBOM (SPDX 2.3 and CycloneDX
1.6 JSON) and its provenance (an in-toto Statement, as an unsigned DSSE envelope), made by
builder.sbom from the packages the image holds, written under out/sbom/ and attached to the image
in the registry by its manifest digest: an OCI artifact manifest whose `subject` is the image,
found through the OCI 1.1 referrers API where the registry offers it, else under the tags
`sha256-<hex>.sbom` and `sha256-<hex>.att` that cosign and ORAS read (distribution 2.8, the
embedded registry, has no referrers API)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from builder import build, labels, packages
from builder.errors import PublishError
from builder.floor import Tree
from builder.platforms import Platform
from builder.registry import put_artifact
from builder.seams import Engine, Registry
from builder.state import Store
from builder.targets import Target

SPDX = "application/spdx+json"
CYCLONEDX = "application/vnd.cyclonedx+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO = "application/vnd.in-toto+json"
TITLE = "org.opencontainers.image.title"
# kind -> the artifact's type and its files: (title, media type)
KINDS = {
    "sbom": (SPDX, (("sbom.spdx.json", SPDX), ("sbom.cdx.json", CYCLONEDX))),
    "att": (IN_TOTO, (("provenance.intoto.json", DSSE),)),
}


def files(out: Path, target_id: str) -> dict[str, Path]:
    """Where an image's documents are written: out/sbom/<id>.{spdx,cdx,provenance}.json."""
    folder = out / "sbom"
    return {
        "sbom.spdx.json": folder / f"{target_id}.spdx.json",
        "sbom.cdx.json": folder / f"{target_id}.cdx.json",
        "provenance.intoto.json": folder / f"{target_id}.provenance.json",
    }


def image_packages(engine: Engine, image: str, variant: str) -> tuple[list[packages.Package], dict[str, str]]:
    """The Debian packages an image holds and its distro: a run image's status.d, a dev image's
    dpkg database."""
    with engine.export(image) as tar:
        tree = Tree(tar)
        found = packages.installed(tree) if variant == "run" else packages.in_database(tree)
        return found, packages.os_release(tree)


def attest(
    engine: Engine, target: Target, store: Store, registry: Registry, out: Path, *, digest: str
) -> dict[str, Path]:
    """Make, write and attach target's SBOM and provenance to digest, what its first tag serves;
    PublishError if the registry does not take them."""
    # imported here, not for every command: its SPDX, CycloneDX and in-toto libraries take
    # half a second to load, more than the rest of a no-op run's Python
    from builder import sbom  # noqa: PLC0415

    state = store.get(target.id)
    repository = registry.repository(target.language)
    config = engine.inspect(state.image_id)["Config"].get("Labels") or {}
    subject = sbom.Subject(repository, state.tags[0], digest, config.get(labels.CREATED, "") or "1970-01-01T00:00:00Z")
    found, distro = image_packages(engine, state.image_id, target.variant)
    inputs = json.loads(config.get(labels.INPUTS) or "{}")
    statement = sbom.provenance(
        subject,
        target=target.as_dict(),
        inputs=inputs,
        found=found,
        distro=distro,
        started=state.started,  # unknown for an image adopted from the engine or the registry
        finished=state.finished,
        build_id=state.build_id,
        revision=build.revision(),
    )
    envelope = {"payloadType": IN_TOTO, "payload": base64.b64encode(statement.encode()).decode(), "signatures": []}
    documents = {
        "sbom.spdx.json": sbom.spdx(subject, found, distro).encode(),
        "sbom.cdx.json": sbom.cyclonedx(subject, found, distro).encode(),
        "provenance.intoto.json": (json.dumps(envelope, indent=1) + "\n").encode(),
    }
    described = registry.descriptor(target.language, digest)
    if described is None:
        raise PublishError(f"{repository}@{digest}: the registry does not serve it, so nothing is attached to it")
    for kind in KINDS:
        attach(registry, target.language, described, kind, documents)
    written = files(out, target.id)  # once attached: a run after a failed attachment attaches them again
    for title, path in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(documents[title])
    return written


def attach(registry: Registry, language: str, subject: dict[str, Any], kind: str, documents: dict[str, bytes]) -> str:
    """Push the artifact of kind (KINDS: its type and files, from documents by title) with subject
    as its subject; its digest."""
    artifact_type, parts = KINDS[kind]
    layers = [(media, documents[title], {TITLE: title}) for title, media in parts]
    referrers = registry.referrers(language, subject["digest"])
    reference = None if referrers is not None else tag_of(subject["digest"], kind)
    pushed = put_artifact(registry, language, reference, artifact_type, layers, subject=subject)
    if not pushed:
        raise PublishError(f"{registry.repository(language)}@{subject['digest']}: its {kind} was not attached")
    return pushed


def tag_of(digest: str, kind: str) -> str:
    """The tag cosign and ORAS look under for an artifact of digest's image: sha256-<hex>.<kind>."""
    return digest.replace(":", "-") + f".{kind}"


def found(registry: Registry, language: str, digest: str) -> dict[str, str]:
    """What is attached to digest's image, kind -> the artifact's digest: as the referrers API lists
    it where the registry has one, else under the tags of the tag scheme."""
    referrers = registry.referrers(language, digest)
    if referrers is None:
        return {kind: d for kind in KINDS if (d := registry.digest(language, tag_of(digest, kind)))}
    kinds = {artifact_type: kind for kind, (artifact_type, _) in KINDS.items()}
    return {kinds[m["artifactType"]]: m["digest"] for m in referrers if m.get("artifactType") in kinds}


def read(registry: Registry, language: str, tag: str, kind: str, platform: Platform) -> dict[str, bytes]:
    """The documents attached to language:tag's image for platform (title -> data); PublishError
    if none."""
    served = registry.served(language, tag, platform)
    if served is None:
        raise PublishError(f"{registry.repository(language)}:{tag}: the registry serves no {platform.name} image")
    digest = served.digest
    artifact = found(registry, language, digest).get(kind)
    manifest = registry.manifest(language, artifact) if artifact else None
    if manifest is None:
        raise PublishError(f"{registry.repository(language)}:{tag} ({digest}) has no {kind} attached")
    out = {}
    for layer in manifest.get("layers", []):
        data = registry.blob(language, layer["digest"])
        if data is None:
            raise PublishError(f"{registry.repository(language)}:{tag}: its {kind} lacks {layer['digest']}")
        out[layer.get("annotations", {}).get(TITLE, layer["digest"])] = data
    return out


def attached(registry: Registry, language: str, digest: str) -> bool:
    """Whether digest's image has its SBOM and provenance attached in the registry."""
    return set(found(registry, language, digest)) == set(KINDS)


def detach(registry: Registry, language: str, digest: str) -> list[str]:
    """Delete what is attached to digest's image (its image gone): every referrer where the
    registry lists them, else what the tag scheme names; the digests deleted."""
    referrers = registry.referrers(language, digest)
    deleted = (
        [m["digest"] for m in referrers] if referrers is not None else list(found(registry, language, digest).values())
    )
    for artifact in deleted:
        registry.delete(language, artifact)
    return deleted


def statement(envelope: bytes) -> dict[str, Any]:
    """The in-toto Statement a DSSE envelope carries."""
    data: dict[str, Any] = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    return data
