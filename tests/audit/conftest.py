"""Fixtures of the audit tests: a dataset version on disk, and a git + DVC history of two versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import world


@pytest.fixture
def final_repo(tmp_path: Path) -> Path:
    """A workspace (no git) holding one indexed dataset version of :func:`world.sample`."""
    kept, gone = world.sample()
    world.write_final(tmp_path, kept, gone)
    return tmp_path


class History:
    """Two committed dataset versions (v1, v2) in a git + DVC repository; the workspace holds v2."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.v1_kept, self.v1_gone = world.sample(12)
        k = self.v1_kept
        # v2: the first three train examples are gone, one unit's content changed, one moved split, one new.
        self.removed = [r for r in k if r["split"] == "train"][:3]
        changed = world.record("Question 10 about my invoice? (edited)", "Answer 10: open Billing.", locator="11",
                               group="t10", split=k[10]["split"])
        changed["origin_id"] = k[10]["origin_id"]
        changed["cluster_id"] = changed["origin_id"]
        self.changed = (k[10], changed)
        moved = dict(k[5], split="test")
        self.moved = moved
        self.new = world.record("Brand new question", "Brand new answer.", locator="99", group="t99", split="train")
        self.v2_kept = [r for r in k if r not in self.removed and r is not k[10] and r is not k[5]] + [changed, moved, self.new]
        self.v2_gone = self.v1_gone + [world.dropped(world.record("Empty one", "", locator="98"))]

        world.init_repo(repo)
        world.write_final(repo, self.v1_kept, self.v1_gone)
        write_rules(repo, "1111111111111111")
        self.v1 = world.commit_version(repo, "v1", "split:\n  salt: a\n")
        world.reset_final(repo)
        world.write_final(repo, self.v2_kept, self.v2_gone)
        write_rules(repo, "2222222222222222")
        self.v2 = world.commit_version(repo, "v2", "split:\n  salt: b\n")


def write_rules(repo: Path, fingerprint: str) -> None:
    reports = repo / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "normalize.json").write_text(
        '{"rules": [{"rule": "empty_answer", "stage": "normalize", "fingerprint": "%s"}]}' % fingerprint)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> History:
    return History(tmp_path_factory.mktemp("history") / "repo")
