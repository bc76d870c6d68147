"""Rule fingerprints: computed once per rule instance, always the hash of its name, version and parameters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from tuneset import hashing
from tuneset.rules import Rule


@dataclass(frozen=True)
class _Bounded(Rule):  # not registered: a test rule
    """Test rule: keeps values up to ``max``."""

    name: ClassVar[str] = "test_bounded"
    max: int = 5
    labels: list[str] = dataclasses.field(default_factory=lambda: ["a"])


def _fresh(rule: Rule) -> str:
    return hashing.sha256_json({"rule": rule.name, "version": rule.version, "params": dataclasses.asdict(rule)})[:16]


def test_fingerprint_is_computed_once_and_equals_a_fresh_computation(monkeypatch):
    calls = []
    sha256_json = hashing.sha256_json
    monkeypatch.setattr(hashing, "sha256_json", lambda obj: calls.append(obj) or sha256_json(obj))
    rule = _Bounded()
    first = rule.fingerprint()
    assert rule.fingerprint() == first == rule.describe()["fingerprint"] and len(calls) == 1
    assert first == _fresh(rule) == _Bounded().fingerprint()


def test_fingerprint_changes_with_a_parameter_and_the_memo_is_not_a_parameter():
    rule = _Bounded()
    rule.fingerprint()
    changed = dataclasses.replace(rule, max=6)
    assert changed.fingerprint() == _fresh(changed) != rule.fingerprint()
    assert _Bounded(labels=["b"]).fingerprint() not in (rule.fingerprint(), changed.fingerprint())
    assert rule == _Bounded() and rule.params() == {"max": 5, "labels": ["a"]} and "_fingerprint" not in repr(rule)
