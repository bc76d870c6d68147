from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from tuneset import ledger
from tuneset import schema as col
from tuneset.rules import REGISTRY, Rule, register


@register
@dataclass(frozen=True)
class _TestTooShort(Rule):
    """Test rule: drops answers shorter than ``min_chars``."""

    name: ClassVar[str] = "test_too_short"
    stage: ClassVar[str] = "filter"
    min_chars: int = 5


def test_rule_fingerprint_hashes_params_and_version():
    assert REGISTRY["test_too_short"] is _TestTooShort
    a, b = _TestTooShort(), _TestTooShort(min_chars=6)
    assert a.fingerprint() != b.fingerprint() and len(a.fingerprint()) == 16
    assert a.describe()["doc"].startswith("Test rule")


def test_dropped_row_has_every_column_and_scrubbed_preview(record_factory):
    rec = record_factory(answer="Mail me at jane.doe@example.com, key sk-proj-abcdefghijklmnopqrstuvwx " + "x" * 400)
    row = ledger.dropped_row(rec, stage="filter", rule=_TestTooShort(), reason="too short")
    assert tuple(row) == col.DROPPED_COLUMNS
    assert "jane.doe@example.com" not in row[col.PREVIEW] and "<EMAIL>" in row[col.PREVIEW]
    assert "sk-proj" not in row[col.PREVIEW] and len(row[col.PREVIEW]) <= 200
    assert '"rule_version":1' in row[col.DETAILS]


def test_dropped_frame_sorts_in_file_order(record_factory):
    rows = [ledger.dropped_row(record_factory(locator=loc), stage="filter", rule=_TestTooShort(), reason="r")
            for loc in ("10", "9", "[2]/thread-1", "[2]/thread-0")]
    assert ledger.dropped_frame(rows)[col.LOCATOR].tolist() == ["9", "10", "[2]/thread-0", "[2]/thread-1"]
    assert ledger.dropped_frame([]).columns.tolist() == list(col.DROPPED_COLUMNS)


def _books(record_factory):
    recs = [record_factory(locator=str(i)) for i in range(4)]
    raw = [r[col.ORIGIN_ID] for r in recs]
    kept = pd.DataFrame({col.ORIGIN_ID: raw[:2], col.SPLIT: ["train", "test"]})
    dropped = ledger.dropped_frame([ledger.dropped_row(recs[2], stage="ingest", rule=_TestTooShort(), reason="r"),
                                    ledger.dropped_row(recs[3], stage="filter", rule=_TestTooShort(), reason="r")])
    return raw, kept, dropped


def test_lineage_balances(record_factory):
    raw, kept, dropped = _books(record_factory)
    books = ledger.lineage(raw, kept, dropped)
    assert books["balanced"] and books["quarantined"] == 1 and books["dropped"] == 1 and books["kept"] == 2
    assert books["by_split"] == {"train": 1, "val": 0, "test": 1}


def test_lineage_catches_lost_double_counted_and_unknown_units(record_factory):
    raw, kept, dropped = _books(record_factory)
    lost = ledger.lineage(raw, kept.iloc[:1], dropped)
    assert not lost["balanced"] and lost["breaches"]["lost"] == 1
    both = ledger.lineage(raw, pd.concat([kept, pd.DataFrame({col.ORIGIN_ID: [raw[3]], col.SPLIT: ["val"]})]), dropped)
    assert not both["balanced"] and both["breaches"]["kept_and_dropped"] == 1
    unknown = ledger.lineage(raw[:3], kept, dropped)
    assert not unknown["balanced"] and unknown["breaches"]["unknown"] == 1
