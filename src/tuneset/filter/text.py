"""The texts and token counts the quality rules look at, computed once per batch.

- ``answer``: the trained answer. An SFT example's final assistant turn; a preference row's chosen
  turns (the rejected side is bad on purpose, so no quality rule looks at it).
- ``question``: the last user turn before the answer.
- ``prompt``: every non-system turn before the answer (user, earlier assistant and tool turns).
- ``conversation``: every turn's text, system, chosen and rejected included (what template
  leftovers are searched in).

A turn's text is its content; tool calls are not prose and are left out. Token counts use the
target's tokenizer (:class:`tuneset.tokens.TokenCounter`), on the plain text (no template).

Rules read these as working columns (``_answer``, ``_answer_tokens``...) when the stage has added
them (:func:`add_columns`, once for every rule that needs them) and compute them otherwise, so a
rule also works on its own on any canonical frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from tuneset import schema as col
from tuneset import tokens as tok

ANSWER, QUESTION, PROMPT, CONVERSATION = "_answer", "_question", "_prompt", "_conversation"
ANSWER_TOKENS, QUESTION_TOKENS, PROMPT_TOKENS = "_answer_tokens", "_question_tokens", "_prompt_tokens"
ANSWER_WORDS = "_answer_words"  # the answer and question words of the batch, encoded once (tuneset.filter.words)
BATCH = "_batch"  # every row holds the same Batch: what is computed once per batch
TEXTS = (ANSWER, QUESTION, PROMPT, CONVERSATION)
COUNTS = {ANSWER_TOKENS: ANSWER, QUESTION_TOKENS: QUESTION, PROMPT_TOKENS: PROMPT}
WORKING = TEXTS + tuple(COUNTS) + (BATCH,)


class Batch:
    """Per-batch results several rules share (the encoded answer and question words), computed on
    first use. It belongs to one frame: a rule given another frame computes its own."""

    def __init__(self, index: pd.Index, answers: list[str], questions: list[str]) -> None:
        self.index, self.answers, self.questions = index, answers, questions
        self._encoded: Any = None

    def answer_words(self) -> Any:
        """:class:`tuneset.filter.words.Encoded` of (answers, questions)."""
        if self._encoded is None:
            from tuneset.filter.words import Encoded

            self._encoded = Encoded(self.answers, self.questions)
        return self._encoded


def answer_words(df: pd.DataFrame) -> Any:
    """The encoded (answer, question) words of ``df``: the batch's, or computed now."""
    if BATCH in df.columns and len(df):
        batch = df[BATCH].iat[0]
        if isinstance(batch, Batch) and len(batch.index) == len(df) and batch.index.equals(df.index):
            return batch.answer_words()
    from tuneset.filter.words import Encoded

    return Encoded(get(df, ANSWER), get(df, QUESTION))


def _content(m: Mapping[str, Any]) -> str:
    c = m.get("content")
    return c if type(c) is str else ""


def split_record(kind: Any, messages: Any, chosen: Any) -> tuple[str, str, str]:
    """(answer, question, prompt) of one record."""
    msgs = messages if messages is not None else ()
    if kind == "preference":
        answer = "\n".join(c for m in chosen or () if (c := _content(m)))
        before = msgs
    else:
        if not len(msgs):
            return "", "", ""
        answer = _content(msgs[-1])
        before = msgs[:-1]
    question = ""
    for m in reversed(before):
        if m.get("role") == "user":
            question = _content(m)
            break
    if len(before) == 1 or (len(before) == 2 and before[0].get("role") == "system"):
        prompt = question  # the common case: one user turn
    else:
        prompt = "\n".join(c for m in before if m.get("role") != "system" and (c := _content(m)))
    return answer, question, prompt


def _column(df: pd.DataFrame, name: str) -> list[Any]:
    return df[name].tolist() if name in df.columns else [None] * len(df)


def texts(df: pd.DataFrame) -> dict[str, list[str]]:
    """The answer, question and prompt of every row (lists in row order)."""
    answers, questions, prompts = [], [], []
    for kind, messages, chosen in zip(_column(df, col.KIND), _column(df, col.MESSAGES), _column(df, col.CHOSEN)):
        a, q, p = split_record(kind, messages, chosen)
        answers.append(a)
        questions.append(q)
        prompts.append(p)
    return {ANSWER: answers, QUESTION: questions, PROMPT: prompts}


def conversation_texts(df: pd.DataFrame) -> list[list[str]]:
    """Every turn's text of every row: messages, then chosen, then rejected."""
    out = []
    for messages, chosen, rejected in zip(_column(df, col.MESSAGES), _column(df, col.CHOSEN), _column(df, col.REJECTED)):
        turns = [c for m in messages or () if (c := m.get("content")) and c.__class__ is str]
        if chosen is not None or rejected is not None:
            turns += [c for ms in (chosen, rejected) for m in ms or () if (c := m.get("content")) and c.__class__ is str]
        out.append(turns)
    return out


def get(df: pd.DataFrame, name: str, tokenizer: str = "o200k_base") -> list[Any]:
    """Working column ``name`` of ``df`` as a list: read when present, computed otherwise."""
    if name in df.columns:
        return df[name].tolist()
    if name in (ANSWER, QUESTION, PROMPT):
        return texts(df)[name]
    if name == CONVERSATION:
        return conversation_texts(df)
    if name in COUNTS:
        return tok.TokenCounter(tokenizer).count_many(get(df, COUNTS[name]))
    raise KeyError(name)


def add_columns(df: pd.DataFrame, needs: Iterable[str], counter: tok.TokenCounter | None) -> pd.DataFrame:
    """``df`` with the working columns ``needs`` (and the texts they are counted on) added."""
    needs = set(needs)
    if not needs:
        return df
    added: dict[str, Sequence[Any]] = {}
    if needs & {ANSWER, QUESTION, PROMPT, ANSWER_WORDS, *COUNTS}:
        added.update(texts(df))
    if CONVERSATION in needs:
        added[CONVERSATION] = conversation_texts(df)
    if ANSWER_WORDS in needs:
        texts_ = added if ANSWER in added else texts(df)
        batch = Batch(df.index, list(texts_[ANSWER]), list(texts_[QUESTION]))
        added[BATCH] = [batch] * len(df)
    for count, text in COUNTS.items():
        if count in needs:
            if counter is None:
                raise ValueError(f"{count} needs a token counter")
            added[count] = counter.count_many(added[text])  # type: ignore[arg-type]
    return df.assign(**{k: pd.Series(v, index=df.index, dtype="int64" if k in COUNTS else object)
                        for k, v in added.items()})


def drop_columns(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in WORKING if c in df.columns])
