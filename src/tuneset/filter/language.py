"""Language identification with CLD2 (the ``pycld2`` wheel): its model is compiled into the wheel,
so nothing is downloaded, and it identifies 60-90k texts of 300 characters a second on one core
(bench/README.md).

CLD2 reports up to three languages with the share of the text's bytes in each. The score of an
example is the share written in an allowed language. Short texts and texts CLD2 cannot call
reliably are not judged: their score is null (kept) and their label ``und`` (undetermined).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tuneset.filter import text as tx
from tuneset.filter.engine import FilterRule, param
from tuneset.rules import register

UNDETERMINED = "und"
TEXTS = ("answer", "question", "both")


def _cld2() -> Any:
    try:
        import pycld2
    except ImportError:  # pragma: no cover - a pinned dependency
        raise RuntimeError("the language rule needs the pycld2 package (pip install -e .)") from None
    return pycld2


def base_code(code: str) -> str:
    """``zh-Hant`` -> ``zh``; CLD2's codes are ISO 639-1 where one exists."""
    base = _BASE.get(code)
    if base is None:
        base = _BASE[code] = code.split("-")[0].lower()
    return base


_BASE: dict[str, str] = {}  # memo of base_code: CLD2 knows a fixed, small set of codes


def detect(texts: list[str], allowed: frozenset[str], min_chars: int, max_chars: int) -> tuple[list[float], list[str]]:
    """(share of each text in an allowed language, or NaN when undetermined; top language code)."""
    cld2 = _cld2()
    shares: list[float] = []
    codes: list[str] = []
    for t in texts:
        t = t[:max_chars]
        if len(t) < min_chars:
            shares.append(np.nan)
            codes.append(UNDETERMINED)
            continue
        try:
            reliable, _, details = cld2.detect(t)
        except Exception:  # invalid UTF-8 (lone surrogates) or anything CLD2 rejects: undetermined
            reliable, details = False, ()
        top = base_code(details[0][1]) if details else "un"
        if not reliable or top in ("un", "xx"):
            shares.append(np.nan)
            codes.append(UNDETERMINED)
            continue
        shares.append(round(sum(pct for _, code, pct, _ in details if base_code(code) in allowed) / 100.0, 5))
        codes.append(top)
    return shares, codes


@register
@dataclass(frozen=True)
class Language(FilterRule):
    """The example is written in an allowed language (CLD2, bundled with pycld2; no download).
    ``text`` picks what is identified: the answer, the question (last user turn) or both (up to
    half of ``max_chars`` from the question, the rest from the answer); at most ``max_chars``
    characters are read. Texts shorter than ``min_chars`` or that CLD2 cannot
    call reliably are kept, labelled ``und``. With ``label: true`` kept examples get a
    ``language`` label (ISO 639-1). Score: the share of the text in an allowed language (0..1)."""

    name: ClassVar[str] = "language"
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER, tx.QUESTION)
    allowed: list[str] = param(("en",), "ISO 639-1 codes of the languages kept")
    min_share: float = param(0.5, "smallest share of the text in allowed languages kept")
    text: str = param("both", "what is identified: answer, question or both")
    min_chars: int = param(20, "shorter texts are not judged (kept, language und)")
    max_chars: int = param(300, "characters read per example (CLD2's cost grows with it)")
    label: bool = param(True, "give kept examples a language label")

    def __post_init__(self):
        if self.text not in TEXTS:
            raise ValueError(f"text must be answer, question or both, got {self.text!r}")
        if not self.allowed:
            raise ValueError("allowed must list at least one language code")
        if not 0.0 <= self.min_share <= 1.0 or self.min_chars < 0 or self.max_chars <= 0:
            raise ValueError("min_share must be in [0, 1], min_chars not negative, max_chars positive")

    def _texts(self, df: pd.DataFrame) -> list[str]:
        if self.text == "answer":
            return tx.get(df, tx.ANSWER)
        if self.text == "question":
            return tx.get(df, tx.QUESTION)
        half = self.max_chars // 2  # the question's start, then the answer up to max_chars
        return [f"{q[:half]}\n{a[:self.max_chars - min(len(q), half) - 1]}" if q else a
                for q, a in zip(tx.get(df, tx.QUESTION), tx.get(df, tx.ANSWER))]

    def evaluate(self, df):
        shares, codes = detect(self._texts(df), frozenset(base_code(c) for c in self.allowed),
                               self.min_chars, self.max_chars)
        score = pd.Series(shares, index=df.index, dtype="float64")
        return score, ({"language": codes} if self.label else {})

    def score(self, df):
        return self.evaluate(df)[0]

    def keep(self, score):
        return score.isna() | (score >= self.min_share)

    def threshold(self):
        return {"min": self.min_share}

    def reason(self, score, row):
        return (f"{score:.0%} of the text is in an allowed language ({', '.join(self.allowed)}); "
                f"minimum {self.min_share:.0%}")
