"""`tuneset pii review` shows each finding in context on stdout only, and its fixes make the gate pass:
allow (a keyed hash in the allow file, no plain value) or drop (the example's origin_id excluded, as forget)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tuneset import cli, config
from tuneset.scrub import allow
from tuneset.scrub.leakscan import ExportLine, leak_scan, scan_final
from tuneset.scrub.review import ask, context

from e2e.e2e_helpers import repo_copy, run  # noqa: F401 - repo_copy is a fixture

from .conftest import SALT, cfg
from .test_leakscan import NAME, VAULT, chat, origin, stage_files

PLANTED = "(415) 555-0173"


@pytest.fixture
def workdir(stage_workdir, monkeypatch):
    """A repo with conf/, params.yaml, a vault and an export with two findings (a name left in its group, a phone)."""
    monkeypatch.setenv("TUNESET_PII_SALT", SALT)
    stage_files(stage_workdir, [("e1", "chat:g1", chat("hi", f"Dear {NAME}, thanks")),
                                ("e2", "chat:g3", chat("hi", "please call me at (415) 555-0199 after six"))])
    return stage_workdir


def review(*args: str) -> int:
    return cli.main(["pii", "review", *args])


def findings(workdir: Path):
    return scan_final(workdir / "data/final", VAULT, SALT, cfg(), allow=allow.load(workdir / allow.PATH, SALT)).findings


def test_list_shows_each_finding_in_context_with_its_id(workdir, capsys):
    assert review("--list") == 0
    out = capsys.readouterr().out
    ids = {f.check: f.id for f in findings(workdir)}
    assert f"{ids['unscrubbed_value']}  data/final/sft/train.jsonl:2  unscrubbed_value PHONE  source chat" in out
    assert "please call me at >>>(415) 555-0199<<< after six" in out
    assert f"Dear >>>{NAME}<<<, thanks" in out and "original_value PERSON" in out
    assert not (workdir / "reports/leak_scan.json").exists(), "the review writes no report"


def test_context_is_one_line_cut_around_the_value():
    line = ExportLine("x", 1, json.dumps(chat("a" * 100 + "\ncall (415) 555-0199\n" + "b" * 100)))
    [f] = leak_scan([line], VAULT, SALT, cfg()).findings
    shown = context(f, width=10)
    assert shown == "…" + "aaaa⏎call >>>(415) 555-0199<<<⏎bbbbbbbbb" + "…"


def test_allow_by_id_writes_a_keyed_hash_and_the_gate_passes(workdir, capsys):
    by_check = {f.check: f for f in findings(workdir)}
    assert review("--allow", by_check["unscrubbed_value"].id, "--allow", by_check["original_value"].id[:6]) == 0
    assert "allowed 2 value(s) in conf/pii/allow.yaml" in capsys.readouterr().out
    text = (workdir / allow.PATH).read_text()
    assert "555" not in text and "Quenneville" not in text and "Marisol" not in text
    data = yaml.safe_load(text)
    assert data["salt_fingerprint"] and {v["check"] for v in data["values"]} == {"unscrubbed_value", "original_value"}
    assert findings(workdir) == []
    assert allow.dumps(allow.load(workdir / allow.PATH, SALT), SALT) == text, "deterministic"


def test_drop_by_id_excludes_the_example_like_forget_and_regenerates_params(workdir, capsys):
    phone = next(f for f in findings(workdir) if f.check == "unscrubbed_value")
    assert review("--drop", phone.id) == 0
    assert "excluded 1 example(s) by origin_id in conf/exclude/default.yaml" in capsys.readouterr().out
    assert yaml.safe_load((workdir / "conf/exclude/default.yaml").read_text())["origin_ids"] == [origin("e2")]
    assert config.load_section("exclude", config.read_params("params.yaml")).origin_ids == [origin("e2")]
    assert not config.params_stale("conf", "params.yaml")


def test_unknown_ids_and_a_wrong_key_are_errors_naming_the_fix(workdir, capsys, monkeypatch):
    assert review("--allow", "ffffffffff") == 1
    assert "--allow ffffffffff: matches no current finding; `tuneset pii review --list`" in capsys.readouterr().err
    monkeypatch.delenv("TUNESET_PII_SALT")
    assert review("--list") == 1
    assert "TUNESET_PII_SALT is not set" in capsys.readouterr().err


def test_a_salt_change_invalidates_the_allow_file_with_a_message(tmp_path):
    path = tmp_path / "allow.yaml"
    assert len(allow.load(path, SALT)) == 0, "a missing file is an empty list"
    allow.save(path, allow.AllowList([allow.Entry("a" * 32, "unscrubbed_value", "PHONE", "0123456789")]), SALT)
    assert allow.load(path, SALT).allows("unscrubbed_value", "a" * 32)
    with pytest.raises(allow.AllowFileError) as exc:
        allow.load(path, "a-new-key")
    assert str(exc.value) == (f"{path} was made with another TUNESET_PII_SALT; its 1 entries no longer match "
                              f"anything: run `tuneset pii review` again")
    assert allow.load(path, "a-new-key", discard_stale=True).stale == 1
    path.write_text("values:\n  - {hash: jane@corp.org, check: unscrubbed_value, type: EMAIL}\n")
    with pytest.raises(allow.AllowFileError, match="32 lower-case hex digits"):
        allow.load(path, SALT)


def test_a_review_under_the_new_key_rewrites_a_stale_allow_file(workdir, capsys):
    allow.save(workdir / allow.PATH, allow.AllowList([allow.Entry("a" * 32, "unscrubbed_value", "PHONE", "x")]), "old")
    phone = next(f for f in findings_without_allow(workdir) if f.check == "unscrubbed_value")
    assert review("--allow", phone.id) == 0
    captured = capsys.readouterr()
    assert "was made with another TUNESET_PII_SALT" in captured.err and "removed 1 entries" in captured.out
    assert [e.hash for e in allow.load(workdir / allow.PATH, SALT).entries] == [phone.hash]


def findings_without_allow(workdir: Path):
    return scan_final(workdir / "data/final", VAULT, SALT, cfg()).findings


def test_the_prompt_allows_drops_skips_and_quits(workdir):
    fs = findings(workdir)
    answers = iter(["x", "a", "d"])
    shown: list[str] = []
    got = ask(fs, read=lambda prompt: next(answers), write=shown.append)
    assert got.allow == [fs[0]] and got.drop == [fs[1]] and any("please answer a, d, s or q" in s for s in shown)
    assert ask(fs, read=lambda prompt: "q", write=shown.append).allow == []

    def eof(prompt: str) -> str:
        raise EOFError

    assert ask(fs, read=eof, write=shown.append).drop == []


# --------------------------------------------------------------------------------------------
# End to end on the bundled sample


def plant(repo: Path, index: int = 0, phone: str = PLANTED) -> None:
    """Append a phone number to the last message of line ``index`` of sft/train.jsonl (after scrub)."""
    path = repo / "data/final/sft/train.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    obj = json.loads(lines[index])
    obj["messages"][-1]["content"] += f" call me at {phone}"
    lines[index] = json.dumps(obj, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def finding_ids(listed: str, where: str) -> list[str]:
    return [line.split()[1] for line in listed.splitlines() if where in line]


@pytest.mark.e2e
def test_a_planted_leak_fails_the_gate_and_the_review_fixes_it(repo_copy):
    repo = repo_copy
    run(repo, "tuneset", "config")  # a params.yaml left stale by a conf/ edit in progress is test_pipeline's concern
    run(repo, "dvc", "repro")
    plant(repo)
    failed = run(repo, "dvc", "repro", "-s", "leak_scan", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "run `tuneset pii review`" in out
    assert "data/final/sft/train.jsonl:1 unscrubbed_value PHONE" in out and "555-0173" not in out

    listed = run(repo, "tuneset", "pii", "review", "--list").stdout
    assert f">>>{PLANTED}<<<" in listed and "call me at" in listed
    ids = finding_ids(listed, "train.jsonl:1  unscrubbed_value PHONE")
    assert len(ids) == 1, listed

    run(repo, "tuneset", "pii", "review", "--allow", ids[0])
    passed = run(repo, "dvc", "repro", "-s", "leak_scan")
    assert "no leak" in passed.stdout + passed.stderr
    grep = subprocess.run(["git", "grep", "-n", "--no-index", "555-0173", "--", "conf"], cwd=repo,
                          capture_output=True, text=True)
    assert grep.returncode == 1 and grep.stdout == "", grep.stdout
    assert "555-0173" not in (repo / "reports/leak_scan.json").read_text()
    assert "values:" in (repo / allow.PATH).read_text()

    # dropping the example instead: excluded at ingest by origin_id (as `tuneset forget`), the next run passes
    plant(repo, 1, "(415) 555-0186")
    assert run(repo, "dvc", "repro", "-s", "leak_scan", check=False).returncode != 0
    [drop] = finding_ids(run(repo, "tuneset", "pii", "review", "--list").stdout, "train.jsonl:2  unscrubbed_value PHONE")
    run(repo, "tuneset", "pii", "review", "--drop", drop)
    excluded = yaml.safe_load((repo / "conf/exclude/default.yaml").read_text())["origin_ids"]
    run(repo, "dvc", "repro")
    manifest = pd.read_parquet(repo / "data/final/manifest.parquet")
    assert len(excluded) == 1 and excluded[0] not in set(manifest["origin_id"])
