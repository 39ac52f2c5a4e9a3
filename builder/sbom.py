"""Report stage's documents for each pushed image: its SBOM, in SPDX 2.3 JSON (spdx-tools) and
CycloneDX 1.6 JSON (cyclonedx-python-lib), and its provenance, an in-toto Statement v1 with a SLSA
provenance v1 predicate (in-toto-attestation). Each names the image by its manifest digest, and
each package by its purl; pure logic over the package lists builder.packages reads."""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense
from cyclonedx.output.json import JsonV1Dot6
from google.protobuf import json_format
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement
from license_expression import get_spdx_licensing
from packageurl import PackageURL
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    ExtractedLicensingInfo,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from builder import __version__, packages

BUILDER_ID = "https://github.com/birdhouse/birdhouse"
BUILD_TYPE = "https://github.com/birdhouse/birdhouse/blob/main/docs/design.md#provenance"
SLSA_PROVENANCE = "https://slsa.dev/provenance/v1"
# Debian's short licence names (copyright-format 1.0) that differ from SPDX's; a name ending in +
# is that licence "or later"; what SPDX does not know becomes a LicenseRef- of the same name
DEBIAN_LICENSES = {
    "Expat": "MIT",
    "BSD-2-clause": "BSD-2-Clause",
    "BSD-3-clause": "BSD-3-Clause",
    "BSD-4-clause": "BSD-4-Clause",
    "GPL-2": "GPL-2.0-only",
    "GPL-3": "GPL-3.0-only",
    "LGPL-2": "LGPL-2.0-only",
    "LGPL-2.1": "LGPL-2.1-only",
    "LGPL-3": "LGPL-3.0-only",
    "AGPL-3": "AGPL-3.0-only",
    "GFDL-1.2": "GFDL-1.2-only",
    "GFDL-1.3": "GFDL-1.3-only",
    "MPL-1.1": "MPL-1.1",
    "MPL-2.0": "MPL-2.0",
    "PSF-2": "PSF-2.0",
    "Zlib": "Zlib",
    "zlib": "Zlib",
    "Artistic": "Artistic-1.0-Perl",
    "Apache-2": "Apache-2.0",
}
_licensing = get_spdx_licensing()


@dataclass(frozen=True)
class Subject:
    """The image a document is about: its repository (registry/namespace/language), tag and
    manifest digest, and when it was built."""

    repository: str
    tag: str
    digest: str
    created: str  # ISO 8601, UTC

    @property
    def name(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def when(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.created.replace("Z", "+00:00"))

    @property
    def purl(self) -> str:
        qualifiers = {"repository_url": self.repository, "tag": self.tag}
        return PackageURL("oci", None, self.repository.rsplit("/", 1)[-1], self.digest, qualifiers).to_string()


def spdx_license(name: str) -> str:
    """A Debian licence short name as an SPDX identifier (or LicenseRef-<name>)."""
    name = DEBIAN_LICENSES.get(name, name)
    later = name.endswith("+")
    base = DEBIAN_LICENSES.get(name.rstrip("+"), name.rstrip("+"))
    known = {symbol.key.lower(): symbol.key for symbol in _licensing.known_symbols.values()}
    for candidate in (f"{base.removesuffix('-only')}-or-later", f"{base}+") if later else (base,):
        if candidate.lower() in known and not candidate.endswith("+"):
            return str(known[candidate.lower()])
    return "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-")


def _licenses(package: packages.Package) -> list[str]:
    return list(dict.fromkeys(spdx_license(name) for name in package.licenses))


def spdx(subject: Subject, found: Iterable[packages.Package], distro: Mapping[str, str]) -> str:
    """The SPDX 2.3 JSON document of an image and its packages; raises ValueError if spdx-tools
    finds it invalid."""
    found = list(found)
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=subject.name,
        document_namespace=f"{BUILDER_ID}/sbom/{subject.repository}/{subject.digest}",
        creators=[Actor(ActorType.TOOL, f"birdhouse-{__version__}")],
        created=subject.when.replace(tzinfo=None),
    )
    image = Package(
        spdx_id="SPDXRef-image",
        name=subject.name,
        download_location=SpdxNoAssertion(),
        version=subject.digest,
        files_analyzed=False,
        primary_package_purpose=PackagePurpose.CONTAINER,
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", subject.purl)],
    )
    listed = [image]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-image")]
    refs: set[str] = set()
    for package in found:
        spdx_id = "SPDXRef-deb-" + re.sub(r"[^A-Za-z0-9.-]+", "-", package.name)
        names = _licenses(package)
        refs.update(name for name in names if name.startswith("LicenseRef-"))
        listed.append(
            Package(
                spdx_id=spdx_id,
                name=package.name,
                download_location=SpdxNoAssertion(),
                version=package.version,
                supplier=Actor(ActorType.ORGANIZATION, "Debian") if package.maintainer else None,
                files_analyzed=False,
                homepage=package.homepage or None,
                source_info=f"built from the Debian source package {package.source} {package.source_version}",
                license_declared=_licensing.parse(" AND ".join(names)) if names else SpdxNoAssertion(),
                license_concluded=SpdxNoAssertion(),
                copyright_text=SpdxNoAssertion(),
                primary_package_purpose=PackagePurpose.LIBRARY,
                external_references=[
                    ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", package.purl(distro))
                ],
            )
        )
        relationships.append(Relationship("SPDXRef-image", RelationshipType.CONTAINS, spdx_id))
    extracted = [
        ExtractedLicensingInfo(
            license_id=ref,
            extracted_text=f"The licence the Debian copyright file names {ref.removeprefix('LicenseRef-')}",
            license_name=ref.removeprefix("LicenseRef-"),
        )
        for ref in sorted(refs)
    ]
    document = Document(info, packages=listed, relationships=relationships, extracted_licensing_info=extracted)
    problems = validate_full_spdx_document(document)
    if problems:
        raise ValueError(f"{subject.name}: invalid SPDX: {problems[0].validation_message}")
    stream = io.StringIO()
    write_document_to_stream(document, stream, validate=False)
    return stream.getvalue() + "\n"


def cyclonedx(subject: Subject, found: Iterable[packages.Package], distro: Mapping[str, str]) -> str:
    """The CycloneDX 1.6 JSON document of an image and its packages."""
    bom = Bom()
    bom.metadata.timestamp = subject.when
    bom.metadata.component = image = Component(
        name=subject.name, version=subject.digest, type=ComponentType.CONTAINER, bom_ref=subject.purl
    )
    for package in found:
        purl = package.purl(distro)
        component = Component(
            name=package.name,
            version=package.version,
            type=ComponentType.LIBRARY,
            purl=PackageURL.from_string(purl),
            bom_ref=purl,
            licenses=[_cdx_license(name) for name in _licenses(package)],
            external_references=[ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(package.homepage))]
            if package.homepage
            else [],
        )
        bom.components.add(component)
        bom.register_dependency(image, [component])
    text: str = JsonV1Dot6(bom).output_as_string(indent=1)
    return text + "\n"


def _cdx_license(name: str) -> DisjunctiveLicense:
    if name.startswith("LicenseRef-"):
        return DisjunctiveLicense(name=name.removeprefix("LicenseRef-"))
    return DisjunctiveLicense(id=name)


def provenance(
    subject: Subject,
    *,
    target: Mapping[str, Any],
    inputs: Mapping[str, str],
    found: Iterable[packages.Package],
    distro: Mapping[str, str],
    started: str,
    finished: str,
    build_id: str,
    revision: str = "",
) -> str:
    """The in-toto Statement v1 (SLSA provenance v1 predicate) of an image: its catalog entry as
    the build's parameters, the build id's inputs (the rendered Dockerfile's digest, its context,
    the base and the package index), the packages resolved as its dependencies, and the builder's
    version and git revision."""
    digest = {"sha256": subject.digest.removeprefix("sha256:")}
    image = ResourceDescriptor(name=subject.name, digest=digest).pb
    predicate = {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {"catalog": dict(target)},
            "internalParameters": {"inputs": dict(inputs), "buildId": build_id},
            "resolvedDependencies": [
                {"uri": package.purl(distro), "name": package.name, "annotations": {"version": package.version}}
                for package in found
            ],
        },
        "runDetails": {
            "builder": {"id": BUILDER_ID, "version": {"birdhouse": __version__, "revision": revision}},
            "metadata": {
                "invocationId": build_id,
                **({"startedOn": started} if started else {}),
                **({"finishedOn": finished} if finished else {}),
            },
        },
    }
    statement = Statement([image], SLSA_PROVENANCE, predicate)
    statement.validate()
    data: dict[str, Any] = json_format.MessageToDict(statement.pb, preserving_proto_field_name=False)
    return json.dumps(data, indent=1, sort_keys=True) + "\n"
