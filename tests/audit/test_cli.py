"""The audit subcommands through `tuneset`'s parser: JSON output, plain errors, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from audit import world
from tuneset import cli
from tuneset import schema as col

REPO = Path(__file__).resolve().parents[2]


def test_explain_json_and_human(final_repo, monkeypatch, capsys):
    monkeypatch.chdir(final_repo)
    manifest_id = world.sample()[0][0][col.EXAMPLE_ID]
    assert cli.main(["explain", manifest_id[:9], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[col.EXAMPLE_ID] == manifest_id and set(out) >= {"dropped", "transformations", "versions", col.SPLIT}
    assert cli.main(["explain", manifest_id[:9]]) == 0
    assert capsys.readouterr().out.startswith(f"example {manifest_id}")


def test_errors_are_one_plain_line_and_exit_1(final_repo, monkeypatch, capsys):
    monkeypatch.chdir(final_repo)
    assert cli.main(["explain", "zz"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 'zz' is not an id") and "Traceback" not in err
    assert cli.main(["models", "which", "abcdef12"]) == 0  # nothing registered: nothing to name
    assert "no models registered" in capsys.readouterr().out
    assert cli.main(["models", "which"]) == 1
    assert "give an ID or --text" in capsys.readouterr().err
    assert cli.main(["diff", "HEAD~1", "HEAD"]) == 1
    assert "not a git repository" in capsys.readouterr().err


def write_conf(root: Path, select_exclude: bool) -> None:
    conf = root / "conf"
    (conf / "exclude").mkdir(parents=True)
    shutil.copy(REPO / "conf/exclude/default.yaml", conf / "exclude/default.yaml")
    defaults = "  - exclude: default\n" if select_exclude else ""
    (conf / "config.yaml").write_text(f"defaults:\n{defaults}  - _self_\nsplit:\n  salt: x\n")


def test_forget_regenerates_params(final_repo, monkeypatch, capsys):
    monkeypatch.chdir(final_repo)
    write_conf(final_repo, select_exclude=True)
    oid = world.sample()[0][1][col.ORIGIN_ID]
    assert cli.main(["forget", oid[:12], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["added"]["origin_ids"] == [oid] and out["params_updated"]
    assert yaml.safe_load((final_repo / "params.yaml").read_text())["exclude"]["origin_ids"] == [oid]


def test_forget_says_when_conf_does_not_select_the_exclude_file(final_repo, monkeypatch, capsys):
    monkeypatch.chdir(final_repo)
    write_conf(final_repo, select_exclude=False)
    oid = world.sample()[0][1][col.ORIGIN_ID]
    assert cli.main(["forget", oid]) == 1
    captured = capsys.readouterr()
    assert "- exclude: default" in captured.err and "appended 1 to origin_ids" in captured.out


def test_forget_text_needs_the_key(final_repo, monkeypatch, capsys):
    monkeypatch.chdir(final_repo)
    monkeypatch.delenv("TUNESET_PII_SALT", raising=False)
    assert cli.main(["forget", "--text", "invoice", "--no-config"]) == 1
    assert "TUNESET_PII_SALT" in capsys.readouterr().err
