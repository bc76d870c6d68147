"""A number is a PII identifier only with evidence: format, validator and context.

Arithmetic, ranges, money, quantities, years, measurements, code and math keep their numbers; phones,
cards and SSNs with a cue or a proper format are still found. The negative cases are numbers the
detectors flagged before (each is shape-valid: Luhn passes, or phonenumbers accepts it somewhere).
"""

from __future__ import annotations

import pytest

from tuneset.scrub import numbers
from tuneset.scrub.detectors import CreditCard, Detector, card_issuer, luhn_ok

NUMBER_TYPES = {"PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "IP_ADDRESS"}


def numeric_spans(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(s.type, text[s.start:s.end]) for s in detector.detect([text])[0] if s.type in NUMBER_TYPES]


def reason(text: str, value: str) -> str | None:
    start = text.index(value)
    return numbers.numeric_context(text, start, start + len(value))


# -- numbers that are numbers

@pytest.mark.parametrize("text", [
    # arithmetic: the example (961551451065816 passes Luhn; +961... is a valid Lebanese number)
    "What is 594629783 + 961551451065816?",
    "The number 594629783 + 961551451065816 = 961552045695599",
    "Compute 1234567 x 7654321 for me",
    "the product of 4111111111111111 and 3",
    "so 14,000-3,920-1,000=$<<14000-3920-1000=9080>>9,080",
    # GSM8K answers (calculator annotations; the subtraction chains are valid numbers in some region)
    "Amount Derek has left 960-480-120 = <<960-480-120=360>>360 dollars. #### 360",
    "The number of pies that are not eaten with pie is 2000-1360=<<2000-1360=640>>640 #### 640",
    "For the 122 days, the horses will eat a total of 27*122 = <<27*122=3294>>3294 bales. 16128-3294 = 12834",
    "Thus, 5 650 000 - 5 000 000 = 650 000 cars are left.",
    # ranges
    "Generate a 5-digit random number in a range of 10000-20000",
    "Salaries range from 1000000 to 2000000 per year",
    "the number is between 1234567 and 2345678",
    "The year range 1990-2000 saw the number grow",
    # money, quantities, measurements
    "The phone costs $1000000 and the number sold was 3000000 units",
    "Lord of the Rings - 3000000 ratings, number two",
    "American carmakers produce 5 650 000 cars each year.",
    "the number of people was 1.500.000",
    "an atomic number of 2 and an atomic weight of 4.002602.",
    "the distance is 149597870 km, a big number",
    # code
    "request id=298375997654 failed",
    "Set destination numbers: numbers = ['1111111111']",
    "Use `4111111111111111` as the test number",
    "```python\nx = compute()\nprint(4556737586899855)\n```",
    # math
    "The binary form of the number 582 can be written as 100100110.",
    "The binary numbers: 00100001, 00111010",
    "The binary representation would be: 01010100 01110011 00100000 01110011",
    "Is the number 123456789 divisible by 3?",
    "Output: First 10 Prime numbers: 2 3 5 7 11 13 17 19 23 29",
    "1 2 3 4 5 6 7 8 9 10 2 4 6 8 10 12 14 16 18 20 3 6 9 12 15 18 21 24 27 30",
    "the number 4 8 12 16 20 24 28 32 36 40 continues",
    # an SSN-shaped value in arithmetic
    "the number 460-89-9847 = 0 in this puzzle",
])
def test_numbers_in_numeric_context_are_not_identifiers(detector, text):
    assert numeric_spans(detector, text) == []


@pytest.mark.parametrize("text, value, why", [
    ("What is 594629783 + 961551451065816?", "961551451065816", "arithmetic"),
    ("Compute 12 +4155550173 now", "+4155550173", "arithmetic"),
    ("left 960-480-120 = 360", "960-480-120", "arithmetic"),
    ("a range of 10000-20000", "10000-20000", "range"),
    ("from 1500000 to 2500000", "1500000", "range"),
    ("from 1500000 to 2500000", "2500000", "range"),
    ("between 1234567 and 2345678", "2345678", "range"),
    ("between 1234567 and 2345678", "1234567", "range"),
    ("it costs $1234567 now", "1234567", "money_or_unit"),
    ("about 1234567 km away", "1234567", "money_or_unit"),
    ("growth of 1234567% a year", "1234567", "money_or_unit"),
    ("weight of 4.002602.", "4.002602", "shape"),
    ("in 1990-2000 there", "1990-2000", "shape"),
    ("written as 100100110.", "100100110", "shape"),
    ("produce 5 650 000 each year", "5 650 000", "shape"),
    ("primes 2 3 5 7 11 13 17 19", "7 11 13 17", "sequence"),
    ("x = 12345678", "12345678", "arithmetic"),
    ("use `12345678` here", "12345678", "code"),
    ("```\nprint(12345678)\n```", "12345678", "code"),
    ("is 123456789 divisible by 3", "123456789", "math_problem"),
])
def test_numeric_context_names_its_reason(text, value, why):
    assert reason(text, value) == why


@pytest.mark.parametrize("text, value", [
    ("Call me at (415) 555-0173 today", "(415) 555-0173"),
    ("Desk: 986.291.2294x751", "986.291.2294"),
    ("my phone number is 555-1234", "555-1234"),
    ("a call from 555-1234", "555-1234"),          # "from" alone does not open a range
    ("reach me on 415-555-0173 till 5 pm", "415-555-0173"),  # opening hours are not a range
    ("<td>415-555-0173</td>", "415-555-0173"),       # markup brackets are not comparisons
    ("Please add 415-555-0173 to my contacts", "415-555-0173"),
    ("Mobile: 03.93.92.16.85", "03.93.92.16.85"),    # dotted pairs are a phone's, not a version's
    ("28-64-66-98 office", "28-64-66-98"),
])
def test_phone_shaped_values_are_not_in_numeric_context(text, value):
    assert reason(text, value) is None


# -- identifiers with evidence

@pytest.mark.parametrize("text, expected", [
    ("(415) 555-0173", ("PHONE", "(415) 555-0173")),                  # format + valid, no cue needed
    ("+44 20 7946 0958", ("PHONE", "+44 20 7946 0958")),
    ("reach the desk on 020 7946 0958 anytime", ("PHONE", "020 7946 0958")),
    ("Our London line is 020 7946 0958.", ("PHONE", "020 7946 0958")),   # UK national format, no cue
    ("Wählen Sie +49 30 12345678 für Hilfe", ("PHONE", "+49 30 12345678")),
    ("call me at 415-555-0173", ("PHONE", "415-555-0173")),
    ("They're not answering at 780-999-2181", ("PHONE", "780-999-2181")),
    ("my number is 555-1234", ("PHONE", "555-1234")),                 # two groups + context, as before
    ("Phone: 12345678", ("PHONE", "12345678")),                       # a bare run + context, as before
    ("call 555-0173 - 24 hours", ("PHONE", "555-0173")),              # cue right before beats the "-"
    ("phone = 4155550173", ("PHONE", "4155550173")),                  # ... and the assignment
    ("paid with 4111 1111 1111 1111, expiry 03/28", ("CREDIT_CARD", "4111 1111 1111 1111")),
    ("4111 1111 1111 1111", ("CREDIT_CARD", "4111 1111 1111 1111")),  # card grouping + Visa prefix
    ("use 3782 822463 10005 for it", ("CREDIT_CARD", "3782 822463 10005")),  # Amex 4-6-5
    ("card 4111111111111111", ("CREDIT_CARD", "4111111111111111")),
    ("What is the limit for card 4454794511390933?", ("CREDIT_CARD", "4454794511390933")),
    ("my visa ending in 5500 0000 0000 0004 was declined", ("CREDIT_CARD", "5500 0000 0000 0004")),
    ("card: 4111111111111111 = my main one", ("CREDIT_CARD", "4111111111111111")),  # cue right before
    ("Here's my SSN: 460-89-9847", ("US_SSN", "460-89-9847")),
    ("the applicant 460-89-9847 was approved", ("US_SSN", "460-89-9847")),  # grouped: passes alone
    ("SSN 460899847", ("US_SSN", "460899847")),                       # bare + SSN cue
    ("SSN = 460-89-9847", ("US_SSN", "460-89-9847")),                 # cue right before beats "="
])
def test_identifiers_with_evidence_are_found(detector, text, expected):
    assert expected in numeric_spans(detector, text)


@pytest.mark.parametrize("text", [
    "4111111111111111",                  # Luhn alone: unformatted, no cue
    "order 4111111111111111 shipped",
    "the reference is 1234 5678 9012 3452",  # 4-4-4-4 and Luhn, but no issuer starts with 1
    "ISBN 9780743273565 printed",        # Luhn-valid 13 digits without a card cue
    "460899847",                         # a bare 9-digit run is an SSN only after an SSN cue
    "ticket 460899847 closed",
    "960-480-120",                       # valid in Germany, but not written as a German number
])
def test_validator_alone_is_not_evidence(detector, text):
    assert not {t for t, _ in numeric_spans(detector, text)} & {"CREDIT_CARD", "US_SSN", "PHONE"}


def test_test_values_pass_their_validators():
    # the negative card cases fail for want of evidence, not of Luhn
    for digits in ("4111111111111111", "961551451065816", "1234567890123452", "9780743273565", "4556737586899855"):
        assert luhn_ok(digits), digits


def test_card_grouping_and_issuers():
    assert CreditCard.card_formatted("4111 1111 1111 1111")
    assert CreditCard.card_formatted("3782-822463-10005")
    assert not CreditCard.card_formatted("4111111111111111")          # no grouping
    assert not CreditCard.card_formatted("4111 1111 11111 111")       # not a card grouping
    assert not CreditCard.card_formatted("1234 5678 9012 3452")       # no issuer
    assert card_issuer("4111111111111111") == "visa"
    assert card_issuer("5500000000000004") == "mastercard"
    assert card_issuer("2221000000000009") == "mastercard"
    assert card_issuer("378282246310005") == "amex"
    assert card_issuer("6011111111111117") == "discover"
    assert card_issuer("3530111333300000") == "jcb"
    assert card_issuer("37828224631000") is None                      # Amex prefix, wrong length
    assert card_issuer("9780743273565") is None


def test_cue_before_needs_the_cue_right_before():
    cue = numbers.cue_pattern(["call", "phone"])
    text = "please call me at 555-0173"
    assert numbers.cue_before(text, text.index("555"), cue)
    text = "call the office, the total is 555-0173"
    assert not numbers.cue_before(text, text.index("555"), cue)
    text = "my phone number is: 555-0173"
    assert numbers.cue_before(text, text.index("555"), cue)
