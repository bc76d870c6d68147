"""Batches judged on several cores, results taken in input order.

The row-wise stages (normalize, filter) read their input in batches, and each batch is judged on
its own: a pure function of the batch and the configuration. :func:`map_ordered` runs such a
function over the batches in worker processes and yields the results in the order of the input, so
the outputs are byte-identical whatever the number of workers (tests/test_parallel.py and the
stages' parity tests check this).

Workers are forked, so the function (a closure over rules, tokenizers, compiled patterns) is
inherited, not pickled; only the batches and the results cross between processes. Send Arrow tables
(a buffer copy) rather than DataFrames of nested Python objects (pickling those costs as much as
the work). At most ``2 * workers`` batches are in flight, so memory stays bounded.

The number of workers is a property of the machine, not of the dataset, so it is not a DVC param
(changing it must not invalidate outputs): ``TUNESET_WORKERS`` sets it, and it defaults to the CPUs
this process may use.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ENV = "TUNESET_WORKERS"

_FUNCTION: Callable[[Any], Any] | None = None  # set in the parent before the fork; workers inherit it


#: Below this many rows the default is one process: starting workers costs more than they save
#: (bench/validate.py: 10k rows ran at 17.4k rows/s in one process, 12.8k with two workers).
SMALL_INPUT_ROWS = 20_000


def workers(default: int | None = None, rows: int | None = None) -> int:
    """Worker processes to use: ``TUNESET_WORKERS`` when set, else ``default``, else the usable CPUs,
    except that an input of fewer than :data:`SMALL_INPUT_ROWS` ``rows`` gets one unless the
    environment asks for more."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"{ENV}={raw!r} is not a whole number; set it to the worker processes to use, "
                             "e.g. 2 (1 runs in-process)") from None
        if n < 1:
            raise ValueError(f"{ENV}={n} must be at least 1")
        return n
    if rows is not None and rows < SMALL_INPUT_ROWS:
        return 1
    if default is not None:
        return max(1, default)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def batch_rows(total: int, n_workers: int, most: int = 50_000, least: int = 5_000) -> int:
    """Rows per batch: ``most`` in one process; with workers, small enough that each gets about four
    batches (a late large batch would leave the others idle), but not below ``least``."""
    if n_workers <= 1:
        return most
    return max(least, min(most, -(-total // (4 * n_workers))))


def without_gc(function: Callable[[T], R], item: T) -> R:
    """``function(item)`` with the cyclic garbage collector paused: judging a batch allocates
    millions of short-lived objects, and each collection would rescan every live one (10-20% of the
    time, measured); the few cycles made are collected once it resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return function(item)
    finally:
        if was_enabled:
            gc.enable()


def _call(item: Any) -> Any:
    assert _FUNCTION is not None, "map_ordered's function is set before the workers start"
    return without_gc(_FUNCTION, item)


def map_ordered(function: Callable[[T], R], items: Iterable[T], n_workers: int = 1,
                in_flight: int | None = None) -> Iterator[tuple[T, R]]:
    """``(item, function(item))`` for each item, in the order of ``items``.

    With ``n_workers`` of 1, or where ``fork`` is unavailable, everything runs in this process,
    lazily. Otherwise ``function`` runs in ``n_workers`` forked processes with at most ``in_flight``
    items (default ``2 * n_workers``) submitted and not yet yielded. An exception in a worker is
    raised here, at its item, with its original type and message.
    """
    if n_workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for item in items:
            yield item, without_gc(function, item)
        return
    global _FUNCTION
    if _FUNCTION is not None:
        raise RuntimeError("map_ordered is already running in this process; nested pools are not supported")
    limit = max(1, in_flight or 2 * n_workers)
    _FUNCTION = function
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for item in items:
                pending.append((item, pool.submit(_call, item)))
                if len(pending) >= limit:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
    finally:
        for _, future in pending:
            future.cancel()
        _FUNCTION = None
