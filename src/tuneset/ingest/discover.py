"""Which files to read, and through which source.

Declared sources claim the files their glob matches; every other file under the raw folder is read
through an implicit source named after its first folder, with default settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from tuneset.config import SourceConfig
from tuneset.records import SourceInfo

SKIPPED_NAMES = frozenset({"README.md", ".gitkeep"})
IMPLICIT_ROOT_SOURCE = "raw"


def relpath(path: Path, repo_root: Path) -> str:
    """The repo-relative, '/'-separated path that ``source_file`` and ``origin_id`` use."""
    return Path(os.path.relpath(Path(path).absolute(), Path(repo_root).absolute())).as_posix()


def _skipped(rel_parts: tuple[str, ...]) -> bool:
    # Hidden files and folders (.gitkeep, .DS_Store, .ipynb_checkpoints/...) are never data.
    return rel_parts[-1] in SKIPPED_NAMES or any(p.startswith(".") and p not in (".", "..") for p in rel_parts)


def discover(raw_root: Path, repo_root: Path,
             sources: dict[str, SourceConfig]) -> tuple[list[tuple[Path, str, SourceConfig]], list[str]]:
    """Every file to read, in sorted repo-relative path order, with its source name and settings."""
    repo_root = Path(repo_root)
    raw_root = Path(raw_root)
    warnings: list[str] = []
    chosen: dict[str, tuple[Path, str, SourceConfig]] = {}
    for name in sorted(sources):
        spec = sources[name]
        matched = 0
        try:
            paths = sorted(repo_root.glob(spec.glob)) if spec.glob else []
        except (NotImplementedError, ValueError) as exc:  # absolute or malformed pattern
            warnings.append(f"sources.{name}.glob {spec.glob!r} is not a pattern relative to the repo root ({exc})")
            continue
        for path in paths:
            if not path.is_file():
                continue
            rel = relpath(path, repo_root)
            if _skipped(Path(rel).parts):
                continue
            matched += 1
            if rel in chosen:
                warnings.append(f"{rel} matches sources {chosen[rel][1]!r} and {name!r}; it is read once, "
                                f"through {chosen[rel][1]!r} (first in name order)")
                continue
            chosen[rel] = (path, name, spec)
        if not matched:
            warnings.append(f"sources.{name}.glob {spec.glob!r} matches no file (relative to {repo_root})")
    if raw_root.is_dir():
        for path in raw_root.rglob("*"):
            if not path.is_file():
                continue
            under = path.relative_to(raw_root).parts
            if _skipped(under):
                continue
            rel = relpath(path, repo_root)
            if rel in chosen:
                continue
            name = under[0] if len(under) > 1 else IMPLICIT_ROOT_SOURCE
            chosen[rel] = (path, name, SourceConfig())
    else:
        warnings.append(f"raw data folder {relpath(raw_root, repo_root)} not found")
    return [chosen[rel] for rel in sorted(chosen)], warnings


def source_info(path: Path, repo_root: Path, name: str, spec: SourceConfig) -> SourceInfo:
    """The provenance every unit of ``path`` carries."""
    return SourceInfo(source=name, source_file=relpath(path, repo_root), origin=spec.origin, license=spec.license)
