"""Names without NER: context cues, full-name shapes, speaker labels, lists, all-lower-case texts, and the
common-word filter that keeps ordinary words (imperatives, product and UI words) from becoming names."""

from __future__ import annotations

import pytest

from tuneset.scrub import PII_EDITS, scrub
from tuneset.scrub.detectors import Detector
from tuneset.scrub.names import common_words, english_words, list_mates, name_gazetteer, name_parts

from .conftest import SALT, cfg


def persons(detector: Detector, text: str) -> list[str]:
    return [text[s.start:s.end] for s in detector.detect([text])[0] if s.type == "PERSON"]


@pytest.mark.parametrize("text, name", [
    ("my name is olga nowak but everyone calls me olga", "olga nowak"),             # lower case after a strong cue
    ("What's your name? Jildau S Bouts", "Jildau S Bouts"),                         # "name?" and an initial without a period
    ("they were singing the verses from Faina D. Yefremova's Cautionary Tales", "Faina D. Yefremova"),  # run windows
    ("follow up with patricia desrosiers in a couple of months.", "patricia desrosiers"),  # all-lower-case text
    ("Ella: What a day.\nMaria: Remember me?", "Ella"),                            # speaker labels
    ("Natasja, can I please speak to your manager?", "Natasja"),                   # vocative
    ("Her maiden name is Nyberg", "Nyberg"),
    ("Please change the holder to Mrs. Okonkwo-Lind today", "Okonkwo-Lind"),
])
def test_context_and_shape_rules(detector, text, name):
    assert name in persons(detector, text)


@pytest.mark.parametrize("text", [
    "Link your account first, then trace the parcel with the carrier.",  # imperatives that are also names somewhere
    "Open the link and when it loads, file a trace and set a reminder.",  # lower-case words of the gazetteer
    "Hi Team, Dear Customer, this is Support.",
    "Chrome, Safari and Firefox all show the same error.",
    "Note: Error: the sync failed.",
    "Her maiden name is Key",  # a strong cue, but an ordinary word that no name list knows
    "We added Almond Milk and a splash of Ginger to the recipe, as the Queen of Texas likes.",
])
def test_ordinary_words_are_not_names(detector, text):
    assert persons(detector, text) == []


def test_list_mates_follow_a_found_name():
    text = "It is the brainchild of our 3 founders: Monjeau, Graves and Reed."
    start = text.index("Monjeau")
    mates = {text[a:b] for a, b in list_mates(text, [(start, start + len("Monjeau"))])}
    assert mates == {"Monjeau", "Graves"}  # "Reed" is also an ordinary word: never a name by itself
    assert list_mates(text, []) == []  # no found name, too few known ones: not a list of names


def test_gazetteer_spans_faker_locales_and_leaves_out_common_words():
    firsts, lasts = name_gazetteer()
    assert {"Halldór", "Jakob", "Tomasz"} <= firsts and {"Nowak", "Jørgensen"} <= lasts
    assert not {"Will", "May", "Chrome", "Thanks"} & firsts
    assert {"Will", "Chrome", "Because"} <= common_words()
    english = english_words()  # WordNet's lemmas (from the pinned spaCy model package) minus English first names
    assert {"Link", "Queen", "Texas", "Milk", "Met"} <= english and not {"John", "Sarah", "Natasja"} & english
    assert name_parts("Joakim Westgård") == ["Joakim", "Westgård"] and name_parts("Westgård") == []


def test_a_surname_alone_later_in_the_example_is_replaced_too(frame):
    df = frame(("The film was directed by Joakim Westgård and starring Westgård himself.", "Noted."))
    r = scrub(df, cfg(), SALT, detector=Detector(cfg()))
    text = r.examples["messages"][0][0]["content"]
    assert "Westgård" not in text and r.examples[PII_EDITS][0] == '{"PERSON":2}'


def test_allow_listed_parts_are_not_propagated(frame):
    df = frame(("Please ask Jane Northwind about it. Northwind support said yes.", "Ok."))
    c = cfg(allow_list=["Northwind"])
    r = scrub(df, c, SALT, detector=Detector(c))
    assert "Northwind support said" in r.examples["messages"][0][0]["content"]
