"""tuneset.sample: the bundled sample is deterministic, committed exactly as generated, and holds
exactly the problems it says it planted (checked here by re-reading the files, not by trusting
the generator)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tuneset import sample

REPO = Path(__file__).resolve().parents[1]
COMMITTED_RAW = REPO / "data/raw/sample"
COMMITTED_BENCH = REPO / "data/benchmarks/sample"
WORD = re.compile(r"[a-z0-9]+")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("sample")
    counts = sample.generate(root / "raw", root / "bench")
    return root / "raw", root / "bench", counts


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _units(raw: Path) -> list[tuple[str, list[tuple[str, str]], object]]:
    """Every readable unit as (file, [(role, content)...], record); unreadable ones are skipped."""
    out: list[tuple[str, list[tuple[str, str]], object]] = []
    for line in (raw / "chat.jsonl").read_bytes().splitlines():
        try:
            rec = json.loads(line.decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(("chat", [(m["role"], m.get("content") or "") for m in rec["messages"]
                                 if "tool_calls" not in m and m["role"] != "tool"], rec))
    role = {"human": "user", "gpt": "assistant", "system": "system"}
    for rec in json.loads((raw / "sharegpt.json").read_text("utf-8")):
        out.append(("sharegpt", [(role[c["from"]], c["value"]) for c in rec["conversations"]], rec))
    for rec in json.loads((raw / "alpaca.json").read_text("utf-8")):
        prompt = rec["instruction"] + (f"\n\n{rec['input']}" if rec["input"] else "")
        out.append(("alpaca", [("user", prompt), ("assistant", rec["output"])], rec))
    rows = list(csv.reader(io.StringIO((raw / "tickets.csv").read_text("utf-8"), newline="")))
    for row in rows[1:]:
        if len(row) == len(sample.TICKET_COLUMNS):
            out.append(("tickets", [("user", row[4]), ("assistant", row[5])], row))
    for line in gzip.decompress((raw / "preferences.jsonl.gz").read_bytes()).decode("utf-8").splitlines():
        rec = json.loads(line)
        out.append(("preferences", [("user", rec["prompt"]), ("assistant", rec["chosen"])], rec))
    return out


def _text(unit: tuple[str, list[tuple[str, str]], object]) -> str:
    file, msgs, rec = unit
    text = " ".join(c for r, c in msgs if r != "system")
    return f"{text} {rec['rejected']}" if file == "preferences" else text  # type: ignore[index]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# ---- determinism -------------------------------------------------------------------------


def test_two_generations_are_byte_identical(generated, tmp_path):
    raw, bench, counts = generated
    again = sample.generate(tmp_path / "raw", tmp_path / "bench")
    assert again == counts
    first, second = _files(raw), _files(tmp_path / "raw")
    assert sorted(first) == sorted(sample.RAW_FILES)
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs with the same seed"
    assert _files(bench) == _files(tmp_path / "bench")


def test_committed_sample_is_exactly_the_generated_one(generated):
    if not COMMITTED_RAW.is_dir() or not COMMITTED_BENCH.is_dir():
        pytest.skip("data/raw/sample or data/benchmarks/sample is absent (deleted sample)")
    raw, bench, _ = generated
    for committed, fresh in ((COMMITTED_RAW, raw), (COMMITTED_BENCH, bench)):
        want, have = _files(fresh), _files(committed)
        assert sorted(have) == sorted(want), f"{committed} holds other files than tuneset.sample writes"
        for name, data in want.items():
            if name.endswith(".gz"):
                # Compare the payload: another zlib build may deflate the same bytes differently.
                assert gzip.decompress(have[name]) == gzip.decompress(data), f"{committed / name} was edited"
            else:
                assert have[name] == data, f"{committed / name} differs from `tuneset sample`; regenerate it"


def test_another_seed_gives_other_files(generated, tmp_path):
    raw, bench, _ = generated
    sample.generate(tmp_path / "raw", tmp_path / "bench", seed=sample.DEFAULT_SEED + 1)
    for name in sample.RAW_FILES:
        assert (raw / name).read_bytes() != (tmp_path / "raw" / name).read_bytes(), name
    assert (bench / sample.BENCH_FILE).read_bytes() != (tmp_path / "bench" / sample.BENCH_FILE).read_bytes()


# ---- counts, re-read from the files --------------------------------------------------------


def test_unit_counts_match_the_files(generated):
    raw, bench, counts = generated
    lines = (raw / "chat.jsonl").read_bytes()
    assert lines.endswith(b"\n")
    found = {
        "chat.jsonl": lines.count(b"\n"),
        "sharegpt.json": len(json.loads((raw / "sharegpt.json").read_text("utf-8"))),
        "alpaca.json": len(json.loads((raw / "alpaca.json").read_text("utf-8"))),
        "tickets.csv": len(list(csv.reader(io.StringIO((raw / "tickets.csv").read_text("utf-8"), newline="")))) - 1,
        "preferences.jsonl.gz": gzip.decompress((raw / "preferences.jsonl.gz").read_bytes()).count(b"\n"),
    }
    assert found == {f: counts[f] for f in sample.RAW_FILES}
    assert 1800 <= sum(found.values()) <= 2300
    assert counts["benchmark_items"] == len((bench / sample.BENCH_FILE).read_text("utf-8").splitlines())


def test_chat_jsonl_has_one_non_utf8_line_and_the_planted_malformed_lines(generated):
    raw, _, counts = generated
    lines = (raw / "chat.jsonl").read_bytes().splitlines()
    not_utf8 = not_json = not_object = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8 += 1
            assert b"caf\xe9" in line
        try:
            rec = json.loads(line.decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            not_json += 1
            continue
        not_object += not isinstance(rec, dict)
    assert not_utf8 == counts["planted_non_utf8"] == 1
    assert not_json == counts["planted_malformed_json"] > 0
    assert not_object == counts["planted_not_a_record"]


def test_tickets_csv_shape(generated):
    raw, _, counts = generated
    data = (raw / "tickets.csv").read_bytes()
    assert data.startswith(b"ticket_id,created_at,channel,category,customer_message,agent_reply,csat\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") + sum(  # every record ends in CRLF; bare LFs sit inside fields
        f.count("\n") for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for f in row)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
    assert sum(len(r) != 7 for r in rows) == counts["planted_malformed_csv"] == 1
    good = [r for r in rows if len(r) == 7]
    assert any("\n" in r[4] for r in good) and any("," in r[5] for r in good)
    assert {r[6] for r in good} <= {"", "1", "2", "3", "4", "5"} and any(r[6] == "" for r in good)
    per_ticket = Counter(r[0] for r in rows)
    assert sum(n > 1 for n in per_ticket.values()) >= 10  # follow-ups share a ticket id


def test_structural_problems_match_the_planted_counts(generated):
    raw, _, counts = generated
    role_order = empty = missing_final = overlong = refusals = special = mojibake = 0
    for unit in _units(raw):
        turns = [(r, c) for r, c in unit[1] if r != "system"]
        roles = [r for r, _ in turns]
        if roles[0] != "user" or any(a == b for a, b in zip(roles, roles[1:])):
            role_order += 1
        elif roles[-1] != "assistant":
            missing_final += 1
        answers = [c for r, c in turns if r == "assistant"]
        empty += any(not a.strip() for a in answers)
        overlong += any(len(a) > sample.OVERLONG_CHARS for a in answers)
        refusals += any("as an ai" in a.lower() for a in answers)
        special += any(t in c for _, c in turns for t in ("<|im_end|>", "<|endoftext|>", "<|im_start|>"))
        mojibake += any(m in c for _, c in turns for m in ("â€", "Ã©"))
    assert role_order == counts["planted_role_order"] > 0
    assert empty == counts["planted_empty_answer"] > 0
    assert missing_final == counts["planted_missing_final_assistant"] > 0
    assert overlong == counts["planted_overlong"] > 0
    assert refusals == counts["planted_refusal"] > 0
    assert special == counts["planted_special_tokens"] > 0
    assert mojibake == counts["planted_mojibake"] > 0


def test_duplicates_are_exactly_the_planted_ones(generated):
    """Exact copies (same normalized text) and near copies (word 5-gram Jaccard >= 0.8) pair each
    planted unit with its source and nothing else, so dedup tests can rely on the counts."""
    raw, _, counts = generated
    units = _units(raw)
    shingles = []
    for u in units:
        words = WORD.findall(_text(u).lower())
        shingles.append({" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))})
    postings: dict[str, list[int]] = defaultdict(list)
    exact = near = 0
    in_pairs: Counter[int] = Counter()
    for i, sh in enumerate(shingles):
        overlap = Counter(j for s in sh for j in postings[s])
        for j, inter in overlap.items():
            jac = inter / (len(sh) + len(shingles[j]) - inter)
            assert not 0.5 <= jac < 0.8, f"accidental similarity {jac:.2f}: {units[j][0]} vs {units[i][0]}"
            if jac >= 0.8:
                same = WORD.findall(_text(units[i]).lower()) == WORD.findall(_text(units[j]).lower())
                exact += same
                near += not same
                in_pairs.update([i, j])
        for s in sh:
            postings[s].append(i)
    assert exact == counts["planted_exact_duplicate"] > 0
    assert near == counts["planted_near_duplicate"] > 0
    assert max(in_pairs.values()) == 1  # no unit is in two pairs: clusters of exactly two


def test_pii_and_secrets_are_present(generated):
    raw, _, counts = generated
    text = "\n".join(_text(u) for u in _units(raw))
    cards = [re.sub(r"\D", "", m) for m in re.findall(r"\b\d(?:[ -]?\d){12,18}\b", text)]
    assert "4111111111111111" in cards
    assert sum(_luhn(c) for c in cards) >= counts["planted_pii_card"] > 0
    assert re.search(r"\bAKIA[0-9A-Z]{16}\b", text)
    assert re.search(r"\bsk-[A-Za-z0-9_-]{40,}", text) and re.search(r"\bghp_[A-Za-z0-9]{36}\b", text)
    assert "postgres://admin:S3cr3t!@db.internal:5432/app" in text
    emails = re.findall(r"[\w.+-]+@(?:mail\.)?example\.(?:com|net|org)\b", text)
    assert len(emails) >= counts["planted_pii_email"] > 0
    assert re.search(r"\+44 20 7946 0\d{3}", text) or re.search(r"\(\d{3}\) 555-01\d\d", text)
    assert counts["planted_pii"] >= 100 and counts["planted_secret"] >= 10


def test_contaminated_units_are_copied_from_the_benchmark(generated):
    raw, bench, counts = generated
    items = [json.loads(line) for line in (bench / sample.BENCH_FILE).read_text("utf-8").splitlines()]
    assert len(items) == counts["benchmark_items"] and len({i["id"] for i in items}) == len(items)
    assert all(len(i["question"].split()) >= 15 and len(i["answer"].split()) >= 20 for i in items)
    pairs = {(i["question"].lower(), i["answer"].lower()) for i in items}
    copied = [u for u in _units(raw)
              if len([c for r, c in u[1] if r != "system"]) == 2
              and tuple(c.lower() for r, c in u[1] if r != "system") in pairs]
    assert len(copied) == counts["planted_contamination"] > 0
    # ...and no other unit shares a 13-word sequence with the benchmark.
    def grams(t: str) -> set[str]:
        w = WORD.findall(t.lower())
        return {" ".join(w[i:i + 13]) for i in range(len(w) - 12)}
    bench_grams = set().union(*(grams(i["question"] + " " + i["answer"]) for i in items))
    assert sum(bool(grams(_text(u)) & bench_grams) for u in _units(raw)) == len(copied)
    assert "fictional" in (bench / sample.BENCH_README).read_text("utf-8").lower()


def test_tool_calls_are_well_formed(generated):
    raw, _, _ = generated
    with_tools = 0
    for line in (raw / "chat.jsonl").read_bytes().splitlines():
        try:
            rec = json.loads(line.decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            continue
        if not isinstance(rec, dict) or "tools" not in rec:
            continue
        with_tools += 1
        names = {t["function"]["name"] for t in rec["tools"]}
        calls = {c["id"]: c for m in rec["messages"] for c in m.get("tool_calls", [])}
        results = [m["tool_call_id"] for m in rec["messages"] if m["role"] == "tool"]
        assert calls and sorted(results) == sorted(calls)
        assert all(c["function"]["name"] in names and isinstance(json.loads(c["function"]["arguments"]), dict)
                   for c in calls.values())
        assert rec["messages"][-1]["role"] == "assistant" and rec["messages"][-1]["content"]
    assert with_tools >= 5


def test_main_prints_a_line_per_file(tmp_path, capsys):
    assert sample.main(["--raw-dir", str(tmp_path / "r"), "--bench-dir", str(tmp_path / "b"), "--seed", "7"]) == 0
    out = capsys.readouterr().out.splitlines()
    for name in sample.RAW_FILES:
        assert any(line.startswith(str(tmp_path / "r" / name) + ":") for line in out), name
    assert any(line.startswith(str(tmp_path / "b" / sample.BENCH_FILE) + ":") for line in out)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(sample.RAW_FILES)
