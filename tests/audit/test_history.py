"""diff, explain's versions and the model registry over two versions committed with git + DVC."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from audit import world
from tuneset import schema as col
from tuneset.audit import AuditError, diff, explain, models
from tuneset.audit.store import Snapshot, resolve_rev, version_history


def ids(records):
    return {r["example_id"] for r in records}


def test_version_history_lists_each_committed_output_newest_first(history):
    refs = version_history(history.repo, world.FINAL)
    assert [r.rev for r in refs] == [history.v2, history.v1]


def test_diff_is_the_set_difference_of_the_manifests(history):
    out = diff.diff(history.repo, history.v1, "HEAD", world.FINAL)
    a, b = ids(history.v1_kept), ids(history.v2_kept)
    assert out["added"] == sorted(b - a) and out["removed"] == sorted(a - b)
    old, new = history.changed
    assert out["content_changed"] == [{"origin_id": old["origin_id"], "old_example_id": old["example_id"],
                                       "new_example_id": new["example_id"]}]
    assert new["example_id"] in out["added"] and old["example_id"] in out["removed"]
    before = [r for r in history.v1_kept if r["origin_id"] == history.moved["origin_id"]][0]["split"]
    assert out["changed_split"] == [{"example_id": history.moved["example_id"], "from": before, "to": "test"}]
    assert out["params_changed"] == [{"key": "split.salt", "from": "a", "to": "b"}]
    assert out["rules_changed"] == [{"rule": "empty_answer", "stage": "normalize", "from": "1111111111111111",
                                     "to": "2222222222222222"}]
    assert out["counts"]["added"] == len(out["added"]) and out["counts"]["examples_b"] == len(history.v2_kept)
    assert out["a"]["rev"] == history.v1 and out["b"]["rev"] == history.v2
    text = diff.render(out)
    assert "removed" in text and "split.salt: 'a' -> 'b'" in text


def test_diff_of_a_version_with_itself_is_empty(history):
    out = diff.diff(history.repo, history.v2, history.v2, world.FINAL)
    assert out["added"] == out["removed"] == out["changed_split"] == out["content_changed"] == []
    assert out["params_changed"] == out["rules_changed"] == []


def test_explain_lists_the_committed_versions_holding_the_example(history):
    kept_both = [r for r in history.v2_kept if r in history.v1_kept][0]
    out = explain.explain(history.repo, kept_both["example_id"][:12], world.FINAL)
    assert [v["rev"] for v in out["versions"]] == [history.v2, history.v1]
    with Snapshot(history.repo, history.v1) as snap:
        assert out["versions"][1]["dataset_version"] == snap.read_json("data/final/VERSION.json")["dataset_version"]
    only_new = explain.explain(history.repo, history.new["origin_id"], world.FINAL)
    assert [v["rev"] for v in only_new["versions"]] == [history.v2]


def test_register_then_which_and_examples(history, tmp_path):
    registry = tmp_path / "registry.yaml"
    shutil.copy(Path(__file__).resolve().parents[2] / "models/registry.yaml", registry)
    model = models.register(history.repo, registry, "bot-v1", "HEAD~1", world.FINAL, None, "first run")
    assert model.rev == history.v1 and model.splits == ("train",)
    text = registry.read_text()
    assert text.startswith("# Models trained on dataset versions") and "bot-v1" in text
    entry = yaml.safe_load(text)["models"][0]
    assert entry == {"name": "bot-v1", "rev": history.v1, "dataset_version": model.dataset_version,
                     "splits": ["train"], "notes": "first run"}
    models.register(history.repo, registry, "bot-v2", history.v2[:10], world.FINAL, ["train", "val"], "")
    registered = models.load_registry(registry)

    gone = history.removed[0]  # in v1's train split only
    assert models.which(history.repo, registered, world.FINAL, gone["origin_id"][:10]) == [
        {"model": "bot-v1", "example_id": gone["example_id"], "split": "train"}]
    assert models.which(history.repo, registered, world.FINAL, gone["example_id"]) == [
        {"model": "bot-v1", "example_id": gone["example_id"], "split": "train"}]
    in_both = [r for r in history.v2_kept if r in history.v1_kept and r["split"] == "train"][0]
    assert [r["model"] for r in models.which(history.repo, registered, world.FINAL, in_both["example_id"])] == ["bot-v1", "bot-v2"]
    val = [r for r in history.v1_kept if r["split"] == "val" and r in history.v2_kept][0]
    assert models.which(history.repo, registered, world.FINAL, val["example_id"]) == [
        {"model": "bot-v2", "example_id": val["example_id"], "split": "val"}]
    with pytest.raises(AuditError, match="no example_id or origin_id starts with"):
        models.which(history.repo, registered, world.FINAL, "0123456789")
    only_v1_model = [models.get(registered, "bot-v1")]
    assert models.which(history.repo, only_v1_model, world.FINAL, history.new["example_id"][:10]) == []  # v2 only

    by_text = models.which_text(history.repo, registered, world.FINAL, gone["messages"][0]["content"].upper())
    assert {"model": "bot-v1", "example_id": gone["example_id"], "split": "train"} in by_text

    trained = models.examples(history.repo, models.get(registered, "bot-v1"), world.FINAL)
    v1_train = sorted(r["example_id"] for r in history.v1_kept if r["split"] == "train")
    assert sorted(t["example_id"] for t in trained) == v1_train and {t["split"] for t in trained} == {"train"}
    assert "bot-v1 trained on" in models.render_examples(trained, models.get(registered, "bot-v1"))


def test_register_refuses_duplicates_bad_revs_and_bad_splits(history, tmp_path):
    registry = tmp_path / "registry.yaml"
    models.register(history.repo, registry, "m", "HEAD", world.FINAL)
    with pytest.raises(AuditError, match="already registered"):
        models.register(history.repo, registry, "m", "HEAD", world.FINAL)
    with pytest.raises(AuditError, match="unknown git revision 'nope'"):
        models.register(history.repo, registry, "m2", "nope", world.FINAL)
    with pytest.raises(AuditError, match="unknown split"):
        models.register(history.repo, registry, "m3", "HEAD", world.FINAL, ["dev"])
    with pytest.raises(AuditError, match="no model named 'zzz'"):
        models.get(models.load_registry(registry), "zzz")
    assert [m.name for m in models.load_registry(registry)] == ["m"]


def test_a_tampered_registry_is_refused(history, tmp_path):
    registry = tmp_path / "registry.yaml"
    registry.write_text(f"models:\n  - name: m\n    rev: '{history.v1}'\n    dataset_version: '{'0' * 64}'\n")
    with pytest.raises(AuditError, match="the registry says dataset 0000000000000000"):
        models.examples(history.repo, models.load_registry(registry)[0], world.FINAL)
    registry.write_text(f"models:\n  - name: m\n    rev: {history.v1}\n    dataset_version: {'0' * 64}\n")
    with pytest.raises(AuditError, match="as text"):
        models.load_registry(registry)


def test_a_version_missing_from_the_cache_names_the_fix(history, tmp_path):
    repo = tmp_path / "clone"
    shutil.copytree(history.repo, repo)
    shutil.rmtree(repo / ".dvc" / "cache")
    with pytest.raises(AuditError, match=r"dvc fetch --all-commits data/final.*git checkout [0-9a-f]{12} && dvc pull"):
        diff.diff(repo, history.v1, history.v2, world.FINAL)
    assert resolve_rev(repo, "HEAD") == history.v2


def test_manifests_read_at_revs_match_what_was_written(history):
    with Snapshot(history.repo, history.v1) as snap:
        m = pd.read_parquet(snap.open("data/final/manifest.parquet"))
    assert set(m[col.EXAMPLE_ID]) == ids(history.v1_kept)


def test_the_local_cache_fast_path_reads_what_dvc_reads(history):
    import dvc.api

    for rev in (history.v1, history.v2):
        with Snapshot(history.repo, rev) as snap:
            names = ["VERSION.json", "manifest.parquet", "dropped.parquet", "index/units.parquet", "index/text.parquet"]
            for name in names:
                path = f"{world.FINAL}/{name}"
                assert snap._cached(path) is not None and snap._cached(path)[0], path
                assert snap.open(path).read() == dvc.api.read(path, repo=str(history.repo), rev=rev, mode="rb"), path
            assert snap._cached(f"{world.FINAL}/nope.parquet") == (False, None)
            assert not snap.exists(f"{world.FINAL}/nope.parquet")
            assert snap._cached("params.yaml") is None  # git-tracked: DVC's file system reads it
            assert snap.read_text("params.yaml").startswith("split:")
