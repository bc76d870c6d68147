"""Great Expectations gates: validate a stage's output against a suite in ``expectations/``.

A suite is a plain JSON file (GX 1.x format: ``{"name", "expectations": [{"type", "kwargs",
"meta"?}]}``) reviewed like code. :func:`load_suite` refuses a suite GX would quietly shrink (an
unknown ``type`` is logged and dropped by ``gx.ExpectationSuite``, so the suite would pass
vacuously) and names the file, the index and the type of the offending expectation.

GX cannot check list or dict values, so canonical records are validated through
:func:`flat_view`: the nested columns (messages, chosen, rejected, labels) are replaced by their
item counts and scalar columns derived from them are added (roles, counts, ``structure_ok``).
A Parquet output is gated through :func:`flat_view_of_parquet`, which builds the same frame from
the Arrow arrays (:func:`flat_view_of_table`: list offsets and lengths, the first and last
messages' struct fields), reading only the message fields the view needs, so the nested values
never become Python lists and dicts.

The JSON report is deterministic: GX's load timestamps, run ids and tracebacks (which name
absolute paths) are removed, and results are put in suite order, so the same data and suite give a
byte-identical report on every run.

``great_expectations`` takes about 3 s to import; it is imported on the first :func:`validate`,
never when this module is imported, and the ephemeral context is built once per process.
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tuneset import schema as col

if TYPE_CHECKING:  # pragma: no cover
    import great_expectations as gx

# Derived columns of the flat view.
N_MESSAGES = "n_messages"
FIRST_ROLE = "first_role"
LAST_ROLE = "last_role"
LAST_CONTENT_CHARS = "last_content_chars"
N_CHOSEN = "n_chosen"
N_REJECTED = "n_rejected"
HAS_TOOLS = "has_tools"
N_LABELS = "n_labels"
STRUCTURE_OK = "structure_ok"

NESTED_COLUMNS = (col.MESSAGES, col.CHOSEN, col.REJECTED, col.LABELS)
DERIVED_COLUMNS = (N_MESSAGES, FIRST_ROLE, LAST_ROLE, LAST_CONTENT_CHARS, N_CHOSEN, N_REJECTED,
                   HAS_TOOLS, N_LABELS, STRUCTURE_OK)

SAMPLE_VALUES = 5
SAMPLE_CHARS = 80
RESULT_FORMAT = "SUMMARY"

_SUITE_KEYS = {"name", "expectations", "meta", "notes"}
_EXPECTATION_KEYS = {"type", "kwargs", "meta", "notes", "severity", "description"}


class SuiteError(ValueError):
    """A suite file that cannot be used as written (the message names the file and the fix)."""


class GateFailed(RuntimeError):
    """Raised by :func:`enforce` when a gate did not pass; the message is the failure summary."""


# --------------------------------------------------------------------------------------------
# Suites


def _read_suite_spec(path: Path) -> dict[str, Any]:
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"{path}: suite file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SuiteError(f"{path}: not a readable JSON suite: {e}") from None
    if not isinstance(spec, dict):
        raise SuiteError(f"{path}: a suite is a JSON object with 'name' and 'expectations'")
    unknown = sorted(set(spec) - _SUITE_KEYS)
    if unknown:
        raise SuiteError(f"{path}: unknown top-level key(s) {unknown}; allowed: {sorted(_SUITE_KEYS)}")
    if not isinstance(spec.get("name"), str) or not spec["name"].strip():
        raise SuiteError(f"{path}: 'name' must be a non-empty string")
    exps = spec.get("expectations")
    if not isinstance(exps, list) or not exps:
        raise SuiteError(f"{path}: 'expectations' must be a non-empty list")
    for i, e in enumerate(exps):
        where = f"{path}: expectation [{i}]"
        if not isinstance(e, dict):
            raise SuiteError(f"{where} is not an object")
        unknown = sorted(set(e) - _EXPECTATION_KEYS)
        if unknown:
            raise SuiteError(f"{where} ({e.get('type')!r}) has unknown key(s) {unknown}; "
                             f"allowed: {sorted(_EXPECTATION_KEYS)}")
        if not isinstance(e.get("type"), str) or not e["type"]:
            raise SuiteError(f"{where} has no 'type'")
        if not isinstance(e.get("kwargs", {}), dict):
            raise SuiteError(f"{where} ({e['type']}): 'kwargs' must be an object")
        if not isinstance(e.get("meta", {}), dict):
            raise SuiteError(f"{where} ({e['type']}): 'meta' must be an object")
    return spec


def load_suite(path: Path) -> gx.ExpectationSuite:
    """The suite in ``path``; every expectation in the file is in it, or :class:`SuiteError`."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.metadata_types import FailureSeverity

    path = Path(path)
    spec = _read_suite_spec(path)
    expectations = []
    for i, e in enumerate(spec["expectations"]):
        where = f"{path}: expectation [{i}] {e['type']!r}"
        try:
            config = ExpectationConfiguration(
                type=e["type"], kwargs=dict(e.get("kwargs") or {}), meta=e.get("meta"),
                notes=e.get("notes"), description=e.get("description"),
                **({"severity": FailureSeverity(e["severity"])} if "severity" in e else {}),
            )
            expectations.append(config.to_domain_obj())
        except ExpectationNotFoundError:
            raise SuiteError(f"{where}: unknown expectation type (GX would drop it and the suite "
                             f"would pass without it); check the spelling") from None
        except Exception as exc:  # noqa: BLE001 - pydantic, GX and enum errors all mean "invalid"
            detail = " ".join(str(exc).split())
            raise SuiteError(f"{where}: invalid expectation (kwargs {e.get('kwargs')!r}, severity "
                             f"{e.get('severity', 'critical')!r}): {detail}") from None
    suite = gx.ExpectationSuite(name=spec["name"], expectations=expectations)
    if len(suite.expectations) != len(spec["expectations"]):  # belt and braces: GX drops silently
        raise SuiteError(f"{path}: GX kept {len(suite.expectations)} of "
                         f"{len(spec['expectations'])} expectations")
    return suite


# --------------------------------------------------------------------------------------------
# The flat view


def _is_seq(v: Any) -> bool:
    return v is not None and not isinstance(v, (str, bytes, Mapping)) and hasattr(v, "__len__")


def _count(v: Any) -> int | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, Mapping) or _is_seq(v):
        return len(v)
    return None


def _field(m: Any, key: str) -> Any:
    return m.get(key) if isinstance(m, Mapping) else None


def flat_view(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` that GX can validate: no list/dict values, derived scalar columns added.

    Each nested column (messages, chosen, rejected, labels) keeps its name but holds its item
    count (null where the value is null), so a suite can still check that the column exists and
    is filled. Derived columns are added for each nested column present: ``n_messages``,
    ``first_role``, ``last_role``, ``last_content_chars`` (0 when the content is null),
    ``n_chosen``, ``n_rejected``, ``n_labels`` (0 when null), ``has_tools`` (tools is non-empty
    text) and ``structure_ok`` (needs kind and messages): an sft row ends with a non-empty
    assistant turn; a preference prompt ends with a user turn and has at least one chosen and one
    rejected turn. The index is kept, so GX's unexpected-row indexes point at rows of ``df``.
    """
    out = df.copy(deep=False)
    idx = df.index
    ints = lambda values: pd.Series(values, index=idx, dtype="int64")  # noqa: E731
    objs = lambda values: pd.Series(values, index=idx, dtype=object)  # noqa: E731

    def counts(name: str) -> list[int]:
        return [_count(v) or 0 for v in df[name].tolist()]

    if col.MESSAGES in df.columns:
        msgs = [m if _is_seq(m) else () for m in df[col.MESSAGES].tolist()]
        firsts = [_field(m[0], "role") if len(m) else None for m in msgs]
        lasts = [m[-1] if len(m) else None for m in msgs]
        out[N_MESSAGES] = ints([len(m) for m in msgs])
        out[FIRST_ROLE] = objs(firsts)
        out[LAST_ROLE] = objs([_field(m, "role") for m in lasts])
        out[LAST_CONTENT_CHARS] = ints([len(c) if isinstance(c := _field(m, "content"), str) else 0
                                        for m in lasts])
    if col.CHOSEN in df.columns:
        out[N_CHOSEN] = ints(counts(col.CHOSEN))
    if col.REJECTED in df.columns:
        out[N_REJECTED] = ints(counts(col.REJECTED))
    if col.TOOLS in df.columns:
        out[HAS_TOOLS] = pd.Series([isinstance(t, str) and t != "" for t in df[col.TOOLS].tolist()],
                                   index=idx, dtype=bool)
    if col.LABELS in df.columns:
        out[N_LABELS] = ints(counts(col.LABELS))
    if col.KIND in df.columns and col.MESSAGES in df.columns:
        n = len(df)
        chosen = out[N_CHOSEN].tolist() if N_CHOSEN in out.columns else [0] * n
        rejected = out[N_REJECTED].tolist() if N_REJECTED in out.columns else [0] * n
        ok = [
            (k == "sft" and last == "assistant" and chars > 0)
            or (k == "preference" and last == "user" and nc >= 1 and nr >= 1)
            for k, last, chars, nc, nr in zip(df[col.KIND].tolist(), out[LAST_ROLE].tolist(),
                                             out[LAST_CONTENT_CHARS].tolist(), chosen, rejected)
        ]
        out[STRUCTURE_OK] = pd.Series(ok, index=idx, dtype=bool)
    for name in NESTED_COLUMNS:
        if name in df.columns:
            out[name] = objs([_count(v) for v in df[name].tolist()])
    return out


def has_nested_columns(df: pd.DataFrame) -> bool:
    return any(c in df.columns for c in NESTED_COLUMNS)


# --------------------------------------------------------------------------------------------
# The flat view of an Arrow table (what the gates on Parquet outputs use)


class _NotNative(Exception):
    """A column type the Arrow path does not derive; the table goes through :func:`flat_view`."""


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _rows(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, valid)`` of a list or map array: where each row starts in the child
    array (``values``/``keys``, which ignore the array's own offset, like ``offsets``), its item
    count (0 when the row is null: a null row may still span child items), and its validity."""
    n = len(array)
    t = array.type
    if pa.types.is_null(t):
        return np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool)
    if not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t)):
        raise _NotNative
    offsets = array.offsets.to_numpy().astype(np.int64, copy=False)
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    return offsets[:-1], np.where(valid, np.diff(offsets), 0), valid


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(s, s + c)`` for each start and count."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)


def _map_sizes(array: pa.MapArray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Entries per row of a map as ``len(dict(row))`` counts them: a key repeated within a row
    counts once. Rows whose keys strictly increase (all of them when frames.to_table wrote the
    map: it sorts a dict's items) have no repeats; the others, if any, are counted in Python."""
    sizes = lengths.copy()
    multi = np.flatnonzero(lengths >= 2)
    if len(multi) == 0:
        return sizes
    pairs = _ranges(starts[multi], lengths[multi] - 1)
    keys = array.keys
    try:
        rising = pc.less(keys.take(pa.array(pairs)), keys.take(pa.array(pairs + 1)))
    except pa.ArrowNotImplementedError:
        raise _NotNative from None
    ok = rising.fill_null(False).to_numpy(zero_copy_only=False)
    if ok.all():
        return sizes
    bad_rows = np.unique(np.repeat(multi, lengths[multi] - 1)[~ok])
    for i in bad_rows.tolist():
        sizes[i] = len(dict(array.slice(i, 1).to_pylist()[0]))
    return sizes


def _counts(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(count or 0, valid)`` per row of a nested column, as :func:`_count` reads its Python value."""
    starts, lengths, valid = _rows(array)
    if pa.types.is_map(array.type):
        lengths = _map_sizes(array, starts, lengths)
    return lengths, valid


def _count_objects(counts: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Python ints, None where the row is null (the nested column's values in the flat view)."""
    out = counts.astype(object)
    out[~valid] = None
    return out


def _texts_at(values: pa.Array, rows: np.ndarray, n: int) -> np.ndarray:
    """An object array of ``n`` Nones with ``values`` (text) put at the ``rows`` mask; one str
    object per distinct value."""
    out = np.full(n, None, dtype=object)
    encoded = values.dictionary_encode()
    distinct = np.array(encoded.dictionary.to_pylist() + [None], dtype=object)
    out[rows] = distinct[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)]
    return out


def _struct_field(values: pa.Array, name: str) -> pa.Array | None:
    """The text field ``name`` of a struct array (null where the struct is null); None when the
    struct has no such field."""
    found = values.type.get_all_field_indices(name)
    if not found:
        return None
    if len(found) > 1 or not _is_text(values.type.field(found[0]).type):
        raise _NotNative
    return pc.struct_field(values, [found[0]])


def _messages(array: pa.Array) -> dict[str, np.ndarray]:
    """Item counts, first and last roles and the last content's length of a messages column."""
    n = len(array)
    starts, lengths, valid = _rows(array)
    first_role = np.full(n, None, dtype=object)
    last_role = np.full(n, None, dtype=object)
    chars = np.zeros(n, np.int64)
    if not pa.types.is_null(array.type):
        if pa.types.is_map(array.type) or not pa.types.is_struct(array.type.value_type):
            raise _NotNative
        has = lengths > 0
        first = pa.array(starts[has])
        last = pa.array(starts[has] + lengths[has] - 1)
        roles = _struct_field(array.values, "role")
        if roles is not None:
            first_role = _texts_at(roles.take(first), has, n)
            last_role = _texts_at(roles.take(last), has, n)
        contents = _struct_field(array.values, "content")
        if contents is not None:
            chars[has] = pc.utf8_length(contents.take(last)).fill_null(0).to_numpy(zero_copy_only=False)
    return {"lengths": lengths, "valid": valid, "first_role": first_role, "last_role": last_role,
            "chars": chars}


def _text_test(array: pa.Array, test: Any) -> np.ndarray:
    """``test(array)`` as a bool array, False where null; all False for a null-typed column."""
    if pa.types.is_null(array.type):
        return np.zeros(len(array), bool)
    if not _is_text(array.type):
        raise _NotNative
    return test(array).fill_null(False).to_numpy(zero_copy_only=False)


def _native_flat_view(table: pa.Table) -> pd.DataFrame:
    from tuneset import frames

    names = table.column_names
    if len(set(names)) != len(names) or not names or set(names) & set(DERIVED_COLUMNS):
        raise _NotNative
    n = table.num_rows
    idx = pd.RangeIndex(n)
    ints = lambda values: pd.Series(values, index=idx, dtype="int64")  # noqa: E731
    objs = lambda values: pd.Series(values, index=idx, dtype=object)  # noqa: E731
    column = lambda name: table.column(name).combine_chunks()  # noqa: E731

    nested = [c for c in names if c in NESTED_COLUMNS]
    counts = {c: _counts(column(c)) for c in nested}
    msgs = _messages(column(col.MESSAGES)) if col.MESSAGES in names else None
    tools = _text_test(column(col.TOOLS), lambda a: pc.greater(pc.binary_length(a), 0)) \
        if col.TOOLS in names else None
    kind = column(col.KIND) if col.KIND in names and msgs is not None else None
    if kind is not None:
        is_sft = _text_test(kind, lambda a: pc.equal(a, "sft"))
        is_pref = _text_test(kind, lambda a: pc.equal(a, "preference"))

    # The other columns exactly as frames.from_table converts them (it converts column by column).
    base = frames.from_table(table.drop_columns(nested)) if len(nested) < len(names) else None
    data = {c: objs(_count_objects(*counts[c])) if c in counts else base[c] for c in names}
    out = pd.DataFrame(data, columns=names, copy=False)

    # The derived columns in flat_view's order.
    if msgs is not None:
        out[N_MESSAGES] = ints(msgs["lengths"])
        out[FIRST_ROLE] = objs(msgs["first_role"])
        out[LAST_ROLE] = objs(msgs["last_role"])
        out[LAST_CONTENT_CHARS] = ints(msgs["chars"])
    if col.CHOSEN in counts:
        out[N_CHOSEN] = ints(counts[col.CHOSEN][0])
    if col.REJECTED in counts:
        out[N_REJECTED] = ints(counts[col.REJECTED][0])
    if tools is not None:
        out[HAS_TOOLS] = pd.Series(tools, index=idx, dtype=bool)
    if col.LABELS in counts:
        out[N_LABELS] = ints(counts[col.LABELS][0])
    if kind is not None:
        zero = np.zeros(n, np.int64)
        chosen = counts[col.CHOSEN][0] if col.CHOSEN in counts else zero
        rejected = counts[col.REJECTED][0] if col.REJECTED in counts else zero
        last = msgs["last_role"]
        ok = ((is_sft & (last == "assistant") & (msgs["chars"] > 0))
              | (is_pref & (last == "user") & (chosen >= 1) & (rejected >= 1)))
        out[STRUCTURE_OK] = pd.Series(ok, index=idx, dtype=bool)
    return out


def flat_view_of_table(table: pa.Table) -> pd.DataFrame:
    """``flat_view(frames.from_table(table))``, computed on the Arrow arrays: the nested columns
    are never turned into Python lists and dicts (list lengths and offsets, struct fields of the
    first and last message), only the other columns go through :func:`frames.from_table`.

    The result is the same frame: columns, order, dtypes, values (Python ints and str, None
    where flat_view has None) and index. A table this path does not know how to read (a nested
    column of another Arrow type, a column named like a derived one, duplicate names) goes
    through :func:`flat_view` instead."""
    try:
        return _native_flat_view(table)
    except _NotNative:
        from tuneset import frames

        return flat_view(frames.from_table(table))


# --------------------------------------------------------------------------------------------
# Validation


_CTX_LOCK = threading.Lock()
_CTX: dict[str, Any] = {}


def _batch_definition() -> Any:
    """The process's ephemeral context and whole-dataframe batch definition, built once."""
    if "batch_definition" not in _CTX:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")  # in memory; never Cloud, never files
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm on stderr
        bd = (ctx.data_sources.add_pandas("tuneset").add_dataframe_asset("frame")
              .add_batch_definition_whole_dataframe("whole"))
        _CTX["context"] = ctx
        _CTX["batch_definition"] = bd
    return _CTX["batch_definition"]


def _release(batch: Any) -> None:
    """Drop the frame from the cached context's execution engine.

    The engine keeps the last loaded batch (and so the whole dataframe) alive; with a context
    cached for the process, a 10^6-row frame would otherwise stay in memory after its gate.
    """
    engine = getattr(getattr(batch, "data", None), "execution_engine", None)
    manager = getattr(engine, "batch_manager", None)
    if manager is not None:
        manager.batch_data_cache.clear()
        manager.reset_batch_cache()


@dataclass
class GateResult:
    suite: str
    success: bool
    failures: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)  # the normalised GX result JSON dict (the report)

    def summary(self, failures_only: bool = False) -> str:
        """One line per expectation: PASS/FAIL, type, column, and for failures what was seen."""
        stats = self.results.get("statistics", {})
        total = stats.get("evaluated_expectations", len(self.results.get("results", [])))
        failed = stats.get("unsuccessful_expectations", len(self.failures))
        head = (f"gate {self.suite}: {'PASSED' if self.success else 'FAILED'}, "
                f"{failed} of {total} expectations failed")
        lines = [head]
        by_index = {f["index"]: f for f in self.failures}
        for i, r in enumerate(self.results.get("results", [])):
            if r.get("success"):
                if not failures_only:
                    cfg = r.get("expectation_config", {})
                    lines.append(f"PASS {cfg.get('type')} {_column_of(cfg.get('kwargs', {}))}".rstrip())
            else:
                lines.append(_failure_line(by_index.get(i) or _failure(i, r)))
        return "\n".join(lines)


def _column_of(kwargs: Mapping[str, Any]) -> str:
    if kwargs.get("column") is not None:
        return str(kwargs["column"])
    if kwargs.get("column_A") is not None:
        return f"{kwargs['column_A']},{kwargs.get('column_B')}"
    if kwargs.get("column_list"):
        return ",".join(map(str, kwargs["column_list"]))
    return ""


_ESCAPE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short(value: Any, limit: int = SAMPLE_CHARS) -> str:
    """``value`` for a summary line: quoted when text, control characters escaped, at most
    ``limit`` characters (cut with an ellipsis)."""
    if isinstance(value, str):
        return _cut("'" + _escape(value) + "'", limit)
    return _cut(_escape(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)), limit)


def _samples(result: Mapping[str, Any]) -> list[str]:
    values = result.get("partial_unexpected_list") or []
    seen: dict[str, int] = {}
    for v in values:
        key = json.dumps(v, sort_keys=True, default=str)
        seen[key] = seen.get(key, 0) + 1
    out = []
    for key, n in list(seen.items())[:SAMPLE_VALUES]:
        text = short(json.loads(key))
        out.append(text if n == 1 else f"{text} (x{n})")
    return out


def _exception_messages(info: Any) -> list[str]:
    if not isinstance(info, Mapping):
        return []
    if "raised_exception" in info:
        return [str(info["exception_message"])] if info.get("raised_exception") else []
    msgs: list[str] = []
    for v in info.values():
        for m in _exception_messages(v):
            if m not in msgs:
                msgs.append(m)
    return msgs


def _failure(index: int, r: Mapping[str, Any]) -> dict[str, Any]:
    cfg = r.get("expectation_config", {})
    kwargs = {k: v for k, v in (cfg.get("kwargs") or {}).items() if k != "batch_id"}
    res = r.get("result") or {}
    f: dict[str, Any] = {"index": index, "type": cfg.get("type"), "column": _column_of(kwargs),
                         "kwargs": kwargs}
    for key in ("observed_value", "element_count", "unexpected_count", "missing_count"):
        if key in res:
            f[key] = res[key]
    if "partial_unexpected_list" in res:
        f["sample"] = _samples(res)
    mismatched = dict((res.get("details") or {}).get("mismatched") or {})
    if kwargs.get("exact_match") is False:  # extra columns are allowed: do not list them
        mismatched.pop("unexpected", None)
    if mismatched:
        f["mismatched"] = mismatched
    errors = _exception_messages(r.get("exception_info"))
    if errors:
        f["error"] = "; ".join(errors)
    return f


def _failure_line(f: Mapping[str, Any]) -> str:
    parts = [f"FAIL {f['type']}"]
    if f.get("column"):
        parts.append(f["column"])
    what: list[str] = []
    if f.get("error"):
        what.append("error: " + _cut(_escape(str(f["error"])), 200))
    if "mismatched" in f:
        what.extend(f"{k} {short(v, 200)}" for k, v in sorted(f["mismatched"].items()))
    elif "observed_value" in f:
        what.append(f"observed_value={short(f['observed_value'], 200)}")
    if "unexpected_count" in f:
        n = f["unexpected_count"]
        of = f" of {f['element_count']}" if "element_count" in f else ""
        what.append(f"unexpected_count={n}{of}")
    if f.get("sample"):
        what.append("sample: " + ", ".join(f["sample"]))
    if not what:
        kw = {k: v for k, v in f.get("kwargs", {}).items() if k != "column"}
        if kw:
            what.append(f"expected {short(kw, 200)}")
        elif f["type"] == "expect_column_to_exist":
            what.append("column missing")
    line = " ".join(parts)
    return line + (": " + "; ".join(what) if what else "")


# Keys whose values change from run to run (or machine to machine) without the data changing.
_VOLATILE_KEYS = frozenset({
    "run_id", "run_name", "run_time", "validation_time", "ge_load_time", "start_time", "end_time",
    "checkpoint_id", "validation_id", "exception_traceback", "rendered_content",
})
_TIMESTAMP = re.compile(r"\d{8}T\d{6}(?:\.\d+)?Z?|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")


def _normalise(obj: Any, in_meta: bool = False) -> Any:
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if k in _VOLATILE_KEYS:
                continue
            if k == "batch_id" and isinstance(v, str):
                out[k] = _TIMESTAMP.sub("<time>", v)
            else:
                out[k] = _normalise(v, in_meta)
        return out
    if isinstance(obj, (list, tuple)):
        return [_normalise(v, in_meta) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if in_meta and isinstance(obj, str):
        return _TIMESTAMP.sub("<time>", obj)
    return obj


def _config_key(config: Mapping[str, Any]) -> str:
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    return json.dumps({"type": config.get("type"), "kwargs": kwargs, "meta": config.get("meta") or {}},
                      sort_keys=True, default=str)


def normalise_results(raw: Mapping[str, Any], suite: Any) -> dict[str, Any]:
    """GX's result dict without time- or machine-dependent fields, results in suite order."""
    d = dict(raw)
    d.pop("id", None)
    meta = _normalise(d.pop("meta", {}) or {}, in_meta=True)
    d = _normalise(d)
    d["meta"] = meta
    order: dict[str, list[int]] = {}
    for i, e in enumerate(suite.expectations):
        order.setdefault(_config_key(e.configuration.to_json_dict()), []).append(i)
    ranked = []
    for pos, r in enumerate(d.get("results", [])):
        cfg = r.get("expectation_config", {})
        cfg.pop("id", None)
        slots = order.get(_config_key(cfg))
        rank = slots.pop(0) if slots else len(suite.expectations) + pos
        ranked.append((rank, pos, r))
    d["results"] = [r for _, _, r in sorted(ranked, key=lambda t: (t[0], t[1]))]
    return d


# Of these nested columns the flat view keeps item counts and, for messages, the first and last
# roles and the last content: the other fields of their messages need not be read from Parquet.
_LEAVES_READ = {col.MESSAGES: ("role", "content"), col.CHOSEN: ("role",), col.REJECTED: ("role",)}


def _parquet_columns(path: Path) -> tuple[list[str], list[str] | None]:
    """The file's column names, and the Parquet columns the flat view reads: every column, but
    only the role and content leaves of messages and the role leaf of chosen and rejected (a
    struct's nullness and a list's length are in every leaf's levels). None, read everything,
    when the layout is not the plain list of flat structs this relies on."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    names = list(schema.names)
    if len(set(names)) != len(names) or any("." in n for n in names):
        return names, None
    leaves: dict[str, list[str]] = {}
    for i in range(len(pf.schema)):
        leaf = pf.schema.column(i).path
        leaves.setdefault(leaf.split(".")[0], []).append(leaf)
    columns: list[str] = []
    for name in names:
        t, keep = schema.field(name).type, _LEAVES_READ.get(name, ())
        wanted: list[str] = []
        if keep and (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_struct(t.value_type):
            fields = list(t.value_type)
            flat = (len(leaves.get(name, ())) == len(fields) and len({f.name for f in fields}) == len(fields)
                    and not any(pa.types.is_nested(f.type) for f in fields))
            if flat:  # one leaf per field, in field order
                wanted = [leaves[name][i] for i, f in enumerate(fields) if f.name in keep]
        columns.extend(wanted or [name])
    return names, columns


def flat_view_of_parquet(path: Path, batch_rows: int = 50_000) -> pd.DataFrame:
    """The flat view of a Parquet table, built batch by batch so nested values never all sit in
    memory: :func:`flat_view_of_table` of each batch (the frame ``flat_view`` gives of the batch
    read with ``frames.iter_frames``), concatenated with a fresh index."""
    import pyarrow.parquet as pq

    from tuneset import frames

    names, columns = _parquet_columns(path)
    views = [flat_view_of_table(batch.select(names)) for batch in frames.iter_tables(path, batch_rows, columns)]
    if not views:
        return flat_view_of_table(pq.read_table(path))
    return pd.concat(views, ignore_index=True)


def validate(df: pd.DataFrame, suite_path: Path, *, flat: bool = False) -> GateResult:
    """Validate ``df`` (through :func:`flat_view` when it has nested columns, unless ``flat`` says
    it already is a flat view) against a suite."""
    suite_path = Path(suite_path)
    suite = load_suite(suite_path)
    frame = df if flat or not has_nested_columns(df) else flat_view(df)
    with _CTX_LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        try:
            raw = batch.validate(suite, result_format=RESULT_FORMAT)
        finally:
            _release(batch)
    results = normalise_results(raw.to_json_dict(), suite)
    failures = [_failure(i, r) for i, r in enumerate(results["results"]) if not r.get("success")]
    return GateResult(suite=suite.name, success=bool(results.get("success")), failures=failures,
                      results=results)


def report_json(result: GateResult) -> str:
    """The report text: the normalised GX result, sorted keys, indent 1, newline-terminated."""
    return json.dumps(result.results, sort_keys=True, indent=1, ensure_ascii=True, allow_nan=False,
                      default=str) + "\n"


def run_gate(df: pd.DataFrame, suite_path: Path, report_path: Path | None = None, *, flat: bool = False) -> GateResult:
    """Validate, write the JSON report (when asked), print the summary to stderr; never raises
    on a data failure: the caller decides what a failure means."""
    result = validate(df, suite_path, flat=flat)
    if report_path is not None:
        report_path = Path(report_path)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(report_json(result), encoding="utf-8")
    # The full per-expectation listing lives in the report; the console gets the verdict and failures.
    print(result.summary(failures_only=True), file=sys.stderr, flush=True)
    return result


def enforce(result: GateResult) -> None:
    """Raise :class:`GateFailed` (message: the failures) unless the gate passed."""
    if not result.success:
        raise GateFailed(result.summary(failures_only=True))


__all__ = [
    "DERIVED_COLUMNS", "NESTED_COLUMNS", "GateFailed", "GateResult", "SuiteError", "enforce",
    "flat_view", "flat_view_of_parquet", "flat_view_of_table", "load_suite", "report_json", "run_gate",
    "validate",
]
