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
- PERSON: spaCy NER, plus context rules (greetings, sign-offs, "my name is", titles) and a
  first/last-name gazetteer built from Faker's name lists (several locales), which also recovers
  names the small model labels ORG;
- LOCATION: spaCy GPE/LOC/FAC; ADDRESS: a street-address pattern (number, name, street kind,
  optional unit, city, state/ZIP or UK postcode).

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
from tuneset.scrub import types as T
from tuneset.scrub.secrets import find_secrets

CONTEXT_BOOST = 0.35
CONTEXT_FLOOR = 0.4
CONTEXT_BEFORE = 48
CONTEXT_AFTER = 16
NER_SCORE = 0.85


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


class Email(EmailRecognizer):
    """Presidio's e-mail pattern; valid when the domain has a dot and an alphabetic top-level label."""

    _TLD = re.compile(r"\.[^\W\d_]{2,63}$")

    def __init__(self) -> None:
        super().__init__(supported_entity=T.EMAIL)

    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rpartition("@")[2]
        return "." in domain and bool(self._TLD.search(domain))


class CreditCard(PatternRecognizer):
    """12-19 digits, optionally grouped by one kind of separator (space or dash), passing Luhn."""

    CONTEXT = ["card", "credit", "debit", "visa", "mastercard", "amex", "cc", "charge", "paid", "payment"]

    def __init__(self) -> None:
        super().__init__(supported_entity=T.CREDIT_CARD, name="CreditCard",
                         patterns=[Pattern("card", r"(?<![\w\-.+])(?:\d[ \-]?){11,18}\d(?![\w\-]|\.\d)", 0.3)],
                         context=self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool:
        seps = {c for c in pattern_text if not c.isdigit()}
        digits = "".join(c for c in pattern_text if c.isdigit())
        return len(seps) <= 1 and 12 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


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

    def __init__(self) -> None:
        super().__init__(supported_entity=T.IBAN, name="Iban", context=self.CONTEXT, patterns=[Pattern(
            "iban", r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![\w])", 0.3)])

    def validate_result(self, pattern_text: str) -> bool:
        return bool(std_iban.is_valid(pattern_text.upper()))


class UsSsn(PatternRecognizer):
    """US social security numbers: ``ddd-dd-dddd`` (also space/dot), or 9 bare digits near context words;
    ``stdnum.us.ssn`` rejects numbers never issued (000, 666, 9xx areas, zero groups, known samples)."""

    CONTEXT = ["social", "security", "ssn", "ssns", "ss#", "taxpayer"]
    _SAMPLES = {"123456789", "987654320", "078051120", "219099999"}

    def __init__(self) -> None:
        super().__init__(supported_entity=T.US_SSN, name="UsSsn", context=self.CONTEXT, patterns=[
            Pattern("ssn_grouped", r"(?<![\w\-.])\d{3}([- .])\d{2}\1\d{4}(?![\w\-]|\.\d)", 0.5),
            Pattern("ssn_bare", r"(?<![\w\-.])\d{9}(?![\w\-]|\.\d)", 0.1),
        ])

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = "".join(c for c in pattern_text if c.isdigit())
        return digits in self._SAMPLES or not std_ssn.is_valid(digits)


class Ip(IpRecognizer):
    """Presidio's IPv4/IPv6 patterns, kept only when ``ipaddress`` parses the match."""

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
    ``phonenumbers`` scores them: valid in one of ``regions`` 0.6, possible 0.45, otherwise 0.3, so a
    number that is not valid (many synthetic ones are not) needs a context word to pass 0.5.
    """

    CONTEXT = ["phone", "telephone", "tel", "mobile", "cell", "cellphone", "call", "calling", "text", "sms",
               "whatsapp", "fax", "number", "reach", "contact", "dial", "ring", "messages", "landline", "ph", "desk",
               "office", "voicemail", "answering", "hotline", "extension"]
    _EXT = r"(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?"
    _SHAPES = (
        re.compile(r"(?<![\w+.\-/])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{1,8}(?:[ .\-]\d{1,8}){1,5}" + _EXT + r"(?![\w]|[.\-/:]\d)"),
        re.compile(r"(?<![\w+.\-/])(?:\+\d{1,3}[ .\-]?)?\(\d{1,5}\)[ .\-]?\d{3,10}" + _EXT + r"(?![\w]|[.\-/:]\d)"),
        re.compile(r"(?<![\w+.\-/])\+?\d{7,15}" + _EXT + r"(?![\w]|[.\-/:]\d)"),
    )

    def __init__(self, regions: Sequence[str] = ("US", "GB")) -> None:
        self.regions = tuple(regions)
        super().__init__(supported_entities=[T.PHONE], name="Phone", context=self.CONTEXT)

    def load(self) -> None:
        pass

    def score(self, candidate: str) -> float:
        best = 0.3
        regions = (None,) if candidate.startswith("+") else self.regions
        for region in regions:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return 0.6
            if phonenumbers.is_possible_number(number):
                best = 0.45
        return best

    _NOT_PHONE = re.compile(r"^(?:\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2\d{4})(?!\d)")  # dates

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        found: dict[tuple[int, int], RecognizerResult] = {}
        for shape in self._SHAPES:
            for m in shape.finditer(text):
                number = re.sub(r"[ \t]*(?:x|ext\.?|extension)[ \t]*\d+$", "", m.group())
                n = sum(c.isdigit() for c in number)
                if 7 <= n <= 15 and m.span() not in found and not self._NOT_PHONE.match(number):
                    score = self.score(number)
                    if number.isdigit():  # an unformatted digit run is an id as often as a phone: needs context
                        score = min(score, 0.3)
                    elif len(re.findall(r"\d+", number)) == 2 and not number.startswith(("+", "(")):
                        score = min(score, 0.45)  # "5533 119": a house number and a street as often: needs context
                    found[m.span()] = RecognizerResult(T.PHONE, m.start(), m.end(), score)
        return list(found.values())


# --------------------------------------------------------------------------------------------
# Names and addresses (rules; NER is separate)

_UPPER = r"[\p{Lu}]"
# Delacroix-Bell, McKay, Szabó; possessive quantifiers keep it linear on long capitalized runs
_NAME_TOKEN = r"\p{Lu}\p{Ll}++(?:['’\-]\p{Lu}?\p{Ll}++|\p{Lu}\p{Ll}++)*+"
_STREET_KINDS = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
                 r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent|Row|Gardens|Grove|Mews|Walk|Hollow")


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

    def __init__(self) -> None:
        super().__init__(supported_entity=T.ADDRESS, name="Address", context=self.CONTEXT,
                         patterns=[Pattern("street_address", self.REGEX, 0.6)],
                         global_regex_flags=re.MULTILINE)


@functools.lru_cache(maxsize=1)
def name_gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) from Faker's person providers of several locales, title-cased.

    Common English words that are also first names (Will, May, Grace...) and names shorter than 3
    letters are left out of the first names, so the gazetteer does not turn ordinary words into names.
    """
    import importlib

    firsts: set[str] = set()
    lasts: set[str] = set()
    for loc in ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "pt_PT", "nl_NL", "pl_PL", "fi_FI",
                "sv_SE", "da_DK", "no_NO", "cs_CZ", "hu_HU", "is_IS", "tr_TR", "ro_RO", "hr_HR", "sk_SK", "sl_SI",
                "et_EE", "lt_LT", "lv_LV", "en_IN", "en_NG", "id_ID", "fr_CA", "es_MX"):
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except ImportError:  # pragma: no cover - a locale dropped by a Faker release
            continue
        for attr, bucket in (("first_names", firsts), ("first_names_male", firsts), ("first_names_female", firsts),
                             ("last_names", lasts)):
            for name in getattr(provider, attr, ()) or ():
                if isinstance(name, str) and len(name) >= 3 and " " not in name:
                    bucket.add(name[:1].upper() + name[1:].lower())
    firsts -= COMMON_WORD_NAMES
    lasts -= COMMON_WORD_NAMES
    return frozenset(firsts), frozenset(lasts)


COMMON_WORD_NAMES = frozenset("""
Will May June April August Grace Hope Faith Joy Bill Mark Rose Dawn Summer Chase Hunter Page Art Sky River Storm
Guy Sunny Crystal Amber Ruby Pearl Jade Penny Destiny Harmony Precious Royal Major King Prince Princess Young Long
Price Rich Early Golden Sterling Frank Miles Gene Don Van Case Hall Wall Bell Ball Field Well Street Wood Stone
Park Lane Land Bank Ray Pat Sue Rob Jack Max Bob Dick Carol Holly Ivy Lily Iris Violet Heather Daisy Fern Forest
Glen Dale Brook Cliff Rock Reed Heath Moss Bay Winter Autumn Spring Sage Star Angel Baby Love Lucky Happy Dear
Thank Thanks Hello Please Support Team Cloud Storage Smart Search Teams North South East West New Good Best Order
Paris Florence Sydney Austin Dallas Phoenix China India Georgia Jordan Israel Victoria Cameron Carter Cooper Porter
Mason Taylor Tyler Turner Baker Fisher Miller Walker Smith White Black Brown Green Gray Grey Little Church Story
Blue Red Ash Post Card Cash Money Bill Will Sun Moon Day Night Week Month Year Time Key Lock Login Email Phone Mobile
""".split())


class ContextName(LocalRecognizer):
    """Names introduced by context: "my name is X", "Regards, X", "Dear X", "Mr./Ms./Dr. X" (score 0.7),
    and after weaker cues ("this is", "I'm", "hi", "thanks,") only when X starts with a gazetteer first name."""

    STRONG = (r"my name is|my name's|name:|regards,|best regards,|kind regards,|warm regards,|sincerely,|"
              r"yours truly,|dear|mr\.?|mrs\.?|ms\.?|miss|dr\.?|prof\.?|signed,|account holder(?: is)?:?")
    WEAK = r"this is|i am|i'm|hi|hello|hey|thanks,|thank you,|cheers,|best,|ask for|speak to|spoke to|spoke with"
    _RX = re.compile(r"(?i:\b(?P<cue>" + STRONG + "|" + WEAK + r"))[ \t]{1,3}(?:\n[ \t]*)?"
                     r"(?P<name>" + _NAME_TOKEN + r"(?:[ \t]+(?:" + _NAME_TOKEN + r"|\p{Lu}\.))?(?:[ \t]+" + _NAME_TOKEN + r")?)")
    _STRONG_RX = re.compile(r"(?i)^(?:" + STRONG + r")$")
    NOT_NAMES = frozenset({"Team", "Support", "There", "All", "Everyone", "Sir", "Madam", "Customer", "Agent", "Again",
                           "Guys", "Folks", "The", "And", "Our", "Your", "My", "This", "That", "It", "Here", "Just",
                           "Not", "Sorry", "Thanks", "Thank", "Please", "Hope", "Glad", "Happy", "Also", "So"})

    def __init__(self) -> None:
        super().__init__(supported_entities=[T.PERSON], name="ContextName")

    def load(self) -> None:
        pass

    _AFTER_RX = re.compile(r"(?P<name>" + _NAME_TOKEN + r"(?:[ \t]+" + _NAME_TOKEN + r"){1,2}),?[ \t]+"
                           r"(?i:the account holder|speaking|here from|from the .{1,30} team)\b")

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        firsts, lasts = name_gazetteer()
        out = [RecognizerResult(T.PERSON, m.start("name"), m.end("name"), 0.7) for m in self._AFTER_RX.finditer(text)
               if m.group("name").split()[0] not in self.NOT_NAMES]
        for m in self._RX.finditer(text):
            tokens = m.group("name").split()
            while tokens and tokens[-1] in self.NOT_NAMES:
                tokens.pop()
            if not tokens or tokens[0] in self.NOT_NAMES:
                continue
            strong = bool(self._STRONG_RX.match(m.group("cue")))
            if not strong and tokens[0] not in firsts:
                continue
            start = m.start("name")
            end = _token_end(text, start, tokens)
            out.append(RecognizerResult(T.PERSON, start, end, 0.7 if strong else 0.6))
        return out


def _token_end(text: str, start: int, tokens: list[str]) -> int:
    pos = start
    for tok in tokens:
        pos = text.index(tok, pos) + len(tok)
    return pos


class GazetteerName(LocalRecognizer):
    """Two or three capitalized words where the first is a known first name and the last a known last
    name (Faker's name lists), e.g. "Tristan Dennis": a full name even without NER (0.6); and a lone
    known first name after a lower-case word, never first in its sentence (0.5)."""

    _RX = re.compile(r"(?<![\p{L}\-])" + _NAME_TOKEN + r"(?:[ \t]+(?:\p{Lu}\.[ \t]+)?" + _NAME_TOKEN + r"){1,2}(?![\p{L}\-])")

    def __init__(self) -> None:
        super().__init__(supported_entities=[T.PERSON], name="GazetteerName")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        firsts, lasts = name_gazetteer()
        out = []
        for m in self._RX.finditer(text, overlapped=True):
            tokens = m.group().split()
            if tokens[0] in firsts and tokens[-1] in lasts:
                out.append(RecognizerResult(T.PERSON, m.start(), m.end(), 0.6))
        for m in self._ONE.finditer(text):
            if m.group(1) in firsts:
                out.append(RecognizerResult(T.PERSON, m.start(1), m.end(1), 0.5))
        return out

    # a lone known first name inside a sentence (not its first word), e.g. "Why is Natasja so late?"
    _ONE = re.compile(r"(?<=[\p{Ll},;]\s{1,3})(" + _NAME_TOKEN + r")(?![\p{L}\-]|\s+\p{Lu})")


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

            self.nlp = spacy.load(model, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter",
                                                  "morphologizer"])
        except (OSError, ImportError) as exc:  # E050: the package is not installed
            self.error = f"spaCy model {model!r} is not installed ({type(exc).__name__})"

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
        recognizers: list[tuple[EntityRecognizer, Any]] = [
            (Secrets(), None),
            (Email(), "@"),
            (CreditCard(), "digit"),
            (Iban(), "digit"),
            (UsSsn(), "digit"),
            (Ip(), "ip"),
            (Phone(cfg.phone_regions), "digit"),
            (Address(), "digit"),
            (ContextName(), None),
            (GazetteerName(), None),
        ]
        self.recognizers = [(r, trig, _context_rx(r.context) if r.context else None) for r, trig in recognizers
                            if self.entities & set(r.supported_entities)]
        want_ner = cfg.ner if ner is None else ner
        wants_names = bool(self.entities & {T.PERSON, T.LOCATION})
        self.ner: SpacyNer | None = None
        if not want_ner or not wants_names:
            why = "pii.ner is false" if not want_ner else "no NER entity type (PERSON, LOCATION) is selected"
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
        has_digit = any(c.isdigit() for c in text)
        out = []
        for rec, trigger, ctx in self.recognizers:
            if trigger == "digit" and not has_digit:
                continue
            if trigger == "@" and "@" not in text:
                continue
            if trigger == "ip" and not (has_digit and ("." in text or ":" in text)):
                continue
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

    @staticmethod
    def _sentence_initial(text: str, start: int) -> bool:
        before = text[:start].rstrip(" \t\"'“(*-")
        return not before or before[-1] in ".!?:;>\n"

    def _ner_results(self, text: str, ents: Sequence[tuple[int, int, str]]) -> list[tuple[RecognizerResult, str]]:
        """NER spans that have the shape of a name or place (the small model tags file names, plan
        names and units too): capitalized words of letters only, not an all-caps abbreviation; a
        PERSON needs one word from the name gazetteer (which the context rules do not need)."""
        firsts, lasts = name_gazetteer()
        out = []
        for start, end, label in ents:
            value = text[start:end].strip(" '’")
            start = text.index(value, start) if value else start
            end = start + len(value)
            words = value.split()
            if not words or not self._NAME_SHAPE.match(value) or (value.isupper() and len(value) <= 4):
                continue
            known = [w for w in words if w in firsts or w in lasts]
            if len(words) == 1 and not known and (value.isupper() or self._sentence_initial(text, start)):
                continue  # "Rebuild the index", "DEBUG": a capitalized word, not a name
            if label in ("PERSON", "PER"):
                if known or not any(w in COMMON_WORD_NAMES for w in words):
                    out.append((RecognizerResult(T.PERSON, start, end, NER_SCORE),
                                "spacy_ner+gazetteer" if known else "spacy_ner"))
            elif label in SpacyNer.NAME_LIKE and known and (words[0] in firsts or len(words) == 1):
                # the small model often labels an unfamiliar full name ORG; a known name says PERSON
                out.append((RecognizerResult(T.PERSON, start, end, 0.6), "spacy_ner+gazetteer"))
            elif label in SpacyNer.LABELS and not (len(words) == 1 and value in COMMON_WORD_NAMES):
                out.append((RecognizerResult(SpacyNer.LABELS[label], start, end, NER_SCORE), "spacy_ner"))
        return out

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
            out.append(self._resolve(text, found))
        return out

    def describe(self) -> dict[str, Any]:
        """What the report says about detection (names and settings, never values)."""
        return {
            "entities": sorted(self.entities),
            "threshold": self.threshold,
            "allow_list_size": len(self.allow),
            "recognizers": [r.name for r, _, _ in self.recognizers] + (["spacy_ner"] if self.ner else []),
            "ner": self.ner_status.as_dict(),
        }
