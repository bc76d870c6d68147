"""PII and secrets: the ``scrub`` stage (detect, then drop, redact or replace) and the leak-scan gate.

Modules: :mod:`.types` (entity names), :mod:`.detectors` (Presidio recognizers, validators, spaCy
NER), :mod:`.names` (PERSON rules and name lists), :mod:`.secrets` (detect-secrets plugins), :mod:`.surrogates` (Faker, keyed), :mod:`.redact`
(presidio-anonymizer), :mod:`.salt` (``TUNESET_PII_SALT``), :mod:`.core` (the stage function
:func:`scrub`) and :mod:`.leakscan` (the gate after export).

Importing this package is cheap (config validation uses :mod:`.types`); the detectors, Presidio and
spaCy load when :func:`scrub`, :class:`Detector` or :func:`leak_scan` are first used.
"""

from __future__ import annotations

from typing import Any

from tuneset.scrub.types import ENTITY_TYPES, SECRET_TYPES, STRUCTURED_TYPES

_LAZY = {
    "scrub": "tuneset.scrub.core",
    "ScrubResult": "tuneset.scrub.core",
    "PII_EDITS": "tuneset.scrub.core",
    "Detector": "tuneset.scrub.detectors",
    "Span": "tuneset.scrub.detectors",
    "leak_scan": "tuneset.scrub.leakscan",
    "LeakScanResult": "tuneset.scrub.leakscan",
}

__all__ = ["ENTITY_TYPES", "SECRET_TYPES", "STRUCTURED_TYPES", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tuneset.scrub' has no attribute {name!r}")
