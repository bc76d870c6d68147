"""The leakage gate finds each kind of leak, names the pair, and passes a clean split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tuneset import schema as col
from tuneset.config import DecontaminateConfig, DedupConfig
from tuneset.frames import records_frame
from tuneset.split import assign_splits, prompt_links
from tuneset.config import SplitConfig
from tuneset.split.leakage import MAX_SHOWN, check_leakage

DEDUP = DedupConfig()
DECON = DecontaminateConfig()
QUESTION = ("My invoice for the annual family plan shows a charge from the fourteenth that I never authorised, and the "
            "amount is higher than the price on your website.")


def split_frame(record_factory, specs: list[tuple[str, str, str]], **kw) -> pd.DataFrame:
    """(user, answer, split) per row; each row its own group and cluster unless kw overrides."""
    df = records_frame([record_factory(user=u, answer=a, locator=str(i + 1)) for i, (u, a, _) in enumerate(specs)])
    df[col.CLUSTER_ID] = df[col.ORIGIN_ID]
    df[col.SPLIT] = [s for _, _, s in specs]
    for k, v in kw.items():
        df[k] = v
    return df


def run(df: pd.DataFrame, decon: DecontaminateConfig = DECON):
    return check_leakage(lambda: iter([df.iloc[:3], df.iloc[3:]]), DEDUP, decon)


CLEAN = [("How do I move a folder to the archive?", "Drag it onto Archive in the sidebar.", "train"),
         ("Why was I charged twice this month?", "The second charge is a pending authorisation; it drops off.", "train"),
         ("Can I share an album with my parents?", "Yes: open the album, choose Share and add their emails.", "val"),
         ("The desktop app says error 1042 after I changed my password.", "Sign out and back in to refresh the token.", "test"),
         ("Where do I download my invoices?", "Settings, then Billing, then Invoices.", "train"),
         ("Is two-factor authentication available on the free plan?", "Yes, every plan can turn it on.", "val")]


def test_a_clean_split_passes(record_factory):
    result = run(split_frame(record_factory, CLEAN))
    assert result.ok and result.counts == {"group": 0, "cluster": 0, "exact": 0, "near": 0, "ngram": 0}
    assert result.summary()["examples"] == []


def test_group_and_cluster_straddling_are_named(record_factory):
    df = split_frame(record_factory, CLEAN)
    df[col.GROUP_ID] = ["g1", "g1", "g2", "g3", "g4", "g5"]  # g1: train + train: fine
    df.loc[2, col.GROUP_ID] = "g1"  # now g1 has a val row too
    df.loc[5, col.CLUSTER_ID] = df.loc[4, col.ORIGIN_ID]  # cluster across train/val
    result = run(df)
    assert not result.ok and result.counts["group"] == 1 and result.counts["cluster"] == 1
    described = [result.describe(x) for x in result.leaks]
    assert "group: train data/raw/t.jsonl 1  <->  val data/raw/t.jsonl 3" in described
    assert any(d.startswith("cluster: train data/raw/t.jsonl 5") for d in described)


def test_exact_and_near_duplicates_across_splits(record_factory):
    specs = CLEAN + [("How do I MOVE a folder   to the archive?", "Drag it onto Archive in the sidebar.", "test"),
                     ("Why was I charged twice this month??", "The second charge is a pending authorization; it drops off.",
                      "val")]
    result = run(split_frame(record_factory, specs))
    assert result.counts["exact"] == 1 and result.counts["near"] >= 1 and not result.ok
    kinds = {x.check for x in result.leaks}
    assert {"exact", "near"} <= kinds
    near = next(x for x in result.leaks if x.check == "near" and {x.a, x.b} == {1, 7})  # rows 2 and 8
    assert dict(near.details)["ratio"] >= DEDUP.ratio_threshold or dict(near.details)["jaccard"] >= DEDUP.jaccard_threshold


def test_a_held_out_question_copied_into_train_with_a_greeting(record_factory):
    specs = CLEAN + [(QUESTION, "I have opened a billing review for that charge.", "test"),
                     (f"Hello team. {QUESTION} Thanks in advance.", "Refunds go back to the card within five days.", "train")]
    result = run(split_frame(record_factory, specs))
    assert result.counts["ngram"] == 1 and result.counts["near"] == 0 and not result.ok
    leak = next(x for x in result.leaks if x.check == "ngram")
    assert result.describe(leak).startswith("ngram: train data/raw/t.jsonl 8  <->  test data/raw/t.jsonl 7")
    report_only = run(split_frame(record_factory, specs), DecontaminateConfig(self_check="report"))
    assert report_only.ok and report_only.counts["ngram"] == 1
    off = run(split_frame(record_factory, specs), DecontaminateConfig(self_check="off"))
    assert off.ok and off.counts["ngram"] is None


def test_prompt_links_keep_the_copy_on_one_side(record_factory):
    specs = [(QUESTION, "A billing review is open.", ""), (f"Hi! {QUESTION} Please help.", "Refund in five days.", "")]
    specs += [(f"How do I rename file number {i} in the app?", "Use Rename in the menu.", "") for i in range(60)]
    df = records_frame([record_factory(user=u, answer=a, locator=str(i + 1)) for i, (u, a, _) in enumerate(specs)])
    links = prompt_links(lambda: iter([df]), DECON)
    assert links.values.tolist() == [[df[col.ORIGIN_ID].iat[1], df[col.ORIGIN_ID].iat[0]]]
    for salt in ("a", "b", "c", "d", "e"):
        out = assign_splits(df, SplitConfig(salt=salt), links=links).examples.set_index(col.LOCATOR)[col.SPLIT]
        assert out["1"] == out["2"]


@pytest.mark.parametrize("near", [True, False])
def test_near_check_follows_dedup_config(record_factory, near):
    df = split_frame(record_factory, CLEAN)
    result = check_leakage(lambda: iter([df]), DedupConfig(near=near), DECON)
    assert (result.counts["near"] is None) == (not near)


def test_packed_texts_read_back_in_any_order():
    from tuneset.split.leakage import PackedTexts

    packed = PackedTexts()
    packed.extend(["a", "b\0c", ""])
    packed.extend([])
    packed.extend(["dé", "e"])
    assert len(packed) == 5
    assert [packed[i] for i in (4, 0, 3, 1, 2)] == ["e", "a", "dé", "b c", ""]


def test_near_leaks_equal_dedup_pairs_across_splits(record_factory):
    from tuneset.dedup import near_params
    from tuneset.dedup.verify import near_duplicate_pairs
    from tuneset.split.leakage import near_leaks

    base = [f"How do I export album number {i} from the phone app to my laptop?" for i in range(30)]
    texts = base + [t.replace("How do I", "How can I") for t in base[:10]] + [t + " Thanks!" for t in base[10:20]]
    splits = ["train", "val", "test"] * (len(texts) // 3) + ["train"] * (len(texts) % 3)
    kinds = ["sft"] * len(texts)
    full = near_duplicate_pairs(texts, np.arange(len(texts)), near_params(DEDUP), groups=kinds)
    expected = sorted((i, j) for i, j in full.pairs.tolist() if splits[i] != splits[j])
    count, leaks = near_leaks(texts, splits, kinds, DEDUP)
    assert count == len(expected) > 0
    assert [(x.a, x.b) for x in leaks] == expected[:MAX_SHOWN]
