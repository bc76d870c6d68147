"""`dvc repro` end to end on the bundled sample, in a temporary copy of the repository."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from e2e_helpers import repo_copy, run  # noqa: F401 - repo_copy is a fixture

pytestmark = pytest.mark.e2e

FINAL_FILES = [f"data/final/{k}/{s}.jsonl" for k in ("sft", "preference") for s in ("train", "val", "test")] + [
    "data/final/manifest.parquet", "data/final/examples.parquet", "data/final/dropped.parquet",
    "data/final/VERSION.json", "reports/lineage.json", "reports/datacard.html"]


def digest(repo: Path) -> dict[str, str]:
    return {f: hashlib.sha256((repo / f).read_bytes()).hexdigest() for f in FINAL_FILES}


def test_dvc_repro_on_the_sample_balances_and_is_byte_identical(repo_copy):
    run(repo_copy, "dvc", "repro")
    lineage = json.loads((repo_copy / "reports/lineage.json").read_text())
    assert lineage["balanced"], lineage
    assert lineage["raw_rows"] == lineage["quarantined"] + lineage["dropped"] + lineage["kept"]
    assert lineage["quarantined"] > 0 and lineage["dropped"] > 0 and lineage["by_split"]["train"] > 0

    manifest = pd.read_parquet(repo_copy / "data/final/manifest.parquet")
    dropped = pd.read_parquet(repo_copy / "data/final/dropped.parquet")
    assert len(manifest) == lineage["kept"] and len(dropped) == lineage["quarantined"] + lineage["dropped"]
    n_lines = sum(len((repo_copy / f).read_text().splitlines()) for f in FINAL_FILES if f.endswith(".jsonl"))
    assert n_lines == len(manifest)
    assert (repo_copy / "data/final/preference/train.jsonl").stat().st_size > 0
    first = json.loads((repo_copy / "data/final/sft/train.jsonl").read_text().splitlines()[0])
    assert first["messages"][-1]["role"] == "assistant"
    version = json.loads((repo_copy / "data/final/VERSION.json").read_text())
    assert sum(sum(v.values()) for v in version["counts"].values()) == len(manifest)

    before = digest(repo_copy)
    run(repo_copy, "dvc", "repro", "--force")
    assert digest(repo_copy) == before, "a forced re-run must give byte-identical outputs"
    status = json.loads(run(repo_copy, "dvc", "status", "--json").stdout)
    for always_changed in ("check_params", "salt_fingerprint"):  # re-check params.yaml and the PII key every run
        status.pop(always_changed, None)
    assert status == {}, status


def test_repro_refuses_stale_params(repo_copy):
    split_conf = repo_copy / "conf/split/default.yaml"
    split_conf.write_text(split_conf.read_text().replace("salt: tuneset", "salt: changed"))
    proc = run(repo_copy, "dvc", "repro", check=False)
    assert proc.returncode != 0
    assert "params.yaml is stale" in proc.stdout + proc.stderr
    assert not (repo_copy / "data/ingest/examples.parquet").exists(), "no stage may run on stale params"
