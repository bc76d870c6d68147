"""`tuneset explain`: provenance, the drop decision, transformations; never original values."""

from __future__ import annotations

import json

import pytest

from audit import world
from tuneset import schema as col
from tuneset.audit import AuditError, explain


def test_explain_a_kept_example(tmp_path):
    kept, gone = world.sample()
    pii = [json.dumps({"EMAIL_ADDRESS": 1}) if i == 0 else None for i in range(len(kept))]
    world.write_final(tmp_path, kept, gone, extra_columns={"pii_edits": pii})
    r = kept[0]
    out = explain.explain(tmp_path, r[col.EXAMPLE_ID][:8], world.FINAL)
    assert {k: out[k] for k in (col.EXAMPLE_ID, col.ORIGIN_ID, col.SOURCE_FILE, col.LOCATOR, col.ORIGIN, col.GROUP_ID,
                                col.CLUSTER_ID, col.SPLIT)} == \
        {k: r[k] for k in (col.EXAMPLE_ID, col.ORIGIN_ID, col.SOURCE_FILE, col.LOCATOR, col.ORIGIN, col.GROUP_ID,
                           col.CLUSTER_ID, col.SPLIT)}
    assert out["dropped"] is None
    assert out["transformations"] == [{"stage": "scrub", "edits": {"EMAIL_ADDRESS": 1}}]
    assert out["versions"] == [] and out["warnings"] == []  # not a git repository: no committed versions
    text = explain.render(out)
    assert f"kept in {r[col.SPLIT]}" in text and "scrub" in text and "EMAIL_ADDRESS 1" in text
    assert "invoice" not in json.dumps(out) + text  # the example's text is never shown


def test_explain_a_dropped_unit_by_origin_id(tmp_path):
    kept, gone = world.sample()
    world.write_final(tmp_path, kept, gone)
    out = explain.explain(tmp_path, gone[0][col.ORIGIN_ID], world.FINAL)
    assert out[col.SPLIT] is None and out["status"] == "dropped" and out["matched"] == col.ORIGIN_ID
    assert out["dropped"] == {"stage": "normalize", "rule": "empty_answer", "rule_fingerprint": gone[0][col.RULE_FINGERPRINT],
                              "reason": "final assistant answer is empty", "duplicate_of": None}
    assert "dropped at   normalize by rule empty_answer" in explain.render(out)


def test_explain_without_an_index_says_so_and_answers_the_same(tmp_path):
    kept, gone = world.sample()
    world.write_final(tmp_path, kept, gone, index=False)
    out = explain.explain(tmp_path, kept[3][col.ORIGIN_ID], world.FINAL)
    assert out[col.SPLIT] == kept[3][col.SPLIT]
    assert any("no index" in w for w in out["warnings"])


def test_explain_names_the_fix_when_outputs_are_missing(tmp_path):
    with pytest.raises(AuditError, match="dvc checkout"):
        explain.explain(tmp_path, "abcdef12", world.FINAL)
