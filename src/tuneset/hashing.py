"""Content hashes that give every unit, example and dataset version a stable identity.

Hashes are over canonical JSON (sorted keys, UTF-8, no insignificant whitespace), so the same
content gets the same id on any machine, whatever the key order or formatting of the input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def canonical_json(obj: Any) -> str:
    """Serialize ``obj`` the one way tuneset hashes it: sorted keys, compact, non-ASCII kept."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_text(canonical_json(obj))


def origin_id(path: str, locator: str, raw: bytes) -> str:
    """Identity of a unit as read: sha256 of ``path \\0 locator \\0 raw bytes``; never changes."""
    h = hashlib.sha256()
    h.update(path.encode("utf-8"))
    h.update(b"\0")
    h.update(locator.encode("utf-8"))
    h.update(b"\0")
    h.update(raw)
    return h.hexdigest()


def canonical_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message with absent and null fields treated alike, so Parquet round trips keep the id."""
    return {k: v for k, v in message.items() if v is not None}


def canonical_messages(messages: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    if messages is None:
        return None
    return [canonical_message(m) for m in messages]


def example_id(
    kind: str,
    messages: Sequence[Mapping[str, Any]],
    chosen: Sequence[Mapping[str, Any]] | None = None,
    rejected: Sequence[Mapping[str, Any]] | None = None,
    tools: str | None = None,
) -> str:
    """Identity of the content: changes exactly when kind, messages, chosen/rejected or tools change."""
    body = {
        "kind": kind,
        "messages": canonical_messages(messages),
        "chosen": canonical_messages(chosen),
        "rejected": canonical_messages(rejected),
        "tools": json.loads(tools) if tools else None,
    }
    return sha256_json(body)


def group_id(source: str, key: str) -> str:
    """The ``group_id`` of a group key taken from the data (a ticket, conversation or customer id):
    scoped by its source, so ticket 17 of two exports stays two groups, and hashed, so a key that is
    an email or a customer number never reaches the manifest or the audit index in clear. A
    pseudonym, not anonymity: whoever holds a candidate key can hash it and look it up."""
    return f"{source}:{sha256_text('tuneset-group' + chr(0) + key)[:24]}"


def dataset_version(pairs: Iterable[tuple[str, str]]) -> str:
    """sha256 of the sorted ``example_id<TAB>split\\n`` lines: the identity of a dataset version."""
    lines = sorted(f"{eid}\t{split}\n" for eid, split in pairs)
    return sha256_text("".join(lines))


def fraction(key: str, salt: str) -> float:
    """A uniform number in [0, 1) from sha256(salt:key), the same on every machine."""
    digest = hashlib.sha256(f"{salt}:{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
