"""read_history: the committed manifest at a git revision, and every way of having none (never an error)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tuneset import frames
from tuneset import schema as col
from tuneset.split import read_history

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def sh(cwd: Path, *cmd: str) -> None:
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=env)


def manifest(path: Path, pairs: list[tuple[str, str]]) -> None:
    frames.write_parquet(pd.DataFrame({col.ORIGIN_ID: [a for a, _ in pairs], col.SPLIT: [b for _, b in pairs],
                                       col.EXAMPLE_ID: ["e"] * len(pairs)}, dtype=object), path)


def test_no_git_repository(tmp_path: Path):
    h = read_history("data/final/manifest.parquet", "HEAD", tmp_path)
    assert not h.available and h.status.startswith("no history") and str(tmp_path) not in h.status


def test_git_repository_without_a_commit(tmp_path: Path):
    sh(tmp_path, "git", "init", "-q")
    h = read_history("data/final/manifest.parquet", "HEAD", tmp_path)
    assert not h.available and "at HEAD" in h.status


def test_commit_without_a_manifest_and_an_unreadable_one(tmp_path: Path):
    sh(tmp_path, "git", "init", "-q")
    (tmp_path / "params.yaml").write_text("split:\n  salt: s\n")
    sh(tmp_path, "git", "add", "-A")
    sh(tmp_path, *GIT, "commit", "-qm", "first")
    assert not read_history("data/final/manifest.parquet", "HEAD", tmp_path).available
    (tmp_path / "data/final").mkdir(parents=True)
    (tmp_path / "data/final/manifest.parquet").write_text("not parquet")
    sh(tmp_path, "git", "add", "-A")
    sh(tmp_path, *GIT, "commit", "-qm", "second")
    h = read_history("data/final/manifest.parquet", "HEAD", tmp_path)
    assert not h.available and "not a readable manifest" in h.status


def test_a_committed_manifest_and_its_params(tmp_path: Path):
    sh(tmp_path, "git", "init", "-q")
    manifest(tmp_path / "data/final/manifest.parquet", [("a" * 64, "train"), ("b" * 64, "test"), ("b" * 64, "test")])
    (tmp_path / "params.yaml").write_text("split:\n  ratios: {train: 0.8, val: 0.1, test: 0.1}\n  salt: s1\n")
    sh(tmp_path, "git", "add", "-A")
    sh(tmp_path, *GIT, "commit", "-qm", "v1")
    manifest(tmp_path / "data/final/manifest.parquet", [("c" * 64, "val")])  # uncommitted: not history
    h = read_history("data/final/manifest.parquet", "HEAD", tmp_path, "params.yaml")
    assert h.available and h.assignments[col.ORIGIN_ID].tolist() == ["a" * 64, "b" * 64]
    assert h.params == {"ratios": {"train": 0.8, "val": 0.1, "test": 0.1}, "salt": "s1"}
    assert h.status == "2 assignments from data/final/manifest.parquet at HEAD"


@pytest.mark.e2e
def test_a_dvc_tracked_manifest_read_from_the_cache_and_missing_from_it(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    sh(tmp_path, "git", "init", "-q")
    sh(tmp_path, "dvc", "init", "-q")
    manifest(tmp_path / "data/final/manifest.parquet", [("a" * 64, "val")])
    sh(tmp_path, "dvc", "add", "-q", "data/final")
    sh(tmp_path, "git", "add", "-A")
    sh(tmp_path, *GIT, "commit", "-qm", "v1")
    h = read_history("data/final/manifest.parquet", "HEAD", tmp_path)
    assert h.available and h.assignments[col.SPLIT].tolist() == ["val"]
    shutil.rmtree(tmp_path / ".dvc/cache")
    h = read_history("data/final/manifest.parquet", "HEAD", tmp_path)
    assert not h.available and h.status.startswith("no history")
