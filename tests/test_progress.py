"""Progress bars: rows/s on a terminal, not a byte anywhere else."""

from __future__ import annotations

import io
import re

import pytest

from tuneset import stagekit
from tuneset.progress import ENV, Progress, enabled, track


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def test_quiet_when_not_a_terminal():
    out = io.StringIO()
    with Progress("normalize", 50_000, stream=out) as bar:
        assert not bar.active
        for done in range(0, 50_001, 10_000):
            bar(done)
    assert out.getvalue() == ""
    assert list(track(range(5), "x", stream=out)) == [0, 1, 2, 3, 4] and out.getvalue() == ""


def test_bar_with_rows_per_second_on_a_terminal():
    out = Terminal()
    with Progress("normalize", 30_000, stream=out, min_interval=0) as bar:
        assert bar.active
        for done in (10_000, 20_000, 30_000):
            bar(done)
    text = out.getvalue()
    assert "normalize" in text and "30.0k/30.0k" in text
    assert re.search(r"[0-9.]+[kM]? rows/s", text), text  # a measured rate, not just the unit


def test_environment_overrides_the_terminal_check(monkeypatch):
    monkeypatch.setenv(ENV, "0")
    assert not enabled(Terminal())
    out = Terminal()
    assert list(track(["a", "b"], "scrub", stream=out)) == ["a", "b"] and out.getvalue() == ""
    monkeypatch.setenv(ENV, "1")
    out = io.StringIO()
    assert list(track(["a", "b"], "scrub", stream=out)) == ["a", "b"]
    assert "scrub" in out.getvalue() and "rows/s" in out.getvalue()


def test_stagekit_progress_is_the_same_callback(capsys):
    report = stagekit.progress("filter", 20_000)
    report(10_000)
    report(20_000)
    report.close()
    assert capsys.readouterr().err == ""  # pytest's captured stderr is no terminal
