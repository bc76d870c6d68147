"""Progress of long stage steps: a tqdm bar with rows/s on a terminal, nothing anywhere else.

A stage run by ``dvc repro`` in a terminal shows a live bar on stderr; the same stage in CI, in a log
file or behind a pipe prints nothing, so logs hold only the stage's own summary lines and outputs stay
byte-identical. ``TUNESET_PROGRESS=0`` turns the bar off on a terminal too, ``TUNESET_PROGRESS=1``
forces it on (for instance under a tool that captures stderr but shows it live).

Library functions take an optional ``progress`` callback ``(rows_done) -> None`` and call it now and
then; stage scripts pass a :class:`Progress`::

    with Progress("normalize", total=len(df)) as progress:
        result = normalize(df, cfg, progress=progress)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")
ENV = "TUNESET_PROGRESS"


def enabled(stream: IO[str] | None = None) -> bool:
    """Whether a bar should be drawn on ``stream`` (stderr by default)."""
    forced = os.environ.get(ENV, "").strip().lower()
    if forced in ("0", "false", "no", "off"):
        return False
    if forced in ("1", "true", "yes", "on"):
        return True
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """Rows done out of ``total`` for one step of ``stage``; call it with the running count of rows done.

    Quiet (no output at all) unless :func:`enabled`. The bar is transient: it disappears when the step
    ends, leaving the stage's own summary line.
    """

    def __init__(self, stage: str, total: int | None = None, *, stream: IO[str] | None = None,
                 unit: str = "rows", min_interval: float = 0.2) -> None:
        self._bar: Any = None
        stream = sys.stderr if stream is None else stream
        if enabled(stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=stage, unit=f" {unit}", unit_scale=True, file=stream, leave=False,
                             dynamic_ncols=True, mininterval=min_interval, miniters=1,
                             smoothing=0.1)

    @property
    def active(self) -> bool:
        return self._bar is not None

    def __call__(self, done: int) -> None:
        if self._bar is not None and done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(items: Iterable[T], stage: str, total: int | None = None, *, stream: IO[str] | None = None,
          unit: str = "rows") -> Iterator[T]:
    """``items`` unchanged, with a bar while they are consumed (see :class:`Progress`)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(stage, total, stream=stream, unit=unit) as bar:
        for item in items:
            yield item
            bar.advance()
