"""Metadata predicates over source fields: structured config, never code."""

from __future__ import annotations

import json

import pytest

from tuneset import schema as col
from tuneset.filter import apply_rules, build_rules
from tuneset.filter.fields import Fields
from tuneset.filter.metadata import describe_predicate, evaluate_predicate, parse_predicate
from tuneset.frames import records_frame


@pytest.fixture
def frame(record_factory):
    rows = [
        dict(locator="1", labels={"csat": "5", "channel": "chat"}, meta={"created_at": "2026-01-05T09:52:00Z"}),
        dict(locator="2", labels={"csat": "2", "channel": "email"}, meta={"created_at": "2023-06-01T10:00:00Z"}),
        dict(locator="3", labels={"csat": ""}, meta={"agent_to_agent": True, "ticket": {"priority": "high"}}),
        dict(locator="4", meta={"csat": 1, "agent_to_agent": "false"}),
    ]
    return records_frame([record_factory(**r) for r in rows])


@pytest.mark.parametrize("predicate, expected", [
    ({"field": "csat", "op": "lt", "value": 3}, [False, True, False, True]),  # labels, else meta; "" is missing
    ({"field": "csat", "op": "ge", "value": 3}, [True, False, False, False]),
    ({"field": "labels.csat", "op": "missing"}, [False, False, True, True]),
    ({"field": "csat", "op": "exists"}, [True, True, False, True]),
    ({"field": "agent_to_agent", "op": "eq", "value": True}, [False, False, True, False]),
    ({"field": "agent_to_agent", "op": "ne", "value": True}, [False, False, False, True]),  # missing matches nothing
    ({"field": "created_at", "op": "lt", "value": "2024-01-01"}, [False, True, False, False]),
    ({"field": "meta.ticket.priority", "op": "in", "value": ["high", "urgent"]}, [False, False, True, False]),
    ({"field": "channel", "op": "not_in", "value": ["chat"]}, [False, True, False, False]),
    ({"field": "channel", "op": "contains", "value": "MAI"}, [False, True, False, False]),
    ({"field": "channel", "op": "matches", "value": "^e"}, [False, True, False, False]),
    ({"field": "source", "op": "eq", "value": "test"}, [True, True, True, True]),  # a canonical column
    ({"any": [{"field": "csat", "op": "lt", "value": 3}, {"field": "agent_to_agent", "op": "eq", "value": "yes"}]},
     [False, True, True, True]),
    ({"all": [{"field": "csat", "op": "lt", "value": 3}, {"field": "channel", "op": "exists"}]},
     [False, True, False, False]),
    ({"not": {"field": "channel", "op": "exists"}}, [False, False, True, True]),
])
def test_predicates(frame, predicate, expected):
    assert evaluate_predicate(parse_predicate(predicate), Fields(frame)).tolist() == expected


def test_metadata_rule_drops_matching_rows_with_the_predicate_as_reason(frame):
    rules = build_rules([{"rule": "metadata", "drop_if": {"field": "csat", "op": "lt", "value": 3}}])
    out = apply_rules(frame, rules)
    assert out.kept[col.LOCATOR].tolist() == ["1", "3"]
    assert out.dropped[col.RULE].tolist() == ["metadata", "metadata"]
    assert "csat lt 3" in out.dropped[col.REASON].iat[0]
    assert json.loads(out.dropped[col.DETAILS].iat[0])["threshold"] == {"drop_if": "csat lt 3"}


@pytest.mark.parametrize("text", ["__import__('os').system('x')", "csat < 3", "lambda: 1"])
def test_a_string_is_never_evaluated(text):
    with pytest.raises(ValueError, match="a predicate is a mapping"):
        parse_predicate(text)


def test_describe_predicate_shows_config_only():
    node = parse_predicate({"any": [{"field": "csat", "op": "lt", "value": 3}, {"not": {"field": "x", "op": "missing"}}]})
    assert describe_predicate(node) == "any(csat lt 3; not (x missing))"
