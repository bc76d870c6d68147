"""Dedup over the bundled sample, ingested and normalized in-process, against what the sample planted.

The sample plants exact duplicates and near duplicates (``planted_exact_duplicate`` and
``planted_near_duplicate`` of ``tuneset.sample.generate``): each a copy or a paraphrase of a
*clean* unit (no planted problem), and no unit is in two pairs. Ingest quarantines only units with
a planted reading problem and normalize drops only units with a planted structural problem, so no
copy and no source of a copy is lost before dedup. The test checks that explanation instead of
assuming it (no row normalize dropped has a near partner), then expects exactly the planted counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneset import config, frames, ledger, sample
from tuneset import schema as col
from tuneset.dedup import dedup
from tuneset.ingest import discover, ingest_file, source_info
from tuneset.normalize import normalize

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data/raw/sample"


def sample_text(record: dict) -> str:
    """The text tuneset.sample compares: every non-system turn, plus chosen and rejected."""
    turns = [m for m in record[col.MESSAGES] if m["role"] != "system"]
    turns += list(record.get(col.CHOSEN) or ()) + list(record.get(col.REJECTED) or ())
    return " ".join(m.get("content") or "" for m in turns)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not RAW.is_dir():
        pytest.skip("data/raw/sample is absent (deleted sample)")
    tmp = tmp_path_factory.mktemp("dedup_sample")
    planted = sample.generate(tmp / "raw", tmp / "bench")
    config.compose_params(REPO / "conf", tmp / "params.yaml", ["sources=sample"])
    params = config.read_params(tmp / "params.yaml")
    files, _ = discover(RAW, REPO, config.load_sources(params))
    records = []
    for path, name, spec in files:
        records += ingest_file(path, source_info(path, REPO, name, spec), spec).records
    ingested = ledger.sort_units(frames.records_frame(records))
    norm = normalize(ingested, config.load_section("normalize", params))
    result = dedup(norm.examples, config.DedupConfig())
    return planted, norm, result, ingested


def test_removes_exactly_the_planted_duplicates(world):
    planted, norm, result, _ = world
    rules = result.report["dropped_by_rule"]
    assert rules == {"exact_duplicate": planted["planted_exact_duplicate"],
                     "near_duplicate": planted["planted_near_duplicate"]} == {"exact_duplicate": 40, "near_duplicate": 40}
    assert result.report["rows_out"] == len(norm.examples) - 80
    assert result.report["clusters"]["sizes"] == {"2": 80}  # pairs only, as planted


def test_every_removal_is_a_planted_pair_by_the_samples_own_measure(world):
    _, norm, result, _ = world
    by_oid = {r[col.ORIGIN_ID]: r for r in norm.examples.to_dict("records")}
    for d in result.dropped.to_dict("records"):
        gone, kept = sample_text(by_oid[d[col.ORIGIN_ID]]), sample_text(by_oid[d[col.DUPLICATE_OF]])
        if d[col.RULE] == "exact_duplicate":
            assert sample._norm(gone) == sample._norm(kept), d[col.REASON]
        else:
            assert sample._norm(gone) != sample._norm(kept) and sample.jaccard(gone, kept) >= sample.MIN_NEAR_JACCARD, d[col.REASON]
            assert json.loads(d[col.DETAILS])["jaccard"] >= 0.8


def test_nothing_planted_was_lost_before_dedup(world):
    """Rows normalize dropped are planted structural problems: none has a duplicate partner."""
    _, norm, _, ingested = world
    rows = ingested.to_dict("records")
    grams = [sample._shingles(sample_text(r)) for r in rows]
    lost = set(norm.dropped[col.ORIGIN_ID])
    assert len(lost) == sum(norm.report["dropped_by_rule"].values()) > 0
    for i, r in enumerate(rows):
        if r[col.ORIGIN_ID] not in lost:
            continue
        partners = [k for k, g in enumerate(grams)
                    if k != i and len(g & grams[i]) / len(g | grams[i]) >= 0.8]
        assert not partners, f"{r[col.SOURCE_FILE]} {r[col.LOCATOR]} was dropped by normalize but has a duplicate"
