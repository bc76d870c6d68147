"""Named, versioned, fingerprinted rules: the unit of every drop decision.

A rule's dataclass fields are its parameters and its docstring is its documentation. The
fingerprint hashes name, version and parameters, so a changed threshold or a bumped version shows
up in every dropped row and in ``dvc metrics diff``. Config names rules by ``name``, never by
import path.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from tuneset import hashing

REGISTRY: dict[str, type[Rule]] = {}

R = TypeVar("R", bound="type[Rule]")


@dataclass(frozen=True)
class Rule:
    """Base class of every rule. Subclasses set ``name`` and ``version`` and add typed fields."""

    name: ClassVar[str] = "rule"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = ""

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """First 16 hex digits of sha256 over name, version and parameters. Computed once per rule
        (every dropped row records it): a rule is frozen, and its parameters are never changed in place."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            cached = hashing.sha256_json({"rule": self.name, "version": self.version, "params": self.params()})[:16]
            object.__setattr__(self, "_fingerprint", cached)  # not a field: eq, hash and params() ignore it
        return cached

    def describe(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "version": self.version,
            "stage": self.stage,
            "params": self.params(),
            "fingerprint": self.fingerprint(),
            "doc": inspect.getdoc(self) or "",
        }


def register(cls: R) -> R:
    """Class decorator adding a rule to the registry; a duplicate name is a programming error."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"rule name {cls.name!r} registered twice ({REGISTRY[cls.name].__qualname__}, {cls.__qualname__})")
    if not inspect.getdoc(cls) or inspect.getdoc(cls) == inspect.getdoc(Rule):
        raise ValueError(f"rule {cls.name!r} needs a docstring: it is the rule's documentation")
    REGISTRY[cls.name] = cls
    return cls
