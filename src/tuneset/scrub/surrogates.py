"""Consistent, realistic surrogates: the same value gets the same replacement within its scope, salted.

A surrogate is drawn from a random generator seeded by the keyed hash of (scope, type, canonical
value, attempt): the scope is the example's ``group_id`` (or ``*`` for dataset-wide consistency),
the canonical value ignores case and spacing (digits only for numbers), so ``4111-1111-...`` and
``4111 1111 ...`` of one customer map to one card. It has the kind and shape of the original:

- PERSON: Faker names, one token per token of the original (first / first last / first M. last),
  in the original's case; LOCATION: a Faker city; ADDRESS: a Faker street address, with a city,
  state and ZIP (or a UK-style postcode) when the original has them;
- EMAIL: a Faker user name at a reserved example domain (RFC 2606), never a real mailbox;
- PHONE: the same format with the same country code and new digits;
- CREDIT_CARD: same length, grouping and network digit, Luhn-valid; IBAN: same country and layout,
  valid check digits (``stdnum.iban``); US_SSN: a number in the issued ranges;
- IP_ADDRESS: an address of the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
  203.0.113.0/24, 2001:db8::/32);
- secrets: the same recognizable prefix (``sk-``, ``AKIA``, ``ghp_``...) and character classes with
  new characters; URL credentials: a Faker user name and a random password.

A surrogate never equals, and never contains as a token sequence, an original value scrub saw
(``avoid``): the next attempt is drawn instead, so the leak scan can tell surrogates from leaks.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable

from faker import Faker
from stdnum import iban as std_iban

from tuneset.scrub import types as T
from tuneset.scrub.detectors import luhn_ok
from tuneset.scrub.salt import Keyed

_TOKENS = re.compile(r"\w+")
_DIGIT_TYPES = frozenset({T.PHONE, T.CREDIT_CARD, T.US_SSN})
_SECRET_PREFIX = re.compile(
    r"^(?:sk-(?:proj-|svcacct-|admin-|live-|test-)?|(?:AKIA|ASIA|ABIA|ACCA)|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|"
    r"-----BEGIN [A-Z0-9 ]+-----|eyJ)")
_UK_POSTCODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")
_US_STATE_ZIP = re.compile(r"[A-Z]{2}\s+\d{5}(?:-\d{4})?$")
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
MAX_ATTEMPTS = 50


def canonical(type_: str, value: str) -> str:
    """The form two mentions of one value share: digits only for numbers, else lower-cased word tokens."""
    if type_ in _DIGIT_TYPES:
        digits = "".join(c for c in value if c.isdigit())
        if digits:
            return digits
    if type_ in T.SECRET_TYPES:
        return value.strip()
    return " ".join(_TOKENS.findall(value.casefold()))


def token_form(value: str) -> str:
    """Lower-cased word tokens joined by one space: how the leak scan compares text."""
    return " ".join(_TOKENS.findall(value.casefold()))


def _match_case(original: str, new: str) -> str:
    if original.isupper() and any(c.isalpha() for c in original):
        return new.upper()
    if original.islower():
        return new.lower()
    return new


def _reshape(value: str, rng: random.Random, keep: int = 0) -> str:
    """``value`` with every letter and digit after ``keep`` characters redrawn within its class."""
    out = list(value[:keep])
    for c in value[keep:]:
        if c.isdigit():
            out.append(rng.choice(string.digits))
        elif c.isascii() and c.isupper():
            out.append(rng.choice(string.ascii_uppercase))
        elif c.isascii() and c.islower():
            out.append(rng.choice(string.ascii_lowercase))
        else:
            out.append(c)
    return "".join(out)


def _card_like(value: str) -> bool:
    digits = "".join(c for c in value if c.isdigit())
    return 12 <= len(digits) <= 19 and luhn_ok(digits)


def _regroup(template: str, digits: str) -> str:
    it = iter(digits)
    return "".join(next(it) if c.isdigit() else c for c in template)


class Surrogates:
    """Draws surrogates under a key; ``avoid(candidate)`` is True for candidates that must not be used."""

    def __init__(self, keyed: Keyed, locale: str = "en_US", avoid: Callable[[str, str], bool] | None = None) -> None:
        self.keyed = keyed
        self.fake = Faker(locale)
        self.avoid = avoid or (lambda type_, candidate: False)
        self._cache: dict[tuple[str, str, str], str] = {}

    def get(self, type_: str, value: str, scope: str) -> str:
        """The surrogate of ``value`` (of ``type_``) within ``scope``: the same every time it is asked."""
        canon = canonical(type_, value)
        key = (scope, type_, canon)
        made = self._cache.get(key)
        if made is None:
            made = self._draw(type_, value, scope, canon)
            self._cache[key] = made
        return self._shape_like(type_, value, made)

    def _draw(self, type_: str, value: str, scope: str, canon: str) -> str:
        candidate = value
        for attempt in range(MAX_ATTEMPTS):
            rng = random.Random(self.keyed.seed(scope, type_, canon, str(attempt)))
            self.fake.seed_instance(rng.getrandbits(64))
            candidate = self._make(type_, value, rng)
            if type_ == T.PHONE and _card_like(candidate):
                continue  # a phone that passes Luhn would read as a card to the leak scan
            if canonical(type_, candidate) != canon and not self.avoid(type_, candidate):
                return candidate
        return candidate  # pragma: no cover - 50 collisions in a row

    def _shape_like(self, type_: str, value: str, made: str) -> str:
        """The drawn surrogate in this mention's format (digits regrouped, case matched)."""
        if type_ in (T.PHONE, T.CREDIT_CARD, T.US_SSN):
            digits = "".join(c for c in made if c.isdigit())
            if sum(c.isdigit() for c in value) == len(digits):
                return _regroup(value, digits)
        if type_ in (T.PERSON, T.LOCATION, T.EMAIL, T.ADDRESS):
            return _match_case(value, made)
        return made

    # -- generators -----------------------------------------------------------------------------

    def _make(self, type_: str, value: str, rng: random.Random) -> str:
        f = self.fake
        if type_ == T.PERSON:
            n = max(1, len(value.split()))
            if n == 1:
                return f.first_name()
            middle = [f"{rng.choice(string.ascii_uppercase)}." for _ in range(n - 2)]
            return " ".join([f.first_name(), *middle, f.last_name()])
        if type_ == T.LOCATION:
            return f.city()
        if type_ == T.ADDRESS:
            out = f.street_address()
            if value.count(",") >= 1:
                out += f", {f.city()}"
            if _US_STATE_ZIP.search(value):
                out += f", {f.state_abbr()} {f.zipcode()}"
            elif _UK_POSTCODE.search(value):
                out += " " + "".join([rng.choice("BLMNS"), str(rng.randint(1, 20)), " ", str(rng.randint(1, 9)),
                                      rng.choice("ABDEFGHJLNPQRSTUWXYZ"), rng.choice("ABDEFGHJLNPQRSTUWXYZ")])
            return out
        if type_ == T.EMAIL:
            return f"{f.user_name()}{rng.randint(1, 99)}@{rng.choice(EXAMPLE_DOMAINS)}"
        if type_ == T.PHONE:
            return self._phone(value, rng)
        if type_ == T.CREDIT_CARD:
            digits = [c for c in value if c.isdigit()]
            body = digits[0] + "".join(rng.choice(string.digits) for _ in range(len(digits) - 2))
            check = next(d for d in string.digits if luhn_ok(body + d))
            return _regroup(value, body + check)
        if type_ == T.IBAN:
            return self._iban(value, rng)
        if type_ == T.US_SSN:
            area = rng.choice([a for a in range(1, 900) if a != 666])
            digits = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
            return _regroup(value, digits) if sum(c.isdigit() for c in value) == 9 else f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
        if type_ == T.IP_ADDRESS:
            if ":" in value:
                return "2001:db8:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6))
            return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"
        if type_ == T.URL_CREDENTIALS:
            pw = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))
            return f"{f.user_name()}:{pw}"
        if type_ == T.PRIVATE_KEY:
            lines = value.split("\n")
            body = [_reshape(line, rng) if not line.startswith("-----") else line for line in lines]
            return "\n".join(body)
        # API keys, tokens, JWTs, passwords, generic secrets: same prefix and character classes
        m = _SECRET_PREFIX.match(value)
        return _reshape(value, rng, keep=m.end() if m else 0)

    def _phone(self, value: str, rng: random.Random) -> str:
        keep = 0
        m = re.match(r"\s*\+\d{1,3}", value)
        if m:
            keep = m.end()
        out = list(value[:keep])
        first = True
        for c in value[keep:]:
            if c.isdigit():
                out.append(c if first and c == "0" else rng.choice("23456789" if first else string.digits))
                first = False
            else:
                out.append(c)
        return "".join(out)

    def _iban(self, value: str, rng: random.Random) -> str:
        compact = "".join(value.split()).upper()
        country = compact[:2]
        for _ in range(MAX_ATTEMPTS):
            bban = _reshape(compact[4:], rng)
            number = country + std_iban.calc_check_digits(country + "00" + bban) + bban
            if std_iban.is_valid(number):
                break
        out, it = [], iter(number)
        for c in value:
            out.append(c if c.isspace() else next(it))
        text = "".join(out)
        return text.lower() if value.islower() else text
