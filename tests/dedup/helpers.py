"""Canonical records and frames for the dedup tests, built with the real record helpers."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tuneset.config import DedupConfig
from tuneset.frames import records_frame
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message


def sft(user: str, answer: str, *, origin: str = "production", loc: str = "1", system: str | None = None,
        file: str = "data/raw/t.jsonl", history: Sequence[tuple[str, str]] = ()) -> dict:
    msgs = [message("system", system)] if system else []
    for u, a in history:
        msgs += [message("user", u), message("assistant", a)]
    msgs += [message("user", user), message("assistant", answer)]
    unit = Unit(locator=loc, raw=f"{file}|{loc}|{user}|{answer}".encode(), parsed=Parsed(kind="sft", messages=msgs))
    return build_record(unit, SourceInfo(source="t", source_file=file, origin=origin))


def pref(prompt: str, chosen: str, rejected: str, *, origin: str = "expert", loc: str = "1",
         file: str = "data/raw/p.jsonl") -> dict:
    parsed = Parsed(kind="preference", messages=[message("user", prompt)],
                    chosen=[message("assistant", chosen)], rejected=[message("assistant", rejected)])
    unit = Unit(locator=loc, raw=f"{file}|{loc}|{prompt}|{chosen}|{rejected}".encode(), parsed=parsed)
    return build_record(unit, SourceInfo(source="p", source_file=file, origin=origin))


def frame(records: Sequence[dict]) -> pd.DataFrame:
    """A canonical frame of ``records``, in order."""
    return records_frame(list(records))


def cfg(**overrides) -> DedupConfig:
    return DedupConfig(**overrides)


# Long enough (> 70 words) that one or two word edits keep a word 5-gram Jaccard above 0.8.
LONG_Q = ("My team moved to the annual business plan last month and since then the shared folder called Quarterly "
          "Reports no longer syncs to the two laptops in the finance office, although the web app shows every file.")
LONG_A = ("Thanks for the details. When a workspace changes plan the desktop app keeps its old session token for a "
          "while, so the folder list it shows can lag behind the web app. Sign out of the desktop app on both "
          "laptops, sign back in with the same account, then open Preferences, choose Selective Sync and tick the "
          "Quarterly Reports folder again. The first sync after that can take a few minutes for large folders.")
