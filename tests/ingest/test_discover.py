"""discover: every file once, through the right source, in a stable order."""

from __future__ import annotations

from pathlib import Path

from tuneset.config import SourceConfig
from tuneset.ingest import discover, source_info


def touch(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n")


def listing(files) -> list[tuple[str, str]]:
    return [(p.as_posix().split("/repo/", 1)[1], name) for p, name, _ in files]


def test_implicit_sources_and_skipped_files(tmp_path):
    repo = tmp_path / "repo"
    touch(repo, "data/raw/tickets/b.jsonl", "data/raw/tickets/sub/a.csv", "data/raw/top.json",
          "data/raw/.gitkeep", "data/raw/README.md", "data/raw/tickets/.DS_Store", "data/raw/.cache/x.jsonl",
          "data/raw/alpha/z.txt")
    files, warnings = discover(repo / "data/raw", repo, {})
    assert listing(files) == [
        ("data/raw/alpha/z.txt", "alpha"),
        ("data/raw/tickets/b.jsonl", "tickets"),
        ("data/raw/tickets/sub/a.csv", "tickets"),
        ("data/raw/top.json", "raw"),
    ]
    assert all(spec == SourceConfig() for _, _, spec in files)
    assert warnings == []


def test_declared_sources_claim_their_files(tmp_path):
    repo = tmp_path / "repo"
    touch(repo, "data/raw/crm/a.csv", "data/raw/crm/b.csv", "data/raw/crm/notes.jsonl", "extra/x.jsonl")
    sources = {
        "zeta": SourceConfig(glob="data/raw/crm/*.csv", format="prompt_completion"),
        "crm": SourceConfig(glob="data/raw/crm/a.csv", origin="production"),
        "outside": SourceConfig(glob="extra/*.jsonl"),
        "nothing": SourceConfig(glob="data/raw/none/*.parquet"),
    }
    files, warnings = discover(repo / "data/raw", repo, sources)
    assert listing(files) == [
        ("data/raw/crm/a.csv", "crm"),  # first in name order wins the overlap
        ("data/raw/crm/b.csv", "zeta"),
        ("data/raw/crm/notes.jsonl", "crm"),  # implicit: its folder's name
        ("extra/x.jsonl", "outside"),
    ]
    assert files[0][2].origin == "production" and files[1][2].format == "prompt_completion"
    assert files[2][2] == SourceConfig()
    assert any("matches no file" in w and "nothing" in w for w in warnings)
    assert any("data/raw/crm/a.csv matches sources 'crm' and 'zeta'" in w for w in warnings)


def test_missing_raw_folder_is_a_warning(tmp_path):
    files, warnings = discover(tmp_path / "data/raw", tmp_path, {})
    assert files == [] and "not found" in warnings[0]


def test_source_info_uses_repo_relative_posix_path(tmp_path):
    spec = SourceConfig(origin="expert", license="CC-BY-4.0")
    info = source_info(tmp_path / "data" / "raw" / "a" / "x.jsonl", tmp_path, "a", spec)
    assert (info.source, info.source_file, info.origin, info.license) == ("a", "data/raw/a/x.jsonl", "expert", "CC-BY-4.0")
