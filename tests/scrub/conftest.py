"""Fixtures of the scrub tests: configs, a detector without NER (fast), a salt, and frames of records."""

from __future__ import annotations

import pytest

from tuneset.config import PiiConfig
from tuneset.frames import records_frame
from tuneset.scrub.detectors import Detector

SALT = "test-salt-for-unit-tests"


def cfg(**overrides) -> PiiConfig:
    return PiiConfig(**{"ner": False, **overrides})


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector(cfg())


@pytest.fixture
def frame(record_factory):
    def make(*pairs, group: str | None = None, **kw):
        return records_frame([record_factory(u, a, locator=str(i), group=group, **kw) for i, (u, a) in enumerate(pairs, 1)])
    return make
