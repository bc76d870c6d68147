"""What every stage script shares: params, progress on stderr, JSON reports, timings and gates.

Stage scripts stay thin: parse args, read, call the library, write with these helpers, report.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd


def log(stage: str, message: str) -> None:
    print(f"[{stage}] {message}", file=sys.stderr, flush=True)


def progress(stage: str, total: int, every_seconds: float = 5.0):
    """A ``(rows_done) -> None`` callback: a tqdm bar with rows/s on a terminal, silent otherwise.

    See :mod:`tuneset.progress` (``every_seconds`` is kept for callers; the bar throttles itself).
    """
    from tuneset.progress import Progress

    return Progress(stage, total)


def write_json(path: str | Path, obj: Any) -> None:
    """Deterministic JSON: sorted keys, fixed indent, trailing newline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@contextmanager
def timed(stage: str, timings_dir: str | Path = "reports/timings") -> Iterator[dict[str, Any]]:
    """Time a stage into reports/timings/<stage>.json (not a DVC output, so outputs stay byte-identical)."""
    info: dict[str, Any] = {}
    start = time.perf_counter()
    cpu = time.process_time()
    yield info
    info.update({"wall_seconds": round(time.perf_counter() - start, 3),
                 "cpu_seconds": round(time.process_time() - cpu, 3)})
    write_json(Path(timings_dir) / f"{stage}.json", info)
    log(stage, f"done in {info['wall_seconds']:.1f}s")


def gate(stage: str, df: pd.DataFrame | str | Path, suite: str | Path, report: str | Path) -> None:
    """Validate a frame, or a Parquet file given by path (read batch by batch), against a Great
    Expectations suite; exit the process with 1 when it fails."""
    from tuneset.gate import flat_view_of_parquet, run_gate

    if isinstance(df, (str, Path)):
        result = run_gate(flat_view_of_parquet(Path(df)), Path(suite), Path(report), flat=True)
    else:
        result = run_gate(df, Path(suite), Path(report))
    if not result.success:
        log(stage, f"gate {Path(suite).name} FAILED; outputs are left in place for inspection")
        sys.exit(1)
    log(stage, f"gate {Path(suite).name} passed")


def quiet_environment() -> None:
    """No analytics or update checks from the libraries the stages use."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
