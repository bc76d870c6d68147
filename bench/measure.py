"""What the benches share: the CPU time of a measurement that may use worker processes."""

from __future__ import annotations

import resource


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its reaped children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
