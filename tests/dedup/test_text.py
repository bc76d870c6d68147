"""tuneset.dedup.text: the fast per-row extraction agrees with the plain definitions."""

from __future__ import annotations

import pytest

from tuneset import schema as col
from tuneset.dedup.text import exact_key, extract, fold, key_turns, numbers, plain

from .helpers import frame, pref, sft

ROWS = [
    sft("  Where is my ORDER 1182? ", "It left\n\nthe warehouse  today. ", system="Be brief.", loc="1"),
    sft("Yes, it did not arrive.", "I resent it.", history=[("I cannot log in.", "Did you try the reset link?")], loc="2"),
    pref("Refund?", "Yes,  within 14 days.", "No.", loc="3"),
]


@pytest.mark.parametrize("key", ["conversation", "prompt", "answer"])
@pytest.mark.parametrize("include_system", [False, True])
@pytest.mark.parametrize("case, whitespace", [(True, True), (False, True), (True, False), (False, False)])
def test_extract_matches_key_turns_and_exact_key(key, include_system, case, whitespace):
    texts = extract(frame(ROWS), key, include_system, case, whitespace)
    for i, r in enumerate(ROWS):
        turns = key_turns(r[col.KIND], r[col.MESSAGES], r[col.CHOSEN], r[col.REJECTED], key, include_system)
        assert texts.key_text[i] == plain(turns)
        assert texts.exact[i] == exact_key(r[col.KIND], turns, case, whitespace)
        prompt = key_turns(r[col.KIND], r[col.MESSAGES], r[col.CHOSEN], r[col.REJECTED], "prompt", include_system)
        assert texts.prompt_exact[i] == exact_key(r[col.KIND], prompt, case, whitespace)


def test_exact_key_is_folding_turn_by_turn():
    a = [("user", "  Hello   THERE "), ("assistant", "Hi!\n")]
    b = [("user", fold("  Hello   THERE ")), ("assistant", fold("Hi!\n"))]
    assert exact_key("sft", a, True, True) == exact_key("sft", b, False, False)
    assert exact_key("sft", a, True, True) != exact_key("sft", [("user", "hello there hi!")], True, True)
    assert exact_key("sft", a, True, True) != exact_key("preference", a, True, True)


def test_texts_of_each_kind():
    texts = extract(frame(ROWS), "conversation", False, True, True)
    assert texts.prompt[1] == "I cannot log in.\nDid you try the reset link?\nYes, it did not arrive."
    assert texts.answer[1] == "I resent it." and texts.rejected[1] == ""
    assert texts.answer[2] == "Yes,  within 14 days." and texts.rejected[2] == "No."
    assert texts.key_text[2] == "Refund?\nYes,  within 14 days.\nNo."
    assert texts.answer_chars[2] == len("yes, within 14 days.")
    assert "Be brief." not in texts.key_text[0]


def test_numbers_are_standalone_numbers():
    assert numbers("Order 1182 costs $12.50, not 3,000; sha256 and w123 are words.") == ("1182", "12.50", "3,000")
