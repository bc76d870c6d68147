"""Identities: origin_id and example_id are stable, and depend on exactly what they should.

The golden values below were computed once from these fixed inputs. If one of these tests fails,
every user's origin_id or example_id has changed: split assignments, `tuneset explain`, review
overrides and model registrations keyed by id all break. Change a golden value only with a
migration plan, never to make the test pass.
"""

from __future__ import annotations

import hashlib
import json

from tuneset import hashing

CHAT_LINE = b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'
GOLDEN_ORIGIN_LINE_1 = "f7046b503e71f22f2523178dde8d691d100eafa69116005167b9c96c75a4e66c"
GOLDEN_EXAMPLE_CHAT = "172b23b6a3839d6330452c6df6b91d67b781252eff1cbd7c2b6d245d120f2745"
GOLDEN_ORIGIN_LINE_2 = "ad3e32c08937a20d4408352bfaf70f0af77adefe9c642996d1ee0fb1813c913b"
GOLDEN_ORIGIN_CSV_ROW_1 = "f4e3df56caabb95ca29b0a5f840c62f8e177d396bde26a2d0047f5fcf8c784a2"
GOLDEN_EXAMPLE_CSV_ROW_1 = "9c2aa333228e6db5a2384f2e1dc6c104831baa206cfd059d92bf9a53af5ad169"


def test_golden_ids_jsonl(ingest):
    r = ingest("golden.jsonl", CHAT_LINE + b"\n[1]\n")
    [rec] = r.records
    [q] = r.quarantine
    assert rec["source_file"] == "data/raw/t/golden.jsonl"
    assert rec["origin_id"] == GOLDEN_ORIGIN_LINE_1
    assert rec["example_id"] == GOLDEN_EXAMPLE_CHAT
    assert rec["group_id"] == GOLDEN_ORIGIN_LINE_1  # no group key: the unit is its own group
    assert q["origin_id"] == GOLDEN_ORIGIN_LINE_2


def test_golden_values_follow_the_documented_definition():
    # DESIGN.md: sha256(path \0 locator \0 raw bytes) and sha256 of the canonical content.
    assert hashlib.sha256(b"data/raw/t/golden.jsonl\x001\x00" + CHAT_LINE).hexdigest() == GOLDEN_ORIGIN_LINE_1
    body = {"kind": "sft", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
            "chosen": None, "rejected": None, "tools": None}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == GOLDEN_EXAMPLE_CHAT


def test_golden_ids_csv(ingest):
    [rec] = ingest("golden.csv", "prompt,completion\nq,a\n").records
    assert (rec["origin_id"], rec["example_id"]) == (GOLDEN_ORIGIN_CSV_ROW_1, GOLDEN_EXAMPLE_CSV_ROW_1)
    raw = hashing.canonical_json({"prompt": "q", "completion": "a"}).encode()
    assert hashing.origin_id("data/raw/t/golden.csv", "1", raw) == GOLDEN_ORIGIN_CSV_ROW_1


def test_example_id_ignores_key_order_and_whitespace(ingest):
    variants = [
        CHAT_LINE,
        b'{"messages":[{"content":"Hi","role":"user"},{"content":"Hello!","role":"assistant"}]}',
        b'  { "messages" : [ {"role":"user","content":"Hi","name":null} ,\t{"role":"assistant","content":"Hello!"} ] }  ',
    ]
    r = ingest("a.jsonl", b"\n".join(variants))
    assert {rec["example_id"] for rec in r.records} == {GOLDEN_EXAMPLE_CHAT}
    assert len({rec["origin_id"] for rec in r.records}) == 3  # different bytes, different units


def test_example_id_is_the_same_across_containers(ingest):
    chat = json.loads(CHAT_LINE)
    from_json = ingest("a.json", json.dumps([chat], indent=4)).records[0]
    assert from_json["example_id"] == GOLDEN_EXAMPLE_CHAT


def test_origin_id_depends_on_path_locator_and_bytes(ingest):
    a = ingest("a.jsonl", CHAT_LINE + b"\n").records[0]["origin_id"]
    assert ingest("b.jsonl", CHAT_LINE + b"\n").records[0]["origin_id"] != a  # path
    assert ingest("a.jsonl", b"\n" + CHAT_LINE + b"\n").records[0]["origin_id"] != a  # locator
    assert ingest("a.jsonl", CHAT_LINE + b" \n").records[0]["origin_id"] != a  # bytes
    assert ingest("a.jsonl", CHAT_LINE + b"\r\n").records[0]["origin_id"] == a  # the line ending is not the line


def test_ids_are_deterministic_across_runs(ingest):
    data = CHAT_LINE + b"\n" + b'{"prompt": "p", "chosen": "c", "rejected": "r"}\n'
    first = ingest("a.jsonl", data)
    second = ingest("a.jsonl", data)
    assert first.records == second.records and first.quarantine == second.quarantine
