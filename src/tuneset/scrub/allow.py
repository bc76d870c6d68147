"""The leak gate's allow file, ``conf/pii/allow.yaml``: values a person looked at and accepted.

``tuneset pii review --allow ID`` (or ``a`` at its prompt) appends the finding's keyed hash here, so
the next ``dvc repro`` lets that value pass :mod:`tuneset.scrub.leakscan`. The file holds keyed
hashes only (BLAKE2b under ``TUNESET_PII_SALT``, as ``tuneset forget`` stores its text hashes),
never a plain value, so it can be committed::

    salt_fingerprint: <tuneset.scrub.salt.fingerprint(key)>
    values:
      - {added: <finding id>, check: unscrubbed_value, hash: <32 hex>, type: PHONE}

An entry allows a finding of the same ``check`` whose value has the same keyed hash, in any file,
line or group. Under another key every hash differs, so a file whose fingerprint is not the key's
is an error (:class:`AllowFileError`), never a silent "nothing allowed"; a file with no entries
matches any key. A missing file is an empty list.

The file lives in ``conf/pii/`` beside the Hydra options of the ``pii`` group but is not one: it is
never selected in ``conf/config.yaml``, so it never reaches ``params.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tuneset.scrub.salt import fingerprint

PATH = "conf/pii/allow.yaml"
#: The checks of :mod:`tuneset.scrub.leakscan` an entry can allow.
CHECKS = ("original_value", "original_digits", "unscrubbed_value")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEADER = """\
# Values the leak gate (stage leak_scan) accepts: findings a person reviewed and allowed.
# Written by `tuneset pii review` (`--allow ID`, or `a` at its prompt); commit it with the dataset.
# It holds keyed hashes only (BLAKE2b keyed with TUNESET_PII_SALT), never a plain value. Under
# another key the hashes match nothing: salt_fingerprint says which key made them, and the gate
# fails (asking for `tuneset pii review` again) rather than ignore them. No entries: any key.
"""


class AllowFileError(ValueError):
    """The allow file cannot be used: malformed, or made with another key. The message names the file and the fix."""


@dataclass(frozen=True, order=True)
class Entry:
    """One allowed value: its keyed hash, the check and type of the finding, and the finding's id."""

    hash: str
    check: str
    type: str
    added: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"hash": self.hash, "check": self.check, "type": self.type, "added": self.added}


@dataclass
class AllowList:
    """The entries of one allow file, and the fingerprint of the key they were made with (None: no entries yet)."""

    entries: list[Entry] = field(default_factory=list)
    salt_fingerprint: str | None = None
    #: entries found in the file but made under another key (kept only when loaded with ``discard_stale``)
    stale: int = 0

    def allows(self, check: str, value_hash: str) -> bool:
        return (check, value_hash) in self._keys

    @property
    def _keys(self) -> set[tuple[str, str]]:
        return {(e.check, e.hash) for e in self.entries}

    def add(self, entries: Iterable[Entry]) -> list[Entry]:
        """Add the entries not yet allowed (by check and hash); returns those added."""
        have = self._keys
        added = []
        for e in entries:
            if (e.check, e.hash) not in have:
                self.entries.append(e)
                have.add((e.check, e.hash))
                added.append(e)
        return added

    def __len__(self) -> int:
        return len(self.entries)


def stale_message(path: str | Path, n: int) -> str:
    return (f"{path} was made with another TUNESET_PII_SALT; its {n} entries no longer match anything: "
            f"run `tuneset pii review` again")


def _entry(raw: Any, path: Path, i: int) -> Entry:
    if not isinstance(raw, dict):
        raise AllowFileError(f"{path}: values[{i}] must be a mapping with hash, check, type (and added)")
    h, check, type_ = str(raw.get("hash", "")), str(raw.get("check", "")), str(raw.get("type", ""))
    if not _HEX32.match(h):
        raise AllowFileError(f"{path}: values[{i}].hash must be 32 lower-case hex digits (a keyed hash written by "
                             f"`tuneset pii review`), not a plain value")
    if check not in CHECKS:
        raise AllowFileError(f"{path}: values[{i}].check must be one of {', '.join(CHECKS)}")
    if not type_:
        raise AllowFileError(f"{path}: values[{i}].type is missing")
    return Entry(h, check, type_, str(raw.get("added") or ""))


def load(path: str | Path, salt: str, *, discard_stale: bool = False) -> AllowList:
    """The allow list in ``path`` for the key ``salt``; a missing file is an empty list.

    Entries made under another key raise :class:`AllowFileError` (:func:`stale_message`); with
    ``discard_stale`` (``tuneset pii review``, which rewrites the file) they are left out instead
    and counted in :attr:`AllowList.stale`.
    """
    path = Path(path)
    if not path.exists():
        return AllowList()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AllowFileError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("values") or [], list):
        raise AllowFileError(f"{path}: expected a mapping with salt_fingerprint and a list `values`")
    entries = [_entry(raw, path, i) for i, raw in enumerate(data.get("values") or [])]
    recorded = data.get("salt_fingerprint") or None
    if not entries:
        return AllowList()
    if recorded is None:
        raise AllowFileError(f"{path} lists {len(entries)} entries but no salt_fingerprint, so they cannot be checked "
                             f"against TUNESET_PII_SALT: run `tuneset pii review` again")
    if recorded != fingerprint(salt):
        if discard_stale:
            return AllowList(stale=len(entries))
        raise AllowFileError(stale_message(path, len(entries)))
    return AllowList(sorted(set(entries)), recorded)


def dumps(allow: AllowList, salt: str) -> str:
    """The file text: the header, then sorted keys and entries (the same list always gives the same bytes)."""
    values = [e.as_dict() for e in sorted(set(allow.entries))]
    body: dict[str, Any] = {"values": values}
    if values:
        body["salt_fingerprint"] = fingerprint(salt)
    return HEADER + yaml.safe_dump(body, sort_keys=True, default_flow_style=False, allow_unicode=True, width=4096)


def save(path: str | Path, allow: AllowList, salt: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(allow, salt), encoding="utf-8")
