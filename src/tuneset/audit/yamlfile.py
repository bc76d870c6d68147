"""Round-trip YAML for the two files tuneset appends to (``models/registry.yaml``, ``conf/exclude/*.yaml``).

They are committed and read by people, so an append keeps their comments, key order and layout;
appended lists are written in block style, one entry per line.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from tuneset.audit import AuditError


def _yaml() -> YAML:
    y = YAML()  # round-trip mode: plain data only, never arbitrary objects
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    return y


def load(path: str | Path, default: str) -> CommentedMap:
    """The mapping in ``path``, or ``default`` (YAML text) parsed when the file does not exist."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else default
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise AuditError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        data = _yaml().load(default)
    if not isinstance(data, CommentedMap):
        raise AuditError(f"{path}: expected a mapping at the top level")
    return data


def block_list(data: CommentedMap, key: str, path: str | Path) -> CommentedSeq:
    """The list under ``key`` (created when missing), switched to block style for appending."""
    value = data.get(key)
    if value is None:
        value = CommentedSeq()
        data[key] = value
    if not isinstance(value, CommentedSeq):
        raise AuditError(f"{path}: {key} must be a list")
    value.fa.set_block_style()
    return value


def mapping(items: dict[str, Any]) -> CommentedMap:
    return CommentedMap(items)


def flow_list(items: list[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def dump(data: CommentedMap, path: str | Path) -> None:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(path)  # atomic: a crash never leaves half a registry
