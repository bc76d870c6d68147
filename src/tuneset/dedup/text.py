"""What dedup compares: the key text of each record, its exact hash, its prompt and its answer.

``key`` selects the turns:

- ``conversation`` (default): every turn. For a preference row that is the prompt, then the chosen
  turns, then the rejected turns.
- ``prompt``: the turns before the trained answer (an SFT example's turns but the last; a
  preference row's shared ``messages``).
- ``answer``: the trained answer (an SFT example's last turn; a preference row's chosen and
  rejected turns).

System turns are left out unless ``include_system`` (a shared system prompt makes everything look
alike). A turn's text is its content, followed by its ``tool_calls`` JSON when it has any.

The exact key hashes the kind and the role-tagged turns after case folding (``str.casefold``) and
whitespace folding (runs of whitespace become one space, ends trimmed), each configurable; chosen
and rejected turns are tagged apart, so swapping them changes the key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tuneset import schema as col

KEYS = ("conversation", "prompt", "answer")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*")  # standalone numbers: not the digits inside "w123" or "sha256"
_SEP_TURN = "\x00"  # separators that str.split() does not treat as whitespace
_SEP_TAG = "\x01"


def turn_text(m: Mapping[str, Any]) -> str:
    content = m.get("content") or ""
    calls = m.get("tool_calls")
    return f"{content} {calls}" if calls else content


def _turns(messages: Sequence[Mapping[str, Any]] | None, include_system: bool, tag: str = "") -> list[tuple[str, str]]:
    return [(tag + str(m.get("role")), turn_text(m)) for m in messages or ()
            if include_system or m.get("role") != "system"]


def key_turns(kind: str, messages: Any, chosen: Any, rejected: Any, key: str, include_system: bool) -> list[tuple[str, str]]:
    """The ``(tag, text)`` turns of one record that ``key`` compares."""
    messages = list(messages or ())
    if kind == "preference":
        if key == "prompt":
            return _turns(messages, include_system)
        answer = _turns(chosen, True, "chosen:") + _turns(rejected, True, "rejected:")
        return answer if key == "answer" else _turns(messages, include_system) + answer
    if key == "prompt":
        return _turns(messages[:-1], include_system)
    if key == "answer":
        return _turns(messages[-1:], True)
    return _turns(messages, include_system)


def fold(text: str, case: bool = True, whitespace: bool = True) -> str:
    """``text`` case-folded and with whitespace runs collapsed, as configured."""
    if case:
        text = text.casefold()
    if whitespace:
        text = " ".join(text.split())
    return text


def _body(turns: Sequence[tuple[str, str]]) -> str:
    return _SEP_TURN.join([f"{tag}{_SEP_TAG}{t}" for tag, t in turns])


def _fold_body(body: str, case: bool, whitespace: bool) -> str:
    """Fold joined turns at once: equal to folding each turn, because the separators are not
    whitespace and the spaces next to them (a turn's leading and trailing ones) are removed."""
    if case:
        body = body.casefold()
    if whitespace:
        body = " ".join(body.split())
        if " " + _SEP_TURN in body or _SEP_TURN + " " in body or " " + _SEP_TAG in body or _SEP_TAG + " " in body:
            for sep in (_SEP_TURN, _SEP_TAG):
                body = body.replace(" " + sep, sep).replace(sep + " ", sep)
    return body


def _hash(kind: str, folded: str) -> str:
    return hashlib.blake2b(f"{kind}{_SEP_TURN}{folded}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def exact_key(kind: str, turns: Sequence[tuple[str, str]], case: bool, whitespace: bool) -> str:
    """Hash of the kind and the role-tagged turns, each folded as configured."""
    return _hash(kind, _fold_body(_body(turns), case, whitespace))


def plain(turns: Sequence[tuple[str, str]]) -> str:
    """The turns' text joined by newlines: what shingles and fuzzy ratios are computed on."""
    return "\n".join(t for _, t in turns)


def compact(text: str) -> str:
    """Lower-cased, whitespace-collapsed text: what the rapidfuzz ratio compares."""
    return " ".join(text.lower().split())


def numbers(text: str) -> tuple[str, ...]:
    """The numbers in ``text``, sorted: two texts with different numbers are different examples."""
    return tuple(sorted(_NUMBER.findall(text)))


@dataclass
class Texts:
    """Per-row texts of a frame, in row order."""

    kinds: list[str]
    key_text: list[str]  # what near-duplicate detection compares
    exact: list[str]  # exact key hashes
    prompt: list[str]
    prompt_exact: list[str]
    answer: list[str]  # SFT: the final answer; preference: the chosen turns
    rejected: list[str]  # preference: the rejected turns; SFT: ""
    answer_chars: list[int]  # characters of the folded answer (whitespace runs count as one)


def extract(df: pd.DataFrame, key: str, include_system: bool, fold_case: bool, fold_whitespace: bool) -> Texts:
    """The texts of every row of a canonical frame."""
    if key not in KEYS:
        raise ValueError(f"dedup key must be one of {', '.join(KEYS)}, got {key!r}")
    n = len(df)
    kinds = [str(k) for k in df[col.KIND].tolist()]
    msgs = df[col.MESSAGES].tolist()
    chosen = df[col.CHOSEN].tolist() if col.CHOSEN in df.columns else [None] * n
    rejected = df[col.REJECTED].tolist() if col.REJECTED in df.columns else [None] * n
    out = Texts(kinds, [], [], [], [], [], [], [])
    for kind, m, c, r in zip(kinds, msgs, chosen, rejected):
        m = list(m or ())
        if kind == "preference":
            prompt, answer_turns = _turns(m, include_system), _turns(c, True, "chosen:")
            rejected_turns = _turns(r, True, "rejected:")
        else:
            prompt, answer_turns, rejected_turns = _turns(m[:-1], include_system), _turns(m[-1:], True), []
        # Fold each part once; a key is the folded parts joined (folding is per turn, see _fold_body).
        fp = _fold_body(_body(prompt), fold_case, fold_whitespace)
        fa = _fold_body(_body(answer_turns), fold_case, fold_whitespace)
        fr = _fold_body(_body(rejected_turns), fold_case, fold_whitespace) if rejected_turns else ""
        prompt_key = _hash(kind, fp)
        if key == "prompt":
            turns, folded = prompt, None
        elif key == "answer":
            turns, folded = answer_turns + rejected_turns, _SEP_TURN.join(x for x in (fa, fr) if x)
        else:
            turns, folded = prompt + answer_turns + rejected_turns, _SEP_TURN.join(x for x in (fp, fa, fr) if x)
        answer = plain(answer_turns)
        out.key_text.append(plain(turns))
        out.exact.append(prompt_key if folded is None else _hash(kind, folded))
        out.prompt.append(plain(prompt))
        out.prompt_exact.append(prompt_key)
        out.answer.append(answer)
        out.rejected.append(plain(rejected_turns))
        out.answer_chars.append(len(fa) - sum(len(tag) + 1 for tag, _ in answer_turns) if fold_whitespace
                                else len(" ".join(answer.split())))
    return out
