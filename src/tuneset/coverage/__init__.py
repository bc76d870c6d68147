"""Labels and coverage: name the subgroups of the dataset, count them, and list what is missing.

- :mod:`tuneset.coverage.labels`: labels written on kept examples, from source fields, filter
  rules, keyword/regex taxonomies and the example itself (``filter.labels``);
- :mod:`tuneset.coverage.matrix`: counts by label and label pair, targets with fill rates, and gaps
  (``filter.coverage``, ``reports/coverage.json``);
- :mod:`tuneset.coverage.checks`: start-up checks of that config.

The filter stage computes the labels and the report (:class:`tuneset.filter.FilterRun`); balance
caps per label value are the filter's ``balance_cap`` rule (:mod:`tuneset.filter.balance`).
"""

from tuneset.coverage.labels import Taxonomy, assign_labels, compute_labels, length_bucket
from tuneset.coverage.matrix import CoverageTally

__all__ = ["CoverageTally", "Taxonomy", "assign_labels", "compute_labels", "length_bucket"]
