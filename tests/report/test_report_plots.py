"""The ``dvc plots`` tables: columns, counts and a fixed row order."""

from __future__ import annotations

import pandas as pd
from report_world import TICKETS, kept_frames, sft

from tuneset import frames, ledger
from tuneset import schema as col
from tuneset.report import plot_tables
from tuneset.report.tally import nice_width, quantile


def _manifest(n_tokens: list[int | None], split: str = "train") -> pd.DataFrame:
    rows = [(sft(TICKETS, i + 1, f"q{i}", f"a{i}"), split, n, None) for i, n in enumerate(n_tokens)]
    return kept_frames(rows)[0]


def test_token_hist_bins_count_known_lengths():
    manifest = _manifest([5, 15, 15, 120, 0, 9, 10])
    t = plot_tables(manifest=manifest, examples=manifest, dropped=ledger.dropped_frame([]))["token_hist"]
    assert list(t.columns) == ["split", "kind", "bin_start", "bin", "count"]
    assert t["bin"].tolist()[:2] == ["0–9", "10–19"]
    # max 120 -> about 20 bins -> width 10: bins 0, 10, ..., 120.
    assert t["bin_start"].tolist() == list(range(0, 130, 10))
    counts = dict(zip(t["bin_start"], t["count"]))
    assert counts[0] == 3 and counts[10] == 3 and counts[120] == 1
    assert sum(counts.values()) == 7 and counts[60] == 0
    assert set(t["split"]) == {"train"} and set(t["kind"]) == {"sft"}


def test_token_hist_shares_bins_across_splits_and_skips_missing():
    manifest = pd.concat([_manifest([1, 2, 3], "train"), _manifest([40, None], "test")], ignore_index=True)
    t = plot_tables(manifest=manifest, examples=manifest, dropped=ledger.dropped_frame([]))["token_hist"]
    assert t[["split"]].drop_duplicates()["split"].tolist() == ["train", "test"]  # schema order, not sorted
    for split in ("train", "test"):
        assert t.loc[t["split"] == split, "bin_start"].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24,
                                                                    26, 28, 30, 32, 34, 36, 38, 40]
    assert int(t.loc[t["split"] == "test", "count"].sum()) == 1  # the None is not counted


def test_token_hist_puts_outliers_in_one_overflow_bin():
    """One huge example must not squash every other into the first bar: bins end near the 99th percentile."""
    manifest = _manifest(list(range(1, 101)) + [10_000])
    t = plot_tables(manifest=manifest, examples=manifest, dropped=ledger.dropped_frame([]))["token_hist"]
    # p99 (nearest rank, 101 values) is 100 -> width 5, regular bins 0..100, overflow from 105.
    assert t["bin_start"].tolist() == list(range(0, 110, 5))
    assert t["bin"].tolist()[-2:] == ["100–104", "≥ 105"]
    assert t["count"].tolist()[-1] == 1 and t["count"].tolist()[0] == 4 and int(t["count"].sum()) == 101


def test_other_tables(world):
    tables = plot_tables(manifest=world.manifest, examples=world.examples, dropped=world.dropped)
    assert list(tables) == ["token_hist", "drops_by_rule", "split_balance", "turn_hist"]
    drops = tables["drops_by_rule"]
    assert drops.values.tolist() == [
        ["ingest", "report_test_unparseable", 2], ["filter", "report_test_rule", 5],
        ["dedup", "report_test_near_dup", 1], ["decontaminate", "report_test_ngram_overlap", 1],
    ]
    assert tables["split_balance"].values.tolist() == [
        ["train", "sft", 5], ["train", "preference", 0], ["val", "sft", 1], ["val", "preference", 1],
        ["test", "sft", 2], ["test", "preference", 0],
    ]
    assert tables["turn_hist"].values.tolist() == [
        ["train", "sft", 2, 5], ["val", "sft", 2, 1], ["val", "preference", 2, 1], ["test", "sft", 2, 2],
    ]
    again = plot_tables(manifest=world.manifest.iloc[::-1], examples=world.examples.iloc[::-1],
                        dropped=world.dropped.iloc[::-1])
    for name, table in tables.items():
        assert table.to_csv(index=False) == again[name].to_csv(index=False), name


def test_empty_tables_keep_their_columns():
    tables = plot_tables(manifest=frames.records_frame([], col.MANIFEST_COLUMNS),
                         examples=frames.records_frame([], col.RECORD_COLUMNS), dropped=ledger.dropped_frame([]))
    assert list(tables["token_hist"].columns) == ["split", "kind", "bin_start", "bin", "count"]
    assert tables["token_hist"].empty and tables["drops_by_rule"].empty and tables["turn_hist"].empty
    assert list(tables["drops_by_rule"].columns) == ["stage", "rule", "count"]
    assert tables["split_balance"]["count"].tolist() == [0] * 6


def test_nice_width_and_quantile():
    assert [nice_width(x) for x in (0, 1, 20, 21, 120, 200, 201, 8192, 10**6)] == [1, 1, 1, 2, 10, 10, 20, 500, 50000]
    assert quantile([1, 2, 3, 4], 0.5) == 2 and quantile([1, 2, 3, 4], 0.95) == 4 and quantile([7], 0.5) == 7
