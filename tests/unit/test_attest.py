"""SBOMs and provenance (builder.sbom) checked by the libraries' own validators, and their
attachment to an image in a registry (builder.attest) on the fake registry, with and without the
referrers API; the publish stage attaching them to each image it pushes."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.json import json_parser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from builder import attest, catalog, ledger, packages, pipeline, sbom
from builder.bases import base_image
from builder.errors import PublishError
from builder.log import Log
from builder.platforms import AMD64
from builder.run import Run
from builder.seams import Served
from builder.targets import expand, select

from .fakes import FakeEngine, FakeRegistry

DISTRO = {"ID": "debian", "VERSION_ID": "12"}
LIBC = packages.Package(
    "libc6", "2.36-9+deb12u9", "amd64", "glibc", "2.36-9+deb12u9", {}, ("LGPL-2.1+", "GPL-2+", "public-domain")
)
ZLIB = packages.Package("zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib", "1:1.2.13.dfsg-1", {}, ("Zlib",))
SUBJECT = sbom.Subject("127.0.0.1:5000/python", "3.13", "sha256:" + "ab" * 32, "2026-12-02T09:00:00Z")


def serving(referrers: bool) -> tuple[FakeRegistry, dict[str, Any]]:
    """A registry serving python:3.13 (with or without the referrers API), and its descriptor."""
    registry = FakeRegistry(offers_referrers=referrers)
    registry.manifests[("python", "3.13")] = Served(SUBJECT.digest, 1000, "sha256:c", {})
    subject = registry.descriptor("python", "3.13")
    assert subject is not None
    return registry, subject


def farm(sample: catalog.Catalog) -> tuple[FakeEngine, FakeRegistry]:
    """An engine holding the bases (bootstrapped before) and its registry."""
    registry = FakeRegistry()
    engine = FakeEngine(sample, registry)
    for base in sample.bases.values():
        engine.references[base_image(base)] = engine.add({})
    return engine, registry


@pytest.mark.parametrize(
    ("debian", "spdx"),
    [
        ("GPL-2+", "GPL-2.0-or-later"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("GPL-2", "GPL-2.0-only"),
        ("Expat", "MIT"),
        ("BSD-3-clause", "BSD-3-Clause"),
        ("Apache-2.0", "Apache-2.0"),
        ("public-domain", "LicenseRef-public-domain"),
        ("GPL-3+ with Bison exception", "LicenseRef-GPL-3-with-Bison-exception"),
    ],
)
def test_debian_licence_names_become_spdx_ids(debian: str, spdx: str) -> None:
    assert sbom.spdx_license(debian) == spdx


def test_the_spdx_document_is_valid_and_names_each_package_by_its_purl(tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    path.write_text(sbom.spdx(SUBJECT, [LIBC, ZLIB], DISTRO))
    document = json_parser.parse_from_file(str(path))
    assert validate_full_spdx_document(document) == []
    assert document.creation_info.spdx_version == "SPDX-2.3"
    by_name = {package.name: package for package in document.packages}
    assert by_name[SUBJECT.name].version == SUBJECT.digest  # the image, by its digest
    purls = {package.name: package.external_references[0].locator for package in document.packages}
    assert purls["libc6"] == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12"
    assert (
        str(by_name["libc6"].license_declared) == "LGPL-2.1-or-later AND GPL-2.0-or-later AND LicenseRef-public-domain"
    )
    assert str(by_name["zlib1g"].license_declared) == "Zlib"


def test_the_cyclonedx_document_is_valid_1_6() -> None:
    text = sbom.cyclonedx(SUBJECT, [LIBC, ZLIB], DISTRO)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    data = json.loads(text)
    assert data["specVersion"] == "1.6" and data["metadata"]["component"]["version"] == SUBJECT.digest
    assert {c["purl"] for c in data["components"]} == {
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12",
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12",
    }


def test_the_provenance_is_an_in_toto_statement_of_slsa_provenance() -> None:
    statement = json.loads(
        sbom.provenance(
            SUBJECT,
            target={"id": "python-3.13-run"},
            inputs={"dockerfile": "d1", "packages": "p1"},
            found=[LIBC],
            distro=DISTRO,
            started="2026-12-02T09:00:00Z",
            finished="2026-12-02T09:01:00Z",
            build_id="b1",
        )
    )
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"] == [{"name": SUBJECT.name, "digest": {"sha256": "ab" * 32}}]
    definition, details = statement["predicate"]["buildDefinition"], statement["predicate"]["runDetails"]
    assert definition["externalParameters"]["catalog"] == {"id": "python-3.13-run"}
    assert definition["internalParameters"]["inputs"] == {"dockerfile": "d1", "packages": "p1"}
    assert [d["uri"] for d in definition["resolvedDependencies"]] == [LIBC.purl(DISTRO)]
    assert details["metadata"]["startedOn"] == "2026-12-02T09:00:00Z" and details["builder"]["version"]


@pytest.mark.parametrize("referrers", [False, True])
def test_attached_documents_are_read_back_by_tag(referrers: bool) -> None:
    registry, subject = serving(referrers)
    documents = {"sbom.spdx.json": b"{spdx}", "sbom.cdx.json": b"{cdx}"}
    attest.attach(registry, "python", subject, "sbom", documents)
    tag = f"sha256-{'ab' * 32}.sbom"
    assert (("python", tag) in registry.documents) is not referrers  # the tag scheme only without the API
    (manifest,) = registry.documents.values()
    assert manifest["subject"]["digest"] == SUBJECT.digest and manifest["artifactType"] == attest.SPDX
    assert attest.read(registry, "python", "3.13", "sbom", AMD64) == documents
    with pytest.raises(PublishError, match="has no att attached"):
        attest.read(registry, "python", "3.13", "att", AMD64)


def test_a_registry_that_does_not_take_an_attachment_fails_the_push() -> None:
    registry = FakeRegistry(refuses_attachments=True)
    subject = {"mediaType": "x", "digest": SUBJECT.digest, "size": 1}
    with pytest.raises(PublishError, match="its sbom was not attached"):
        attest.attach(registry, "python", subject, "sbom", {"sbom.spdx.json": b"{}", "sbom.cdx.json": b"{}"})


def test_each_pushed_image_gets_its_sbom_and_provenance(sample: catalog.Catalog, tmp_path: Path) -> None:
    engine, registry = farm(sample)
    log = Log(tmp_path / "logs", io.StringIO())
    run = Run(
        sample,
        select(expand(sample), ["node-18-*"]),
        tmp_path / "out",
        log,
        connect=lambda: engine,
        given_registry=registry,
    )
    assert pipeline.execute(run, "all").exit_code == 0
    for target_id, tag in (("node-18-run", "18"), ("node-18-dev", "18-dev")):
        written = attest.files(run.out, target_id)
        assert all(path.exists() for path in written.values())
        spdx = attest.read(registry, "node", tag, "sbom", AMD64)["sbom.spdx.json"]
        assert spdx == written["sbom.spdx.json"].read_bytes()
        envelope = json.loads(attest.read(registry, "node", tag, "att", AMD64)["provenance.intoto.json"])
        statement = json.loads(base64.b64decode(envelope["payload"]))
        served = registry.served("node", tag)
        assert served and "sha256:" + statement["subject"][0]["digest"]["sha256"] == served.digest  # the image's
    run_spdx = json.loads(attest.files(run.out, "node-18-run")["sbom.spdx.json"].read_text())
    assert "runtime" in {package["name"] for package in run_spdx["packages"]}  # what status.d lists


@pytest.mark.parametrize("referrers", [False, True])
def test_what_is_attached_goes_with_its_image(referrers: bool) -> None:
    registry, subject = serving(referrers)
    attest.attach(registry, "python", subject, "sbom", {"sbom.spdx.json": b"{}", "sbom.cdx.json": b"{}"})
    attest.attach(registry, "python", subject, "att", {"provenance.intoto.json": b"{}"})
    ledger = ("python", "ledger-3.13")
    registry.documents[ledger] = {"layers": []}  # not attached to it: stays
    registry.delete("python", SUBJECT.digest)
    assert len(attest.detach(registry, "python", SUBJECT.digest)) == 2
    assert list(registry.documents) == [ledger]


def test_a_failed_attachment_fails_the_push_and_the_next_run_attaches(sample: catalog.Catalog, tmp_path: Path) -> None:
    engine, registry = farm(sample)

    def run() -> Run:
        log = Log(tmp_path / "logs", io.StringIO())
        targets = select(expand(sample), ["node-18-*"])
        return Run(sample, targets, tmp_path / "out", log, connect=lambda: engine, given_registry=registry)

    registry.refuses_attachments = True
    assert pipeline.execute(run(), "all").exit_code == 7
    assert ledger.read(registry, "node", "18")  # pushed by digest, and the ledger says so,
    assert registry.digest("node", "18") is None  # but no tag serves an image without its attachments
    pushes = list(engine.pushes)

    registry.refuses_attachments = False
    assert pipeline.execute(run(), "all").exit_code == 0
    assert engine.pushes == pushes  # nothing pushed again: attached
    assert attest.read(registry, "node", "18", "sbom", AMD64) and attest.read(registry, "node", "18-dev", "att", AMD64)


def test_a_fresh_folder_on_the_same_engine_attaches_nothing_again(sample: catalog.Catalog, tmp_path: Path) -> None:
    engine, registry = farm(sample)

    def run(out: str) -> Run:
        log = Log(tmp_path / "logs", io.StringIO())
        targets = select(expand(sample), ["node-18-*"])
        return Run(sample, targets, tmp_path / out, log, connect=lambda: engine, given_registry=registry)

    assert pipeline.execute(run("out"), "all").exit_code == 0
    documents = dict(registry.documents)
    again = pipeline.execute(run("fresh"), "all")
    assert again.exit_code == 0 and {o.status.value for o in again.items} == {"unchanged"}
    assert registry.documents == documents


def test_a_provenance_of_unknown_build_times_gives_none() -> None:
    """An image taken from the engine or the registry, not built here: its build's times are not
    known, so none are made up."""
    text = sbom.provenance(
        SUBJECT, target={}, inputs={}, found=[], distro=DISTRO, started="", finished="", build_id="b1"
    )
    assert json.loads(text)["predicate"]["runDetails"]["metadata"] == {"invocationId": "b1"}


def test_the_same_image_pushed_to_another_registry_gets_its_attachments_there(
    sample: catalog.Catalog, tmp_path: Path
) -> None:
    """Attachments are a repository's: the record of one does not stand for another (the fault test
    publishes the same images to a second namespace from the same work folder)."""
    engine, registry = farm(sample)
    other = FakeRegistry(host="other.test")

    def run(to: FakeRegistry) -> Run:
        log = Log(tmp_path / "logs", io.StringIO())
        targets = select(expand(sample), ["node-18-*"])
        return Run(sample, targets, tmp_path / "out", log, connect=lambda: engine, given_registry=to)

    assert pipeline.execute(run(registry), "all").exit_code == 0
    engine.registry = other
    assert pipeline.execute(run(other), "push").exit_code == 0
    assert other.digest("node", "18") == registry.digest("node", "18")  # the same image
    assert attest.read(other, "node", "18", "sbom", AMD64) and attest.read(other, "node", "18-dev", "att", AMD64)
