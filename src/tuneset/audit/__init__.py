"""Provenance and audit: explain any example, diff dataset versions, know which models trained on what.

Everything here reads what the pipeline wrote: ``data/final/`` (manifest, examples, dropped table,
VERSION.json and the per-version index that export writes under ``data/final/index/``), ``dvc.lock``,
``params.yaml`` and ``reports/`` at git revisions (through DVC for the cached outputs),
``models/registry.yaml`` and ``conf/exclude/``. There is no second bookkeeping system that could drift.

Modules: :mod:`.store` (a dataset version at a rev or in the workspace), :mod:`.index` (the
per-version lookup index), :mod:`.resolve` (ids and prefixes), :mod:`.explain`, :mod:`.diff`,
:mod:`.models`, :mod:`.exclude` (the ``excluded`` ingest rule), :mod:`.forget`, :mod:`.cli`.
"""

from __future__ import annotations


class AuditError(Exception):
    """A plain, user-facing problem: an unknown or ambiguous id, a missing cache, a bad registry.

    The message names what is wrong and the command that fixes it; the CLI prints it as is.
    """
