"""Safe previews of untrusted text for dropped and quarantine tables.

A preview is at most 200 characters, with control characters escaped and every match of the
secret/PII patterns below replaced by a typed placeholder, so a dropped table never holds a raw
credential. The scrub stage (Presidio) is thorough; these patterns are what is available before it,
and they run on every preview whatever stage dropped the row.
"""

from __future__ import annotations

import re

PREVIEW_CHARS = 200

# Order matters: secrets before the looser number patterns that could eat parts of them.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PRIVATE_KEY", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S)),
    ("API_KEY", re.compile(r"\b(?:sk|pk|rk)-(?:proj-|live-|test-)?[A-Za-z0-9_\-]{16,}")),
    ("API_KEY", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("API_KEY", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat|glpat|xox[abprs])[-_][A-Za-z0-9_\-]{10,}")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}")),
    ("URL_CREDENTIALS", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:[^\s@/]+@", re.I)),
    ("SECRET", re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)\b(\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|\S+)")),
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")),
    ("CREDIT_CARD", re.compile(r"\b(?:\d[ \-]?){12,18}\d\b")),
    ("US_SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("PHONE", re.compile(r"(?<![\w])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)[ .\-]?)?\d{2,4}[ .\-]\d{3,4}[ .\-]?\d{3,4}\b")),
    ("IP_ADDRESS", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _placeholder(kind: str, m: re.Match[str]) -> str:
    if kind == "SECRET":  # keep the key name, hide the value
        return f"{m.group(1)}{m.group(2)}<SECRET>"
    return f"<{kind}>"


def scrub_patterns(text: str) -> str:
    """``text`` with every secret/PII pattern match replaced by ``<TYPE>``."""
    for kind, pattern in _PATTERNS:
        text = pattern.sub(lambda m, k=kind: _placeholder(k, m), text)
    return text


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else "\\ufffd", text)


def make_preview(text: str | bytes | None, limit: int = PREVIEW_CHARS) -> str:
    """At most ``limit`` characters of ``text``, scrubbed, with control characters escaped.

    Scrubbing runs on a window a little wider than the limit so a secret cut at the edge is still
    recognized; the result is cut to the limit afterwards.
    """
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    window = text[: limit * 4]
    out = _escape(scrub_patterns(window))
    return out[:limit]
