"""The ledger in the registry, immutable tags, and the retention policy, on the fake registry."""

from __future__ import annotations

import datetime
from functools import partial

from builder import labels, ledger
from builder.platforms import AMD64, ARM64, Platform
from builder.seams import Served

from .fakes import FakeRegistry

TODAY = datetime.date(2026, 12, 2)


def serve(registry: FakeRegistry, tag: str, digest: str) -> None:
    registry.manifests[("node", tag)] = Served(digest, 1, "sha256:config-" + digest.removeprefix("sha256:"), {})


def test_appends_read_back_in_order_and_history_is_per_tag() -> None:
    registry = FakeRegistry()
    ledger.append(registry, "node", "18", [ledger.Entry("18", "sha256:a", "b1", "2026-11-01T00:00:00Z")])
    ledger.append(registry, "node", "18", [ledger.Entry("18", "sha256:b", "b2", "2026-12-01T00:00:00Z")])
    ledger.append(registry, "node", "20", [ledger.Entry("20", "sha256:c", "b3", "2026-12-01T00:00:00Z")])
    assert [e.digest for e in ledger.read(registry, "node", "18")] == ["sha256:a", "sha256:b"]
    assert [e.digest for e in ledger.history(registry, "node", "18")] == ["sha256:b", "sha256:a"]  # newest first
    assert ledger.history(registry, "node", "18-dev") == []


def own(registry: FakeRegistry, created: str, suffix: str, image_id: str, platform: Platform = AMD64) -> str:
    tag, served = ledger.immutable_tag(
        registry, "node", version="18.20.4", created=created, suffix=suffix, image_id=image_id, platform=platform
    )
    assert (served is not None) == (registry.digest("node", tag) is not None)
    return tag


def test_an_immutable_tag_never_moves() -> None:
    registry = FakeRegistry()
    tag = own(registry, "2026-12-02T06:00:00Z", "", "sha256:config-a")
    assert tag == "18.20.4-20261202"
    serve(registry, tag, "sha256:a")
    assert own(registry, "2026-12-02T09:00:00Z", "", "sha256:config-a") == tag  # the same image: its tag
    other = own(registry, "2026-12-02T09:00:00Z", "-dev", "sha256:config-b")
    assert other == "18.20.4-20261202-dev"
    serve(registry, other, "sha256:b")
    second = own(registry, "2026-12-02T23:00:00Z", "-dev", "sha256:config-c")
    assert second == "18.20.4-20261202-r2-dev"  # another build that day
    assert own(registry, "2026-12-02T23:00:00Z", "-dev", "sha256:config-c", ARM64) == "18.20.4-20261202-dev-arm64"


def test_an_image_pushed_by_digest_is_found_by_its_build_id() -> None:
    registry = FakeRegistry()
    for tag, digest, build_id in (
        ("18.20.4-20261201-arm64", "sha256:old", "b1"),
        ("18.20.4-20261202-arm64", "sha256:new", "b2"),
        ("18.20.4-20261202-dev-arm64", "sha256:dev", "b2"),  # another variant
        ("18.20.4-20261202", "sha256:amd", "b2"),  # another platform
        ("180.1-20261202-arm64", "sha256:other", "b2"),  # another version
    ):
        registry.manifests[("node", tag)] = Served(digest, 1, "sha256:c" + digest[-3:], {labels.BUILD_ID: build_id})
        registry.architectures[digest] = "amd64" if tag.endswith("02") else "arm64"
    find = partial(ledger.own_image, registry, "node", version="18", suffix="", platform=ARM64)
    assert find(build_id="b2") == ("18.20.4-20261202-arm64", registry.manifests[("node", "18.20.4-20261202-arm64")])
    assert find(build_id="b1") == ("18.20.4-20261201-arm64", registry.manifests[("node", "18.20.4-20261201-arm64")])
    assert find(build_id="b3") is None


def test_retention_keeps_what_is_served_or_named_in_the_window() -> None:
    registry = FakeRegistry()
    serve(registry, "18", "sha256:current")
    serve(registry, "18.20.4-20261130", "sha256:current")  # old, but 18 serves it
    serve(registry, "18.20.3-20260901", "sha256:named")  # old, named by the ledger within the window
    serve(registry, "18.20.2-20260801", "sha256:gone")  # old, served by nothing else, named by nothing recent
    serve(registry, "18.20.4-20261125", "sha256:recent")  # within the window
    ledger.append(registry, "node", "18", [ledger.Entry("18", "sha256:named", "b", "2026-11-20T00:00:00Z"),
                                          ledger.Entry("18", "sha256:gone", "b", "2026-08-01T00:00:00Z")])  # fmt: skip
    assert ledger.expired(registry, "node", 30, TODAY) == {"sha256:gone": "18.20.2-20260801"}


def test_retention_keeps_what_an_index_names() -> None:
    registry = FakeRegistry()
    serve(registry, "18.20.2-20260801", "sha256:amd")  # old, served by no tag itself,
    serve(registry, "18.20.2-20260801-arm64", "sha256:arm")
    serve(registry, "18.20.1-20260701-arm64", "sha256:gone")
    entry = {"mediaType": "m", "size": 1}
    registry.put_index("node", "18", [entry | {"digest": d, "platform": {"architecture": a, "os": "linux"}}
                                      for d, a in (("sha256:amd", "amd64"), ("sha256:arm", "arm64"))])  # fmt: skip
    assert ledger.expired(registry, "node", 30, TODAY) == {"sha256:gone": "18.20.1-20260701-arm64"}  # but by 18's index
