"""Run a stage script in-process: the code path of `dvc repro`, minus DVC. Pair it with the
``stage_workdir`` fixture (tests/conftest.py), which gives the script the conf/, expectations/ and
params.yaml it reads."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_stage(name: str, *args: str, code: int = 0) -> None:
    """Run stages/<name>.py with ``args`` in this process; it must exit with ``code``."""
    argv = sys.argv
    sys.argv = [f"stages/{name}.py", *args]
    try:
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(REPO / "stages" / f"{name}.py"), run_name="__main__")
    finally:
        sys.argv = argv
    exited = int(exit_info.value.code or 0)
    assert exited == code, f"stage {name} exited {exited}, expected {code}"
