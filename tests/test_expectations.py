"""The suites in expectations/ load completely, match the schema, and bad suites are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneset import schema as col
from tuneset.gate import DERIVED_COLUMNS, SuiteError, load_suite

SUITES_DIR = Path(__file__).resolve().parents[1] / "expectations"
SUITE_FILES = sorted(SUITES_DIR.glob("*.json"))
KNOWN_COLUMNS = set(col.RECORD_COLUMNS) | set(col.STAGE_COLUMNS) | set(col.MANIFEST_COLUMNS) | set(col.DROPPED_COLUMNS) | set(DERIVED_COLUMNS)


def _spec(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_gated_artifact_has_a_suite():
    assert {p.stem for p in SUITE_FILES} >= {"ingested", "normalized", "split", "manifest", "dropped"}


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_loads_every_expectation(path: Path):
    spec = _spec(path)
    suite = load_suite(path)
    assert suite.name == spec["name"] == path.stem
    assert len(suite.expectations) == len(spec["expectations"])
    assert [e.expectation_type for e in suite.expectations] == [e["type"] for e in spec["expectations"]]


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_columns_are_known(path: Path):
    """A typo in a column name would make an expectation fail on good data (or test nothing)."""
    for i, e in enumerate(_spec(path)["expectations"]):
        kw = e["kwargs"]
        names = [kw["column"]] if "column" in kw else list(kw.get("column_set", []))
        for name in names:
            assert name in KNOWN_COLUMNS, f"{path.name} [{i}] names unknown column {name!r}"


def _column_set(name: str) -> tuple[list[str], bool]:
    for e in _spec(SUITES_DIR / f"{name}.json")["expectations"]:
        if e["type"] == "expect_table_columns_to_match_set":
            return e["kwargs"]["column_set"], e["kwargs"].get("exact_match", True)
    raise AssertionError(f"{name}.json has no expect_table_columns_to_match_set")


def test_suites_follow_the_schema():
    assert _column_set("ingested") == (list(col.RECORD_COLUMNS), False)
    assert _column_set("normalized") == (list(col.RECORD_COLUMNS), False)
    assert _column_set("split") == (list(col.RECORD_COLUMNS) + [col.SPLIT, col.CLUSTER_ID], False)
    assert _column_set("manifest") == (list(col.MANIFEST_COLUMNS), True)
    assert _column_set("dropped") == (list(col.DROPPED_COLUMNS), True)
    for name in ("ingested", "normalized", "split", "manifest", "dropped"):
        spec = _spec(SUITES_DIR / f"{name}.json")
        columns, _ = _column_set(name)
        exist = [e["kwargs"]["column"] for e in spec["expectations"] if e["type"] == "expect_column_to_exist"]
        assert exist == columns, name
        rows = [e["kwargs"] for e in spec["expectations"] if e["type"] == "expect_table_row_count_to_be_between"]
        assert rows == [{"min_value": 0 if name == "dropped" else 1}], name


def _write(tmp_path: Path, expectations: list, name: str = "broken") -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"name": name, "expectations": expectations}), encoding="utf-8")
    return path


def test_unknown_type_is_an_error_naming_file_index_and_type(tmp_path: Path):
    path = _write(tmp_path, [
        {"type": "expect_column_to_exist", "kwargs": {"column": "origin_id"}},
        {"type": "expect_column_values_to_be_uniqe", "kwargs": {"column": "origin_id"}},
    ])
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "[1]" in msg
    assert "expect_column_values_to_be_uniqe" in msg


@pytest.mark.parametrize("kwargs", [
    {"colum": "origin_id", "value_set": ["a"]},          # typo'd key
    {"column": "kind", "value_set": "sft"},              # wrong type
    {"value_set": ["sft"]},                              # missing column
], ids=["typo", "wrong-type", "missing"])
def test_bad_kwargs_are_an_error(tmp_path: Path, kwargs: dict):
    path = _write(tmp_path, [{"type": "expect_column_values_to_be_in_set", "kwargs": kwargs}])
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    msg = str(info.value)
    assert str(path) in msg and "[0]" in msg and "expect_column_values_to_be_in_set" in msg


def test_between_without_bounds_is_an_error(tmp_path: Path):
    path = _write(tmp_path, [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "n_tokens"}}])
    with pytest.raises(SuiteError, match="expect_column_values_to_be_between"):
        load_suite(path)


@pytest.mark.parametrize("text,why", [
    ("{not json", "not a readable JSON suite"),
    ('{"expectations": []}', "'name'"),
    ('{"name": "x", "expectations": []}', "non-empty list"),
    ('{"name": "x", "expectations": [{"type": "expect_column_to_exist", "kwarg": {"column": "a"}}]}', "unknown key"),
    ('{"name": "x", "expectation": []}', "unknown top-level key"),
], ids=["json", "no-name", "empty", "expectation-key", "top-key"])
def test_malformed_suite_files_are_errors(tmp_path: Path, text: str, why: str):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert str(path) in str(info.value) and why in str(info.value)


def test_missing_suite_file_is_an_error(tmp_path: Path):
    with pytest.raises(SuiteError, match="not found"):
        load_suite(tmp_path / "nope.json")


def test_bad_severity_is_an_error(tmp_path: Path):
    path = _write(tmp_path, [{"type": "expect_column_to_exist", "kwargs": {"column": "kind"}, "severity": "fatal"}])
    with pytest.raises(SuiteError, match="severity 'fatal'"):
        load_suite(path)
