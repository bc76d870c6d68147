"""The filter rule engine: every rule scores every row, first failure is the reason, scores kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
import pytest

from tuneset import schema as col
from tuneset.config import ConfigError
from tuneset.filter import SCORE_PREFIX, apply_rules, build_rules, describe_rules, filter_rules
from tuneset.filter.engine import FilterRule
from tuneset.frames import records_frame
from tuneset.rules import register


@register
@dataclass(frozen=True)
class _MinLocator(FilterRule):
    """Test rule: keep rows whose numeric locator is at least ``min_value``."""

    name: ClassVar[str] = "test_min_locator"
    min_value: int = 0

    def score(self, df):
        return df[col.LOCATOR].astype(int)

    def keep(self, score):
        return score >= self.min_value

    def reason(self, score, row):
        return f"locator {score} < {self.min_value}"


@register
@dataclass(frozen=True)
class _EvenLocator(FilterRule):
    """Test rule: keep rows whose numeric locator is even."""

    name: ClassVar[str] = "test_even_locator"

    def score(self, df):
        return df[col.LOCATOR].astype(int) % 2

    def keep(self, score):
        return score == 0


@pytest.fixture
def frame(record_factory):
    return records_frame([record_factory(locator=str(i), user=f"q{i}") for i in range(1, 7)])


def test_first_failing_rule_is_the_reason_and_every_failure_is_counted(frame):
    rules = build_rules([{"rule": "test_min_locator", "min_value": 4}, {"rule": "test_even_locator"}])
    out = apply_rules(frame, rules)
    assert out.kept[col.LOCATOR].tolist() == ["4", "6"]
    assert out.dropped[col.LOCATOR].tolist() == ["1", "2", "3", "5"]
    assert out.dropped[col.RULE].tolist() == ["test_min_locator"] * 3 + ["test_even_locator"]
    assert out.failed_by_rule == {"test_min_locator": 3, "test_even_locator": 3}  # 1, 3 and 5 are odd
    assert out.dropped_by_rule == {"test_even_locator": 1, "test_min_locator": 3}
    assert sum(out.dropped_by_rule.values()) == len(out.dropped)


def test_scores_are_kept_beside_the_decision(frame):
    rules = build_rules([{"rule": "test_min_locator", "min_value": 4}, {"rule": "test_even_locator"}])
    out = apply_rules(frame, rules)
    assert out.kept[SCORE_PREFIX + "test_min_locator"].tolist() == [4, 6]
    assert out.kept[SCORE_PREFIX + "test_even_locator"].tolist() == [0, 0]
    details = json.loads(out.dropped[col.DETAILS].iat[0])
    assert details == {"rule_version": 1, "score": 1, "params": {"min_value": 4},
                       "scores": {"test_min_locator": 1, "test_even_locator": 1}}
    assert out.dropped[col.REASON].iat[0] == "data/raw/t.jsonl 1: locator 1 < 4"
    assert out.dropped[col.STAGE].unique().tolist() == ["filter"]


def test_order_changes_the_reason_not_the_decision(frame):
    a = apply_rules(frame, build_rules([{"rule": "test_min_locator", "min_value": 4}, {"rule": "test_even_locator"}]))
    b = apply_rules(frame, build_rules([{"rule": "test_even_locator"}, {"rule": "test_min_locator", "min_value": 4}]))
    assert a.kept[col.ORIGIN_ID].tolist() == b.kept[col.ORIGIN_ID].tolist()
    assert b.dropped_by_rule == {"test_even_locator": 3, "test_min_locator": 1}


def test_rule_fingerprint_follows_its_parameters():
    a, b = build_rules([{"rule": "test_min_locator", "min_value": 4}]), build_rules([{"rule": "test_min_locator"}])
    assert a[0].fingerprint() != b[0].fingerprint()


@pytest.mark.parametrize("specs, message", [
    ([{"rule": "nope"}], "filter.rules[0].rule: 'nope' is not a filter rule"),
    ([{"rule": "known_roles"}], "is not a filter rule"),  # a normalize rule cannot be used here
    ([{"rule": "test_min_locator", "min_valu": 3}], "unknown parameter(s) ['min_valu']"),
    ([{"rule": "test_even_locator"}, {"rule": "test_even_locator"}], "listed twice"),
    ([{"rule": "context_limit", "limit": 0}], "limit must be positive"),
])
def test_bad_rule_config_is_an_error_naming_the_entry(specs, message):
    with pytest.raises(ConfigError) as info:
        build_rules(specs)
    assert message in str(info.value)


def test_required_rules_go_first_unless_listed():
    assert [r.name for r in build_rules([{"rule": "test_even_locator"}], required=["test_min_locator"])] == \
        ["test_min_locator", "test_even_locator"]
    assert [r.name for r in build_rules([{"rule": "test_even_locator"}, {"rule": "test_min_locator"}],
                                        required=["test_min_locator"])] == ["test_even_locator", "test_min_locator"]


def test_empty_frame(record_factory):
    empty = records_frame([])
    out = apply_rules(empty, build_rules([{"rule": "test_even_locator"}]))
    assert out.kept.empty and out.dropped.empty and out.failed_by_rule == {"test_even_locator": 0}
    assert SCORE_PREFIX + "test_even_locator" in out.kept.columns


def test_registry_lists_documented_filter_rules():
    names = set(filter_rules())
    assert {"template_renders", "context_limit", "trained_tokens"} <= names
    for d in describe_rules():
        assert d["stage"] == "filter" and d["doc"] and len(d["fingerprint"]) == 16
    assert isinstance(pd.DataFrame(describe_rules()), pd.DataFrame)
