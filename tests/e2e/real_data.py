"""Helpers of the real-data acceptance test (tests/e2e/test_real_data.py): which files of ../shared/data
are training-side inputs, and a repository copy set up as a user who drops them in gets it.

The copy follows the README's "Using your own data" step 1 and nothing more: the bundled sample is
deleted (`git rm -r data/raw/sample`), `conf/config.yaml` gets `- sources: none` and
`- filter: default`, `tuneset config` regenerates params.yaml, and the only other setting is a
(non-demo) TUNESET_PII_SALT. Every dataset is copied into its own folder under data/raw/, so each is
its own undeclared source (origin unknown, hence the full PII profile).
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from e2e_helpers import REPO, copy_repo, pipeline_env

SHARED_DATA = REPO.parent / "shared" / "data"

# A test key, not the public demo key: the run is keyed as a user's would be.
TEST_SALT = "tuneset-real-data-acceptance-test-salt"

GIT = ("git", "-c", "user.email=t@t", "-c", "user.name=t")

# Training-side data files of ../shared/data, by source folder under data/raw/ (data files only:
# SOURCE.md, README.md and LLaMA-Factory's registry/config files are not data). Left out on purpose:
# taskmaster4 and abcd (another issue) and the benchmarks (gsm8k test, humaneval, truthfulqa,
# mmlu-redux, mt-bench), which must never be mixed into training output.
DATASETS: dict[str, list[str]] = {
    "openai-cookbook-ft": ["drone_training.jsonl", "toy_chat_fine_tuning.jsonl"],
    "llamafactory-demos": [  # the 14 data files of INDEX.md; not dataset_info.json, v1_*.yaml
        "alpaca_en_demo.json", "alpaca_zh_demo.json", "c4_demo.jsonl", "dpo_en_demo.json", "dpo_zh_demo.json",
        "glaive_toolcall_en_demo.json", "glaive_toolcall_zh_demo.json", "identity.json", "kto_en_demo.json",
        "mllm_demo.json", "reason_tool_use_demo_50.jsonl", "v1_dpo_demo.jsonl", "v1_sft_demo.jsonl",
        "wiki_demo.txt"],
    "fastchat-sharegpt": ["dummy_conversation.json"],
    "self-instruct": ["seed_tasks.jsonl", "user_oriented_instructions.jsonl"],
    "oasst-en100": ["en_100_message.jsonl", "en_100_tree.jsonl"],
    "hh-rlhf": ["harmless-base-test.jsonl.gz"],
    "gsm8k": ["train.jsonl"],
}
ALPACA = "alpaca"
ALPACA_FILE = SHARED_DATA / "alpaca" / "alpaca_data.json.gz"
SOURCES = [*DATASETS, ALPACA]

# Alpaca subset: a seeded sample of rows, kept in file order (see test_real_data.py for the size).
ALPACA_ROWS = 5000
ALPACA_SEED = 13


def shared_data_missing() -> str | None:
    """Why the test cannot run, or None."""
    if not SHARED_DATA.is_dir():
        return (f"../shared/data not found at {SHARED_DATA}: the real-data acceptance test needs the shared "
                "folder beside the repo")
    missing = [f"{name}/{f}" for name, files in DATASETS.items() for f in files
               if not (SHARED_DATA / name / f).is_file()]
    if not ALPACA_FILE.is_file():
        missing.append("alpaca/alpaca_data.json.gz")
    return f"files missing from {SHARED_DATA}: {', '.join(missing)}" if missing else None


def real_env(repo: Path) -> dict[str, str]:
    env = pipeline_env(repo)
    env.update(TUNESET_PII_SALT=TEST_SALT, HF_HUB_OFFLINE="1")
    return env


def sh(repo: Path, *cmd: str, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=repo, env=real_env(repo), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
                             f"stderr:\n{proc.stderr[-6000:]}")
    return proc


def write_alpaca_subset(dst: Path, rows: int = ALPACA_ROWS, seed: int = ALPACA_SEED) -> int:
    """A deterministic subset of the Alpaca file as a gzipped JSON array (rows in file order)."""
    with gzip.open(ALPACA_FILE, "rt", encoding="utf-8") as f:
        data = json.load(f)
    if rows < len(data):
        keep = sorted(random.Random(seed).sample(range(len(data)), rows))
        data = [data[i] for i in keep]
    dst.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same bytes on every run, so the same origin ids.
    with open(dst, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    return len(data)


def apply_readme_step1(repo: Path) -> None:
    """README "Using your own data" step 1, as a user does it (the salt is set in the environment)."""
    sh(repo, *GIT, "rm", "-r", "-q", "data/raw/sample")
    conf = repo / "conf/config.yaml"
    text = conf.read_text()
    new = re.sub(r"^(\s*)- sources: \S+$", r"\1- sources: none", text, count=1, flags=re.M)
    new = re.sub(r"^(\s*)- filter: \S+$", r"\1- filter: default", new, count=1, flags=re.M)
    assert "- sources: none" in new and "- filter: default" in new, "conf/config.yaml has no sources/filter default"
    conf.write_text(new)
    sh(repo, "tuneset", "config")


def drop_files(repo: Path, alpaca_rows: int = ALPACA_ROWS) -> dict[str, int]:
    """Each dataset in its own folder under data/raw/; returns the bytes (rows for Alpaca) put there."""
    placed: dict[str, int] = {}
    for name, files in DATASETS.items():
        folder = repo / "data/raw" / name
        folder.mkdir(parents=True, exist_ok=True)
        placed[name] = 0
        for f in files:
            shutil.copyfile(SHARED_DATA / name / f, folder / f)
            placed[name] += (folder / f).stat().st_size
    placed[ALPACA] = write_alpaca_subset(repo / "data/raw" / ALPACA / "alpaca_data.json.gz", alpaca_rows)
    return placed


@dataclass
class RealRun:
    repo: Path
    proc: subprocess.CompletedProcess
    seconds: float
    placed: dict[str, int] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    def report(self, name: str) -> dict | None:
        path = self.repo / "reports" / f"{name}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def timings(self) -> dict[str, dict]:
        out = {}
        for p in sorted((self.repo / "reports/timings").glob("*.json")):
            try:
                out[p.stem] = json.loads(p.read_text())
            except ValueError:
                pass
        return out

    def stages_run(self) -> list[str]:
        return re.findall(r"^Running stage '([^']+)'", self.proc.stdout, flags=re.M)

    def failed_stage(self) -> str | None:
        m = re.search(r"failed to reproduce '([^']+)'", self.output)
        return m.group(1) if m else None

    def explain(self, lines: int = 60) -> str:
        """What a reader needs when the run failed: the tail of dvc's output and the leak_scan report."""
        tail = "\n".join(self.output.splitlines()[-lines:])
        parts = [f"dvc repro exited {self.proc.returncode} after {self.seconds:.0f} s "
                 f"(failed stage: {self.failed_stage()}; stages run: {', '.join(self.stages_run())})",
                 "---- tail of dvc repro output ----", tail]
        leak = self.report("leak_scan")
        if leak is not None:
            parts += ["---- reports/leak_scan.json (summary) ----", leak_summary(leak)]
        return "\n".join(parts)


def prepare(repo_dir: Path, alpaca_rows: int = ALPACA_ROWS) -> tuple[Path, dict[str, int]]:
    """A fresh-clone-like copy of the repository with README step 1 applied and the files dropped in."""
    repo = copy_repo(repo_dir)
    sh(repo, "git", "init", "-q")
    sh(repo, *GIT, "add", "-A")
    sh(repo, *GIT, "commit", "-qm", "copy")
    apply_readme_step1(repo)
    placed = drop_files(repo, alpaca_rows)
    return repo, placed


def repro(repo: Path, placed: dict[str, int] | None = None) -> RealRun:
    start = time.perf_counter()
    proc = sh(repo, "dvc", "repro", check=False)
    return RealRun(repo, proc, time.perf_counter() - start, placed or {})


def leak_summary(leak: dict, max_listed: int = 15) -> str:
    lines = [f"passed={leak.get('passed')} findings={leak.get('findings')} by_check={leak.get('by_check')} "
             f"by_type={leak.get('by_type')}"]
    listed = leak.get("listed") or []
    for item in listed[:max_listed]:
        if isinstance(item, dict):
            keys = ("id", "file", "line", "check", "type")
            lines.append("  " + " ".join(f"{k}={item[k]}" for k in keys if k in item))
        else:
            lines.append(f"  {str(item)[:200]}")
    if len(listed) > max_listed:
        lines.append(f"  ... and {len(listed) - max_listed} more listed")
    return "\n".join(lines)


def dropped_census(dropped) -> str:
    """Dropped and quarantined rows counted by source, stage and rule (a table to print)."""
    if len(dropped) == 0:
        return "(nothing dropped)"
    counts = dropped.groupby(["source", "stage", "rule"], dropna=False).size().sort_index()
    width = max(len(f"{s} / {st} / {r}") for s, st, r in counts.index)
    lines = [f"{'source / stage / rule':<{width}}  rows"]
    for (s, st, r), n in counts.items():
        lines.append(f"{f'{s} / {st} / {r}':<{width}}  {n:>5}")
    lines.append(f"{'total':<{width}}  {int(counts.sum()):>5}")
    return "\n".join(lines)
