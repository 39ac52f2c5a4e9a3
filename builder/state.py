"""What each stage learned about an image, kept in out/state/<id>.json between commands.

`build`, `test` and `push` can run as separate commands (as CI runs them): each reads the
state the one before it left, and `push` only pushes the exact image whose tests passed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class State:
    id: str
    image_id: str = ""
    build_id: str = ""  # builder.buildid: what the image was built from
    version: str = ""  # as the runtime reports it
    tags: tuple[str, ...] = ()
    size: int = 0  # uncompressed, as the engine reports it
    floor: int = 0  # run images: the closure floor (builder.floor), the library floor in it
    libraries: int = 0  # run images: the bytes the library floor adds to the runtime's own closure
    compressed: int = 0  # as pushed: the manifest's layers and config
    tests: tuple[CheckResult, ...] = ()
    tested_image: str = ""  # the image the tests ran on
    tests_digest: str = ""  # smoketest.tests_digest: the tests they were
    pushed: dict[str, str] = field(default_factory=dict)  # reference -> this image's digest
    digest: str = ""  # this image's manifest in the registry (pushed by digest, under its own tag)
    index: str = ""  # the index its first tag serves, which names this image for its platform
    started: str = ""  # when its build started and finished (UTC, ISO 8601): its provenance
    finished: str = ""
    attested: str = ""  # repository@digest its SBOM and provenance are attached to (builder.attest)
    decision: str = ""  # builder.decide: what the last run decided, and why
    outcomes: dict[str, str] = field(default_factory=dict)  # stage -> what it last did (builder.run.Status)
    error: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.tests) and self.tested_image == self.image_id and all(t.ok for t in self.tests)

    def evolve(self, **changes: object) -> State:
        return replace(self, **changes)  # type: ignore[arg-type]

    def anew(self, **image: object) -> State:
        """The record of another image of this target: nothing of the one before, but what the
        run decided about the target and what it did so far."""
        return replace(State(self.id, decision=self.decision, outcomes=self.outcomes), **image)  # type: ignore[arg-type]


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, target_id: str) -> Path:
        return self.folder / f"{target_id}.json"

    def get(self, target_id: str) -> State:
        try:
            data = json.loads(self._path(target_id).read_text())
        except FileNotFoundError:
            return State(id=target_id)
        data["tags"] = tuple(data["tags"])
        data["tests"] = tuple(CheckResult(**test) for test in data["tests"])
        return State(**data)

    def put(self, state: State) -> State:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(state.id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
        return state
