"""Measuring scrub: recall and precision per type against gold spans, and a secrets fixture.

``evaluate`` scrubs each text (the default surrogate mode) and scores it:

- recall: a gold value counts as recalled when its original text no longer appears in the output;
- precision: a detected span counts as correct when it overlaps a gold span of the same type.

Gold files are lists of ``{full_text, spans: [{entity_type, entity_value, start_position,
end_position}]}`` (presidio-research's format); :data:`GOLD_TYPES` maps their labels to ours.
:func:`secret_fixture` writes realistic fake credentials of every secret kind, in prose and in config
snippets (random, never real keys).
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tuneset import schema as col
from tuneset.config import PiiConfig
from tuneset.scrub import types as T
from tuneset.scrub.core import scrub
from tuneset.scrub.detectors import Detector
from tuneset.scrub.redact import Replacer, new_engine

GOLD_TYPES = {
    "PERSON": T.PERSON, "EMAIL_ADDRESS": T.EMAIL, "CREDIT_CARD": T.CREDIT_CARD, "IBAN_CODE": T.IBAN,
    "US_SSN": T.US_SSN, "IP_ADDRESS": T.IP_ADDRESS, "PHONE_NUMBER": T.PHONE, "STREET_ADDRESS": T.ADDRESS,
    "ADDRESS": T.ADDRESS, "GPE": T.LOCATION, "LOCATION": T.LOCATION,
}
#: Recall targets of issue 4 (measured on presidio-research's synthetic data).
TARGETS = {T.EMAIL: 0.99, T.CREDIT_CARD: 0.99, T.IBAN: 0.99, T.US_SSN: 0.99, T.IP_ADDRESS: 0.99, T.PHONE: 0.95,
           T.PERSON: 0.85}


def evaluate(rows: Iterable[Mapping[str, Any]], detector: Detector, salt: str = "evaluation",
             cfg: PiiConfig | None = None) -> dict[str, dict[str, Any]]:
    """Per type: gold, recalled, recall, detected, correct, precision (types with gold or detections).

    Each row is scrubbed as the stage scrubs it (:func:`tuneset.scrub.core.scrub`): one example per row
    (its text the user turn), each its own group, of an undeclared source (origin ``unknown``: the full
    profile), so the public-knowledge evidence and every-mention replacement are measured too.
    ``detected`` counts the detected spans scrub replaced."""
    rows = list(rows)
    texts = [r["full_text"] for r in rows]
    outputs = scrubbed_texts(texts, detector, salt, cfg)
    gold: Counter[str] = Counter()
    recalled: Counter[str] = Counter()
    detected: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for row, text, output, spans in zip(rows, texts, outputs, detector.detect(texts)):
        golds = [(GOLD_TYPES[g["entity_type"]], g["start_position"], g["end_position"], g["entity_value"])
                 for g in row["spans"] if g["entity_type"] in GOLD_TYPES]
        for type_, _, _, value in golds:
            gold[type_] += 1
            recalled[type_] += value not in output
        for s in spans:
            if text[s.start:s.end] in output:
                continue  # detected, but kept (public knowledge): not a replacement
            detected[s.type] += 1
            correct[s.type] += any(t == s.type and s.start < b and a < s.end for t, a, b, _ in golds)
    table = {}
    for type_ in sorted(set(gold) | set(detected)):
        table[type_] = {
            "gold": gold[type_], "recalled": recalled[type_],
            "recall": round(recalled[type_] / gold[type_], 4) if gold[type_] else None,
            "detected": detected[type_], "correct": correct[type_],
            "precision": round(correct[type_] / detected[type_], 4) if detected[type_] else None,
            "target_recall": TARGETS.get(type_),
        }
    return table


def scrubbed_texts(texts: Sequence[str], detector: Detector, salt: str = "evaluation",
                   cfg: PiiConfig | None = None) -> list[str]:
    """Each text scrubbed by the stage function as the user turn of its own example."""
    from tuneset.frames import records_frame
    from tuneset.records import Parsed, SourceInfo, Unit, build_record, message

    records = []
    for i, text in enumerate(texts):
        parsed = Parsed(kind="sft", messages=[message("user", text), message("assistant", "Noted.")])
        unit = Unit(locator=str(i + 1), raw=f"{i}|{text}".encode("utf-8", "surrogatepass"), parsed=parsed)
        records.append(build_record(unit, SourceInfo(source="evaluation", source_file="evaluation.jsonl")))
    result = scrub(records_frame(records), cfg or detector.cfg, salt, detector=detector)
    if len(result.examples) != len(texts):
        raise ValueError(f"{len(texts) - len(result.examples)} evaluation texts were dropped (they hold a drop type)")
    return [m[0]["content"] for m in result.examples[col.MESSAGES]]


def format_table(table: Mapping[str, Mapping[str, Any]]) -> str:
    head = f"{'type':<16}{'gold':>6}{'recall':>9}{'target':>8}{'detected':>10}{'precision':>11}"
    lines = [head, "-" * len(head)]
    for type_, r in table.items():
        rec = "-" if r["recall"] is None else f"{r['recall']:.3f}"
        prec = "-" if r["precision"] is None else f"{r['precision']:.3f}"
        tgt = "" if r["target_recall"] is None else f"{r['target_recall']:.2f}"
        lines.append(f"{type_:<16}{r['gold']:>6}{rec:>9}{tgt:>8}{r['detected']:>10}{prec:>11}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Secrets fixture


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def secret_fixture(seed: int = 0, copies: int = 3) -> list[dict[str, Any]]:
    """Texts holding one fake secret each: ``{full_text, spans: [{entity_type, entity_value, ...}]}``.

    Every kind (AWS key id and secret, GitHub classic and fine-grained tokens, GitLab, Slack,
    OpenAI-style, Stripe, JWT, private-key block, connection-string passwords, passwords in prose and
    in config, high-entropy values after key names) appears ``copies`` times, in prose and in a
    config snippet.
    """
    rng = random.Random(seed)
    an = string.ascii_letters + string.digits
    up = string.ascii_uppercase + string.digits
    b64u = an + "-_"

    def jwt() -> str:
        import base64
        import json

        def part(obj: Any) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
        return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': _rand(rng, string.digits, 8), 'name': 'x'})}.{_rand(rng, b64u, 43)}"

    makers = {
        T.AWS_KEY: [lambda: "AKIA" + _rand(rng, up, 16), lambda: _rand(rng, an + "/+", 40)],
        T.GITHUB_TOKEN: [lambda: "ghp_" + _rand(rng, an, 36), lambda: "github_pat_" + _rand(rng, an + "_", 82)],
        T.GITLAB_TOKEN: [lambda: "glpat-" + _rand(rng, b64u, 20)],
        T.SLACK_TOKEN: [lambda: f"xoxb-{_rand(rng, string.digits, 12)}-{_rand(rng, string.digits, 13)}-{_rand(rng, an, 24)}"],
        T.API_KEY: [lambda: "sk-" + _rand(rng, an, 48), lambda: "sk-proj-" + _rand(rng, b64u, 64),
                    lambda: "sk_live_" + _rand(rng, an, 24)],
        T.JWT: [jwt],
        T.PASSWORD: [lambda: _rand(rng, string.ascii_letters, 6) + _rand(rng, string.digits, 3) + rng.choice("!#$%&")],
        T.SECRET: [lambda: _rand(rng, an, 32)],
    }
    prose = {
        T.AWS_KEY: ["My AWS key is {v}, can you check the bucket policy?", "aws_access_key_id = {v}\nregion = us-east-1"],
        T.GITHUB_TOKEN: ["The token I configured is {v} and it has repo scope.", "GITHUB_TOKEN={v}"],
        T.GITLAB_TOKEN: ["Here is my GitLab token {v} for the mirror.", "gitlab:\n  token: {v}"],
        T.SLACK_TOKEN: ["The bot uses {v} to post alerts.", "SLACK_BOT_TOKEN={v}"],
        T.API_KEY: ["I pasted my key {v} in the settings, is the format wrong?", "OPENAI_API_KEY={v}"],
        T.JWT: ["The request carries Authorization: Bearer {v} and still fails.", "auth:\n  bearer: {v}"],
        T.PASSWORD: ["I can't sign in, my password is {v} so please check it.", "db_password: \"{v}\""],
        T.SECRET: ["Our webhook secret is set as api_secret={v} in the dashboard.", "client_secret: {v}"],
    }
    rows: list[dict[str, Any]] = []

    def add(text: str, type_: str, value: str) -> None:
        start = text.index(value)
        rows.append({"full_text": text, "spans": [{"entity_type": type_, "entity_value": value,
                                                   "start_position": start, "end_position": start + len(value)}]})

    for _ in range(copies):
        for type_, fns in makers.items():
            for fn in fns:
                for template in prose[type_]:
                    value = fn()
                    if type_ == T.AWS_KEY and not value.startswith("AKIA"):
                        template = "aws_secret_access_key = {v}" if "\n" in template else "My aws secret key is {v} and the id is fine."
                    add(template.format(v=value), type_, value)
        user, pw = _rand(rng, string.ascii_lowercase, 7), _rand(rng, an, 10) + "!"
        for scheme in ("postgres", "mysql", "mongodb+srv", "redis"):
            add(f"It fails with database_url={scheme}://{user}:{pw}@db.internal:5432/app, what's wrong?",
                T.URL_CREDENTIALS, f"{user}:{pw}")
        body = "\n".join(_rand(rng, an + "+/", 64) for _ in range(6))
        key = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
        add(f"Here is the deploy key we use:\n{key}\nPlease install it.", T.PRIVATE_KEY, key)
    return rows


SECRET_GOLD_TYPES = {t: t for t in T.SECRET_TYPES}


def evaluate_secrets(rows: Sequence[Mapping[str, Any]], detector: Detector) -> dict[str, dict[str, Any]]:
    """Recall per secret kind: the value is gone from the scrubbed text (any secret type counts)."""
    texts = [r["full_text"] for r in rows]
    engine = new_engine()
    out: dict[str, Counter[str]] = {}
    for row, text, spans in zip(rows, texts, detector.detect(texts)):
        output = Replacer(engine, "redact", None, "").apply(text, spans)
        for g in row["spans"]:
            c = out.setdefault(g["entity_type"], Counter())
            c["gold"] += 1
            c["recalled"] += g["entity_value"] not in output
    return {t: {"gold": c["gold"], "recalled": c["recalled"], "recall": round(c["recalled"] / c["gold"], 4)}
            for t, c in sorted(out.items())}
