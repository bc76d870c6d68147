"""Assignment rules: groups, stability under growth, bridges, regrouping, ratio changes, stratification."""

from __future__ import annotations

import json
import random
from collections import Counter

import pandas as pd
import pytest

from tuneset import hashing
from tuneset import schema as col
from tuneset.config import SplitConfig
from tuneset.frames import records_frame
from tuneset.split import History, assign_splits, split_of

CFG = SplitConfig()


def rows(record_factory, n: int, start: int = 0, group=lambda i: None, labels=lambda i: {}) -> pd.DataFrame:
    return records_frame([record_factory(user=f"question number {i}", locator=str(i), group=group(i), labels=labels(i))
                          for i in range(start, start + n)])


def history_of(examples: pd.DataFrame, cfg: SplitConfig = CFG) -> History:
    return History(examples[[col.ORIGIN_ID, col.SPLIT]].copy(), "test history",
                   {"ratios": dict(cfg.ratios), "salt": cfg.salt})


def split_by_oid(examples: pd.DataFrame) -> dict[str, str]:
    return dict(zip(examples[col.ORIGIN_ID], examples[col.SPLIT]))


def test_groups_are_components_of_group_and_cluster_ids_hashed_by_smallest_group_id(record_factory):
    df = rows(record_factory, 6, group=lambda i: ["t-b", "t-b", "t-c", "t-a", "t-d", "t-e"][i])
    oids = df[col.ORIGIN_ID].tolist()
    # rows 1 and 2 are near duplicates (cluster of row 1), rows 3 and 4 too: t-b, t-c merge; t-a, t-d merge
    df[col.CLUSTER_ID] = [oids[0], oids[1], oids[1], oids[3], oids[3], oids[5]]
    result = assign_splits(df, CFG)
    by_group = result.examples.groupby(col.GROUP_ID)[col.SPLIT].first().to_dict()
    gid = {g: hashing.group_id("test", g) for g in ("t-a", "t-b", "t-c", "t-d", "t-e")}
    salted = {tuple(gs): split_of(min(gid[g] for g in gs), CFG.salt, CFG.ratios)  # a component's smallest group_id
              for gs in (("t-b", "t-c"), ("t-a", "t-d"), ("t-e",))}
    assert by_group[gid["t-b"]] == by_group[gid["t-c"]] == salted[("t-b", "t-c")]
    assert by_group[gid["t-a"]] == by_group[gid["t-d"]] == salted[("t-a", "t-d")]
    assert by_group[gid["t-e"]] == salted[("t-e",)]
    sizes = result.report["group_sizes"]
    assert sizes["groups"] == 3 and sizes["merged"]["groups_joining_several_group_ids"] == 2
    assert sizes["histogram"]["2"] == 1 and sizes["histogram"]["1"] == 1 and sizes["rows_per_group"]["max"] == 3


def test_adding_25_percent_new_rows_moves_no_existing_example(record_factory):
    base = rows(record_factory, 2000, group=lambda i: f"ticket-{i // 3}")
    first = assign_splits(base, CFG).examples
    rng = random.Random(7)
    new = rows(record_factory, 500, start=2000, group=lambda i: f"ticket-{rng.randrange(900)}" if i % 2 else f"new-{i}")
    oids = first[col.ORIGIN_ID].tolist()
    # a fifth of the new rows are near duplicates of existing rows (dedup gave them the existing row's cluster)
    new[col.CLUSTER_ID] = [oids[rng.randrange(len(oids))] if i % 5 == 0 else o for i, o in enumerate(new[col.ORIGIN_ID])]
    grown = pd.concat([new, base.iloc[::-1]], ignore_index=True)
    second = assign_splits(grown, CFG, history_of(first))
    before, after = split_by_oid(first), split_by_oid(second.examples)
    assert all(after[o] == s for o, s in before.items() if o in after)
    assert set(before) <= set(after) | set(second.dropped[col.ORIGIN_ID])
    hist = second.history
    assert hist["used"] and hist["existing_rows"] == 2000 and hist["kept_in_place"] == 2000
    assert hist["moved"] == {"regrouped": 0, "ratios": 0}
    assert hist["new_rows"] + hist["bridges_dropped"] == 500
    # new rows joining an existing ticket or cluster follow it; the rest of each group never straddles
    assert (second.examples.groupby(col.GROUP_ID)[col.SPLIT].nunique() == 1).all()
    assert (second.examples.groupby(col.CLUSTER_ID)[col.SPLIT].nunique() == 1).all()


def test_a_new_row_bridging_two_splits_is_dropped_and_nothing_moves(record_factory):
    old = rows(record_factory, 2, group=lambda i: ["alpha", "beta"][i])
    a, b = old[col.ORIGIN_ID].tolist()
    prior = pd.DataFrame({col.ORIGIN_ID: [a, b], col.SPLIT: ["train", "test"]})
    new = rows(record_factory, 2, start=10, group=lambda i: "alpha")
    new[col.CLUSTER_ID] = [b, new[col.ORIGIN_ID].iat[1]]  # the first new row is a near duplicate of b
    df = pd.concat([old, new], ignore_index=True)
    result = assign_splits(df, CFG, History(prior, "test", {}))
    got = split_by_oid(result.examples)
    assert got[a] == "train" and got[b] == "test"
    assert got[new[col.ORIGIN_ID].iat[1]] == "train"  # joins alpha, harmless
    assert result.dropped[col.ORIGIN_ID].tolist() == [new[col.ORIGIN_ID].iat[0]]
    assert result.dropped[col.RULE].tolist() == ["split_bridge"] and result.dropped[col.STAGE].tolist() == ["split"]
    details = json.loads(result.dropped[col.DETAILS].iat[0])
    assert details["splits"] == {"train": "group_id", "test": "cluster_id"}
    assert "alpha" not in result.dropped[col.REASON].iat[0]  # reasons name no group ids
    assert result.report["dropped_by_rule"] == {"split_bridge": 1} and result.keep.tolist() == [True, True, False, True]


def test_existing_rows_whose_grouping_changed_go_where_most_of_them_are(record_factory):
    df = rows(record_factory, 3, group=lambda i: "customer-1")  # a new group_key joins three old singletons
    prior = pd.DataFrame({col.ORIGIN_ID: df[col.ORIGIN_ID], col.SPLIT: ["val", "test", "val"]})
    result = assign_splits(df, CFG, History(prior, "test", {}))
    assert set(result.examples[col.SPLIT]) == {"val"}
    assert result.history["moved"] == {"regrouped": 1, "ratios": 0}


def test_changing_ratios_moves_only_the_minimum(record_factory):
    df = rows(record_factory, 4000)
    first = assign_splits(df, CFG).examples
    wider = SplitConfig(ratios={"train": 0.7, "val": 0.15, "test": 0.15})
    second = assign_splits(df, wider, history_of(first, CFG))
    before, after = split_by_oid(first), split_by_oid(second.examples)
    moves = Counter((before[o], after[o]) for o in before if before[o] != after[o])
    share_before = Counter(before.values())["train"] / len(df)
    needed = (share_before - 0.7) * len(df)  # rows train must give up
    assert set(moves) <= {("train", "val"), ("train", "test")}  # nothing leaves a split that is short
    assert abs(sum(moves.values()) - needed) <= 2
    assert second.history["moved"]["ratios"] == sum(moves.values())
    shares = second.report["shares"]
    assert all(abs(shares[s] - wider.ratios[s]) <= 0.005 for s in col.SPLITS)
    # a plain re-hash with the new ratios would have moved more (val's interval shifts too)
    rehash = assign_splits(df, wider).examples
    assert sum(before[o] != s for o, s in split_by_oid(rehash).items()) > sum(moves.values())


def test_a_changed_salt_or_history_off_ignores_the_history(record_factory):
    df = rows(record_factory, 200)
    first = assign_splits(df, CFG).examples
    salty = SplitConfig(salt="v2")
    result = assign_splits(df, salty, history_of(first))
    assert not result.history["used"] and "salt changed" in result.history["status"]
    assert split_by_oid(result.examples) == split_by_oid(assign_splits(df, salty).examples)
    off = assign_splits(df, SplitConfig(history=False), History(first[[col.ORIGIN_ID, col.SPLIT]], "x", {}))
    assert "off" in off.history["status"]


@pytest.mark.parametrize("ratios", [{"train": 0.8, "val": 0.1, "test": 0.1}, {"train": 0.9, "val": 0.05, "test": 0.05}])
def test_ratio_tolerance_on_many_groups(record_factory, ratios):
    cfg = SplitConfig(ratios=ratios)
    result = assign_splits(rows(record_factory, 5000, group=lambda i: f"g{i // 2}"), cfg)
    shares = result.report["shares"]
    assert all(abs(shares[s] - ratios[s]) <= cfg.ratio_tolerance for s in col.SPLITS)
    assert result.report["within_tolerance"] is True
    assert result.report["groups"] == result.report["group_sizes"]["by_split"]
    assert sum(result.report["groups"].values()) == 2500


def test_stratification_keeps_label_shares_and_stays_stable(record_factory):
    rng = random.Random(3)
    intents = ["billing"] * 70 + ["login"] * 25 + ["sync"] * 5

    def label(i):
        return {"intent": intents[(i * 37) % 100], "channel": "email" if i % 3 else "chat"}

    cfg = SplitConfig(stratify_by="intent")
    base = rows(record_factory, 2000, group=lambda i: f"t{i // 2}", labels=label)
    first = assign_splits(base, cfg)
    per = first.report["labels"]["intent"]
    assert per["within_tolerance"] and first.report["stratify"]["within_tolerance"]
    assert per["max_gap"] <= cfg.stratify_tolerance
    assert set(per["values"]) == {"billing", "login", "sync"}
    assert all(v["count_by_split"]["test"] > 0 for v in per["values"].values())  # even the 5% intent
    assert "channel" not in first.report["labels"]  # only the stratification label is reported then
    unstratified = assign_splits(base, SplitConfig()).report["labels"]
    assert {"intent", "channel"} <= set(unstratified)
    assert (first.examples.groupby(col.GROUP_ID)[col.SPLIT].nunique() == 1).all()
    new = rows(record_factory, 500, start=2000, group=lambda i: f"t{rng.randrange(1000)}" if i % 4 == 0 else f"n{i}",
               labels=label)
    second = assign_splits(pd.concat([base, new], ignore_index=True), cfg, history_of(first.examples, cfg))
    before, after = split_by_oid(first.examples), split_by_oid(second.examples)
    assert all(after[o] == s for o, s in before.items())
    assert second.report["labels"]["intent"]["max_gap"] <= cfg.stratify_tolerance


def test_prompt_links_join_groups(record_factory):
    df = rows(record_factory, 40)
    oids = df[col.ORIGIN_ID].tolist()
    links = pd.DataFrame({col.ORIGIN_ID: oids[1:], "contains": oids[:-1]})  # a chain through every row
    result = assign_splits(df, CFG, links=links)
    assert result.examples[col.SPLIT].nunique() == 1
    assert result.report["prompt_links"] == {"pairs": 39, "grouped": True, "pairs_used": 39}
    unlinked = assign_splits(df, SplitConfig(link_prompts=False), links=links)
    assert unlinked.examples[col.SPLIT].nunique() > 1 and not unlinked.report["prompt_links"]["grouped"]


def test_empty_frame(record_factory):
    result = assign_splits(records_frame([]), CFG)
    assert result.examples.empty and result.dropped.empty
    assert result.report["counts"] == {"train": 0, "val": 0, "test": 0} and result.report["group_sizes"]["groups"] == 0


@pytest.mark.parametrize("ratios", [{"train": 0.8, "val": 0.1, "test": 0.1}, {"train": 0.5, "val": 0.0, "test": 0.5},
                                    {"train": 0.0, "val": 0.0, "test": 1.0}, {"train": 1.0, "val": 0.0, "test": 0.0}])
def test_vectorized_hash_split_is_split_of(ratios):
    import numpy as np

    from tuneset import hashing
    from tuneset.split.assign import _natural

    keys = [f"group-{i}" for i in range(2000)] + ["x"]
    u = np.asarray([hashing.fraction(k, "s") for k in keys])
    assert _natural(u, ratios) == [split_of(k, "s", ratios) for k in keys]
    assert _natural(np.asarray([0.9999999999999999]), {"train": 0.3, "val": 0.3, "test": 0.3}) == ["test"]
