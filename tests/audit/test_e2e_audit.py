"""Acceptance of the audit commands on real pipeline runs, in a temporary copy of the repository.

Two dataset versions are committed (the second without one raw file); `tuneset diff` must equal
the set differences of the two manifests, `explain` must answer for a kept and a dropped example,
and `models which` must name the model registered on the first version for an example only that
version held. A second test forgets an example and a text, re-runs, and checks the exclusion.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from e2e.e2e_helpers import repo_copy, run  # noqa: F401 - repo_copy is a fixture

pytestmark = pytest.mark.e2e

KEY = "e2e-audit-key"
REMOVED = "data/raw/sample/alpaca.json"


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TUNESET_PII_SALT", KEY)


def commit(repo: Path, message: str) -> str:
    run(repo, "git", "add", "-A")
    run(repo, "git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", message)
    return run(repo, "git", "rev-parse", "HEAD").stdout.strip()


def tuneset_json(repo: Path, *args: str):
    return json.loads(run(repo, "tuneset", *args, "--json").stdout)


def version_at(repo: Path, rev: str) -> str:
    import dvc.api

    return json.loads(dvc.api.read("data/final/VERSION.json", repo=str(repo), rev=rev))["dataset_version"]


def manifest(repo: Path) -> pd.DataFrame:
    return pd.read_parquet(repo / "data/final/manifest.parquet")


def test_diff_explain_and_models_across_two_versions(repo_copy):
    repo = repo_copy
    run(repo, "dvc", "repro")
    v1 = commit(repo, "dataset v1")
    m1 = manifest(repo)
    registered = tuneset_json(repo, "models", "register", "bot-v1", "--rev", "HEAD", "--notes", "first fine-tune")
    assert registered["rev"] == v1 and registered["splits"] == ["train"]
    commit(repo, "register bot-v1")

    (repo / REMOVED).unlink()
    run(repo, "dvc", "repro")
    v2 = commit(repo, "dataset v2: without the KB answers")
    m2 = manifest(repo)

    # diff == the set differences of the two manifests
    d = tuneset_json(repo, "diff", v1, "HEAD")
    a, b = set(m1["example_id"]), set(m2["example_id"])
    assert d["added"] == sorted(b - a) and d["removed"] == sorted(a - b)
    assert d["removed"], "removing a raw file must remove examples"
    assert d["a"]["rev"] == v1 and d["b"]["rev"] == v2
    assert f"removed          {len(d['removed'])}" in run(repo, "tuneset", "diff", v1, v2).stdout

    # explain a kept example (held by both versions) and a dropped one
    both = m2[m2["example_id"].isin(a)].iloc[0]
    kept = tuneset_json(repo, "explain", both["example_id"][:12])
    assert (kept["example_id"], kept["origin_id"], kept["split"], kept["dropped"]) == \
        (both["example_id"], both["origin_id"], both["split"], None)
    # each version is named by the commit that introduced it (the copy's first commit may already pin v1's outputs)
    versions = [v["dataset_version"] for v in kept["versions"]]
    assert versions == [version_at(repo, v2), version_at(repo, v1)] and kept["versions"][0]["rev"] == v2
    dropped_table = pd.read_parquet(repo / "data/final/dropped.parquet")
    gone = dropped_table[dropped_table["example_id"].notna()].iloc[0]
    dropped = tuneset_json(repo, "explain", gone["origin_id"])
    assert dropped["split"] is None
    assert dropped["dropped"]["stage"] == gone["stage"] and dropped["dropped"]["rule"] == gone["rule"]
    assert "dropped at" in run(repo, "tuneset", "explain", gone["origin_id"]).stdout

    # models which: an example only v1 held, in its train split
    only_v1 = m1[(m1["source_file"] == REMOVED) & (m1["split"] == "train") & ~m1["example_id"].isin(b)].iloc[0]
    which = tuneset_json(repo, "models", "which", only_v1["example_id"][:12])
    assert which == [{"model": "bot-v1", "example_id": only_v1["example_id"], "split": "train"}]
    examples = pd.read_parquet(repo / "data/final/examples.parquet")  # v2: the text is gone from the workspace
    assert only_v1["example_id"] not in set(examples["example_id"])
    trained = tuneset_json(repo, "models", "examples", "bot-v1")
    assert sorted(t["example_id"] for t in trained) == sorted(m1.loc[m1["split"] == "train", "example_id"])


def test_forget_excludes_at_ingest_and_models_still_know(repo_copy):
    repo = repo_copy
    run(repo, "dvc", "repro")
    commit(repo, "dataset v1")
    run(repo, "tuneset", "models", "register", "bot-v1", "--rev", "HEAD")
    examples = pd.read_parquet(repo / "data/final/examples.parquet")
    train = examples[(examples["split"] == "train") & (examples["kind"] == "sft")]
    target = train.iloc[0]
    by_text = train.iloc[1]
    text = next(m["content"] for m in by_text["messages"] if m["role"] == "user")

    forgot_id = tuneset_json(repo, "forget", target["origin_id"][:12])
    assert forgot_id["added"]["origin_ids"] == [target["origin_id"]]
    forgot_text = tuneset_json(repo, "forget", "--text", text)
    assert forgot_text["matched"] >= 1 and by_text["origin_id"] in forgot_text["added"]["origin_ids"]
    listed = yaml.safe_load((repo / "conf/exclude/default.yaml").read_text())
    assert target["origin_id"] in listed["origin_ids"] and len(listed["text_hashes"]) == 1
    for f in ("conf/exclude/default.yaml", "params.yaml"):
        assert text.lower() not in (repo / f).read_text().lower(), f"{f} must not hold the forgotten text"

    # future data with an identical turn (up to case and spacing) is excluded by the keyed hash
    extra = repo / "data/raw/late/late.jsonl"
    extra.parent.mkdir(parents=True)
    extra.write_text(json.dumps({"messages": [{"role": "user", "content": "  " + text.upper() + " "},
                                              {"role": "assistant", "content": "A late answer."}]}) + "\n")
    run(repo, "dvc", "repro")

    table = pd.read_parquet(repo / "data/final/dropped.parquet")
    excluded = table[table["rule"] == "excluded"]
    assert {target["origin_id"], by_text["origin_id"]} <= set(excluded["origin_id"])
    assert set(excluded["stage"]) == {"ingest"} and set(excluded["preview"]) == {""}
    late = excluded[excluded["source_file"] == "data/raw/late/late.jsonl"]
    assert len(late) == 1 and "text_hashes" in late["reason"].iloc[0]
    assert not any(text.lower() in str(r).lower() for r in excluded["reason"])
    assert target["origin_id"] not in set(manifest(repo)["origin_id"])
    assert json.loads((repo / "reports/lineage.json").read_text())["balanced"]

    which = tuneset_json(repo, "models", "which", target["origin_id"][:12])
    assert which == [{"model": "bot-v1", "example_id": target["example_id"], "split": "train"}]
