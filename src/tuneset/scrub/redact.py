"""Replacing detected spans: typed placeholders (redact) or surrogates, through presidio-anonymizer.

:class:`Replacer` holds the per-example state: in ``redact`` mode the placeholders are numbered per
type in order of appearance within the example (``<EMAIL_1>``, ``<PERSON_2>``), and one value keeps
its number everywhere in the example; in ``surrogate`` mode the value's surrogate comes from
:class:`tuneset.scrub.surrogates.Surrogates` under the example's scope.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from tuneset.scrub.detectors import Span
from tuneset.scrub.surrogates import Surrogates, canonical

def placeholder(type_: str, n: int) -> str:
    return f"<{type_}_{n}>"


class Replacer:
    """Replaces spans in the texts of one example; ``edits`` counts replacements per type."""

    def __init__(self, engine: AnonymizerEngine, mode: str, surrogates: Surrogates | None, scope: str) -> None:
        self.engine = engine
        self.mode = mode
        self.surrogates = surrogates
        self.scope = scope
        self.numbers: dict[tuple[str, str], int] = {}
        self.per_type: Counter[str] = Counter()
        self.edits: Counter[str] = Counter()
        self.made: list[tuple[str, str, str]] = []  # (type, original, replacement) of this example

    def replacement(self, type_: str, value: str) -> str:
        if self.mode == "redact" or self.surrogates is None:
            key = (type_, canonical(type_, value))
            if key not in self.numbers:
                self.per_type[type_] += 1
                self.numbers[key] = self.per_type[type_]
            out = placeholder(type_, self.numbers[key])
        else:
            out = self.surrogates.get(type_, value, self.scope)
        self.made.append((type_, value, out))
        return out

    def number(self, text: str, spans: Sequence[Span]) -> None:
        """Give placeholders their numbers in reading order before replacing (the engine works backwards)."""
        if self.mode == "redact":
            for s in spans:
                key = (s.type, canonical(s.type, text[s.start:s.end]))
                if key not in self.numbers:
                    self.per_type[s.type] += 1
                    self.numbers[key] = self.per_type[s.type]

    def apply(self, text: str, spans: Sequence[Span]) -> str:
        """``text`` with every span replaced."""
        if not spans:
            return text
        self.number(text, spans)
        types = sorted({s.type for s in spans})
        operators = {t: OperatorConfig("custom", {"lambda": self._op(t)}) for t in types}
        results = [RecognizerResult(s.type, s.start, s.end, s.score) for s in spans]
        out = self.engine.anonymize(text=text, analyzer_results=results, operators=operators)
        for item in out.items:
            self.edits[item.entity_type] += 1
        return out.text

    def _op(self, type_: str) -> Callable[[str], str]:
        return lambda value: self.replacement(type_, value)


def new_engine() -> AnonymizerEngine:
    """One engine per scrub run (it holds no data; no module-level state)."""
    return AnonymizerEngine()
