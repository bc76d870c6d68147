"""Fixtures of the data card tests; the data itself is built in report_world.py."""

from __future__ import annotations

import pytest
from report_world import World, cut_section, cut_stage, make_world


@pytest.fixture
def world(tmp_path) -> World:
    return make_world(tmp_path)


@pytest.fixture
def section():
    return cut_section


@pytest.fixture
def stage_block():
    return cut_stage
