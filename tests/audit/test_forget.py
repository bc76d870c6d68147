"""`tuneset forget`: appends to the exclusion list, keeps its comments, never stores the text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from audit import world
from tuneset import hashing
from tuneset import schema as col
from tuneset.audit import AuditError, forget
from tuneset.audit.exclude import key_fingerprint

REPO = Path(__file__).resolve().parents[2]
KEY = "forget-test-key"


@pytest.fixture
def workspace(tmp_path):
    kept, gone = world.sample(6)
    kept.append(world.record("My name is Jane Roe", "Hello Jane.", locator="50", group="cust-42"))
    kept.append(world.record("Jane Roe again, jane ROE", "Hi.", locator="51", group="cust-42", split="val"))
    world.write_final(tmp_path, kept, gone)
    exclude_file = tmp_path / "conf/exclude/default.yaml"
    exclude_file.parent.mkdir(parents=True)
    shutil.copy(REPO / "conf/exclude/default.yaml", exclude_file)
    return tmp_path, kept, gone, exclude_file


def listed(path):
    return yaml.safe_load(path.read_text())


def test_forget_an_origin_prefix_appends_it_and_keeps_comments(workspace):
    repo, kept, _, exclude_file = workspace
    out = forget.forget(repo, world.FINAL, exclude_file, raw_id=kept[0][col.ORIGIN_ID][:10])
    assert out.added["origin_ids"] == [kept[0][col.ORIGIN_ID]] and out.matched == 1
    assert listed(exclude_file)["origin_ids"] == [kept[0][col.ORIGIN_ID]]
    assert exclude_file.read_text().startswith("# Units removed at ingest")
    again = forget.forget(repo, world.FINAL, exclude_file, raw_id=kept[0][col.ORIGIN_ID])
    assert again.added["origin_ids"] == [] and again.already["origin_ids"] == [kept[0][col.ORIGIN_ID]]
    assert listed(exclude_file)["origin_ids"] == [kept[0][col.ORIGIN_ID]]


def test_forget_an_example_id_appends_every_unit_with_that_content(workspace):
    repo, kept, gone, exclude_file = workspace
    twin = world.record("Question 0 about my invoice?", "Answer 0: open Billing.", locator="77", group="t0")
    world.reset_final(repo)
    world.write_final(repo, kept, [*gone, world.dropped(twin, reason="exact duplicate")])
    out = forget.forget(repo, world.FINAL, exclude_file, raw_id=kept[0][col.EXAMPLE_ID])
    assert sorted(out.added["origin_ids"]) == sorted([kept[0][col.ORIGIN_ID], twin[col.ORIGIN_ID]])


def test_forget_a_group(workspace):
    repo, kept, _, exclude_file = workspace
    out = forget.forget(repo, world.FINAL, exclude_file, raw_id="chat:cust-42")  # the source's own key
    assert out.added["group_ids"] == [hashing.group_id("chat", "cust-42")] and len(out.example_ids) == 2
    assert "cust-42" not in exclude_file.read_text()  # the exclusion list holds the hashed group_id only
    again = forget.forget(repo, world.FINAL, exclude_file, raw_id=hashing.group_id("chat", "cust-42"))
    assert again.already["group_ids"] == [hashing.group_id("chat", "cust-42")]
    with pytest.raises(AuditError, match="not an example_id, origin_id .* group_id"):
        forget.forget(repo, world.FINAL, exclude_file, raw_id="chat:nobody")


def test_forget_text_appends_matching_origins_and_a_keyed_hash_never_the_text(workspace):
    repo, kept, _, exclude_file = workspace
    out = forget.forget(repo, world.FINAL, exclude_file, text="jane roe", key=KEY)
    assert out.matched == 2
    assert sorted(out.added["origin_ids"]) == sorted(r[col.ORIGIN_ID] for r in kept[-2:])
    (entry,) = out.added["text_hashes"]
    assert entry.startswith(f"hmac-sha256:{key_fingerprint(KEY)}:")
    assert "jane" not in exclude_file.read_text().lower()
    assert "2 current example(s) matched" in forget.render(out, exclude_file, "text")
    with pytest.raises(AuditError, match="TUNESET_PII_SALT"):
        forget.forget(repo, world.FINAL, exclude_file, text="jane roe", key=None)


def test_forget_text_with_no_match_still_excludes_future_turns(workspace):
    repo, _, _, exclude_file = workspace
    out = forget.forget(repo, world.FINAL, exclude_file, text="nobody wrote this", key=KEY)
    assert out.matched == 0 and len(out.added["text_hashes"]) == 1 and out.added["origin_ids"] == []
