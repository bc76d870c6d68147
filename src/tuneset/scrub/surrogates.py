"""Consistent, realistic surrogates: the same value gets the same replacement within its scope, salted.

A surrogate is drawn from a random generator seeded by the keyed hash of (scope, type, canonical
value, attempt): the scope is the example's ``group_id`` (or ``*`` for dataset-wide consistency),
the canonical value ignores case and spacing (digits only for numbers), so ``4111-1111-...`` and
``4111 1111 ...`` of one customer map to one card. It has the kind and shape of the original:

- PERSON: word by word, so a full name and its parts stay consistent ("Chloe Smith" -> "Ava Brooks",
  then "Chloe" -> "Ava" and "Smith" -> "Brooks" everywhere in the scope): a word from Faker's first
  names becomes a first name of the same gender where the lists say it, any other word a last name,
  an initial another initial, particles (de, van, von...) stay; the original's case per word. LOCATION: a Faker city; ADDRESS: a Faker street address, with a city,
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

import functools
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
_PARTICLES = frozenset({"de", "da", "di", "du", "del", "della", "van", "von", "der", "den", "la", "le", "bin", "al", "y"})


@functools.lru_cache(maxsize=1)
def _first_name_genders() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(female, male, any) first names of Faker's English-speaking locales, casefolded."""
    import importlib

    female: set[str] = set()
    male: set[str] = set()
    first: set[str] = set()
    for loc in ("en_US", "en_GB", "en_IE", "en_NZ", "en_AU", "en_CA", "en_IN"):
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except ImportError:
            continue
        for attr, bucket in (("first_names_female", female), ("first_names_male", male), ("first_names", first)):
            values = vars(provider).get(attr, getattr(provider, attr, ()))
            if not isinstance(values, property) and values:
                bucket.update(n.casefold() for n in values if isinstance(n, str))
    return frozenset(female), frozenset(male), frozenset(first | female | male)


MAX_NAME_ATTEMPTS = 200
_LATIN_NAME = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?$")


@functools.lru_cache(maxsize=1)
def _name_pools() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Surrogate name words by pool (female, male, first, last): (those of Faker's English locales, those of
    every locale), in plain Latin letters (tens of thousands, so surrogates need not repeat)."""
    import importlib
    import pkgutil

    import faker.providers.person as people

    pools: dict[str, dict[str, None]] = {k: {} for k in ("female", "male", "first", "last")}
    english: dict[str, set[str]] = {k: set() for k in pools}
    locales = sorted((m.name for m in pkgutil.iter_modules(people.__path__) if m.ispkg),
                     key=lambda n: (not n.startswith("en"), n))
    for loc in locales:
        provider = importlib.import_module(f"{people.__name__}.{loc}").Provider
        for attr, pool in (("first_names_female", "female"), ("first_names_male", "male"), ("first_names", "first"),
                           ("last_names", "last")):
            values = vars(provider).get(attr, getattr(provider, attr, ()))
            if isinstance(values, property) or not values:
                continue
            for name in values:
                if isinstance(name, str) and _LATIN_NAME.match(name):
                    for k in (pool, "first") if pool in ("female", "male") else (pool,):
                        pools[k][name] = None
                        if loc.startswith("en"):
                            english[k].add(name)
    return {k: (tuple(n for n in v if n in english[k]), tuple(v)) for k, v in pools.items()}


def _name_pool(word: str) -> str:
    """Which Faker list a name word's surrogate comes from: female, male, first (either) or last."""
    female, male, first = _first_name_genders()
    w = word.casefold()
    if w in female and w not in male:
        return "female"
    if w in male and w not in female:
        return "male"
    return "first" if w in first else "last"


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
    """Lower-cased word tokens joined by one space (what the collision guard compares)."""
    return " ".join(_TOKENS.findall(value.casefold()))


def mention_form(value: str) -> str:
    """Word tokens joined by one space, case kept: how scrub matches a mention and how the leak scan
    looks for it ("Max" is the name, "max speed" is not)."""
    return " ".join(_TOKENS.findall(value))


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
        self._taken: dict[str, set[str]] = {}  # scope -> name words already given as surrogates

    def get(self, type_: str, value: str, scope: str) -> str:
        """The surrogate of ``value`` (of ``type_``) within ``scope``: the same every time it is asked."""
        if type_ == T.PERSON:  # word by word (each word cached), punctuation and case as in this mention
            return self._person(value, scope)
        canon = canonical(type_, value)
        key = (scope, type_, canon)
        made = self._cache.get(key)
        if made is None:
            made = self._draw(type_, value, scope, canon)
            self._cache[key] = made
        return self._shape_like(type_, value, made)

    def _draw(self, type_: str, value: str, scope: str, canon: str) -> str:
        if type_ == T.PERSON:
            return self._person(value, scope)
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

    # -- names, word by word ----------------------------------------------------------------------

    def _person(self, value: str, scope: str) -> str:
        return "".join(piece if not piece.strip() else self._name_word(piece, scope)
                       for piece in re.split(r"(\s+)", value))

    def _name_word(self, word: str, scope: str) -> str:
        lead = word[:len(word) - len(word.lstrip("\"“'‘(["))]
        core = word[len(lead):].rstrip(".,;:!?\"”’')]")
        if core.casefold().endswith(("'s", "’s")):  # "Max's" -> "Ava's"
            core = core[:-2]
        tail = word[len(lead) + len(core):]
        if core.casefold() in _PARTICLES or not any(c.isalpha() for c in core):
            return word
        key = (scope, "PERSON-word", core.casefold())
        made = self._cache.get(key)
        if made is None:
            made = self._draw_word(core, scope)
            self._cache[key] = made
        return lead + _match_case(core, made) + tail

    def _draw_word(self, core: str, scope: str) -> str:
        """A name word's surrogate: never an original, and never the surrogate of another word in the
        scope ("Millie and Monica" must not become "Judith and Judith")."""
        canon = core.casefold()
        candidate = core
        taken = self._taken.setdefault(scope, set())
        english, everyone = _name_pools()[_name_pool(core)] if len(core) > 1 else (tuple(string.ascii_uppercase),) * 2
        for attempt in range(MAX_NAME_ATTEMPTS):
            rng = random.Random(self.keyed.seed(scope, "PERSON-word", canon, str(attempt)))
            candidate = rng.choice(english if attempt < MAX_ATTEMPTS else everyone)  # English names first
            folded = candidate.casefold()
            if folded != canon and folded not in taken and (len(core) == 1 or not self.avoid(T.PERSON, candidate)):
                taken.add(folded)
                return candidate
        return candidate  # pragma: no cover - every attempt collided

    # -- generators -----------------------------------------------------------------------------

    def _make(self, type_: str, value: str, rng: random.Random) -> str:
        f = self.fake
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
