"""Labels of kept examples: source fields, mappings, rule labels, taxonomies and derived labels."""

from __future__ import annotations

import json

import pytest

from tuneset import config
from tuneset import schema as col
from tuneset.config import LabelsConfig, TaxonomyClassConfig, TaxonomyConfig
from tuneset.coverage import Taxonomy, compute_labels, length_bucket
from tuneset.frames import records_frame

TOOLS = json.dumps([{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}])

INTENTS = TaxonomyConfig(text="prompt", default="other", classes=[
    TaxonomyClassConfig(value="refund", keywords=["refund", "money back"]),
    TaxonomyClassConfig(value="billing", keywords=["charged", "invoice"]),
    TaxonomyClassConfig(value="login", keywords=["sign in", "two-factor"], patterns=[r"pass(?:word|code)"]),
])


@pytest.mark.parametrize("text, expected", [
    ("I was charged twice, can I get a refund?", "refund"),  # both match: the first class in order wins
    ("Where is my INVOICE?", "billing"),
    ("I can't Sign-In anymore", "login"),  # punctuation separates words on both sides
    ("forgot my Passcode", "login"),  # a pattern
    ("signing in fails", "other"),  # whole words only: "signing" is not "sign in"
    ("", "other"),
])
def test_taxonomy_first_matching_class_wins(text, expected):
    assert Taxonomy(INTENTS).classify(text) == expected


@pytest.mark.parametrize("n, expected", [(0, "0-255"), (255, "0-255"), (256, "256-1023"), (4095, "1024-4095"),
                                         (4096, "4096+"), (None, None)])
def test_length_bucket(n, expected):
    assert length_bucket(n, [256, 1024, 4096]) == expected


def test_label_sources_and_precedence(record_factory):
    recs = [
        record_factory(locator="1", user="I was charged twice", labels={"category": "Refunds", "intent": "kept"}),
        record_factory(locator="2", user="I was charged twice", labels={"category": "Billing"}),
        record_factory(locator="3", user="Can I get a refund?", meta={"segment": "smb"}),
        record_factory(locator="4", user="Hello there", tools=TOOLS),
    ]
    df = records_frame(recs).assign(n_tokens=[10, 300, 5000, 20])
    cfg = LabelsConfig(fields={"intent": "category", "segment": "segment"},
                       values={"intent": {"Refunds": "refund", "Billing": "billing"}},
                       taxonomies={"intent": INTENTS}, derived=["length_bucket", "has_tools", "turns", "origin"])
    labels = compute_labels(df, cfg, rule_labels={"refusal": ["no", "yes", "no", "no"], "intent": ["x"] * 4})
    # 1: the source's own intent wins over the mapping, the rule and the taxonomy
    assert labels[0]["intent"] == "kept" and labels[0]["category"] == "Refunds"
    # 2: the mapped field (renamed by values) wins over the rule label and the taxonomy
    assert labels[1]["intent"] == "billing"
    # 3: no category: the rule's intent label comes before the taxonomy
    assert labels[2]["intent"] == "x" and labels[2]["segment"] == "smb"
    assert [m["refusal"] for m in labels] == ["no", "yes", "no", "no"]
    assert [m["length_bucket"] for m in labels] == ["0-255", "256-1023", "4096+", "0-255"]
    assert [m["has_tools"] for m in labels] == ["no", "no", "no", "yes"]
    assert [m["turns"] for m in labels] == ["1"] * 4 and labels[0]["origin"] == "unknown"


def test_taxonomy_labels_rows_without_other_sources(record_factory):
    df = records_frame([record_factory(locator="1", user="Can I get my money back?"),
                        record_factory(locator="2", user="Nice weather")])
    labels = compute_labels(df, LabelsConfig(derived=[], taxonomies={"intent": INTENTS}))
    assert [m.get("intent") for m in labels] == ["refund", "other"]


def test_empty_frame_and_empty_values(record_factory):
    assert compute_labels(records_frame([]), LabelsConfig()) == []
    df = records_frame([record_factory(labels={"csat": ""}, meta={"segment": "  "})])
    (labels,) = compute_labels(df, LabelsConfig(fields={"segment": "segment"}, derived=[]))
    assert labels == {"csat": ""}  # a source's own labels stay as they are; an empty mapped value is no label


@pytest.mark.parametrize("values, message", [
    ({"labels": {"derived": ["colour"]}}, "filter.labels.derived: unknown label(s) ['colour']"),
    ({"labels": {"length_edges": [100, 50]}}, "filter.labels.length_edges"),
    ({"labels": {"taxonomies": {"intent": {"classes": [{"value": "x", "patterns": ["(oops"]}]}}}},
     "filter.labels.taxonomies.intent.classes[0].patterns"),
    ({"labels": {"taxonomies": {"intent": {"text": "title", "classes": [{"value": "x", "keywords": ["a"]}]}}}},
     "filter.labels.taxonomies.intent.text"),
    ({"coverage": {"targets": [{"label": "intent"}]}}, "filter.coverage.targets[0]: set min_count"),
    ({"coverage": {"pairs": [["intent"]]}}, "filter.coverage.pairs[0]"),
    ({"balance": [{"label": "intent", "max_share": 1.5}]}, "filter.balance[0]"),
    ({"balance": [{"labl": "intent"}]}, "Key 'labl' not in 'BalanceCapConfig'"),
])
def test_bad_label_and_coverage_config_is_an_error_at_load(values, message):
    with pytest.raises(config.ConfigError) as info:
        config.load_section("filter", {"filter": values})
    assert message in str(info.value)


def test_conf_filter_files_load():
    from omegaconf import OmegaConf

    from tests.conftest import REPO

    for name in ("default", "sample"):
        values = OmegaConf.to_container(OmegaConf.load(REPO / "conf" / "filter" / f"{name}.yaml"))
        values.pop("defaults", None)
        cfg = config.load_section("filter", {"filter": values})
        assert cfg.rules or name == "sample"
    sample = config.load_section("filter", {"filter": {k: v for k, v in OmegaConf.to_container(
        OmegaConf.load(REPO / "conf" / "filter" / "sample.yaml")).items() if k != "defaults"}})
    assert set(sample.labels.taxonomies) == {"intent"} and sample.coverage.targets[0].label == "intent"
    assert col.LABELS == "labels"
