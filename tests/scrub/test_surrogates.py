"""Surrogates: consistent within a scope, different under another key or scope, valid for their type."""

from __future__ import annotations

import re

from stdnum import iban as std_iban
from stdnum.us import ssn as std_ssn

from tuneset.scrub.detectors import luhn_ok
from tuneset.scrub.salt import Keyed
from tuneset.scrub.surrogates import Surrogates

VALUES = {
    "PERSON": "Marisol Quenneville", "EMAIL": "marisol.q@example.com", "PHONE": "+44 20 7946 0958",
    "CREDIT_CARD": "4111 1111 1111 1111", "IBAN": "GB29 NWBK 6016 1331 9268 19", "US_SSN": "460-89-9847",
    "IP_ADDRESS": "10.0.4.12", "ADDRESS": "457 Alder Crest Lane, Eastmere, OH 43017", "LOCATION": "Kingsmere",
    "API_KEY": "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN",
}


def test_same_value_same_surrogate_in_a_group_and_across_formats():
    s = Surrogates(Keyed("k1"))
    for type_, value in VALUES.items():
        assert s.get(type_, value, "g1") == Surrogates(Keyed("k1")).get(type_, value, "g1"), type_
    assert s.get("CREDIT_CARD", "4111-1111-1111-1111", "g1") == s.get("CREDIT_CARD", VALUES["CREDIT_CARD"], "g1").replace(" ", "-")
    assert s.get("PERSON", "marisol quenneville", "g1") == s.get("PERSON", VALUES["PERSON"], "g1").lower()


def test_another_key_or_group_gives_another_surrogate():
    a, b = Surrogates(Keyed("k1")), Surrogates(Keyed("k2"))
    for type_, value in VALUES.items():
        assert a.get(type_, value, "g1") != b.get(type_, value, "g1"), type_
        assert a.get(type_, value, "g1") != a.get(type_, value, "g2"), type_
        assert a.get(type_, value, "g1") != value, type_


def test_surrogates_are_valid_for_their_type():
    for i in range(25):
        s = Surrogates(Keyed(f"key-{i}"))
        card = s.get("CREDIT_CARD", VALUES["CREDIT_CARD"], "g")
        assert re.fullmatch(r"4\d{3} \d{4} \d{4} \d{4}", card) and luhn_ok(card.replace(" ", ""))
        iban = s.get("IBAN", VALUES["IBAN"], "g")
        assert std_iban.is_valid(iban) and iban.startswith("GB") and len(iban) == len(VALUES["IBAN"])
        assert std_ssn.is_valid(s.get("US_SSN", VALUES["US_SSN"], "g").replace("-", ""))
        assert re.fullmatch(r"[\w.+-]+@example\.(com|net|org)", s.get("EMAIL", VALUES["EMAIL"], "g"))
        assert re.fullmatch(r"\+44 \d\d \d{4} \d{4}", s.get("PHONE", VALUES["PHONE"], "g"))
        assert re.fullmatch(r"(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+", s.get("IP_ADDRESS", VALUES["IP_ADDRESS"], "g"))
        assert len(s.get("PERSON", VALUES["PERSON"], "g").split()) == 2
        assert s.get("API_KEY", VALUES["API_KEY"], "g").startswith("sk-")


def test_a_surrogate_never_reproduces_an_original():
    forbidden = Surrogates(Keyed("k")).get("PERSON", "Ada Lovelace", "g").split()[0]  # drawn word by word
    s = Surrogates(Keyed("k"), avoid=lambda t, c: c == forbidden)
    assert s.get("PERSON", "Ada Lovelace", "g").split()[0] != forbidden
