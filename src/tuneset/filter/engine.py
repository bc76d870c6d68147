"""The rule engine of the filter stage: score every example, keep or drop, keep the score.

A filter rule is a frozen dataclass (its fields are its parameters, hashed into its fingerprint)
with two vectorized methods: ``score(df)`` returns one number per example, ``keep(score)`` the
decision (True = keep). Every rule runs on every example, so the scores are complete:

- kept examples carry each score as a ``score__<rule>`` column, so a threshold can be changed and
  judged without recomputing anything;
- a dropped example's reason is its *first* failing rule in config order, and its ``details``
  hold that rule's score and parameters plus every rule's score;
- the report counts, per rule, every example that failed it (``failed_by_rule``) and those for
  which it was the first failure (``dropped_by_rule``, which adds up to the rows dropped).

A config entry may pin the rule's version (``{rule: min_answer_tokens, version: 1, min: 5}``): a
rule whose meaning changed since the config was written is then an error, not a silent change. A
rule may also give the kept examples labels (the refusal rule's ``refusal: yes``, the language
rule's ``language``), returned beside its score by :meth:`FilterRule.evaluate`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tuneset import ledger
from tuneset import schema as col
from tuneset.config import ConfigError
from tuneset.rules import REGISTRY, Rule

STAGE = "filter"
SCORE_PREFIX = "score__"


@dataclass(frozen=True)
class FilterRule(Rule):
    """Base of the filter rules (not registered): a vectorized score and a keep decision."""

    stage: ClassVar[str] = STAGE
    # Working columns of tuneset.filter.text the rule reads (the stage computes each once per batch).
    needs: ClassVar[tuple[str, ...]] = ()

    def score(self, df: pd.DataFrame) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    def keep(self, score: pd.Series) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(self, df: pd.DataFrame) -> tuple[pd.Series, Mapping[str, pd.Series]]:
        """The score and the labels the rule gives each example (label name -> value, None for
        no label); most rules give none."""
        return self.score(df), {}

    def requires(self) -> tuple[str, ...]:
        """The working columns this rule, with its parameters, reads (``needs`` by default)."""
        return self.needs

    def threshold(self) -> Any:
        """The threshold(s) a score is judged against, recorded in a dropped row's ``details``
        (a number, or a mapping such as ``{"min": 5}``); None when the parameters say it all."""
        return None

    def reason(self, score: Any, row: Mapping[str, Any]) -> str:
        """Why an example with this score fails (never quoting its text)."""
        return f"score {score} fails {self.name} ({self.params()})"

    @classmethod
    def from_config(cls, params: Mapping[str, Any], context: Mapping[str, Any]) -> FilterRule:
        """The rule from its config entry; ``context`` holds stage-wide values (target settings)
        a rule may take as defaults."""
        return cls(**params)


def param(default: Any, help: str) -> Any:  # noqa: A002 - "help" reads best in the declarations
    """A rule parameter: a dataclass field whose ``help`` the catalogue (``tuneset rules``) shows. A
    list or tuple default gives each rule its own list."""
    if isinstance(default, (list, tuple)):
        return dataclasses.field(default_factory=lambda d=default: list(d), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


def filter_rules() -> dict[str, type[FilterRule]]:
    """Every registered filter rule by name."""
    return {name: cls for name, cls in sorted(REGISTRY.items())
            if isinstance(cls, type) and issubclass(cls, FilterRule)}


def build_rules(specs: Sequence[Mapping[str, Any]], context: Mapping[str, Any] | None = None,
                required: Sequence[str] = ()) -> list[FilterRule]:
    """Rules from config entries ``{rule: name, <param>: value}``, in order, with the ``required``
    rules put first when the config does not list them. Unknown names and parameters are errors."""
    known = filter_rules()
    names = [str(s.get("rule")) for s in specs]
    specs = [{"rule": r} for r in required if r not in names] + list(specs)
    rules: list[FilterRule] = []
    for i, spec in enumerate(specs):
        name = spec.get("rule")
        if name not in known:
            raise ConfigError(f"filter.rules[{i}].rule: {name!r} is not a filter rule; known: {', '.join(known)}")
        cls = known[name]
        if spec.get("version") is not None and str(spec["version"]) != str(cls.version):
            raise ConfigError(f"filter.rules[{i}] ({name}): config pins version {spec['version']}, the installed rule "
                              f"is version {cls.version}; read `tuneset rules` for what changed, then update the "
                              f"version (or remove it)")
        params = {k: v for k, v in spec.items() if k not in ("rule", "version")}
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - fields)
        if unknown:
            raise ConfigError(f"filter.rules[{i}] ({name}): unknown parameter(s) {unknown}; "
                              f"{name} takes {sorted(fields) or 'none'}")
        try:
            check_types(cls, params)
            rule = cls.from_config(params, context or {})
            check_types(cls, rule.params())
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"filter.rules[{i}] ({name}): {exc}") from None
        if any(r.name == rule.name for r in rules):
            raise ConfigError(f"filter.rules[{i}]: {name} is listed twice; its score column would be ambiguous")
        rules.append(rule)
    return rules


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return isinstance(value, (list, tuple)) and (not args or args[0] is Ellipsis
                                                      or all(_type_ok(v, args[0]) for v in value))
    if origin is dict or hint is dict:
        return isinstance(value, Mapping)
    return True


def check_types(cls: type[Rule], params: Mapping[str, Any]) -> None:
    """Every parameter in ``params`` has the type ``cls`` declares (an int where an int is due...)."""
    hints = typing.get_type_hints(cls)
    for name, value in params.items():
        if name in hints and not _type_ok(value, hints[name]):
            raise ValueError(f"parameter {name} must be {_hint_text(hints[name])}, got {value!r}")


def _hint_text(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def plain(value: Any) -> Any:
    """A JSON-ready score: numpy scalars unwrapped, floats rounded to 5 digits, NaN and NA as null."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) else round(v, 5)
    return value


@dataclass
class RuleOutcome:
    kept: pd.DataFrame
    dropped: pd.DataFrame
    failed_by_rule: dict[str, int]
    dropped_by_rule: dict[str, int]
    scores: dict[str, pd.Series] = dataclasses.field(default_factory=dict)  # every row's score, by rule
    kept_mask: pd.Series | None = None  # True for the rows kept, aligned with ``scores``
    labels: dict[str, list[Any]] = dataclasses.field(default_factory=dict)  # rule labels of the kept rows


def apply_rules(df: pd.DataFrame, rules: Sequence[FilterRule]) -> RuleOutcome:
    """Score ``df`` with every rule; kept rows get ``score__<rule>`` columns, dropped rows a ledger entry."""
    index = df.index
    scores: dict[str, pd.Series] = {}
    fails: dict[str, pd.Series] = {}
    rule_labels: dict[str, pd.Series] = {}
    for rule in rules:
        s, given = rule.evaluate(df)
        s = pd.Series(np.asarray(s), index=index) if not isinstance(s, pd.Series) else s.set_axis(index)
        k = rule.keep(s)
        k = pd.Series(np.asarray(k), index=index) if not isinstance(k, pd.Series) else k.set_axis(index)
        scores[rule.name] = s
        fails[rule.name] = ~k.fillna(False).astype(bool)
        for label, values in given.items():
            rule_labels.setdefault(label, pd.Series(list(values), index=index, dtype=object))
    first = pd.Series([None] * len(df), index=index, dtype=object)
    for rule in rules:
        first[fails[rule.name] & first.isna()] = rule.name
    kept_mask = first.isna()
    kept = df[kept_mask].assign(**{SCORE_PREFIX + name: s[kept_mask] for name, s in scores.items()})
    by_name = {r.name: r for r in rules}
    rows = []
    if (~kept_mask).any():
        bad = df[~kept_mask]
        for (idx, record), name in zip(bad.iterrows(), first[~kept_mask]):
            rule = by_name[name]
            score = plain(scores[name].at[idx])
            rec = record.to_dict()
            details = {"score": score, "params": rule.params(),
                       "scores": {n: plain(scores[n].at[idx]) for n in scores}}
            if (threshold := rule.threshold()) is not None:
                details["threshold"] = threshold
            rows.append(ledger.dropped_row(rec, stage=STAGE, rule=rule, details=details,
                                           reason=f"{rec.get(col.SOURCE_FILE)} {rec.get(col.LOCATOR)}: "
                                                  f"{rule.reason(score, rec)}"))
    return RuleOutcome(
        kept=kept.reset_index(drop=True),
        dropped=(dropped := ledger.dropped_frame(rows)),
        failed_by_rule={r.name: int(fails[r.name].sum()) for r in rules},
        dropped_by_rule=ledger.rule_counts(dropped),
        scores=scores,
        kept_mask=kept_mask,
        labels={name: values[kept_mask].tolist() for name, values in rule_labels.items()},
    )
