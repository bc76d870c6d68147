"""The PII key: from the environment only; a clear failure without it; only a fingerprint recorded."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from tuneset.scrub import salt

REPO = Path(__file__).resolve().parents[2]


def test_missing_key_fails_with_the_fix():
    with pytest.raises(salt.SaltMissing) as exc:
        salt.salt_from_env({})
    assert "TUNESET_PII_SALT" in str(exc.value) and "export TUNESET_PII_SALT=" in str(exc.value)
    with pytest.raises(salt.SaltMissing):
        salt.salt_from_env({"TUNESET_PII_SALT": "  "})
    assert salt.salt_from_env({"TUNESET_PII_SALT": "k"}) == "k"


def test_fingerprint_identifies_without_revealing():
    fp = salt.fingerprint("my-secret-key")
    assert fp == salt.fingerprint("my-secret-key") != salt.fingerprint("my-secret-kez")
    assert len(fp) == 64 and "my-secret-key" not in fp
    assert salt.is_demo(salt.DEMO_SALT) and not salt.is_demo("my-secret-key")


def run_stage(out: Path) -> int:
    argv, sys.argv = sys.argv, ["stages/salt_fingerprint.py", "--out", str(out)]
    try:
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(REPO / "stages/salt_fingerprint.py"), run_name="__main__")
        return exit_info.value.code
    finally:
        sys.argv = argv


def test_stage_writes_the_fingerprint_or_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TUNESET_PII_SALT", raising=False)
    assert run_stage(tmp_path / "salt.fingerprint") == 1
    assert "TUNESET_PII_SALT is not set" in capsys.readouterr().err
    monkeypatch.setenv("TUNESET_PII_SALT", "k-123")
    assert run_stage(tmp_path / "salt.fingerprint") == 0
    assert (tmp_path / "salt.fingerprint").read_text() == salt.fingerprint("k-123") + "\n"
    monkeypatch.setenv("TUNESET_PII_SALT", salt.DEMO_SALT)
    assert run_stage(tmp_path / "salt.fingerprint") == 0
    assert "DEMO KEY" in capsys.readouterr().err
