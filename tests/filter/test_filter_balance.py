"""Balance caps (rule balance_cap), labels written on kept rows, score distributions, batching."""

from __future__ import annotations

import json

import pytest

from tuneset import hashing
from tuneset import schema as col
from tuneset.config import BalanceCapConfig, FilterConfig, LabelsConfig, TargetConfig
from tuneset.filter import BalanceCap, FilterRun, apply_filter
from tuneset.frames import records_frame

TARGET = TargetConfig()


def _records(make, counts: dict[str, int]) -> list[dict]:
    out, i = [], 0
    for intent, n in counts.items():
        for _ in range(n):
            i += 1
            out.append(make(locator=str(i), user=f"question number {i} about {intent}", labels={"intent": intent}))
    return out


def _cfg(*caps: BalanceCapConfig, rules=None) -> FilterConfig:
    return FilterConfig(rules=rules or [], labels=LabelsConfig(derived=[]), balance=list(caps))


def test_max_count_caps_each_value_by_hash_order(record_factory):
    recs = _records(record_factory, {"billing": 6, "refund": 2})
    result = apply_filter(records_frame(recs), _cfg(BalanceCapConfig(label="intent", max_count=3, salt="s")), TARGET)
    kept = result.examples
    assert sorted(m["intent"] for m in kept[col.LABELS]) == ["billing"] * 3 + ["refund"] * 2
    billing = [r[col.ORIGIN_ID] for r in recs if r[col.LABELS]["intent"] == "billing"]
    expected = sorted(billing, key=lambda o: (hashing.fraction(o, "s"), o))[:3]
    assert sorted(o for o, m in zip(kept[col.ORIGIN_ID], kept[col.LABELS]) if m["intent"] == "billing") == sorted(expected)
    dropped = result.dropped
    assert dropped[col.RULE].tolist() == ["balance_cap"] * 3
    rule = BalanceCap(label="intent", max_count=3, salt="s")
    assert set(dropped[col.RULE_FINGERPRINT]) == {rule.fingerprint()}
    details = json.loads(dropped[col.DETAILS].iat[0])
    assert details["threshold"] == {"max_count": 3} and details["count"] == 6 and details["score"] >= 3
    assert "label intent='billing' has 6 examples, capped at 3" in dropped[col.REASON].iat[0]
    assert result.report["dropped_by_rule"] == {"balance_cap": 3} and result.report["rows_out"] == 5
    assert result.report["balance"]["caps"][0]["capped"] == {"billing": {"count": 6, "kept": 3, "dropped": 3}}
    assert result.coverage["labels"]["intent"]["values"] == {"billing": 3, "refund": 2}


def test_max_share_and_salt(record_factory):
    recs = _records(record_factory, {"billing": 8, "refund": 2})
    a = apply_filter(records_frame(recs), _cfg(BalanceCapConfig(label="intent", max_share=0.5)), TARGET)
    assert len(a.examples) == 7  # floor(0.5 * 10) = 5 billing + 2 refund
    b = apply_filter(records_frame(recs), _cfg(BalanceCapConfig(label="intent", max_share=0.5, salt="other")), TARGET)
    assert len(b.examples) == 7 and set(a.examples[col.ORIGIN_ID]) != set(b.examples[col.ORIGIN_ID])
    again = apply_filter(records_frame(list(reversed(recs))), _cfg(BalanceCapConfig(label="intent", max_share=0.5)),
                         TARGET)
    assert set(again.examples[col.ORIGIN_ID]) == set(a.examples[col.ORIGIN_ID])  # input order does not matter


def test_only_listed_values_are_capped_and_unlabelled_rows_never(record_factory):
    recs = _records(record_factory, {"billing": 5, "refund": 5}) + [record_factory(locator="99", user="no label")]
    result = apply_filter(records_frame(recs), _cfg(BalanceCapConfig(label="intent", max_count=2, values=["refund"])),
                          TARGET)
    intents = [m.get("intent") for m in result.examples[col.LABELS]]
    assert intents.count("billing") == 5 and intents.count("refund") == 2 and intents.count(None) == 1


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_batched_run_with_balance_equals_one_frame(record_factory, batch):
    recs = _records(record_factory, {"billing": 9, "refund": 4, "login": 2})
    cfg = _cfg(BalanceCapConfig(label="intent", max_count=4), rules=[{"rule": "min_answer_tokens", "min": 1}])
    whole = apply_filter(records_frame(recs), cfg, TARGET)
    run = FilterRun(cfg, TARGET)
    frame = records_frame(recs)
    kept_parts, dropped = [], []
    for i in range(0, len(frame), batch):
        k, d = run.add(frame.iloc[i:i + batch].reset_index(drop=True))
        kept_parts.append(k)
        dropped.append(d)
    run.decide_balance()
    final = []
    for k in reversed(kept_parts):  # any batching, any order
        stay, capped = run.cap(k)
        final += stay[col.ORIGIN_ID].tolist()
        dropped.append(capped)
    assert sorted(final) == sorted(whole.examples[col.ORIGIN_ID])
    assert run.report() == whole.report and run.coverage_report() == whole.coverage


def test_labels_are_written_on_kept_rows_and_scores_reported(record_factory):
    recs = [record_factory(locator="1", answer="Open Settings, then Billing, then Download invoice."),
            record_factory(locator="2", answer="As an AI language model, I cannot access your account."),
            record_factory(locator="3", answer="Hi {{name}}, all done.")]
    cfg = FilterConfig(rules=[{"rule": "template_leftovers"}, {"rule": "refusal", "action": "label"}],
                       labels=LabelsConfig(derived=["length_bucket", "turns"]))
    result = apply_filter(records_frame(recs), cfg, TARGET)
    labels = result.examples[col.LABELS].tolist()
    assert [m["refusal"] for m in labels] == ["no", "yes"]
    assert all(m["length_bucket"] == "0-255" and m["turns"] == "1" for m in labels)
    dist = result.report["score_distributions"]
    assert dist["template_leftovers"]["before"]["max"] == 1 and dist["template_leftovers"]["after"]["max"] == 0
    assert dist["refusal"]["before"] == dist["refusal"]["after"] | {"count": 3, "null": 0, "p95": 1, "max": 1,
                                                                    "mean": round(1 / 3, 5)}
    assert result.coverage["labels"]["refusal"]["values"] == {"no": 1, "yes": 1}
