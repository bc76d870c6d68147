"""Detectors: validators decide, context lifts, allow-list and threshold filter, and NER says when it is off."""

from __future__ import annotations

import pytest

from tuneset.scrub.detectors import Detector, luhn_ok

from .conftest import cfg


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(s.type, text[s.start:s.end]) for s in detector.detect([text])[0]]


@pytest.mark.parametrize("text, expected", [
    ("write to jane.doe+tag@mail.example.co.uk today", ("EMAIL", "jane.doe+tag@mail.example.co.uk")),
    ("paid with 4111 1111 1111 1111, expiry 03/28", ("CREDIT_CARD", "4111 1111 1111 1111")),
    ("card 3782-822463-10005 on file", ("CREDIT_CARD", "3782-822463-10005")),
    ("My IBAN is GB29 NWBK 6016 1331 9268 19 and", ("IBAN", "GB29 NWBK 6016 1331 9268 19")),
    ("my iban is gb42nawi04454264788619", ("IBAN", "gb42nawi04454264788619")),
    ("Here's my SSN: 460-89-9847", ("US_SSN", "460-89-9847")),
    ("the server at 192.168.10.200 is down", ("IP_ADDRESS", "192.168.10.200")),
    ("ping 2001:db8:85a3::8a2e:370:7334 now", ("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334")),
    ("Call me on +44 20 7946 0958 please", ("PHONE", "+44 20 7946 0958")),
    ("my phone number is 467 3395", ("PHONE", "467 3395")),
    ("Desk: 986.291.2294x751", ("PHONE", "986.291.2294x751")),
    ("Please ship it to 457 Alder Crest Lane, Eastmere, OH 43017.", ("ADDRESS", "457 Alder Crest Lane, Eastmere, OH 43017")),
    ("Best regards, Keziah Brennagh, Support", ("PERSON", "Keziah Brennagh")),
    ("I want to add Tristan Dennis as a beneficiary", ("PERSON", "Tristan Dennis")),
])
def test_structured_and_context_detections(detector, text, expected):
    assert expected in found(detector, text)


@pytest.mark.parametrize("text", [
    "paid with 4111 1111 1111 1112 yesterday",       # fails Luhn
    "My IBAN is GB29 NWBK 6016 1331 9268 18",        # wrong check digits
    "version 999.300.1.1 of the client",             # not an address
    "the order 2026-03-14 shipped",                  # a date, not a phone
    "request id=298375997654 failed",                # a bare digit run without phone context
    "Hi there, Hello team, Regards, Support",        # greetings without a name
    "password: please use the reset link",            # a word, not a password
])
def test_validators_reject_lookalikes(detector, text):
    assert found(detector, text) == []


def test_ssn_validator_rejects_numbers_never_issued(detector):
    assert ("US_SSN", "460-89-9847") in found(detector, "SSN 460-89-9847")
    for bad in ("666-12-3456", "000-12-3456", "123-00-4567", "078-05-1120"):
        assert "US_SSN" not in {t for t, _ in found(detector, f"SSN {bad}")}, bad


def test_context_words_lift_a_number_that_is_not_valid():
    d = Detector(cfg())
    assert found(d, "about 78 651 450 soon") == []
    assert found(d, "my mobile: 78 651 450") == [("PHONE", "78 651 450")]


def test_allow_list_threshold_and_entity_selection():
    text = "My name is Vault Mini. Mail x@example.com"
    assert ("PERSON", "Vault Mini") in found(Detector(cfg()), text)
    assert found(Detector(cfg(allow_list=["vault mini"])), text) == [("EMAIL", "x@example.com")]
    assert found(Detector(cfg(entities=["PERSON"])), text) == [("PERSON", "Vault Mini")]
    assert found(Detector(cfg(threshold=0.99)), "call me on 467 3395 or x@example.com") == [("EMAIL", "x@example.com")]


def test_overlaps_resolve_by_priority():
    text = "db at postgres://admin:S3cr3t!@10.0.4.12:5432/app"
    assert found(Detector(cfg()), text) == [("URL_CREDENTIALS", "admin:S3cr3t!"), ("IP_ADDRESS", "10.0.4.12")]


def test_ner_off_and_missing_model_are_said_plainly():
    off = Detector(cfg(ner=False))
    assert not off.ner_status.enabled and "OFF" in off.ner_status.message and "pii.ner is false" in off.ner_status.message
    missing = Detector(cfg(ner=True, ner_model="no_such_spacy_model"))
    assert not missing.ner_status.enabled and "not installed" in missing.ner_status.message
    assert missing.describe()["ner"]["loaded"] is False


def test_leak_scan_detector_says_why_it_has_no_ner_even_when_pii_ner_is_true():
    from tuneset.scrub.leakscan import redetector

    scan = redetector(cfg(ner=True))
    assert not scan.ner_status.enabled
    assert "no NER entity type" in scan.ner_status.message and "pii.ner is false" not in scan.ner_status.message


def test_ner_finds_a_name_no_rule_knows():
    d = Detector(cfg(ner=True))
    assert d.ner_status.enabled, d.ner_status.message
    spans = found(d, "Yesterday the manager Marisol Quenneville approved the refund.")
    assert ("PERSON", "Marisol Quenneville") in spans


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
