"""Token budgets: rendered counts, the context/trained-token rules, percentiles and the estimate."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tuneset import schema as col
from tuneset import tokens
from tuneset.config import FilterConfig, TargetConfig
from tuneset.filter import N_TOKENS, N_TRAINED_TOKENS, apply_filter, percentile
from tuneset.frames import records_frame
from tuneset.templates import get_template


def run(records, target=TargetConfig(), cfg=FilterConfig()):
    return apply_filter(records_frame(records), cfg, target)


def test_n_tokens_is_the_rendered_count_with_the_target_template(record_factory):
    rec = record_factory(system="Be brief.")
    for tokenizer, template in [("o200k_base", "chatml"), ("cl100k_base", "gemma"), ("llama3", "llama3"),
                                ("qwen3", "mistral")]:
        result = run([rec], TargetConfig(tokenizer=tokenizer, template=template))
        counter = tokens.TokenCounter(tokenizer)
        expected = counter.count_rendered(get_template(template).render(rec[col.MESSAGES]))
        row = result.examples.iloc[0]
        assert (row[N_TOKENS], row[N_TRAINED_TOKENS]) == expected
        assert result.examples[N_TOKENS].dtype == "int64"


def test_over_length_examples_are_dropped_with_count_and_limit_never_truncated(record_factory):
    short = record_factory(locator="1")
    long = record_factory(locator="2", answer="word " * 500)
    result = run([short, long], TargetConfig(context_tokens=100))
    assert result.examples[col.LOCATOR].tolist() == ["1"]
    row = result.dropped.iloc[0]
    n = json.loads(row[col.DETAILS])["score"]
    assert row[col.RULE] == "context_limit" and n > 500
    assert f"{n:,} tokens > context limit 100 (o200k_base, chatml template)" in row[col.REASON]
    assert result.report["tokens"]["over_limit"] == {"count": 1, "max": n, "limit": 100}
    assert result.examples.iloc[0][col.MESSAGES][-1]["content"] == short[col.MESSAGES][-1]["content"]


def test_all_labels_masked_is_caught_by_trained_tokens(record_factory, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "masks.jinja").write_text("{% for m in messages %}<|im_start|>{{ m.role }}<|im_end|>{% endfor %}")
    result = run([record_factory()], TargetConfig(template="masks.jinja"))
    assert result.examples.empty
    assert result.dropped[col.RULE].tolist() == ["trained_tokens"]
    assert "all labels masked" in result.dropped[col.REASON].iat[0]


def test_a_template_that_refuses_an_example_is_a_named_drop(record_factory, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nosys.jinja").write_text(
        "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
        "{{ m.content }}<|im_end|>{% endfor %}")
    result = run([record_factory(locator="1"), record_factory(locator="2", system="S")],
                 TargetConfig(template="nosys.jinja"))
    assert result.examples[col.LOCATOR].tolist() == ["1"]
    assert result.dropped[col.RULE].tolist() == ["template_renders"]
    assert "no system role" in result.dropped[col.REASON].iat[0]
    assert result.report["failed_by_rule"]["template_renders"] == 1


def test_preference_pairs_count_the_longer_side_and_both_per_epoch(record_factory):
    rec = record_factory(kind="preference", answer="A much longer chosen answer than the other one.")
    result = run([rec])
    counter = tokens.TokenCounter("o200k_base")
    t = get_template("chatml")
    n = len(rec[col.MESSAGES])
    chosen = counter.count_rendered(t.render(rec[col.MESSAGES] + rec[col.CHOSEN], None, n))
    rejected = counter.count_rendered(t.render(rec[col.MESSAGES] + rec[col.REJECTED], None, n))
    row = result.examples.iloc[0]
    assert row[N_TOKENS] == max(chosen[0], rejected[0]) and row[N_TRAINED_TOKENS] == min(chosen[1], rejected[1])
    assert result.report["tokens"]["training"]["tokens_per_epoch"] == chosen[0] + rejected[0]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 19, 20, 21, 100, 101])
def test_percentiles_are_nearest_rank(n):
    values = sorted(random.Random(n).randrange(1000) for _ in range(n))
    for p in (5, 50, 95, 100):
        assert percentile(values, p) == int(np.percentile(values, p, method="inverted_cdf"))
    assert percentile([10, 20, 30, 40], 50) == 20 and percentile([10, 20, 30, 40], 5) == 10
    assert percentile(list(range(1, 101)), 95) == 95 and percentile(list(range(1, 21)), 95) == 19


def test_report_percentiles_near_limit_and_cost(record_factory):
    recs = [record_factory(locator=str(i), answer="word " * (i * 10)) for i in range(1, 21)]
    target = TargetConfig(context_tokens=220, epochs=2, price_per_million_tokens=25.0)
    result = run(recs, target)
    t = result.report["tokens"]
    kept = sorted(result.examples[N_TOKENS])
    assert t["n_tokens"]["count"] == len(kept) and t["n_tokens"]["max"] == kept[-1]
    assert t["n_tokens"]["p50"] == percentile(kept, 50) and t["n_tokens"]["p95"] == percentile(kept, 95)
    assert t["near_limit"]["threshold"] == 198
    assert t["near_limit"]["count"] == sum(v > 198 for v in kept) > 0
    assert t["near_limit"]["examples"][0]["n_tokens"] == kept[-1]
    assert t["training"]["tokens_per_epoch"] == sum(kept)
    assert t["training"]["total_tokens"] == 2 * sum(kept)
    assert t["training"]["estimated_cost"] == round(2 * sum(kept) / 1e6 * 25.0, 4)
    assert result.report["rows_in"] == 20 == result.report["rows_out"] + len(result.dropped)


def test_scores_columns_and_empty_frame(record_factory):
    result = run([record_factory()])
    assert {"score__template_renders", "score__context_limit", "score__trained_tokens"} <= set(result.examples.columns)
    assert "_render_error" not in result.examples.columns
    empty = run([])
    assert empty.examples.empty and empty.dropped.empty and empty.report["tokens"]["n_tokens"] == {"count": 0}


def test_tools_are_counted(record_factory):
    plain = record_factory()
    with_tools = record_factory()
    with_tools[col.TOOLS] = json.dumps([{"type": "function", "function": {"name": "lookup_order", "parameters": {
        "type": "object", "properties": {"order_id": {"type": "string", "description": "an order number"}}}}}])
    a, b = run([plain]).examples.iloc[0][N_TOKENS], run([with_tools]).examples.iloc[0][N_TOKENS]
    assert b > a + 20


@pytest.mark.parametrize("values, key", [
    ({"tokenizer": "gpt2"}, "target.tokenizer"),
    ({"template": "vicuna"}, "target.template"),
    ({"epochs": 0}, "target.epochs"),
])
def test_bad_target_settings_are_config_errors(values, key):
    from tuneset import config

    with pytest.raises(config.ConfigError, match=key):
        config.load_section("target", {"target": values})
    assert config.load_section("target", {"target": {"template": "conf/templates/mine.jinja"}}).template.endswith(".jinja")


def test_filter_section_loads_with_rules_and_rejects_bad_near_limit():
    from tuneset import config

    cfg = config.load_section("filter", {"filter": {"rules": [{"rule": "trained_tokens", "min_tokens": 5}]}})
    assert cfg.rules == [{"rule": "trained_tokens", "min_tokens": 5}]
    with pytest.raises(config.ConfigError, match="filter.near_limit"):
        config.load_section("filter", {"filter": {"near_limit": 1.5}})


def test_batches_give_the_same_result_as_one_frame(record_factory):
    from tuneset.filter import FilterRun

    recs = [record_factory(locator=str(i), answer="word " * (i * 7)) for i in range(1, 40)]
    recs.append(record_factory(kind="preference", locator="99"))
    target, cfg = TargetConfig(context_tokens=200), FilterConfig()
    whole = run(recs, target, cfg)
    batched = FilterRun(cfg, target)
    frame = records_frame(recs)
    parts = [batched.add(frame.iloc[i:i + 7].reset_index(drop=True)) for i in range(0, len(frame), 7)]
    assert batched.report() == whole.report
    assert sum(len(k) for k, _ in parts) == len(whole.examples)
    assert sorted(o for _, d in parts for o in d[col.ORIGIN_ID]) == sorted(whole.dropped[col.ORIGIN_ID])
