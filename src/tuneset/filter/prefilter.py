"""A cheap necessary condition for a regular expression: literal strings, one of which every match
must contain.

Python's ``re`` tries a pattern at every position of the text, so a list of phrases such as
``\\bas an ai\\b|\\bi'm sorry, but i can't`` costs microseconds per text even when nothing matches,
which is the common case. :func:`literals` reads the parsed pattern and finds, for each
alternative, a run of characters the match cannot avoid (``as an ai``; ``i'm sorry`` or
``i am sorry``). :class:`Prefilter` runs the expression only on texts containing one of them
(compared case-folded, so it also holds for case-insensitive patterns). A pattern without such a
run (``\\w+``) disables the prefilter: the result is always that of the expression alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

try:  # Python 3.11+
    import re._constants as C  # type: ignore[import-not-found]
    import re._parser as P  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

MAX_ALTERNATIVES = 64  # a run's alternatives are crossed (i'm|i am) x (sorry|afraid); stop growing past this
MIN_LENGTH = 2  # a shorter unavoidable run filters too little to be worth checking
_ZERO_WIDTH = {C.AT, C.ASSERT, C.ASSERT_NOT}


def _seq(items: Any) -> set[str] | None:
    """The most selective set of strings one of which every match of ``items`` contains."""
    best: set[str] | None = None
    run: set[str] = {""}

    def close() -> None:
        nonlocal best, run
        if run and run != {""} and (best is None or min(map(len, run)) > min(map(len, best))):
            best = set(run)
        run = {""}

    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        piece: set[str] | None = None
        if op == C.LITERAL:
            piece = {chr(av)}
        elif op == C.SUBPATTERN:
            piece = _whole(av[-1])
            if piece is None:  # not a fixed set of strings: use what it must contain, then restart
                close()
                inner = _seq(av[-1])
                if inner and (best is None or min(map(len, inner)) > min(map(len, best))):
                    best = inner
                continue
        elif op == C.BRANCH:
            piece = _branch(av[1])
            if piece is None:
                close()
                alts = [_seq(b) for b in av[1]]
                if all(alts):
                    union = set().union(*alts)  # type: ignore[arg-type]
                    if best is None or min(map(len, union)) > min(map(len, best)):
                        best = union
                continue
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            close()
            inner = _seq(av[2])
            if inner and (best is None or min(map(len, inner)) > min(map(len, best))):
                best = inner
            continue
        if piece is None:
            close()
            continue
        crossed = {a + b for a in run for b in piece}  # type: ignore[union-attr]
        if len(crossed) > MAX_ALTERNATIVES:  # too many: end the run here, start a new one
            close()
            crossed = set(piece)
        run = crossed
    close()
    return best


def _whole(items: Any) -> set[str] | None:
    """The exact strings ``items`` matches when it is only literals and branches of them."""
    out: set[str] = {""}
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op == C.LITERAL:
            piece = {chr(av)}
        elif op == C.SUBPATTERN:
            piece = _whole(av[-1])  # type: ignore[assignment]
        elif op == C.BRANCH:
            piece = _branch(av[1])  # type: ignore[assignment]
        else:
            return None
        if piece is None:
            return None
        out = {a + b for a in out for b in piece}
        if len(out) > MAX_ALTERNATIVES:
            return None
    return out


def _branch(branches: Sequence[Any]) -> set[str] | None:
    out: set[str] = set()
    for b in branches:
        w = _whole(b)
        if w is None:
            return None
        out |= w
    return out


def literals(pattern: str) -> set[str] | None:
    """Case-folded strings one of which every match of ``pattern`` contains, or None when the
    pattern has no unavoidable run of at least ``MIN_LENGTH`` characters."""
    try:
        parsed = P.parse(pattern, 0)
    except re.error:
        return None
    found = _seq(list(parsed))
    if not found or min(map(len, found)) < MIN_LENGTH:
        return None
    return {s.casefold() for s in found}


class Prefilter:
    """``may_match(text)`` is False only when no pattern can match ``text``."""

    def __init__(self, patterns: Sequence[str]) -> None:
        needed: set[str] = set()
        self.active = True
        for p in patterns:
            found = literals(p)
            if found is None:
                self.active = False
                break
            needed |= found
        # Shortest first: a short literal inside a longer one makes the longer one redundant.
        kept: list[str] = []
        for s in sorted(needed, key=lambda s: (len(s), s)):
            if not any(k in s for k in kept):
                kept.append(s)
        self.needed = tuple(kept)

    def may_match(self, text: str) -> bool:
        if not self.active:
            return True
        folded = text.casefold()
        return any(s in folded for s in self.needed)


# --- phrase lists as one expression -------------------------------------------------------------

_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def scoped(pattern: str) -> str:
    """``pattern`` as a group that can be joined with others: leading global flags such as
    ``(?i)`` become scoped ones (``(?i:...)``)."""
    m = _GLOBAL_FLAGS.match(pattern)
    return f"(?{m.group(1)}:{pattern[m.end():]})" if m else f"(?:{pattern})"


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...], flags: int) -> tuple[re.Pattern[str], Prefilter]:
    return re.compile("|".join(scoped(p) for p in patterns), flags), Prefilter(patterns)


def compile_patterns(patterns: tuple[str, ...], flags: int = 0) -> tuple[re.Pattern[str], Prefilter]:
    """The patterns as one expression, and the prefilter that skips texts none can match; a bad
    expression is a ValueError naming it."""
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"pattern {p!r} is not a valid regular expression: {exc}") from None
    return _compiled(tuple(patterns), flags)


def count_matches(texts: list[str], rx: re.Pattern[str], pre: Prefilter) -> list[int]:
    """Matches of ``rx`` in each text (texts the prefilter rules out are not searched)."""
    return [len(rx.findall(t)) if t and pre.may_match(t) else 0 for t in texts]


class PatternCounter:
    """Counts the matches of a list of patterns in many texts at once.

    The patterns run as one expression with RE2 through Arrow (``count_substring_regex``: C++, linear
    time, no backtracking) when RE2 accepts it; otherwise (lookbehind, backreferences) with
    Python's ``re`` behind a :class:`Prefilter`. Both count non-overlapping matches. In RE2 ``\\w``,
    ``\\d`` and ``\\b`` are ASCII-only.
    """

    def __init__(self, patterns: Sequence[str], ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        self.expression = "|".join(scoped(p) for p in patterns)
        self.rx, self.pre = compile_patterns(tuple(patterns), re.IGNORECASE if ignore_case else 0)
        self.engine = "re2" if _re2_accepts(self.expression, ignore_case) else "python"

    def count(self, texts: Sequence[str]) -> Any:
        import numpy as np

        if self.engine == "re2":
            import pyarrow as pa
            import pyarrow.compute as pc

            arr = pa.array(list(texts), type=pa.large_string())
            counts = pc.count_substring_regex(arr, self.expression, ignore_case=self.ignore_case)
            return np.asarray(counts.to_numpy(zero_copy_only=False), dtype="int64")
        return np.asarray(count_matches(list(texts), self.rx, self.pre), dtype="int64")

    def count_lists(self, lists: Sequence[Sequence[str]]) -> Any:
        """Matches summed over each list of texts (the turns of one example)."""
        import numpy as np

        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        flat = [t for x in lists for t in x]
        per_text = self.count(flat)
        rows = np.repeat(np.arange(len(lists)), lengths)
        return np.bincount(rows, weights=per_text, minlength=len(lists)).astype("int64")


@lru_cache(maxsize=32)
def _re2_accepts(expression: str, ignore_case: bool) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.count_substring_regex(pa.array([""], type=pa.large_string()), expression, ignore_case=ignore_case)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
