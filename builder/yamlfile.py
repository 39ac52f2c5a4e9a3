"""A YAML file as plain data (dicts, lists, strings, numbers, booleans, None), read strictly: a
catalog comes from pull requests, so nothing in it may crash, hang or surprise the builder.

Only a regular file of a sane size is read; it must be UTF-8. The document is composed by libyaml
and then walked here, so that: a mapping's keys are strings, each once (`on:` and `123:` are not,
and a second `python:` would silently drop the first); anchors and aliases are refused (no alias
bomb, no self-reference); dates stay the strings they were written as (the schema checks them);
numbers are finite and short; strings hold no control character (no newline to start a Dockerfile
instruction with); nesting is shallow. Every refusal names the line."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from builder.errors import CatalogError

MAX_BYTES = 1 << 20  # the catalog is ~50 kB
MAX_DEPTH = 32
MAX_SCALAR = 4096  # characters in one value
SCALARS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML has it: 10× faster
_constructor = yaml.constructor.SafeConstructor()


def read(path: Path) -> str:
    """The text of a regular file of at most MAX_BYTES, as UTF-8."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO does not block the open
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the catalog: {error.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CatalogError(f"{path}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise CatalogError(f"{path}: {info.st_size} bytes: a catalog is at most {MAX_BYTES} bytes")
        data = handle.read(MAX_BYTES + 1)
    return decode(data, path)


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CatalogError(f"{path}:{line}: not UTF-8 (byte {data[error.start]:#04x})") from None


def load(text: str, path: Path) -> Any:
    """The document in text as plain data; CatalogError naming the line of what is refused."""
    if len(text) > MAX_BYTES:
        raise CatalogError(f"{path}: {len(text)} characters: a catalog is at most {MAX_BYTES}")
    try:
        node = yaml.compose(text, Loader=COMPOSER)
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from None
    except RecursionError:
        raise CatalogError(f"{path}: nested too deeply") from None
    return None if node is None else _plain(node, path, set(), 0)


def _refuse(node: yaml.Node, path: Path, what: str) -> CatalogError:
    return CatalogError(f"{path}:{node.start_mark.line + 1}: {what}")


def _plain(node: yaml.Node, path: Path, seen: set[int], depth: int) -> Any:
    if id(node) in seen or getattr(node, "anchor", None):
        raise _refuse(node, path, "anchors and aliases (&, *) are not taken: write the value out")
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise _refuse(node, path, f"nested more than {MAX_DEPTH} deep")
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key, value in node.value:
            if not (isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:str"):
                shown = key.value if isinstance(key, yaml.ScalarNode) else "a collection"
                raise _refuse(key, path, f"the key {shown!r} is not a string: quote it")
            if key.value in out:
                raise _refuse(key, path, f"the key '{key.value}' comes twice in one mapping")
            out[_string(key, path)] = _plain(value, path, seen, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, path, seen, depth + 1) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag not in SCALARS:
        raise _refuse(node, path, f"the tag {node.tag} is not taken")
    if len(node.value) > MAX_SCALAR:
        raise _refuse(node, path, f"a value of {len(node.value)} characters (at most {MAX_SCALAR})")
    if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        return _string(node, path)  # a date is the string it was written as: the schema checks it
    value = _constructor.construct_object(node)
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(node, path, f"{node.value} is not a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise _refuse(node, path, f"{node.value[:20]}… is too big a number")
    return value


def _string(node: yaml.ScalarNode, path: Path) -> str:
    control = next((c for c in node.value if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if control is not None:
        raise _refuse(node, path, f"a control character ({control!r}) in {node.value[:40]!r}")
    return str(node.value)
