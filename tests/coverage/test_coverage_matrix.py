"""The coverage matrix: counts by label and pair, targets with fill rates, and the gaps worklist."""

from __future__ import annotations

import pandas as pd
import pytest

from tuneset import schema as col
from tuneset.config import CoverageConfig, CoverageTargetConfig, FilterConfig, LabelsConfig, TargetConfig
from tuneset.coverage import CoverageTally
from tuneset.filter import apply_filter
from tuneset.frames import records_frame

INTENTS = ["billing", "refund", "login"]


def _labels(n_billing: int, n_refund: int, n_login: int) -> list[dict[str, str]]:
    rows = []
    for intent, n in (("billing", n_billing), ("refund", n_refund), ("login", n_login)):
        rows += [{"intent": intent, "channel": "chat" if i % 2 else "email"} for i in range(n)]
    return rows


def test_a_thin_intent_is_listed_as_a_gap(record_factory):
    """The acceptance case: a sample whose refund intent is deliberately thin."""
    recs = [record_factory(locator=str(i), user=f"question {i}", labels=m) for i, m in enumerate(_labels(6, 2, 5))]
    cfg = FilterConfig(rules=[], labels=LabelsConfig(derived=[]), coverage=CoverageConfig(targets=[
        CoverageTargetConfig(label="intent", min_count=5, values=INTENTS + ["cancel"])]))
    result = apply_filter(records_frame(recs), cfg, TargetConfig())
    cov = result.coverage
    assert cov["labels"]["intent"]["values"] == {"billing": 6, "login": 5, "refund": 2}
    assert cov["gaps"] == [
        {"label": "intent", "value": "cancel", "count": 0, "target": 5, "missing": 5, "fill": 0.0},
        {"label": "intent", "value": "refund", "count": 2, "target": 5, "missing": 3, "fill": 0.4},
    ]
    assert cov["fill_rate"] == {"intent": round((1 + 0.4 + 1 + 0) / 4, 4)}
    assert cov["targets"][0] == {"label": "intent", "by": None, "min_count": 5, "min_share": 0.0, "wanted": 5,
                                      "cells": 4, "met": 2, "fill_rate": 0.6}


def test_counts_by_label_and_pair_and_pair_targets():
    tally = CoverageTally()
    tally.add_labels(_labels(4, 3, 1) + [{"channel": "chat"}])
    cfg = CoverageConfig(targets=[CoverageTargetConfig(label="intent", by="channel", min_count=2,
                                                       values=INTENTS, by_values=["chat", "email"])])
    report = tally.report(cfg)
    assert report["examples"] == 9
    assert report["labels"]["intent"] == {"distinct": 3, "labeled": 8, "unlabeled": 1, "other": 0,
                                              "values": {"billing": 4, "refund": 3, "login": 1}}
    assert report["pairs"] == {"channel": {"intent": {"chat": {"billing": 2, "refund": 1},
                                                      "email": {"billing": 2, "login": 1, "refund": 2}}}}
    gaps = {(g["value"], g["by_value"]): (g["count"], g["missing"]) for g in report["gaps"]}
    assert gaps == {("login", "chat"): (0, 2), ("login", "email"): (1, 1), ("refund", "chat"): (1, 1)}
    assert report["fill_rate"] == {"intent by channel": round((1 + 1 + 0.5 + 1 + 0 + 0.5) / 6, 4)}


def test_min_share_targets_and_value_limits():
    tally = CoverageTally()
    tally.add_labels(_labels(8, 2, 0))
    report = tally.report(CoverageConfig(max_values=1, targets=[CoverageTargetConfig(label="intent", min_share=0.3)]))
    assert report["labels"]["intent"]["values"] == {"billing": 8} and report["labels"]["intent"]["other"] == 2
    assert report["targets"][0]["wanted"] == 3  # ceil(0.3 * 10)
    assert [g["value"] for g in report["gaps"]] == ["refund"]  # only values seen when none are listed


def test_batches_and_order_do_not_change_the_report():
    labels = _labels(5, 4, 3)
    whole, parts = CoverageTally(), CoverageTally()
    whole.add_labels(labels)
    df = pd.DataFrame({col.LABELS: list(reversed(labels))})
    parts.add(df.iloc[:5])
    parts.add(df.iloc[5:])
    cfg = CoverageConfig(targets=[CoverageTargetConfig(label="intent", min_count=4)])
    assert whole.report(cfg) == parts.report(cfg)


def test_empty_tally():
    report = CoverageTally().report(CoverageConfig(targets=[CoverageTargetConfig(label="intent", min_count=3,
                                                                                  values=["a"])]))
    assert report["examples"] == 0 and report["labels"] == {} and report["gaps"][0]["missing"] == 3


@pytest.mark.parametrize("explicit", [True, False])
def test_pairs_default_to_small_labels(explicit):
    tally = CoverageTally()
    tally.add_labels([{"intent": "a", "id": str(i), "channel": "chat"} for i in range(30)])
    cfg = CoverageConfig(pair_max_values=20, pairs=[["intent", "id"]] if explicit else [])
    pairs = tally.report(cfg)["pairs"]
    if explicit:
        assert list(pairs) == ["intent"] and len(pairs["intent"]["id"]["a"]) == 30
    else:
        assert pairs == {"channel": {"intent": {"chat": {"a": 30}}}}  # id has 30 values: not crossed
