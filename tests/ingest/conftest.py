"""Fixtures of the ingest tests: write a raw file, read it back; find ../shared/data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tuneset.config import SourceConfig
from tuneset.ingest import FileResult, ingest_file
from tuneset.records import SourceInfo

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

Ingest = Callable[..., FileResult]


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    """ingest(name, content, **source_settings): write data/raw/t/<name> and read it.

    The asserted balance (units == records + quarantine) holds for every file any test reads.
    """

    def run(name: str, content: bytes | str, **settings) -> FileResult:
        path = tmp_path / "data" / "raw" / "t" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        result = ingest_file(path, SourceInfo("t", f"data/raw/t/{name}"), SourceConfig(**settings))
        assert result.units == len(result.records) + len(result.quarantine)
        return result

    return run


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not found: {SHARED_DATA}")
    return SHARED_DATA
