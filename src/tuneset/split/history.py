"""The existing assignments: the manifest of the last committed dataset version.

A dataset version is a git commit whose ``dvc.lock`` pins ``data/final``; its manifest lives in the
DVC cache (or remote). :func:`read_history` reads it through ``dvc.api`` at a git revision (HEAD by
default), outside the pipeline's dependency graph, so there is no cycle: the split of this run
depends on what was committed, not on the export it feeds. There is no history on the first run,
and none when the folder is not a git repository, has no commit, the revision has no manifest, or
the manifest is not in the cache: each is reported, never an error. The ``split`` section of
``params.yaml`` at the same revision tells whether the ratios or the salt changed since.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import yaml

from tuneset import schema as col


@dataclass
class History:
    """What the last committed version assigned, and how it was found."""

    assignments: pd.DataFrame | None  # origin_id, split (None: no history)
    status: str  # human sentence: where the history came from, or why there is none
    params: dict[str, Any] = field(default_factory=dict)  # the split section of params.yaml at that revision

    @property
    def available(self) -> bool:
        return self.assignments is not None

    @classmethod
    def none(cls, why: str) -> History:
        return cls(None, why)


def _brief(exc: BaseException, repo: str | Path = ".") -> str:
    """The error in one line, with the repository's absolute path shown as ``.``."""
    text = " ".join(str(exc).split()).replace(str(Path(repo).resolve()), ".")
    return f"{type(exc).__name__}: {text[:200]}"


def read_history(manifest: str | Path = "data/final/manifest.parquet", rev: str = "HEAD",
                 repo: str | Path = ".", params: str | Path = "params.yaml") -> History:
    """The (origin_id, split) pairs of the manifest committed at ``rev``; never raises."""
    try:
        import dvc.api
    except ImportError as exc:  # pragma: no cover - dvc is a dependency
        return History.none(f"no history: dvc is not importable ({_brief(exc)})")
    path = Path(manifest).as_posix()
    try:
        with dvc.api.open(path, repo=str(repo), rev=rev, mode="rb") as f:
            data = f.read()
    except Exception as exc:  # noqa: BLE001 - any failure means "no history", and says why
        return History.none(f"no history: cannot read {path} at {rev} ({_brief(exc, repo)}); if {rev} holds a "
                            "dataset version, `dvc pull` fetches it so its examples keep their splits (without it, "
                            "every split is assigned afresh)")
    try:
        table = pq.read_table(io.BytesIO(data), columns=[col.ORIGIN_ID, col.SPLIT])
    except Exception as exc:  # noqa: BLE001
        return History.none(f"no history: {path} at {rev} is not a readable manifest ({_brief(exc, repo)})")
    frame = pd.DataFrame({col.ORIGIN_ID: table.column(col.ORIGIN_ID).to_pylist(),
                          col.SPLIT: table.column(col.SPLIT).to_pylist()}, dtype=object)
    frame = frame[frame[col.SPLIT].isin(col.SPLITS)].drop_duplicates(col.ORIGIN_ID).reset_index(drop=True)
    split_params: dict[str, Any] = {}
    try:
        text = dvc.api.read(Path(params).as_posix(), repo=str(repo), rev=rev, mode="r")
        loaded = yaml.safe_load(text) or {}
        split_params = dict(loaded.get("split") or {}) if isinstance(loaded, dict) else {}
    except Exception:  # noqa: BLE001 - the ratios are a refinement; the assignments stand without them
        split_params = {}
    return History(frame, f"{len(frame)} assignments from {path} at {rev}", split_params)
