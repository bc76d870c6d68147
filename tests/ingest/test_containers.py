"""Containers: how a file is cut into units, what bytes identify each, and how broken input is quarantined."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import hashing

from .helpers import locators, roles, rules_of

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
LINE = json.dumps(CHAT)


def test_jsonl_one_unit_per_non_blank_line(ingest):
    r = ingest("a.jsonl", f"{LINE}\n\n{LINE}\r\n   \n{LINE}")
    assert (r.container, r.format, r.units, r.empty) == ("jsonl", "openai", 3, False)
    assert locators(r.records) == ["1", "3", "5"]
    # raw bytes = the line as read, without newline or CR
    assert r.records[1]["origin_id"] == hashing.origin_id("data/raw/t/a.jsonl", "3", LINE.encode())


def test_jsonl_bad_json_line_is_one_unit(ingest):
    r = ingest("a.jsonl", f'{LINE}\n{{"messages": [}}\n{LINE}\n')
    assert (r.units, len(r.records)) == (3, 2)
    [q] = r.quarantine
    assert (q["rule"], q["locator"], q["stage"]) == ("invalid_json", "2", "ingest")
    assert q["reason"].startswith("data/raw/t/a.jsonl line 2: invalid JSON (")
    assert "fix the JSON or remove it" in q["reason"]
    assert q["origin_id"] == hashing.origin_id("data/raw/t/a.jsonl", "2", b'{"messages": [}')
    assert q["example_id"] is None and q["kind"] is None


def test_jsonl_invalid_utf8_byte(ingest):
    bad = b'{"messages": [{"role": "user", "content": "caf\xe9"}]}'
    r = ingest("a.jsonl", LINE.encode() + b"\n" + bad + b"\n")
    [q] = r.quarantine
    assert (q["rule"], q["locator"]) == ("invalid_utf8", "2")
    assert "byte 0xe9" in q["reason"] and "line 2" in q["reason"]
    assert "\\xe9" in q["preview"]  # decoded with backslashreplace, never guessed


def test_jsonl_not_an_object_and_lone_surrogate(ingest):
    lone = '{"messages": [{"role": "user", "content": "\\ud83d"}]}'
    pair = '{"messages": [{"role": "user", "content": "\\ud83d\\ude00"}]}'
    r = ingest("a.jsonl", "\n".join([LINE, "[1, 2]", '"text"', lone, pair]))
    assert rules_of(r) == {"not_an_object": 2, "invalid_utf8": 1}
    assert locators(r.quarantine) == ["2", "3", "4"]
    assert r.records[-1]["messages"][0]["content"] == "\U0001F600"


def test_jsonl_bom_is_not_part_of_line_one(ingest):
    r = ingest("a.jsonl", b"\xef\xbb\xbf" + LINE.encode() + b"\n")
    assert r.records[0]["origin_id"] == hashing.origin_id("data/raw/t/a.jsonl", "1", LINE.encode())


def test_gzip_by_extension_and_by_magic(ingest):
    body = gzip.compress(f"{LINE}\n{LINE}\n".encode())
    for name in ("a.jsonl.gz", "b.jsonl"):
        r = ingest(name, body)
        assert (r.container, r.units, len(r.records)) == ("jsonl", 2, 2)
        assert "gzip-compressed" in r.notes
        # ids hash the decompressed line, so compressing a file keeps them
        assert r.records[0]["origin_id"] == hashing.origin_id(f"data/raw/t/{name}", "1", LINE.encode())


def test_corrupt_gzip_is_one_unit(ingest):
    data = gzip.compress(f"{LINE}\n".encode() * 50)[:40]
    r = ingest("a.jsonl.gz", data)
    assert (r.units, r.records, r.format, r.container) == (1, [], "undetected", "jsonl")
    [q] = r.quarantine
    assert (q["rule"], q["locator"]) == ("unreadable_file", "file")
    assert q["reason"].startswith("data/raw/t/a.jsonl.gz (whole file): not a readable gzip file")
    assert q["origin_id"] == hashing.origin_id("data/raw/t/a.jsonl.gz", "file", data)


def test_binary_and_unsupported_files_are_one_unit(ingest):
    r = ingest("a.jsonl", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    assert rules_of(r) == {"unreadable_file": 1} and r.units == 1
    assert "binary content" in r.quarantine[0]["reason"] and ".parquet" in r.quarantine[0]["reason"]
    r = ingest("a.xlsx", b"PK\x03\x04whatever")
    assert rules_of(r) == {"unreadable_file": 1}
    assert "unsupported file type '.xlsx'" in r.quarantine[0]["reason"]


def test_empty_files(ingest):
    for name, content in (("a.jsonl", b""), ("b.json", b"  \n\n"), ("c.csv", b"\r\n"), ("d.txt", b""),
                          ("e.jsonl.gz", gzip.compress(b"")), ("f.json", b"[]")):
        r = ingest(name, content)
        assert (r.empty, r.units, r.records, r.quarantine) == (True, 0, [], []), name


def test_json_array_elements(ingest):
    other = {"messages": [{"content": "x", "role": "user"}], "id": 7}
    r = ingest("a.json", json.dumps([CHAT, 5, other], indent=2))
    assert (r.container, r.units) == ("json", 3)
    assert locators(r.records) == ["[0]", "[2]"]
    assert (r.quarantine[0]["rule"], r.quarantine[0]["locator"]) == ("not_an_object", "[1]")
    raw = hashing.canonical_json(other).encode()
    assert r.records[1]["origin_id"] == hashing.origin_id("data/raw/t/a.json", "[2]", raw)


def test_json_file_that_is_jsonl(ingest):
    r = ingest("a.json", f"{LINE}\n{LINE}\n")
    assert (r.container, r.units, locators(r.records)) == ("jsonl", 2, ["1", "2"])
    assert any("read as JSONL" in n for n in r.notes)


def test_json_wrapper_object_is_unwrapped(ingest):
    r = ingest("a.json", json.dumps({"version": 2, "data": [CHAT, CHAT]}))
    assert (r.units, locators(r.records)) == (2, ["[0]", "[1]"])
    assert any("'data'" in n for n in r.notes)


def test_unparseable_json_is_one_unit(ingest):
    r = ingest("a.json", '[{"messages": []},\n{"oops"')
    assert r.units == 1
    [q] = r.quarantine
    assert (q["rule"], q["locator"]) == ("invalid_json", "file")
    assert "line 2" in q["reason"]


def test_csv_bom_crlf_and_embedded_newline(ingest):
    data = '\ufeffprompt,completion,topic\r\n"Say ""hi""","line one\r\nline two",greet\r\nq2,a2,misc\r\n'
    r = ingest("a.csv", data.encode())
    assert (r.container, r.format, r.units) == ("csv", "prompt_completion", 2)
    assert locators(r.records) == ["1", "2"]
    first = r.records[0]
    assert [m["content"] for m in first["messages"]] == ['Say "hi"', "line one\r\nline two"]
    assert json.loads(first["meta"]) == {"topic": "greet"}  # the BOM did not stick to the header
    raw = hashing.canonical_json({"prompt": "q2", "completion": "a2", "topic": "misc"}).encode()
    assert r.records[1]["origin_id"] == hashing.origin_id("data/raw/t/a.csv", "2", raw)


def test_csv_row_with_wrong_width(ingest):
    r = ingest("a.csv", "prompt,completion,score\nq1,a1,5\nq2,a2,extra,5\nq3\nq4, a comma,a4,\nq5,a5,1\n")
    assert (r.units, len(r.records)) == (5, 2)
    assert rules_of(r) == {"csv_row_width": 3}
    assert locators(r.quarantine) == ["2", "3", "4"]
    assert "data/raw/t/a.csv row 2: 4 fields where the header has 3" in r.quarantine[0]["reason"]
    # row 4: an unquoted comma shifted the cells into an empty last column; trimming it would misfile them
    assert locators(r.records) == ["1", "5"]


def test_csv_semicolon_sniffed_where_cells_hold_commas(ingest):
    rows = "prompt;completion\n" + "".join(f"a, b, c {i};x, y {i}\n" for i in range(5))
    r = ingest("a.csv", rows)
    assert (r.units, len(r.records)) == (5, 5)
    assert r.records[0]["messages"][0]["content"] == "a, b, c 0"
    assert "delimiter ';' (sniffed)" in r.notes


def test_csv_cp1252_falls_back_with_a_note(ingest):
    text = "prompt,completion\n" + "".join(f"Où est le café numéro {i} ?,Très près d'ici, à côté.\n" for i in range(20))
    text = text.replace(",Très", ',"Très').replace("côté.\n", 'côté."\n')
    r = ingest("a.csv", text.encode("cp1252"))
    assert (r.units, len(r.records)) == (20, 20)
    note = next(n for n in r.notes if n.startswith("decoded as"))
    assert "not valid UTF-8 at byte" in note
    exact = ingest("b.csv", text.encode("cp1252"), encoding="cp1252")
    assert exact.records[0]["messages"][0]["content"] == "Où est le café numéro 0 ?"
    assert ingest("c.csv", text.encode("cp1252"), encoding="utf-8").quarantine[0]["rule"] == "unreadable_file"


def test_tsv_and_declared_delimiter(ingest):
    r = ingest("a.tsv", "prompt\tcompletion\nq, with comma\ta\n")
    assert (r.container, len(r.records)) == ("tsv", 1)
    assert r.records[0]["messages"][0]["content"] == "q, with comma"
    r = ingest("b.csv", "prompt|completion\nq|a\n", delimiter="|")
    assert len(r.records) == 1


def test_csv_header_only(ingest):
    r = ingest("a.csv", "prompt,completion\n")
    assert (r.units, r.empty) == (0, False)
    assert "header only: no data rows" in r.notes


def test_parquet_rows(ingest, tmp_path):
    table = pa.table({
        "messages": [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
                     [{"role": "user", "content": "bye"}]],
        "score": [0.5, float("nan")],
        "tags": [["a", "b"], []],
    })
    path = tmp_path / "src.parquet"
    pq.write_table(table, path)
    r = ingest("a.parquet", path.read_bytes())
    assert (r.container, r.format, r.units, locators(r.records)) == ("parquet", "openai", 2, ["[0]", "[1]"])
    row0 = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
            "score": 0.5, "tags": ["a", "b"]}
    assert r.records[0]["origin_id"] == hashing.origin_id("data/raw/t/a.parquet", "[0]", hashing.canonical_json(row0).encode())
    assert json.loads(r.records[1]["meta"]) == {"score": None, "tags": []}


def test_corrupt_parquet_is_one_unit(ingest):
    r = ingest("a.parquet", b"PAR1 this is not really parquet PAR1")
    assert rules_of(r) == {"unreadable_file": 1} and r.quarantine[0]["locator"] == "file"


TRANSCRIPT = """\
User: my order is late
Agent: Sorry to hear that.
It should arrive tomorrow.
User: thanks
---

Customer: can I get a refund?

AI: Yes.
---
Just some notes without speakers.
"""


def test_transcript_conversations(ingest):
    r = ingest("a.txt", TRANSCRIPT)
    assert (r.container, r.format, r.units) == ("transcript", "transcript", 3)
    assert locators(r.records) == ["1", "7"]
    first, second = r.records
    assert roles(first["messages"]) == ["user", "assistant", "user"]
    assert first["messages"][1]["content"] == "Sorry to hear that.\nIt should arrive tomorrow."
    assert roles(second["messages"]) == ["user", "assistant"]
    assert second["messages"][0]["content"] == "can I get a refund?\n"
    [q] = r.quarantine
    assert (q["rule"], q["locator"]) == ("unrecognized_shape", "11")
    assert "conversation at line 11" in q["reason"]
    raw = b"User: my order is late\nAgent: Sorry to hear that.\nIt should arrive tomorrow.\nUser: thanks"
    assert first["origin_id"] == hashing.origin_id("data/raw/t/a.txt", "1", raw)


def test_transcript_blank_line_blocks_keep_paragraphs(ingest):
    text = "User: a\nBot: b\n\nsecond paragraph of b\n\n\nHuman: c\r\nAssistant: d\r\n"
    r = ingest("a.txt", text)
    assert locators(r.records) == ["1", "7"]
    assert r.records[0]["messages"][1]["content"] == "b\n\nsecond paragraph of b"
    assert r.records[1]["messages"][1]["content"] == "d"


def test_txt_with_delimited_columns_is_csv(ingest):
    r = ingest("a.txt", "prompt\tcompletion\nq1\ta1\nq2\ta2\n")
    assert (r.container, len(r.records)) == ("tsv", 2)


def test_single_record_json_file_is_one_unit(ingest):
    r = ingest("a.json", json.dumps(CHAT, indent=2))
    assert (r.units, locators(r.records)) == (1, ["file"])
    assert r.records[0]["origin_id"] == hashing.origin_id("data/raw/t/a.json", "file", hashing.canonical_json(CHAT).encode())


def test_values_canonical_json_cannot_hold(ingest):
    nan_meta = '{"messages": [{"role": "user", "content": "q"}], "score": NaN}'
    nan_args = ('{"messages": [{"role": "assistant", "tool_calls": [{"type": "function", '
                '"function": {"name": "f", "arguments": {"x": NaN}}}]}]}')
    deep = '{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = ingest("a.jsonl", "\n".join([nan_meta, nan_args, deep]))
    assert locators(r.records) == ["1"] and json.loads(r.records[0]["meta"]) == {"score": None}
    assert rules_of(r) == {"invalid_record": 1, "invalid_json": 1}


def test_declared_encoding_applies_to_jsonl(ingest):
    line = '{"messages": [{"role": "user", "content": "café"}]}\n'
    r = ingest("a.jsonl", line.encode("latin-1"), encoding="latin-1")
    assert r.records[0]["messages"][0]["content"] == "café"
    assert "decoded as latin-1" in r.notes
    utf16 = ingest("b.jsonl", line.encode("utf-16"))  # the BOM says which encoding
    assert utf16.records[0]["messages"][0]["content"] == "café"
