"""The bundled sample, ingested and normalized in-process, then scrubbed: no planted value survives."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from tuneset import config, sample
from tuneset.config import NormalizeConfig
from tuneset.frames import records_frame
from tuneset.ingest import discover, ingest_file
from tuneset.ledger import record_text
from tuneset.normalize import normalize
from tuneset.records import SourceInfo
from tuneset.scrub import scrub
from tuneset.scrub.detectors import Detector, luhn_ok

from .conftest import SALT, cfg

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def normalized():
    sources = config.load_sources({"sources": OmegaConf.to_container(OmegaConf.load(REPO / "conf/sources/sample.yaml"))})
    files, _ = discover(REPO / "data/raw/sample", REPO, sources)
    records = []
    for path, source, spec in files:
        rel = path.resolve().relative_to(REPO).as_posix()
        records += ingest_file(path, SourceInfo(source, rel, spec.origin, spec.license), spec).records
    return normalize(records_frame(records), NormalizeConfig()).examples


def planted(texts: list[str]) -> dict[str, set[str]]:
    blob = "\n".join(texts)
    cards = {m for m in re.findall(r"\b\d{4}[ -]?\d{4,6}[ -]?\d{4,5}(?:[ -]?\d{4})?\b", blob)
             if luhn_ok(re.sub(r"\D", "", m)) and len(re.sub(r"\D", "", m)) >= 15}
    names = {f"{f} {l}" for f, l in itertools.product(sample.FIRST_NAMES, sample.LAST_NAMES)} | set(sample.AGENT_NAMES)
    return {
        "email": set(re.findall(r"[\w.+-]+@(?:mail\.)?example\.(?:com|net|org)", blob)),
        "card": cards,
        "phone": set(re.findall(r"(?:\(\d{3}\) 555-01\d\d|\d{3}-555-01\d\d|\+1 \d{3} 555 01\d\d|\+44 20 7946 0\d{3}|"
                                r"020 7946 0\d{3}|\+49 30 \d{4} \d{4}|\+33 1(?: \d\d){4}|\+61 2 5550 \d{4})", blob)),
        "name": {n for n in names if n in blob},
        "address": set(re.findall(r"\d+ (?:%s) (?:%s)" % ("|".join(sample.STREETS), "|".join(sample.STREET_KINDS)), blob)),
        "secret": set(re.findall(r"sk-(?:proj-)?[\w-]{20,}|AKIA[0-9A-Z]{16}|ghp_\w{36}|postgres(?:ql)?://\S+?@", blob))
                  | {p for p in ("Winter2026!", "Tr0ub4dor&3", "hunter2hunter2", "N0rthw1nd#88") if p in blob},
    }


def test_no_planted_value_survives_scrub(normalized):
    before = planted([record_text(r) for r in normalized.to_dict("records")])
    assert all(before.values()), {k: len(v) for k, v in before.items()}  # the sample plants every kind
    result = scrub(normalized, cfg(), SALT, detector=Detector(cfg()))
    kept = "\n".join(record_text(r) + (r["meta"] or "") for r in result.examples.to_dict("records"))
    shown = "\n".join(result.dropped["preview"].tolist() + result.dropped["reason"].tolist()
                      + result.dropped["details"].tolist()) + json.dumps(result.report)
    for kind, values in before.items():
        survivors = sorted(v for v in values if v in kept or v in shown)
        assert not survivors, f"{len(survivors)} planted {kind} value(s) survive"
    assert result.report["dropped_by_rule"]["pii_drop_types"] >= 15  # every planted secret unit
    assert {"EMAIL", "PHONE", "CREDIT_CARD", "PERSON", "ADDRESS"} <= set(result.report["pii_by_type"])
