"""Copies of the repository in a temporary directory, for whole-pipeline runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tuneset.scrub.salt import DEMO_SALT

REPO = Path(__file__).resolve().parents[2]
# Pipeline outputs and local state are never copied: each test starts like a fresh clone.
_SKIP = {".venv", ".git", ".pytest_cache", ".cache", "__pycache__", "dvc_plots"}
_SKIP_PATHS = {"data/ingest", "data/normalize", "data/split", "data/final", "data/params.fingerprint",
               ".dvc/tmp", ".dvc/cache", "reports"}


def copy_repo(dst: Path) -> Path:
    def ignore(directory: str, names: list[str]) -> set[str]:
        rel = Path(directory).resolve().relative_to(REPO)
        return {n for n in names if n in _SKIP or n.endswith(".egg-info") or (rel / n).as_posix() in _SKIP_PATHS}

    shutil.copytree(REPO, dst, ignore=ignore)
    return dst


def pipeline_env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(DVC_NO_ANALYTICS="1", GX_ANALYTICS_ENABLED="False", DVC_SITE_CACHE_DIR=str(repo / ".dvc/tmp/site"),
               TUNESET_CACHE_DIR=str(REPO / ".cache" / "tuneset"))
    # The copies run the bundled sample, whose key is the public demo key (as `make` exports it), so
    # the tests also run outside make; a key already in the environment is kept.
    env.setdefault("TUNESET_PII_SALT", DEMO_SALT)
    return env


def run(repo: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=repo, env=pipeline_env(repo), capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    repo = copy_repo(tmp_path / "repo")
    run(repo, "git", "init", "-q")
    run(repo, "git", "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    run(repo, "git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "copy")
    return repo
