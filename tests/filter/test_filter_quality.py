"""Quality rules: each keeps one example and drops another (table-driven), records its name,
fingerprint, version, score and threshold, and has a fingerprint that follows its parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tuneset import schema as col
from tuneset.config import ConfigError
from tuneset.filter import SCORE_PREFIX, apply_rules, build_rules, filter_rules
from tuneset.frames import records_frame

CONTEXT = {"tokenizer": "o200k_base", "template": "chatml", "context_tokens": 8192}

LONG_ANSWER = ("Open Settings, choose Billing, then select the invoice you need and press Download. "
               "The PDF lands in your Downloads folder within a minute.")
LOOP = "I can help with that. " * 12
LINES = "\n".join(["Step one: open the app.", "Press Sync.", "Press Sync.", "Press Sync.", "Press Sync.", "Done."])
FRENCH = "Bonjour, merci de votre message. Ouvrez les paramètres, puis choisissez Facturation pour télécharger la facture."

# (rule config, record that is kept, record that is dropped); a record is make_record kwargs plus an
# optional "patch" of canonical columns set after it is built.
CASES = [
    ({"rule": "min_answer_tokens", "min": 5}, {"answer": LONG_ANSWER}, {"answer": "Ok."}),
    ({"rule": "max_answer_tokens", "max": 40}, {"answer": LONG_ANSWER}, {"answer": LONG_ANSWER * 3}),
    ({"rule": "min_prompt_tokens", "min": 4}, {"user": "How do I download my invoice?"}, {"user": "Invoice?"}),
    ({"rule": "max_prompt_tokens", "max": 20}, {"user": "How do I download my invoice?"},
     {"user": "Please help, " * 30 + "how do I download my invoice?"}),
    ({"rule": "answer_prompt_ratio", "min": 0.5, "max": 20.0}, {"answer": LONG_ANSWER},
     {"user": "Why was I charged twice for my plan this month, and how do I get the second charge back?",
      "answer": "Ok."}),
    ({"rule": "repeated_lines", "max": 0.3}, {"answer": "Step one.\nStep two.\nStep three.\nDone."}, {"answer": LINES}),
    ({"rule": "repeated_ngrams", "n": 4, "max": 0.35}, {"answer": LONG_ANSWER}, {"answer": LOOP}),
    ({"rule": "refusal", "action": "drop"}, {"answer": "Sorry for the hassle: I've refunded the charge."},
     {"answer": "As an AI language model, I cannot access your account."}),
    ({"rule": "language", "allowed": ["en"]}, {"answer": LONG_ANSWER}, {"user": "Comment télécharger ma facture ?",
                                                                       "answer": FRENCH}),
    ({"rule": "license", "deny": ["*-NC*"]}, {"patch": {col.LICENSE: "CC-BY-4.0"}},
     {"patch": {col.LICENSE: "CC-BY-NC-4.0"}}),
    ({"rule": "license", "allow": ["internal:*", "MIT"]}, {"patch": {col.LICENSE: "internal: helpdesk"}},
     {"patch": {col.LICENSE: "unknown"}}),
    ({"rule": "template_leftovers"}, {"answer": LONG_ANSWER}, {"answer": "Hi {{customer_name}}, your order shipped."}),
    ({"rule": "template_leftovers"}, {"answer": "Use {braces} and your todo list as you like."},
     {"answer": "Thanks, [Your Name]"}),
    ({"rule": "template_leftovers", "scope": "conversation"}, {"answer": LONG_ANSWER},
     {"user": "Lorem ipsum dolor sit amet?", "answer": LONG_ANSWER}),
    ({"rule": "restates_question", "max": 0.8}, {"user": "How do I reset my password?",
                                                 "answer": "Open the sign-in page and choose Forgot password."},
     {"user": "How do I reset my password?", "answer": "You want to reset your password."}),
    ({"rule": "metadata", "drop_if": {"field": "csat", "op": "lt", "value": 3}},
     {"labels": {"csat": "5"}}, {"labels": {"csat": "2"}}),
]


def _record(make, locator: str, spec: dict) -> dict:
    spec = dict(spec)
    patch = spec.pop("patch", {})
    rec = make(locator=locator, **spec)
    rec.update(patch)
    return rec


@pytest.mark.parametrize("spec, keep, drop", CASES, ids=[f"{c[0]['rule']}-{i}" for i, c in enumerate(CASES)])
def test_rule_keeps_one_and_drops_the_other(spec, keep, drop, record_factory):
    (rule,) = build_rules([spec], CONTEXT)
    frame = records_frame([_record(record_factory, "1", keep), _record(record_factory, "2", drop)])
    out = apply_rules(frame, [rule])
    assert out.kept[col.LOCATOR].tolist() == ["1"]
    assert out.dropped[col.LOCATOR].tolist() == ["2"]
    row = out.dropped.iloc[0]
    assert row[col.RULE] == spec["rule"] and row[col.RULE_FINGERPRINT] == rule.fingerprint()
    details = json.loads(row[col.DETAILS])
    assert details["rule_version"] == rule.version and details["threshold"] == rule.threshold()
    assert details["score"] == details["scores"][spec["rule"]] and details["score"] is not None
    assert row[col.REASON].startswith("data/raw/t.jsonl 2: ")
    assert SCORE_PREFIX + spec["rule"] in out.kept.columns


# One parameter change per rule: it must change the fingerprint.
PARAM_CHANGES = {
    "min_answer_tokens": ("min", 7), "max_answer_tokens": ("max", 99), "min_prompt_tokens": ("min", 3),
    "max_prompt_tokens": ("max", 99), "answer_prompt_ratio": ("min", 0.2), "repeated_lines": ("max", 0.5),
    "repeated_ngrams": ("n", 3), "refusal": ("action", "drop"), "language": ("allowed", ["en", "fr"]),
    "license": ("deny", ["*-NC*"]), "template_leftovers": ("scope", "answer"), "restates_question": ("max", 0.7),
    "metadata": ("drop_if", {"field": "csat", "op": "lt", "value": 2}),
    "context_limit": ("limit", 4096), "trained_tokens": ("min_tokens", 2), "template_renders": ("template", "gemma"),
}


def test_every_filter_rule_has_a_fingerprint_case():
    assert set(PARAM_CHANGES) == set(filter_rules()) - {"test_min_locator", "test_even_locator"}


@pytest.mark.parametrize("name", sorted(PARAM_CHANGES))
def test_fingerprint_follows_parameters_only(name):
    param, value = PARAM_CHANGES[name]
    (a,) = build_rules([{"rule": name}], CONTEXT)
    (b,) = build_rules([{"rule": name}], CONTEXT)
    (c,) = build_rules([{"rule": name, param: value}], CONTEXT)
    assert a.fingerprint() == b.fingerprint()  # nothing changed
    assert a.fingerprint() != c.fingerprint()  # a parameter changed
    assert len(a.fingerprint()) == 16


def test_tokenizer_of_the_target_is_a_parameter():
    (a,) = build_rules([{"rule": "min_answer_tokens"}], CONTEXT)
    (b,) = build_rules([{"rule": "min_answer_tokens"}], {**CONTEXT, "tokenizer": "cl100k_base"})
    assert a.tokenizer == "o200k_base" and b.tokenizer == "cl100k_base" and a.fingerprint() != b.fingerprint()


def test_refusals_are_kept_and_labelled_by_default(record_factory):
    frame = records_frame([record_factory(locator="1", answer=LONG_ANSWER),
                           record_factory(locator="2", answer="I'm sorry, but I can't help with that request.")])
    out = apply_rules(frame, build_rules([{"rule": "refusal"}], CONTEXT))
    assert out.dropped.empty and out.failed_by_rule == {"refusal": 0}
    assert out.labels == {"refusal": ["no", "yes"]}
    assert out.kept[SCORE_PREFIX + "refusal"].tolist() == [0, 1]


def test_language_labels_und_for_short_texts_and_codes_otherwise(record_factory):
    frame = records_frame([record_factory(locator="1", user="Hi", answer="Ok."),
                           record_factory(locator="2", answer=LONG_ANSWER),
                           record_factory(locator="3", user="¿Cómo descargo mi factura?",
                                          answer="Abra Configuración, elija Facturación y descargue la factura en PDF.")])
    out = apply_rules(frame, build_rules([{"rule": "language", "allowed": ["en", "es"]}], CONTEXT))
    assert out.labels["language"] == ["und", "en", "es"]
    scores = out.kept[SCORE_PREFIX + "language"].tolist()
    assert np.isnan(scores[0]) and scores[1] > 0.9 and scores[2] > 0.9


@pytest.mark.parametrize("spec, message", [
    ({"rule": "min_answer_tokens", "version": 1}, "config pins version 1, the installed rule is version 2"),
    ({"rule": "min_answer_tokens", "min": "five"}, "parameter min must be int"),
    ({"rule": "repeated_ngrams", "max": 1.5}, "max in [0, 1]"),
    ({"rule": "refusal", "action": "shout"}, "action must be label or drop"),
    ({"rule": "refusal", "extra_phrases": ["(unclosed"]}, "is not a valid regular expression"),
    ({"rule": "language", "text": "everything"}, "text must be answer, question or both"),
    ({"rule": "metadata", "drop_if": {"field": "csat", "op": "below", "value": 3}}, "drop_if.op: 'below' is not one of"),
    ({"rule": "metadata", "drop_if": {"any": [{"field": "csat", "op": "lt"}]}}, "drop_if.any[0].value: lt needs a value"),
    ({"rule": "metadata", "drop_if": {"field": "csat", "op": "lt", "value": "soon"}}, "compares numbers or ISO dates"),
    ({"rule": "template_leftovers", "scope": "everywhere"}, "scope must be answer, prompt or conversation"),
    ({"rule": "min_answer_tokenz"}, "known: answer_prompt_ratio, context_limit"),
])
def test_bad_rule_config_is_an_error_naming_the_rule(spec, message):
    with pytest.raises(ConfigError) as info:
        build_rules([spec], CONTEXT)
    assert message in str(info.value)


def test_a_matching_version_is_accepted():
    (rule,) = build_rules([{"rule": "min_answer_tokens", "version": 2, "min": 5}], CONTEXT)
    assert rule.min == 5 and "version" not in rule.params()


def test_preference_rows_are_judged_on_the_chosen_answer(record_factory):
    good = record_factory(kind="preference", locator="1", answer=LONG_ANSWER)  # rejected is "No."
    bad = record_factory(kind="preference", locator="2", answer="Ok.")
    out = apply_rules(records_frame([good, bad]), build_rules([{"rule": "min_answer_tokens", "min": 5}], CONTEXT))
    assert out.kept[col.LOCATOR].tolist() == ["1"] and out.dropped[col.LOCATOR].tolist() == ["2"]


def test_all_quality_rules_accept_an_empty_frame():
    rules = build_rules([{"rule": name} for name in PARAM_CHANGES if name not in
                         ("context_limit", "trained_tokens", "template_renders")], CONTEXT)
    out = apply_rules(records_frame([]), rules)
    assert out.kept.empty and out.dropped.empty and all(v == 0 for v in out.failed_by_rule.values())
