"""The quarantine rules are registered, documented, and say how to fix what they catch."""

from __future__ import annotations

import inspect

from tuneset.ingest import rules
from tuneset.rules import REGISTRY

NAMES = ("invalid_utf8", "invalid_json", "not_an_object", "unrecognized_shape", "invalid_record",
         "unreadable_file", "csv_row_width")


def test_ingest_rules_are_registered_and_documented():
    for name in NAMES:
        rule = rules.get(name)
        assert type(rule) is REGISTRY[name]
        assert (rule.name, rule.stage, rule.version) == (name, "ingest", 1)
        assert inspect.getdoc(rule) and rule.fix
        assert len(rule.fingerprint()) == 16
