"""User .jinja templates: Hugging Face dialect, trained spans from generation blocks or content."""

from __future__ import annotations

import pytest

from tuneset import tokens
from tuneset.records import message
from tuneset.templates import KNOWN_MARKERS, JinjaTemplate, TemplateRenderError, get_template

CHAT = [message("system", "Be brief."), message("user", "Hi?"), message("assistant", "Hello!"),
        message("user", "Bye?"), message("assistant", "Bye.")]

CHATML_GENERATION = (
    "{% for m in messages %}"
    "{% if m.role == 'assistant' %}<|im_start|>assistant\n{% generation %}{{ m.content }}<|im_end|>{% endgeneration %}{{ '\\n' }}"
    "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}"
    "{% endfor %}"
)
CHATML_PLAIN = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.mark.parametrize("source", [CHATML_GENERATION, CHATML_PLAIN], ids=["generation-tags", "content-search"])
def test_jinja_chatml_equals_the_builtin(source):
    builtin = get_template("chatml").render(CHAT)
    custom = JinjaTemplate(source, markers=KNOWN_MARKERS).render(CHAT)
    assert custom.text == builtin.text
    assert custom.spans() == builtin.spans()
    counter = tokens.TokenCounter("o200k_base")
    assert counter.count_rendered(custom) == counter.count_rendered(builtin)


def test_train_from_applies_to_generation_blocks():
    t = JinjaTemplate(CHATML_GENERATION, markers=KNOWN_MARKERS)
    rendered = t.render(CHAT, train_from=4)
    assert rendered.trained_text() == "Bye.<|im_end|>"


def test_template_that_prints_no_answer_trains_nothing():
    t = JinjaTemplate("{% for m in messages %}[{{ m.role }}]{% endfor %}")
    assert t.render(CHAT).trained_text() == ""


def test_raise_exception_is_a_render_error_naming_the_template():
    t = JinjaTemplate("{{ raise_exception('system messages are not supported') }}", name="strict.jinja")
    with pytest.raises(TemplateRenderError, match="strict.jinja failed: system messages are not supported"):
        t.render(CHAT)


def test_sandbox_refuses_python_internals():
    t = JinjaTemplate("{{ messages.__class__.__mro__ }}", name="evil.jinja")
    with pytest.raises(TemplateRenderError):
        t.render(CHAT)


def test_hf_variables_tools_and_tojson():
    source = ("{{ bos_token }}{% if tools %}{{ tools | tojson }}{% endif %}"
              "{% for m in messages %}{% if m.tool_calls %}{{ m.tool_calls[0].function.arguments | tojson }}"
              "{% else %}{{ m.content }}{% endif %}{{ eos_token }}{% endfor %}")
    t = JinjaTemplate(source, bos_token="<s>", eos_token="</s>")
    msgs = [message("user", "café?"), message("assistant", None, tool_calls=[
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"q": "é"}'}}])]
    rendered = t.render(msgs, tools='[{"name": "f"}]')
    assert rendered.text == '<s>[{"name": "f"}]café?</s>{"q": "é"}</s>'
    assert [p[0] for p in rendered.pieces if p[1]] == ["<s>", "</s>", "</s>"]


def test_get_template_loads_a_file(tmp_path, monkeypatch):
    (tmp_path / "mine.jinja").write_text(CHATML_GENERATION, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    t = get_template("mine.jinja")
    assert t.name == "mine.jinja" and "Hello!" in t.render(CHAT).trained_text()
