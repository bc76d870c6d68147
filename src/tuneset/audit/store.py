"""One dataset version's files, in the workspace or at a git revision, and the history of versions.

A rev's pipeline outputs are not in git: ``dvc.lock`` at that rev pins their hashes and the bytes
live in the DVC cache (or a remote). :class:`Snapshot` reads them through ``dvc.api.DVCFileSystem``,
which finds them from the rev's ``dvc.lock``; git-tracked files (``params.yaml``, ``reports/``) come
through the same file system. When neither the cache nor a remote holds a file, the error names the
``dvc fetch`` / ``dvc pull`` that fixes it. Outputs already in the default local cache are found
directly from the rev's ``dvc.lock`` (DVC 3's ``files/md5`` layout), which spares the DVC import
(about half a second) on every ``explain`` and ``models which``.
"""

from __future__ import annotations

import json
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow.parquet as pq
import yaml

from tuneset.audit import AuditError

LOCK_FILE = "dvc.lock"


def short(rev: str | None) -> str:
    return "workspace" if rev is None else rev[:12]


class Snapshot:
    """The files of one dataset version: the workspace (``rev=None``) or a git revision.

    Use it as a context manager; files it opens stay open (Parquet footers are read lazily) until
    it closes.
    """

    def __init__(self, repo: str | Path = ".", rev: str | None = None) -> None:
        self.repo = Path(repo)
        self.rev = rev
        self._fs: Any = None
        self._stack = ExitStack()
        self._outs: dict[str, str] | None = None  # out path -> md5, from the rev's dvc.lock
        self._dirs: dict[str, dict[str, str] | None] = {}

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()
        if self._fs is not None:
            close = getattr(self._fs, "close", None)
            if close:
                close()
            self._fs = None

    @property
    def label(self) -> str:
        return "the workspace" if self.rev is None else f"rev {short(self.rev)}"

    def _dvcfs(self) -> Any:
        if self._fs is None:
            from dvc.api import DVCFileSystem  # slow import: only when a rev is read

            self._fs = DVCFileSystem(str(self.repo), rev=self.rev)
        return self._fs

    def _missing(self, path: str, exc: BaseException) -> AuditError:
        text = str(exc)
        name = type(exc).__name__
        if name == "RevError":
            return AuditError(f"unknown git revision {self.rev!r}")
        top = path.split("/")[0] if "/" not in path else "/".join(path.split("/")[:2])
        if "No storage files available" in text or "DataIndex" in name or "failed to load directory" in text:
            return AuditError(
                f"{path} at {self.label} is in neither the local DVC cache nor a reachable remote: run "
                f"`dvc fetch --all-commits {top}` (with a DVC remote configured), or "
                f"`git checkout {short(self.rev)} && dvc pull {top}`, then retry")
        return AuditError(f"{path} does not exist at {self.label}: that commit holds no dataset version there "
                          f"(commit dvc.lock after `dvc repro`)")

    # A fast path for the common case, outputs in the default local cache: the rev's dvc.lock names the
    # output's object, and the cache holds it at files/md5/<2>/<30> (a directory output as a JSON
    # ``.dir`` listing of {md5, relpath}). It answers in milliseconds without importing DVC; anything
    # else (a remote, a custom cache dir, a legacy lock) goes through DVCFileSystem.

    def _cache_root(self) -> Path | None:
        for name in ("config", "config.local"):
            cfg = self.repo / ".dvc" / name
            if cfg.exists() and "[cache]" in cfg.read_text(encoding="utf-8", errors="replace"):
                return None  # a configured cache: let DVC find it
        root = self.repo / ".dvc" / "cache" / "files" / "md5"
        return root if root.is_dir() else None

    def _lock_outs(self) -> dict[str, str]:
        if self._outs is None:
            self._outs = {}
            text = show(self.repo, self.rev, LOCK_FILE) if self.rev else None
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            lock = (yaml.load(text, Loader=loader) or {}) if text else {}  # noqa: S506 - a safe loader
            for stage in (lock.get("stages") or {}).values() if isinstance(lock, dict) else ():
                for out in stage.get("outs") or ():
                    if isinstance(out, dict) and out.get("hash") == "md5" and out.get("md5") and out.get("path"):
                        self._outs[str(out["path"])] = str(out["md5"])
        return self._outs

    def _cached(self, path: str) -> tuple[bool, Path | None] | None:
        """``(exists, cache file)`` of an output file of this rev, or None when only DVC can tell."""
        root = self._cache_root() if self.rev else None
        if root is None:
            return None
        for out, md5 in self._lock_outs().items():
            if path == out and not md5.endswith(".dir"):
                obj: str | None = md5
            elif path.startswith(out + "/") and md5.endswith(".dir"):
                if md5 not in self._dirs:
                    listing = root / md5[:2] / md5[2:]
                    try:
                        self._dirs[md5] = {e["relpath"]: e["md5"] for e in json.loads(listing.read_text(encoding="utf-8"))}
                    except (OSError, ValueError, KeyError, TypeError):
                        self._dirs[md5] = None
                entries = self._dirs[md5]
                if entries is None:
                    return None
                obj = entries.get(path[len(out) + 1:])
                if obj is None:
                    return (False, None)
            else:
                continue
            file = root / obj[:2] / obj[2:]
            return (True, file) if file.is_file() else None
        return None

    def open(self, path: str) -> IO[bytes]:
        """A binary file object for ``path`` (relative to the repo root), closed with the snapshot."""
        if self.rev is None:
            full = self.repo / path
            if not full.exists():
                raise AuditError(f"{path} not found in the workspace: run `dvc checkout` (or `dvc pull`, "
                                 f"or `dvc repro` to build it)")
            return self._stack.enter_context(open(full, "rb"))  # noqa: SIM115 - closed with the snapshot
        cached = self._cached(path)
        if cached and cached[1] is not None:
            return self._stack.enter_context(open(cached[1], "rb"))  # noqa: SIM115 - closed with the snapshot
        try:
            f = self._dvcfs().open(path, "rb")
        except Exception as exc:  # noqa: BLE001 - DVC raises several types; all mean "not readable here"
            raise self._missing(path, exc) from None
        return self._stack.enter_context(f)

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists in this version (False when it is absent, an error when uncached)."""
        if self.rev is None:
            return (self.repo / path).exists()
        cached = self._cached(path)
        if cached is not None:
            return cached[0]
        try:
            return bool(self._dvcfs().exists(path))
        except Exception as exc:  # noqa: BLE001
            raise self._missing(path, exc) from None

    def read_text(self, path: str) -> str:
        return self.open(path).read().decode("utf-8")

    def read_json(self, path: str) -> Any:
        return json.loads(self.read_text(path))

    def read_yaml(self, path: str) -> Any:
        return yaml.safe_load(self.read_text(path))

    def listdir(self, path: str) -> list[str]:
        """Names (not paths) of the entries of directory ``path``; empty when it does not exist."""
        if self.rev is None:
            d = self.repo / path
            return sorted(p.name for p in d.iterdir()) if d.is_dir() else []
        try:
            if not self._dvcfs().isdir(path):
                return []
            return sorted(Path(p).name for p in self._dvcfs().ls(path, detail=False))
        except Exception as exc:  # noqa: BLE001
            raise self._missing(path, exc) from None

    def parquet(self, path: str) -> pq.ParquetFile:
        """A Parquet file of this version; a file in the local cache is memory-mapped in place."""
        if self.rev is None:
            full = self.repo / path
            if not full.exists():
                self.open(path)  # raises the plain error
            return pq.ParquetFile(full, memory_map=True)
        cached = self._cached(path)
        if cached and cached[1] is not None:
            return pq.ParquetFile(cached[1], memory_map=True)
        f = self.open(path)
        name = getattr(f, "name", None)
        if isinstance(name, str) and Path(name).is_file():
            return pq.ParquetFile(name, memory_map=True)
        return pq.ParquetFile(f)


# --- git ----------------------------------------------------------------------------------------

def git(repo: str | Path, *args: str, check: bool = True) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise AuditError("git is not installed: dataset versions are git commits") from None
    if check and proc.returncode != 0:
        raise AuditError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def is_git_repo(repo: str | Path) -> bool:
    return git(repo, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true"


def resolve_rev(repo: str | Path, rev: str) -> str:
    """The full commit hash of ``rev`` (a branch, tag, short hash, HEAD~1...)."""
    if not is_git_repo(repo):
        raise AuditError(f"{Path(repo).resolve()} is not a git repository: dataset versions are git commits")
    out = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).strip()
    if not out:
        raise AuditError(f"unknown git revision {rev!r}")
    return out


def show(repo: str | Path, rev: str, path: str) -> str | None:
    """The text of a git-tracked file at ``rev``, or None when it does not exist there."""
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True, text=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def out_hash(lock_text: str | None, out_path: str) -> str | None:
    """The hash ``dvc.lock`` pins for the output ``out_path`` (e.g. ``data/final``), or None."""
    if not lock_text:
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    lock = yaml.load(lock_text, Loader=loader) or {}  # noqa: S506 - a safe loader
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or ():
            if isinstance(out, dict) and out.get("path") == out_path:
                return str(out.get("md5") or out.get("etag") or out.get("checksum") or "") or None
    return None


@dataclass(frozen=True)
class VersionRef:
    """A commit that introduced a new ``data/final`` (by its hash in dvc.lock)."""

    rev: str
    out_hash: str


def version_history(repo: str | Path, final: str) -> list[VersionRef]:
    """Commits where the committed ``final`` output changed, newest first (empty outside git)."""
    if not is_git_repo(repo):
        return []
    revs = git(repo, "log", "--format=%H", "--", LOCK_FILE, check=False).split()  # no commits yet: none
    refs: list[VersionRef] = []
    for rev in reversed(revs):  # oldest first, so each ref is the commit that introduced its output
        h = out_hash(show(repo, rev, LOCK_FILE), final)
        if h and (not refs or refs[-1].out_hash != h):
            refs.append(VersionRef(rev, h))
    return list(reversed(refs))
