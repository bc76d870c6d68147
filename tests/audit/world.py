"""A small dataset version on disk, written the way export writes it (manifest, examples, dropped,
VERSION.json and the index), plus a git + DVC repository of two such versions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import export, frames, ledger
from tuneset import schema as col
from tuneset.audit import index as idx
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message
from tuneset.rules import Rule

FINAL = "data/final"


@dataclass(frozen=True)
class EmptyAnswer(Rule):
    """Test rule (not registered): the final answer is empty."""

    name: ClassVar[str] = "empty_answer"
    stage: ClassVar[str] = "normalize"


def record(user: str, answer: str, *, locator: str, source: str = "chat", group: str | None = None,
           kind: str = "sft", split: str = "train", tool_calls: Any = None) -> dict[str, Any]:
    ms = [message("user", user)]
    if tool_calls is not None:
        ms += [message("assistant", None, tool_calls=tool_calls), message("tool", "ok", tool_call_id="c1")]
    if kind == "sft":
        parsed = Parsed(kind="sft", messages=[*ms, message("assistant", answer)], group_id=group)
    else:
        parsed = Parsed(kind="preference", messages=ms, group_id=group, chosen=[message("assistant", answer)],
                        rejected=[message("assistant", "No idea.")])
    unit = Unit(locator=locator, raw=f"{user}|{answer}|{locator}|{source}".encode(), parsed=parsed)
    rec = build_record(unit, SourceInfo(source=source, source_file=f"data/raw/{source}.jsonl", origin="production"))
    rec.update({col.SPLIT: split, col.CLUSTER_ID: rec[col.ORIGIN_ID], col.N_TOKENS: 10})
    return rec


def dropped(rec: dict[str, Any], reason: str = "final assistant answer is empty") -> dict[str, Any]:
    return ledger.dropped_row(rec, stage="normalize", rule=EmptyAnswer(), reason=reason)


def write_final(root: Path, kept: Sequence[dict[str, Any]], drops: Sequence[dict[str, Any]], *,
                index: bool = True, stage_outputs: dict[str, pd.DataFrame] | None = None,
                extra_columns: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """Write data/final under ``root`` like stages/export.py does; returns VERSION.json."""
    out = root / FINAL
    out.mkdir(parents=True, exist_ok=True)
    df = frames.records_frame(kept, columns=[*col.RECORD_COLUMNS, col.CLUSTER_ID, col.SPLIT, col.N_TOKENS])
    df[col.N_TOKENS] = df[col.N_TOKENS].astype("int64")
    for name, values in (extra_columns or {}).items():
        df[name] = pd.Series(values, dtype=object)
    manifest = export.manifest(df)
    dropped_df = ledger.dropped_frame(list(drops))
    frames.write_parquet(manifest, out / "manifest.parquet")
    frames.write_parquet(df.sort_values([col.EXAMPLE_ID, col.ORIGIN_ID], kind="stable"), out / "examples.parquet")
    frames.write_parquet(dropped_df, out / "dropped.parquet", col.DROPPED_TYPES)
    version = export.version(df, "params", None)
    (out / "VERSION.json").write_text(version.to_json(), encoding="utf-8")
    if index:
        idx.export_index(out / idx.INDEX_DIR, manifest, dropped_df, out / "examples.parquet", stage_outputs)
    return json.loads(version.to_json())


def sample(n: int = 12) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` kept examples over three splits and two dropped ones."""
    splits = ["train", "train", "val", "test"]
    kept = [record(f"Question {i} about my invoice?", f"Answer {i}: open Billing.", locator=str(i + 1),
                   group=f"t{i}", split=splits[i % 4]) for i in range(n)]
    gone = [dropped(record("Where is my order?", "", locator=str(n + 1))),
            dropped(record("Cancel please", "", locator=str(n + 2)))]
    return kept, gone


# --- a git + DVC repository of dataset versions -----------------------------------------------------

DVC_YAML = """stages:
  export:
    cmd: python -c "print('outputs are written by the test')"
    outs:
      - data/final
"""


def sh(repo: Path, *cmd: str) -> str:
    env = dict(os.environ, DVC_NO_ANALYTICS="1", DVC_SITE_CACHE_DIR=str(repo / ".dvc/tmp/site"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def init_repo(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    sh(repo, "git", "init", "-q")
    sh(repo, "dvc", "init", "-q")
    (repo / "dvc.yaml").write_text(DVC_YAML)


def commit_version(repo: Path, message_: str, params: str) -> str:
    """``dvc commit`` the current data/final into dvc.lock and the cache, then git commit; returns the rev."""
    (repo / "params.yaml").write_text(params)
    sh(repo, "dvc", "commit", "-f", "-q", "export")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", message_)
    return sh(repo, "git", "rev-parse", "HEAD").strip()


def reset_final(repo: Path) -> None:
    shutil.rmtree(repo / FINAL, ignore_errors=True)
