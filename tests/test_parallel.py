"""tuneset.parallel: results in input order whatever the workers, errors surfaced, workers from the env."""

from __future__ import annotations

import os

import pytest

from tuneset import parallel


def _square_with_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_map_ordered_keeps_input_order_and_uses_other_processes():
    items = list(range(40))
    out = list(parallel.map_ordered(_square_with_pid, items, n_workers=2, in_flight=3))
    assert [item for item, _ in out] == items
    assert [r for _, (r, _) in out] == [x * x for x in items]
    assert {pid for _, (_, pid) in out} - {os.getpid()}, "the work ran in worker processes"


def test_one_worker_runs_in_process_and_lazily():
    seen = []

    def f(x):
        seen.append(x)
        return x + 1

    it = parallel.map_ordered(f, iter(range(5)), n_workers=1)
    assert next(it) == (0, 1)
    assert seen == [0]
    assert list(it) == [(1, 2), (2, 3), (3, 4), (4, 5)]


def test_closures_are_inherited_not_pickled():
    offset = {"value": 7}  # a closure over local state: unpicklable as a submitted function would be
    out = list(parallel.map_ordered(lambda x: x + offset["value"], range(6), n_workers=2))
    assert [r for _, r in out] == [7, 8, 9, 10, 11, 12]


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"row {x} is bad")
    return x


def test_a_worker_error_is_raised_at_its_item_with_its_message():
    got = []
    with pytest.raises(ValueError, match="row 3 is bad"):
        for item, r in parallel.map_ordered(_fail_on_three, range(8), n_workers=2):
            got.append(r)
    assert got == [0, 1, 2]


def test_workers_reads_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "3")
    assert parallel.workers() == 3
    monkeypatch.setenv(parallel.ENV, "zero")
    with pytest.raises(ValueError, match="TUNESET_WORKERS='zero' is not a whole number"):
        parallel.workers()
    monkeypatch.setenv(parallel.ENV, "0")
    with pytest.raises(ValueError, match="at least 1"):
        parallel.workers()
    monkeypatch.setenv(parallel.ENV, "2")
    assert parallel.workers(rows=10) == 2  # asked for: honoured even for a small input
    monkeypatch.delenv(parallel.ENV)
    assert parallel.workers(default=5) == 5
    assert parallel.workers() >= 1
    assert parallel.workers(default=5, rows=parallel.SMALL_INPUT_ROWS - 1) == 1
    assert parallel.workers(default=5, rows=parallel.SMALL_INPUT_ROWS) == 5


@pytest.mark.parametrize("total,workers,expected", [(100_000, 1, 50_000), (100_000, 2, 12_500),
                                                    (10_000, 2, 5_000), (10_000_000, 4, 50_000)])
def test_batch_rows(total, workers, expected):
    assert parallel.batch_rows(total, workers) == expected
