"""stages/dedup.py in-process (the same code path as dvc repro), and the dedup config section."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tuneset import config, frames
from tuneset import schema as col

from stage_helpers import REPO, run_stage

from .helpers import LONG_A, LONG_Q, frame, sft


@pytest.fixture
def workdir(stage_workdir):
    rows = [sft(LONG_Q, LONG_A, origin="expert", loc="1"), sft(LONG_Q.upper(), LONG_A, loc="2"),
            sft(LONG_Q.replace("annual", "yearly"), LONG_A, loc="3"),
            sft("Can I pay by invoice?", "Yes, on annual plans.", loc="4"),
            sft("Can I pay by invoice?", "No, cards only.", loc="5")]
    frames.write_parquet(frame(rows), stage_workdir / "in.parquet")
    return stage_workdir


def test_stage_writes_examples_dropped_reports_and_passes_its_gates(workdir):
    assert config.load_section("dedup", config.read_params("params.yaml")).jaccard_threshold == 0.8
    run_stage("dedup", "--input", "in.parquet")
    kept = frames.read_parquet(workdir / "data/dedup/examples.parquet")
    dropped = pd.read_parquet(workdir / "data/dedup/dropped.parquet")
    assert len(kept) == 3 and kept[col.CLUSTER_ID].notna().all()
    assert sorted(dropped[col.RULE]) == ["exact_duplicate", "near_duplicate"]
    assert set(dropped[col.DUPLICATE_OF]) == {kept[col.ORIGIN_ID].iloc[0]}
    report = json.loads((workdir / "reports/dedup.json").read_text())
    assert report["rows_in"] == 5 and report["rows_out"] == 3
    assert report["dropped_by_rule"] == {"exact_duplicate": 1, "near_duplicate": 1}
    contradictions = json.loads((workdir / "reports/contradictions.json").read_text())
    assert contradictions["conflict_sets"] == 1 and contradictions["policy"] == "report"
    for gate in ("deduped", "dedup_dropped"):
        assert json.loads((workdir / f"reports/gates/{gate}.json").read_text())["success"] is True


def test_stage_outputs_are_byte_identical_across_runs(workdir):
    run_stage("dedup", "--input", "in.parquet")
    first = {p: (workdir / p).read_bytes() for p in ("data/dedup/examples.parquet", "data/dedup/dropped.parquet",
                                                      "reports/dedup.json", "reports/contradictions.json")}
    run_stage("dedup", "--input", "in.parquet")
    assert all((workdir / p).read_bytes() == b for p, b in first.items())


def test_stage_fails_plainly_when_semantic_is_on_without_a_model(workdir, capsys):
    config.compose_params("conf", "params.yaml", ["dedup.semantic=true", "dedup.semantic_model=no_such_model_pkg"])
    run_stage("dedup", "--input", "in.parquet", code=2)
    assert "no_such_model_pkg" in capsys.readouterr().err


@pytest.mark.parametrize("values, message", [
    ({"key": "turns"}, "dedup.key"),
    ({"shingle": "sentence"}, "dedup.shingle"),
    ({"contradictions": "ignore"}, "dedup.contradictions"),
    ({"lsh_threshold": 0.9}, "dedup.lsh_threshold"),
    ({"jaccard_threshold": 1.5}, "dedup.jaccard_threshold"),
    ({"survivor_order": ["expert", "production"]}, "dedup.survivor_order"),
    ({"keep_per_cluster": 0}, "dedup.keep_per_cluster"),
    ({"jacard_threshold": 0.8}, "dedup.jacard_threshold"),
    ({"ngram": "five"}, "dedup.ngram"),
], ids=lambda v: str(v)[:30])
def test_config_errors_name_the_key(values, message):
    with pytest.raises(config.ConfigError, match=message.replace(".", r"\.")):
        config.load_section("dedup", {"dedup": values})


def test_conf_default_matches_the_dataclass():
    from omegaconf import OmegaConf

    conf = OmegaConf.to_container(OmegaConf.load(REPO / "conf/dedup/default.yaml"))
    assert conf == {k: v for k, v in config.DedupConfig().__dict__.items()}
    assert "dedup.jaccard_threshold" in config.describe()
