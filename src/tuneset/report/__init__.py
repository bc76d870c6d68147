"""The report stage's library: the HTML data card and the ``dvc plots`` tables.

- :func:`build_datacard` returns the whole self-contained page (``reports/datacard.html``).
- :func:`plot_tables` returns the small long-form tables for ``dvc plots``.
- ``plot_templates/*.json`` are the vega-lite specs ``dvc.yaml`` names for those tables, and
  ``vendor/dvc_plots.html`` is the ``--html-template`` that makes ``dvc plots show/diff`` render
  offline (vega, vega-lite and vega-embed inlined; see ``vendor/README.md``).
"""

from __future__ import annotations

from tuneset.report.datacard import build_datacard
from tuneset.report.plots import plot_tables
from tuneset.report.sections import NOT_ENABLED

__all__ = ["NOT_ENABLED", "build_datacard", "plot_tables"]
