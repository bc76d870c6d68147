import pandas as pd

from tuneset import schema as col
from tuneset.config import SplitConfig
from tuneset.frames import records_frame
from tuneset.split import assign_splits, split_of

CFG = SplitConfig()


def frame(record_factory, n, group=lambda i: None):
    return records_frame([record_factory(user=f"question {i}", locator=str(i), group=group(i)) for i in range(n)])


def test_split_is_a_pure_function_of_group_salt_and_ratios():
    assert split_of("g1", "s", CFG.ratios) == split_of("g1", "s", CFG.ratios)
    assert split_of("g", "s", {"train": 1.0, "val": 0.0, "test": 0.0}) == "train"
    assert split_of("g", "s", {"train": 0.0, "val": 0.0, "test": 1.0}) == "test"


def test_ratios_are_respected_on_many_groups(record_factory):
    out = assign_splits(frame(record_factory, 3000), CFG).examples
    shares = out[col.SPLIT].value_counts(normalize=True)
    assert abs(shares["train"] - 0.8) < 0.03 and abs(shares["val"] - 0.1) < 0.02


def test_groups_never_straddle_splits(record_factory):
    out = assign_splits(frame(record_factory, 600, group=lambda i: f"ticket-{i // 6}"), CFG).examples
    assert (out.groupby(col.GROUP_ID)[col.SPLIT].nunique() == 1).all()


def test_row_order_and_new_rows_never_move_existing_examples(record_factory):
    base = frame(record_factory, 400)
    first = assign_splits(base, CFG).examples.set_index(col.ORIGIN_ID)[col.SPLIT]
    grown = pd.concat([frame(record_factory, 800).iloc[400:], base.iloc[::-1]], ignore_index=True)
    second = assign_splits(grown, CFG).examples.set_index(col.ORIGIN_ID)[col.SPLIT]
    assert (second.loc[first.index] == first).all()


def test_salt_changes_assignment(record_factory):
    df = frame(record_factory, 200)
    a = assign_splits(df, CFG).examples[col.SPLIT]
    b = assign_splits(df, SplitConfig(salt="other")).examples[col.SPLIT]
    assert (a != b).any()


def test_report_and_empty_frame(record_factory):
    result = assign_splits(frame(record_factory, 50), CFG)
    assert sum(result.report["counts"].values()) == 50
    assert result.report["salt_fingerprint"] != CFG.salt
    empty = assign_splits(records_frame([]), CFG)
    assert empty.examples.empty and empty.report["counts"] == {"train": 0, "val": 0, "test": 0}
