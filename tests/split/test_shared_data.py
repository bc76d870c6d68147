"""Group integrity on real data: every thread of an OpenAssistant tree lands in the same split."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneset import schema as col
from tuneset.config import DecontaminateConfig, SourceConfig, SplitConfig
from tuneset.frames import records_frame
from tuneset.ingest import ingest_file, source_info
from tuneset.split import History, assign_splits, prompt_links

pytestmark = pytest.mark.shared


@pytest.mark.parametrize("group_key", ["", "message_tree_id"])
def test_openassistant_trees_stay_whole(shared_data: Path, group_key: str):
    path = shared_data / "oasst-en100/en_100_tree.jsonl"
    spec = SourceConfig(group_key=group_key)
    df = records_frame(ingest_file(path, source_info(path, shared_data, "oasst", spec), spec).records)
    assert len(df) > 300  # 100 trees, several threads each
    tree = df[col.LOCATOR].str.split("/").str[0]
    links = prompt_links(lambda: iter([df]), DecontaminateConfig())
    result = assign_splits(df, SplitConfig(), links=links)
    out = result.examples.assign(tree=tree.values)
    assert (out.groupby("tree")[col.SPLIT].nunique() == 1).all()
    trees_per_split = out.groupby(col.SPLIT)["tree"].nunique()
    assert set(trees_per_split.index) == {"train", "val", "test"} and trees_per_split.sum() == 100
    # growth: split 75 trees first, then all 100 with that history: nothing moves, trees stay whole
    first_trees = sorted(set(tree))[:75]
    part = df[tree.isin(first_trees).values].reset_index(drop=True)
    before = assign_splits(part, SplitConfig(), links=links)
    history = History(before.examples[[col.ORIGIN_ID, col.SPLIT]], "test", {})
    after = assign_splits(df, SplitConfig(), history, links)
    assert after.history["moved"] == {"regrouped": 0, "ratios": 0} and after.dropped.empty
    moved = after.examples.merge(before.examples[[col.ORIGIN_ID, col.SPLIT]], on=col.ORIGIN_ID, suffixes=("", "_before"))
    assert len(moved) == len(part) and (moved[col.SPLIT] == moved["split_before"]).all()
    assert (after.examples.assign(tree=tree.values).groupby("tree")[col.SPLIT].nunique() == 1).all()
