"""The PII key: from the environment only; a clear failure without it; only a fingerprint recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneset.scrub import salt

from stage_helpers import run_stage


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


def test_stage_writes_the_fingerprint_or_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TUNESET_PII_SALT", raising=False)
    run_stage("salt_fingerprint", "--out", str(tmp_path / "salt.fingerprint"), code=1)
    assert "TUNESET_PII_SALT is not set" in capsys.readouterr().err
    monkeypatch.setenv("TUNESET_PII_SALT", "k-123")
    run_stage("salt_fingerprint", "--out", str(tmp_path / "salt.fingerprint"))
    assert (tmp_path / "salt.fingerprint").read_text() == salt.fingerprint("k-123") + "\n"
    monkeypatch.setenv("TUNESET_PII_SALT", salt.DEMO_SALT)
    run_stage("salt_fingerprint", "--out", str(tmp_path / "salt.fingerprint"))
    assert "DEMO KEY" in capsys.readouterr().err


def test_checked_salt_is_the_recorded_key_or_names_the_variable_and_file(tmp_path):
    recorded, env = tmp_path / "salt.fingerprint", {"TUNESET_PII_SALT": "k-123"}
    mismatch = "{var} is not the key recorded in {path}"
    assert salt.checked_salt(recorded, mismatch, environ=env) == "k-123"  # nothing recorded yet
    with pytest.raises(FileNotFoundError):
        salt.checked_salt(recorded, mismatch, must_exist=True, environ=env)
    recorded.write_text(salt.fingerprint("k-123") + "\n")
    assert salt.checked_salt(recorded, mismatch, must_exist=True, environ=env) == "k-123"
    with pytest.raises(salt.SaltMismatch) as exc:
        salt.checked_salt(recorded, mismatch, environ={"TUNESET_PII_SALT": "k-456"})
    assert str(exc.value) == f"TUNESET_PII_SALT is not the key recorded in {recorded}"
    with pytest.raises(salt.SaltMissing):
        salt.checked_salt(recorded, mismatch, environ={})


@pytest.mark.parametrize("stage, message", [
    ("scrub", "ERROR: TUNESET_PII_SALT differs from the key recorded in other.fingerprint; run the whole pipeline "
              "(dvc repro) so salt_fingerprint records the key in use\n"),
    ("leak_scan", "ERROR: TUNESET_PII_SALT is not the key scrub used (other.fingerprint); the vault cannot be checked\n"),
], ids=["scrub", "leak_scan"])
def test_stages_refuse_a_key_other_than_the_recorded_one(stage_workdir, monkeypatch, capsys, stage, message):
    Path("other.fingerprint").write_text(salt.fingerprint("the-recorded-key") + "\n")
    monkeypatch.setenv("TUNESET_PII_SALT", "another-key")
    run_stage(stage, "--salt-fingerprint", "other.fingerprint", code=1)
    assert capsys.readouterr().err.endswith(message)
