"""The exclusion list (the right to be forgotten), applied at ingest before anything else.

``conf/exclude/*.yaml`` lists ``origin_ids``, ``group_ids`` and ``text_hashes`` to remove: a
customer's deletion request, a takedown. ``tuneset forget`` appends to it; every unit matching it is
dropped at ingest by the rule ``excluded``, whose reason names the list that matched and never the
text.

Text hashes are keyed: ``hmac-sha256:<key fingerprint>:<HMAC-SHA256(key, normalized turn text)>``.
The key comes from the environment (``TUNESET_PII_SALT``, the secret the PII stage uses), never
from ``conf/`` or ``params.yaml``, so the list cannot be reversed by hashing guesses without the key.
Normalization is Unicode NFKC, case folding and collapsed whitespace, so a turn equal to the
forgotten text up to case and spacing is excluded too. The key fingerprint in each entry makes a
changed key an error, not a silent miss.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import hashing, ledger
from tuneset import schema as col
from tuneset.config import ExcludeConfig
from tuneset.frames import records_frame
from tuneset.rules import Rule, register

STAGE = "ingest"
KEY_ENV = "TUNESET_PII_SALT"
SCHEME = "hmac-sha256"
_HASH = re.compile(r"^hmac-sha256:([0-9a-f]{16}):([0-9a-f]{64})$")
_SPACE = re.compile(r"\s+")


class ExclusionKeyError(ValueError):
    """Text hashes cannot be checked: the key is missing or is not the one they were made with."""


def exclusion_key(environ: Mapping[str, str] | None = None) -> str | None:
    """The key of the text hashes, from ``TUNESET_PII_SALT`` (None when unset or empty)."""
    value = (os.environ if environ is None else environ).get(KEY_ENV, "")
    return value or None


def normalize_text(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed to single spaces and trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def key_fingerprint(key: str) -> str:
    """16 hex digits identifying the key without revealing it."""
    return hmac.new(key.encode("utf-8"), b"tuneset exclude key fingerprint", hashlib.sha256).hexdigest()[:16]


def text_hash(text: str, key: str) -> str:
    """The exclusion-list entry of a text: ``hmac-sha256:<key fingerprint>:<hex digest>``."""
    digest = hmac.new(key.encode("utf-8"), normalize_text(text).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return f"{SCHEME}:{key_fingerprint(key)}:{digest.hexdigest()}"


def check_text_hash(entry: str) -> tuple[str, str]:
    """``(key fingerprint, digest)`` of a well-formed entry; ValueError otherwise."""
    m = _HASH.match(entry)
    if not m:
        raise ValueError(f"exclude.text_hashes: {entry!r} is not {SCHEME}:<16 hex key fingerprint>:<64 hex digest> "
                         f"(write entries with `tuneset forget --text`)")
    return m.group(1), m.group(2)


@register
@dataclass(frozen=True)
class Excluded(Rule):
    """Drops every unit listed in ``conf/exclude`` (deletion requests, takedowns), at ingest, before any
    other stage sees it: by ``origin_id``, by ``group_id``, or because one of its turns (after NFKC,
    case folding and whitespace collapsing) has a keyed hash listed in ``text_hashes``. The reason
    names the list that matched, never the text, and the preview is left empty."""

    name: ClassVar[str] = "excluded"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = STAGE
    origin_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    text_hashes: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: ExcludeConfig) -> Excluded:
        return cls(tuple(sorted(set(cfg.origin_ids))), tuple(sorted(set(cfg.group_ids))),
                   tuple(sorted(set(cfg.text_hashes))))

    @property
    def empty(self) -> bool:
        return not (self.origin_ids or self.group_ids or self.text_hashes)


def _digests(rule: Excluded, key: str | None) -> set[str]:
    """The HMAC digests to look for; errors when the key is missing or differs from the entries'."""
    if not rule.text_hashes:
        return set()
    parsed = [check_text_hash(h) for h in rule.text_hashes]
    if key is None:
        raise ExclusionKeyError(f"exclude.text_hashes lists {len(parsed)} keyed text hash(es), but {KEY_ENV} is not "
                                f"set: set it to the key they were made with")
    fp = key_fingerprint(key)
    other = sorted({f for f, _ in parsed if f != fp})
    if other:
        raise ExclusionKeyError(f"exclude.text_hashes were made with key fingerprint(s) {', '.join(other)}, but "
                                f"{KEY_ENV} has fingerprint {fp}: set {KEY_ENV} to the key they were made with, or "
                                f"re-run `tuneset forget --text` for those texts under the new key")
    return {d for _, d in parsed}


def _turn_texts(record: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    out = []
    for field in (col.MESSAGES, col.CHOSEN, col.REJECTED):
        for i, m in enumerate(record.get(field) or ()):
            content = m.get("content")
            if isinstance(content, str) and content:
                out.append((field, i, content))
    return out


def match_reason(record: Mapping[str, Any], rule: Excluded, digests: set[str], hasher: Any,
                 origins: set[str], groups: set[str]) -> tuple[str, str] | None:
    """``(list name, reason)`` when ``record`` is excluded, else None. Reasons never quote text."""
    if record.get(col.ORIGIN_ID) in origins:
        return "origin_ids", "origin_id is listed in exclude.origin_ids"
    if record.get(col.GROUP_ID) in groups:
        return "group_ids", "group_id is listed in exclude.group_ids"
    if digests:
        for field, i, content in _turn_texts(record):
            h = hasher.copy()
            h.update(normalize_text(content).encode("utf-8", "surrogatepass"))
            if h.hexdigest() in digests:
                return "text_hashes", f"{field}[{i}] matches a keyed hash in exclude.text_hashes"
    return None


def apply_exclusions(df: pd.DataFrame, cfg: ExcludeConfig, key: str | None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``(kept frame, dropped rows)``: every record matching the exclusion list is dropped by ``excluded``.

    ``key`` is the text-hash key (:func:`exclusion_key`); it is needed only when ``text_hashes`` is
    not empty. Raises :class:`ExclusionKeyError` when it is missing or is not the entries' key.
    """
    rule = Excluded.from_config(cfg)
    if rule.empty or df.empty:
        return df, []
    digests = _digests(rule, key)
    hasher = hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256) if digests and key else None
    origins, groups = set(rule.origin_ids), set(rule.group_ids)
    # Cheap vectorized pre-selection; only rows that can match are looked at one by one.
    candidates = df[col.ORIGIN_ID].isin(origins) | df[col.GROUP_ID].isin(groups)
    if digests:
        candidates[:] = True
    dropped: list[dict[str, Any]] = []
    keep = pd.Series(True, index=df.index)
    for i, record in zip(df.index[candidates.to_numpy()], df.loc[candidates].to_dict("records")):
        hit = match_reason(record, rule, digests, hasher, origins, groups)
        if hit:
            listed, reason = hit
            keep[i] = False
            dropped.append(ledger.dropped_row(record, stage=STAGE, rule=rule, reason=reason,
                                              details={"list": listed}, preview_text=""))
    return df.loc[keep.to_numpy()].reset_index(drop=True), dropped


def check_key(cfg: ExcludeConfig, key: str | None) -> None:
    """Raise :class:`ExclusionKeyError` now (before any data is read) when the text hashes cannot be checked."""
    _digests(Excluded.from_config(cfg), key)


class ExclusionFilter:
    """The exclusion list as a batch sink for streaming ingest: each batch of records loses its excluded
    ones, which are kept in ``dropped``; the rest go on to ``write`` (e.g. ``ParquetSink.write_frame``).

    The key is checked when the filter is made, so a missing or wrong key fails before reading.
    """

    def __init__(self, cfg: ExcludeConfig, key: str | None, write: Callable[[pd.DataFrame], None]) -> None:
        check_key(cfg, key)
        self.cfg = cfg
        self.key = key
        self.write = write
        self.dropped: list[dict[str, Any]] = []

    def __call__(self, records: Sequence[Mapping[str, Any]]) -> None:
        kept, dropped = apply_exclusions(records_frame(records), self.cfg, self.key)
        self.dropped += dropped
        self.write(kept)


def exclude_quarantined(dropped: pd.DataFrame, cfg: ExcludeConfig) -> pd.DataFrame:
    """Quarantine rows (unreadable units) listed by origin_id: rewritten as ``excluded``, preview emptied.

    An unreadable unit has no text to hash and no group, so only ``origin_ids`` can name it; it stays
    one dropped row, so the books still balance.
    """
    rule = Excluded.from_config(cfg)
    if not rule.origin_ids or dropped.empty:
        return dropped
    hit = dropped[col.ORIGIN_ID].isin(set(rule.origin_ids))
    if not hit.any():
        return dropped
    out = dropped.copy()
    out.loc[hit, col.RULE] = rule.name
    out.loc[hit, col.RULE_FINGERPRINT] = rule.fingerprint()
    out.loc[hit, col.REASON] = "origin_id is listed in exclude.origin_ids"
    out.loc[hit, col.DETAILS] = hashing.canonical_json({"list": "origin_ids", "rule_version": rule.version})
    out.loc[hit, col.PREVIEW] = ""
    return out
