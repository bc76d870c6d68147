"""Built-in chat templates: exact renders, trained spans, preference continuations, tools."""

from __future__ import annotations

import json

import pytest

from tuneset.records import message
from tuneset.templates import BUILTINS, KNOWN_MARKERS, get_template

CHAT = [message("system", "Be brief."), message("user", "Hi?"), message("assistant", "Hello!"),
        message("user", "Bye?"), message("assistant", "Bye.")]

EXPECTED = {
    "chatml": ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n"
               "<|im_start|>assistant\n⟦Hello!<|im_end|>⟧\n<|im_start|>user\nBye?<|im_end|>\n"
               "<|im_start|>assistant\n⟦Bye.<|im_end|>⟧\n"),
    "llama3": ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
               "<|start_header_id|>user<|end_header_id|>\n\nHi?<|eot_id|>"
               "<|start_header_id|>assistant<|end_header_id|>\n\n⟦Hello!<|eot_id|>⟧"
               "<|start_header_id|>user<|end_header_id|>\n\nBye?<|eot_id|>"
               "<|start_header_id|>assistant<|end_header_id|>\n\n⟦Bye.<|eot_id|>⟧"),
    "mistral": "<s>[INST] Hi?[/INST]⟦ Hello!</s>⟧[INST] Be brief.\n\nBye?[/INST]⟦ Bye.</s>⟧",
    "gemma": ("<bos><start_of_turn>user\nBe brief.\n\nHi?<end_of_turn>\n<start_of_turn>model\n⟦Hello!<end_of_turn>⟧\n"
              "<start_of_turn>user\nBye?<end_of_turn>\n<start_of_turn>model\n⟦Bye.<end_of_turn>⟧\n"),
}


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_render_matches_the_documented_format_and_trains_every_answer(name):
    rendered = get_template(name).render(CHAT)
    assert rendered.marked() == EXPECTED[name]
    assert rendered.exact_boundaries


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_control_tokens_are_special_pieces_and_known_markers(name):
    t = get_template(name)
    rendered = t.render(CHAT)
    specials = {text for text, special, _ in rendered.pieces if special}
    assert specials and specials <= set(t.markers) <= set(KNOWN_MARKERS)
    # every end-of-turn after an answer is trained: the model must learn to stop
    trained_specials = [text for text, special, trained in rendered.pieces if special and trained]
    assert len(trained_specials) == 2


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_train_from_trains_only_the_continuation(name):
    prompt = CHAT[:4]
    rendered = get_template(name).render(prompt + [message("assistant", "Chosen answer.")], train_from=len(prompt))
    assert rendered.trained_text().lstrip().startswith("Chosen answer.")
    assert "Hello!" not in rendered.trained_text()


TOOLS = json.dumps([{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}])
TOOL_CHAT = [message("user", "Where is HL-1?"),
             message("assistant", None, tool_calls=[{"id": "c1", "type": "function",
                                                     "function": {"name": "lookup", "arguments": '{"id": "HL-1"}'}}]),
             message("tool", "shipped", tool_call_id="c1"), message("assistant", "It shipped.")]


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_tools_and_calls_are_rendered_and_calls_trained(name):
    rendered = get_template(name).render(TOOL_CHAT, TOOLS)
    text, trained = rendered.text, rendered.trained_text()
    assert '"lookup"' in text.split("Where is HL-1?")[0] or "AVAILABLE_TOOLS" in text  # schemas before the question
    assert '"HL-1"' in trained and "It shipped." in trained  # the call and the answer are both trained
    assert "shipped" in text.replace("It shipped.", "") and "shipped" not in trained.replace("It shipped.", "")


def test_spans_and_marked_agree():
    rendered = get_template("chatml").render(CHAT)
    spans = rendered.spans()
    assert [rendered.text[a:b] for a, b in spans] == ["Hello!<|im_end|>", "Bye.<|im_end|>"]


def test_unknown_template_is_a_readable_error():
    with pytest.raises(ValueError, match="not one of chatml, llama3, mistral, gemma"):
        get_template("vicuna")
    with pytest.raises(ValueError, match="not found"):
        get_template("conf/templates/missing.jinja")
