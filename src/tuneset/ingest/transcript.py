"""Plain-text transcripts: conversations of ``Speaker: text`` turns.

Conversations are separated by ``---`` lines; a file without any is cut at blank lines instead, and
a blank-line block that does not start with a speaker label continues the previous conversation
(a multi-paragraph turn), so paragraphs are never torn from their turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneset.ingest.rules import UnitError
from tuneset.ingest.units import RawUnit
from tuneset.records import message

ROLES = {
    "user": "user", "human": "user", "customer": "user",
    "assistant": "assistant", "agent": "assistant", "ai": "assistant", "bot": "assistant",
    "system": "system",
}
SPEAKER = re.compile(r"(user|human|customer|assistant|agent|ai|bot|system)[ \t]*:", re.I)
_SEPARATOR = re.compile(r"-{3,}[ \t\r]*")
LABELS = "User:/Human:/Customer:, Assistant:/Agent:/AI:/Bot:, System:"


def has_speakers(text: str) -> bool:
    return any(SPEAKER.match(line) for line in text.split("\n", 200)[:200])


def units(text: str) -> Iterator[RawUnit]:
    """One unit per conversation: locator = 1-based line where it starts, raw = its lines as in the file."""
    lines = text.split("\n")
    separated = any(_SEPARATOR.fullmatch(line) for line in lines)
    blocks: list[tuple[int, int]] = []  # [start, end) line indexes
    start: int | None = None
    last_content = -1
    for i, line in enumerate(lines):
        is_break = _SEPARATOR.fullmatch(line) if separated else not line.strip()
        if is_break or not line.strip():
            if is_break and start is not None:
                blocks.append((start, last_content + 1))
                start = None
            continue
        if start is None:
            if not separated and blocks and not SPEAKER.match(line):
                start = blocks.pop()[0]  # a paragraph continuing the previous turn
            else:
                start = i
        last_content = i
    if start is not None:
        blocks.append((start, last_content + 1))
    for a, b in blocks:
        block = "\n".join(lines[a:b])
        yield RawUnit(str(a + 1), block.encode("utf-8", "surrogatepass"), block)


def parse(text: str) -> list[dict]:
    """The messages of one conversation; continuation lines belong to the previous turn."""
    turns: list[tuple[str, list[str]]] = []
    for n, line in enumerate(text.split("\n"), 1):
        if line[-1:] == "\r":
            line = line[:-1]
        m = SPEAKER.match(line)
        if m:
            content = line[m.end():]
            if content[:1] == " ":
                content = content[1:]  # the separator after the colon, not part of the text
            turns.append((ROLES[m.group(1).lower()], [content]))
        elif turns:
            turns[-1][1].append(line)
        elif line.strip():
            if not any(SPEAKER.match(x) for x in text.split("\n")):
                break
            raise UnitError("invalid_record", f"text before the first speaker label (line {n} of the conversation)")
    if not turns:
        raise UnitError("unrecognized_shape", f"no speaker label ({LABELS}) at the start of any line")
    return [message(role, "\n".join(parts)) for role, parts in turns]
