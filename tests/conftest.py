"""Shared fixtures: canonical records built with the real helpers, a scratch repo for the stage scripts,
and the repo/shared locations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tuneset import config
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def make_record(user: str = "How do I reset my password?", answer: str = "Use the reset link.", *,
                locator: str = "1", source_file: str = "data/raw/t.jsonl", kind: str = "sft",
                group: str | None = None, system: str | None = None, **extra) -> dict:
    messages = ([message("system", system)] if system else []) + [message("user", user)]
    if kind == "sft":
        messages.append(message("assistant", answer))
        parsed = Parsed(kind="sft", messages=messages, group_id=group)
    else:
        parsed = Parsed(kind="preference", messages=messages, group_id=group,
                        chosen=[message("assistant", answer)], rejected=[message("assistant", "No.")])
    for k, v in extra.items():
        setattr(parsed, k, v)
    unit = Unit(locator=locator, raw=f"{user}|{answer}|{locator}".encode(), parsed=parsed)
    return build_record(unit, SourceInfo(source="test", source_file=source_file))


@pytest.fixture
def record_factory():
    return make_record


@pytest.fixture
def stage_workdir(tmp_path, monkeypatch) -> Path:
    """A scratch repo to run stage scripts in (with tests/stage_helpers.py run_stage), made the working
    directory: conf/ with no sources, expectations/, and the params.yaml composed from them."""
    for d in ("conf", "expectations"):
        shutil.copytree(REPO / d, tmp_path / d)
    (tmp_path / "conf/config.yaml").write_text((REPO / "conf/config.yaml").read_text().replace("sources: sample", "sources: none"))
    monkeypatch.chdir(tmp_path)
    config.compose_params("conf", "params.yaml")
    return tmp_path


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not found at {SHARED_DATA}: real-dataset tests need the shared folder beside the repo")
    return SHARED_DATA
