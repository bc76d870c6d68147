"""Recall and precision per type on presidio-research's gold spans (../shared/data/presidio-pii)."""

from __future__ import annotations

import json

import pytest

from tuneset.scrub.detectors import Detector
from tuneset.scrub.evaluate import evaluate, format_table

from .conftest import cfg


@pytest.mark.shared
def test_presidio_pii_recall_and_precision(shared_data):
    rows = []
    for name in ("synth_dataset_v2.json", "generated_small.json"):
        rows += json.loads((shared_data / "presidio-pii" / name).read_text(encoding="utf-8"))
    table = evaluate(rows, Detector(cfg(ner=True)))
    print("\n" + format_table(table))
    for type_ in ("EMAIL", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS"):
        assert table[type_]["recall"] >= 0.99, (type_, table[type_])
    assert table["PHONE"]["recall"] >= 0.95, table["PHONE"]
    # PERSON: issue 4's target is 0.85; the small spaCy model plus the name rules reach 0.854 (0.811 on the
    # held-out templates), the md model (opt-in, see bench/README.md) 0.894. Floors against regressions.
    assert table["PERSON"]["recall"] >= 0.84, table["PERSON"]
    assert table["PERSON"]["precision"] >= 0.74, table["PERSON"]
    assert table["ADDRESS"]["recall"] >= 0.50 and table["ADDRESS"]["precision"] >= 0.95, table["ADDRESS"]
    for type_ in ("EMAIL", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS"):
        assert table[type_]["precision"] >= 0.95, (type_, table[type_])
