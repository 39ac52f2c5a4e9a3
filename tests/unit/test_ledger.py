"""The ledger in the registry, immutable tags, and the retention policy, on the fake registry."""

from __future__ import annotations

import datetime

from builder import ledger
from builder.seams import Served

from .fakes import FakeRegistry

TODAY = datetime.date(2026, 12, 2)


def serve(registry: FakeRegistry, tag: str, digest: str) -> None:
    registry.manifests[("node", tag)] = Served(digest, 1, "sha256:config-" + digest[-4:], {})


def test_appends_read_back_in_order_and_history_is_per_tag() -> None:
    registry = FakeRegistry()
    ledger.append(registry, "node", "18", [ledger.Entry("18", "sha256:a", "b1", "2026-11-01T00:00:00Z")])
    ledger.append(registry, "node", "18", [ledger.Entry("18", "sha256:b", "b2", "2026-12-01T00:00:00Z")])
    ledger.append(registry, "node", "20", [ledger.Entry("20", "sha256:c", "b3", "2026-12-01T00:00:00Z")])
    assert [e.digest for e in ledger.read(registry, "node", "18")] == ["sha256:a", "sha256:b"]
    assert [e.digest for e in ledger.history(registry, "node", "18")] == ["sha256:b", "sha256:a"]  # newest first
    assert ledger.history(registry, "node", "18-dev") == []


def test_an_immutable_tag_never_moves() -> None:
    registry = FakeRegistry()
    tag = ledger.immutable_tag(
        registry, "node", version="18.20.4", created="2026-12-02T06:00:00Z", suffix="", digest="sha256:a"
    )
    assert tag == "18.20.4-20261202"
    serve(registry, tag, "sha256:a")
    again = ledger.immutable_tag(
        registry, "node", version="18.20.4", created="2026-12-02T09:00:00Z", suffix="", digest="sha256:a"
    )
    assert again == tag  # the same build: its tag
    other = ledger.immutable_tag(
        registry, "node", version="18.20.4", created="2026-12-02T09:00:00Z", suffix="-dev", digest="sha256:b"
    )
    assert other == "18.20.4-20261202-dev"
    serve(registry, other, "sha256:b")
    second = ledger.immutable_tag(
        registry, "node", version="18.20.4", created="2026-12-02T23:00:00Z", suffix="-dev", digest="sha256:c"
    )
    assert second == "18.20.4-20261202-r2-dev"  # another build that day


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
