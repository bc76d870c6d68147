"""tuneset.dedup end to end on small hand-made frames: what goes, what stays, and what is recorded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tuneset import schema as col
from tuneset.dedup import dedup
from tuneset.dedup.semantic import SemanticUnavailable

from .helpers import LONG_A, LONG_Q, cfg, frame, pref, sft

FILLER = [
    ("How do I export my invoices as PDF files for the last tax year?", "Open Billing, choose Invoices, then Export as PDF."),
    ("Can I change the e-mail address that receives my receipts?", "Yes: Settings, Billing contact, then save."),
    ("Why does the mobile app ask me to log in every morning?", "Turn on Remember this device on the login screen."),
    ("What happens to shared links when I delete the original file?", "They stop working as soon as the file is deleted."),
]


def filler(offset: int = 100) -> list[dict]:
    return [sft(q, a, loc=str(offset + i)) for i, (q, a) in enumerate(FILLER)]


def run(records, **overrides):
    return dedup(frame(records), cfg(**overrides))


def dropped_by(result) -> dict[str, str]:
    """locator -> rule of every dropped row."""
    return dict(zip(result.dropped[col.LOCATOR], result.dropped[col.RULE]))


def details(result, locator: str) -> dict:
    row = result.dropped[result.dropped[col.LOCATOR] == locator].iloc[0]
    return json.loads(row[col.DETAILS])


# ---- exact -------------------------------------------------------------------------------------


def test_exact_duplicates_differing_in_case_and_whitespace_are_dropped():
    rows = [sft(LONG_Q, LONG_A, loc="1"),
            sft(LONG_Q.upper(), "  " + LONG_A.replace(" ", "   \n"), loc="2"),
            *filler()]
    res = run(rows)
    # Whitespace does not make an answer longer, so the smaller example_id survives.
    loser, winner = sorted(rows[:2], key=lambda r: r[col.EXAMPLE_ID], reverse=True)
    assert dropped_by(res) == {loser[col.LOCATOR]: "exact_duplicate"}
    d = res.dropped.iloc[0]
    assert d[col.DUPLICATE_OF] == winner[col.ORIGIN_ID]
    assert d[col.STAGE] == "dedup" and len(d[col.RULE_FINGERPRINT]) == 16
    assert details(res, loser[col.LOCATOR])["similarity"] == 1.0
    assert res.report["rows_in"] == 6 and res.report["rows_out"] == 5


def test_folding_is_configurable():
    rows = [sft(LONG_Q, LONG_A, origin="expert", loc="1"), sft(LONG_Q.upper(), LONG_A, loc="2"), *filler()]
    res = run(rows, fold_case=False, near=False)
    assert dropped_by(res) == {}
    res = run(rows, fold_case=False)  # still a near duplicate: shingles are always lower-cased
    assert dropped_by(res) == {"2": "near_duplicate"}


def test_system_prompts_are_ignored_unless_configured():
    rows = [sft("Hi, can I pause my plan?", "Yes, from Billing.", system="You are Northwind support.", loc="1",
                origin="expert"),
            sft("Hi, can I pause my plan?", "Yes, from Billing.", system="Be brief.", loc="2")]
    assert dropped_by(run(rows)) == {"2": "exact_duplicate"}
    assert dropped_by(run(rows, include_system=True, near=False)) == {}


# ---- near --------------------------------------------------------------------------------------


@pytest.mark.parametrize("edit", [
    lambda q, a: (q.replace("annual", "yearly"), a.replace("Thanks", "Thank you")),          # word swaps
    lambda q, a: (q.replace("finance", "fnance"), a.replace("session", "sesion")),           # typos
    lambda q, a: ("Hello there, good morning! " + q, a),                                     # added greeting
    lambda q, a: (q, a.replace("Sign out", "Please sign out").rstrip(".") + "!!"),           # small rewrite
], ids=["word-swaps", "typos", "greeting", "rewrite"])
def test_near_duplicates_are_dropped_with_their_similarity(edit):
    q2, a2 = edit(LONG_Q, LONG_A)
    rows = [sft(LONG_Q, LONG_A, origin="expert", loc="1"), sft(q2, a2, loc="2"), *filler()]
    res = run(rows)
    assert dropped_by(res) == {"2": "near_duplicate"}
    d = details(res, "2")
    assert d["jaccard"] >= 0.8 or d["ratio"] >= 0.92
    assert d["joined_by"]["origin_id"] == rows[0][col.ORIGIN_ID]
    assert res.dropped.iloc[0][col.DUPLICATE_OF] == rows[0][col.ORIGIN_ID]


def test_a_typo_in_a_short_text_is_caught_by_the_ratio():
    rows = [sft("How do I reset my password?", "Use the reset link on the login page.", loc="1"),
            sft("How do I reset my pasword?", "Use the reset link on the login page.", loc="2"), *filler()]
    res = run(rows)
    assert dropped_by(res) == {"2": "near_duplicate"}
    d = details(res, "2")
    assert d["jaccard"] < 0.8 <= 0.92 <= d["ratio"]
    assert res.report["near"]["verified_by"] == {"ratio": 1}
    assert dropped_by(run(rows, short_text_chars=0)) == {}  # without the char index it is never a candidate


def test_lookalikes_with_other_numbers_survive():
    """Two GSM8K problems sharing a template but not their numbers are distinct examples."""
    q = "Natalia sold clips to {a} of her friends in April, and then she sold half as many clips in May. How many clips did she sell altogether in April and May?"
    a = "Natalia sold {a}/2 = {b} clips in May. Natalia sold {a}+{b} = {c} clips altogether in April and May. #### {c}"
    rows = [sft(q.format(a=48), a.format(a=48, b=24, c=72), loc="1"),
            sft(q.format(a=36), a.format(a=36, b=18, c=54), loc="2"), *filler()]
    res = run(rows)
    assert dropped_by(res) == {}
    assert res.report["near"]["rejected"].get("numbers_differ", 0) >= 1
    assert dropped_by(run(rows, numbers_must_match=False)) == {"2": "near_duplicate"}


def test_distinct_examples_that_share_words_survive():
    rows = [sft("How do I add a seat to my Teams plan?", "Admin, Billing, Seats, then Add seat.", loc="1"),
            sft("How do I remove a seat from my Teams plan?", "Admin, Members, pick the person, then Remove.", loc="2"),
            sft(LONG_Q, LONG_A, loc="3"),
            sft(LONG_Q, "Check that both laptops run the latest desktop app, then restart the sync service.", loc="4"),
            *filler()]
    res = run(rows)
    assert dropped_by(res) == {}
    assert res.report["rows_out"] == len(rows)


def test_clusters_come_from_union_find_and_carry_cluster_id():
    a = LONG_Q + " " + LONG_A
    b = a.replace("annual", "yearly")
    c = b.replace("finance", "accounts")
    rows = [sft(LONG_Q, LONG_A, loc="1"), sft(b[:len(LONG_Q) + 5], b[len(LONG_Q) + 5:], loc="2"),
            sft(c[:len(LONG_Q) + 5], c[len(LONG_Q) + 5:], loc="3"), *filler()]
    res = run(rows)
    assert set(dropped_by(res)) == {"2", "3"}
    assert res.report["clusters"]["multi_member"] == 1 and res.report["clusters"]["largest"] == 3
    kept = res.examples.set_index(col.LOCATOR)
    assert kept.loc["1", col.CLUSTER_ID] == rows[0][col.ORIGIN_ID]
    assert all(kept.loc[str(100 + i), col.CLUSTER_ID] == kept.loc[str(100 + i), col.ORIGIN_ID] for i in range(4))


# ---- survivors ---------------------------------------------------------------------------------


def test_policy_keeps_expert_then_longest_answer_then_smallest_example_id():
    base = [sft(LONG_Q, LONG_A, origin=o, loc=str(i)) for i, o in
            enumerate(["synthetic", "unknown", "production", "expert", "public"], start=1)]
    res = run([*base, *filler()])
    assert res.examples[col.LOCATOR].tolist()[:1] == ["4"]  # expert wins
    assert set(res.dropped[col.DUPLICATE_OF]) == {base[3][col.ORIGIN_ID]}

    # Same origin: the longest answer wins, whatever the row order.
    longer = sft(LONG_Q, LONG_A + " Tell me if it keeps happening.", loc="2")
    res = run([sft(LONG_Q, LONG_A, loc="1"), longer, *filler()])
    assert dropped_by(res) == {"1": "near_duplicate"}

    # Same origin and length: the smallest example_id wins.
    x = sft(LONG_Q, LONG_A.replace("Thanks", "Thank"), loc="1")
    y = sft(LONG_Q, LONG_A.replace("Thanks", "Thanx"), loc="2")
    res = run([x, y, *filler()])
    loser = max(x, y, key=lambda r: r[col.EXAMPLE_ID])
    assert dropped_by(res) == {loser[col.LOCATOR]: "near_duplicate"}

    # The order is configurable.
    res = run(base, survivor_order=["synthetic", "expert", "production", "public", "unknown"])
    assert res.examples[col.LOCATOR].tolist() == ["1"]


def test_exact_copies_are_tied_on_content_and_broken_by_origin_id():
    rows = [sft(LONG_Q, LONG_A, loc=str(i)) for i in (1, 2, 3)]
    res = run(rows)
    winner = min(rows, key=lambda r: r[col.ORIGIN_ID])
    assert res.examples[col.ORIGIN_ID].tolist() == [winner[col.ORIGIN_ID]]


def test_keep_per_cluster_keeps_distinct_members_under_one_cluster_id():
    rows = [sft(LONG_Q, LONG_A, origin="expert", loc="1"),
            sft(LONG_Q, LONG_A, loc="2"),                                               # exact copy of 1
            sft(LONG_Q.replace("annual", "yearly"), LONG_A, loc="3"),
            sft(LONG_Q.replace("annual", "new"), LONG_A.replace("Thanks", "Thank you"), loc="4")]
    res = run(rows, keep_per_cluster=2)
    assert dropped_by(res) == {"2": "exact_duplicate", "3": "near_duplicate"}  # 4 has the longer answer
    assert set(res.examples[col.CLUSTER_ID]) == {rows[0][col.ORIGIN_ID]}
    assert set(res.examples[col.LOCATOR]) == {"1", "4"}
    dup_of = dict(zip(res.dropped[col.LOCATOR], res.dropped[col.DUPLICATE_OF]))
    assert dup_of == {"2": rows[0][col.ORIGIN_ID], "3": rows[0][col.ORIGIN_ID]}
    assert dropped_by(run(rows)) == {"2": "exact_duplicate", "3": "near_duplicate", "4": "near_duplicate"}


# ---- keys --------------------------------------------------------------------------------------


def test_key_prompt_and_key_answer():
    rows = [sft("Where is my order 1182?", "It left the warehouse today.", loc="1"),
            sft("Where is my order 1182?", "It is delayed by the courier, sorry.", loc="2"),
            sft("Has order 77 shipped?", "It left the warehouse today.", loc="3")]
    assert dropped_by(run(rows)) == {}
    assert dropped_by(run(rows, key="prompt")) == {"1": "exact_duplicate"}  # 2 has the longer answer
    assert dropped_by(run(rows, key="answer")) == {"3": "exact_duplicate"}


def test_multi_turn_prompt_is_every_turn_before_the_answer():
    hist = [("I cannot log in.", "Did you try the reset link?")]
    rows = [sft("Yes, it did not arrive.", "I have resent it to your address.", history=hist, loc="1"),
            sft("Yes, it did not arrive.", "I have resent it to your address.", loc="2")]
    assert dropped_by(run(rows)) == {}
    assert dropped_by(run(rows, key="answer")) == {"2": "exact_duplicate"}


# ---- preference --------------------------------------------------------------------------------


def test_preference_rows_dedup_on_prompt_chosen_and_rejected():
    p = [pref(LONG_Q, LONG_A, "No idea.", loc="1"),
         pref(LONG_Q.lower(), LONG_A, "No idea.", loc="2", origin="public"),                # exact (case)
         pref(LONG_Q, LONG_A, "Ask someone else.", loc="3", origin="public"),               # other rejected: near
         pref(LONG_Q, "No idea.", LONG_A, loc="4", origin="public")]                        # swapped: never a duplicate
    res = run(p)
    assert dropped_by(res) == {"2": "exact_duplicate", "3": "near_duplicate"}
    assert res.report["near"]["rejected"].get("swapped_preference") == 2  # 4 against 1 and against 3
    conflict = res.contradictions["sets"]
    assert len(conflict) == 1 and conflict[0]["kind"] == "preference"
    assert {m["locator"]: m["conflicts"] for m in conflict[0]["members"]} == {"1": False, "4": True}


def test_sft_and_preference_rows_never_cluster_together():
    rows = [sft(LONG_Q, LONG_A, loc="1"), pref(LONG_Q, LONG_A, "Nope.", loc="1")]
    res = run(rows)
    assert dropped_by(res) == {}


# ---- contradictions ----------------------------------------------------------------------------


CONFLICT = [sft("Can I get a refund after 30 days on the annual plan?", "Yes, annual plans are refundable pro rata at any time.",
                origin="expert", loc="1"),
            sft("Can I get a refund after 30 days on the annual plan?", "No. Refunds are only possible within 14 days.", loc="2"),
            sft("Can I get a refund after 30 days on the annual plan?!", "Yes, annual plans are refundable pro rata at any time!", loc="3")]


def test_contradictions_are_reported_by_default():
    res = run([*CONFLICT, *filler()])
    assert dropped_by(res) == {"3": "near_duplicate"}
    report = res.contradictions
    assert report["policy"] == "report" and report["conflict_sets"] == 1 and report["rows_dropped"] == 0
    s = report["sets"][0]
    assert s["id"] == CONFLICT[0][col.ORIGIN_ID] and s["prompt_match"] == "exact"
    assert [(m["locator"], m["conflicts"], m["decision"]) for m in s["members"]] == [("1", False, "kept"), ("2", True, "kept")]
    # Same prompt, so one cluster for the split even though both are kept.
    assert res.examples.set_index(col.LOCATOR).loc["2", col.CLUSTER_ID] == CONFLICT[0][col.ORIGIN_ID]
    assert res.report["contradictions"]["conflict_sets"] == 1


@pytest.mark.parametrize("policy, dropped", [("keep_one", {"2"}), ("drop_all", {"1", "2"})])
def test_contradiction_policies(policy, dropped):
    res = run([*CONFLICT, *filler()], contradictions=policy)
    rules = dropped_by(res)
    assert {k for k, v in rules.items() if v == "contradiction"} == dropped
    row = res.dropped[res.dropped[col.RULE] == "contradiction"].iloc[0]
    assert row[col.DUPLICATE_OF] is None
    assert json.loads(row[col.DETAILS])["conflict_set"] == CONFLICT[0][col.ORIGIN_ID]
    assert not set(res.examples[col.LOCATOR]) & dropped


def test_near_prompts_with_the_same_answer_are_not_contradictions():
    rows = [sft("How can I download all my files at once?", "Select the folder and choose Download as zip.", loc="1"),
            sft("How can I download all of my files at once?", "Select the folder, then choose Download as zip.", loc="2"),
            *filler()]
    res = run(rows, near=False)
    assert res.contradictions["conflict_sets"] == 0
    assert res.report["contradictions"]["prompt_groups"] == 1


# ---- semantic ----------------------------------------------------------------------------------


def test_semantic_dedup_with_an_injected_embedder():
    rows = [sft("How do I cancel?", "Billing, then Cancel plan.", loc="1", origin="expert"),
            sft("What are the steps to end my subscription?", "Go to Billing and pick Cancel plan.", loc="2"),
            *filler()]
    def embed(texts):  # the two cancel texts point the same way; every other text has its own axis
        return np.array([[1.0 if ("cancel" in t.lower() and k == 0) or (k == i + 1 and "cancel" not in t.lower())
                          else 0.0 for k in range(len(texts) + 1)] for i, t in enumerate(texts)])
    res = dedup(frame(rows), cfg(semantic=True, semantic_threshold=0.99), embed=embed)
    assert dropped_by(res) == {"2": "semantic_duplicate"}
    assert details(res, "2")["joined_by"]["cosine"] == 1.0


def test_semantic_without_an_installed_model_says_so_plainly():
    res = run(filler())
    assert res.report["semantic"]["enabled"] is False and "semantic" in res.report["semantic"]["note"]
    with pytest.raises(SemanticUnavailable, match="not installed"):
        run(filler(), semantic=True, semantic_model="no_such_embedding_model_pkg")


# ---- frame contract ----------------------------------------------------------------------------


def test_empty_frame():
    res = dedup(frame([]), cfg())
    assert len(res.examples) == 0 and col.CLUSTER_ID in res.examples.columns
    assert len(res.dropped) == 0 and list(res.dropped.columns) == list(col.DROPPED_COLUMNS)
    assert res.report["rows_in"] == 0 and res.contradictions["sets"] == []


def test_result_does_not_depend_on_row_order():
    rows = [*CONFLICT, sft(LONG_Q, LONG_A, loc="4"), sft(LONG_Q.replace("annual", "yearly"), LONG_A, loc="5"),
            sft(LONG_Q, LONG_A, loc="6"), *filler()]
    a = run(rows)
    b = run(list(reversed(rows)))
    key = [col.ORIGIN_ID, col.CLUSTER_ID]
    assert a.examples[key].sort_values(col.ORIGIN_ID).values.tolist() == b.examples[key].sort_values(col.ORIGIN_ID).values.tolist()
    pd.testing.assert_frame_equal(a.dropped, b.dropped)
    assert a.contradictions == b.contradictions


def test_input_frame_is_not_modified_and_columns_are_kept():
    df = frame([*CONFLICT, *filler()])
    df["n_tokens"] = range(len(df))
    before = df.copy()
    res = dedup(df, cfg())
    pd.testing.assert_frame_equal(df, before)
    assert list(res.examples.columns) == [*df.columns, col.CLUSTER_ID]
