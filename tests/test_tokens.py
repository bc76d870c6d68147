"""Token counts: offline tokenizers, exact agreement with tiktoken, rendered templates, BPE guard."""

from __future__ import annotations

import json

import pytest
import quicktok
import tiktoken

from tuneset import tokens
from tuneset.records import message
from tuneset.templates import BUILTINS, get_template

# A fixed corpus: prose, code, whitespace oddities, unicode, and text that looks like special tokens.
CORPUS = [
    "", "hello world", "Hello, World!", "  leading and trailing  ", "tabs\tand\r\nCRLF\n\n\nnewlines",
    "don't can't we'll I'M", "naïve café — “quotes” … €100", "日本語のテキストと中文", "emoji 🎉👩‍👩‍👧 flags 🇫🇷",
    "def f(x):\n    return x ** 2  # square\n", '{"key": [1, 2, 3], "nested": {"a": null}}',
    "1234567890 3.14159 -42 1e10", "https://example.com/path?q=1&r=2#frag", "a" * 1000, "ab" * 700,
    "<|endoftext|>", "before <|endoftext|> after", "<|im_start|>user\nhi<|im_end|>", "<|eot_id|><|start_header_id|>",
    "[INST] question [/INST]", "<start_of_turn>model\n<end_of_turn>", "<|endofprompt|> and <|fim_prefix|>",
    "x" * 5000 + " " + "y" * 3000,
]


@pytest.mark.parametrize("backend", ["quicktok", "tiktoken"])
@pytest.mark.parametrize("name", tokens.TIKTOKEN_NAMES)
def test_counts_match_tiktoken_on_a_fixed_corpus(name, backend):
    enc = tokens.encoding(name)
    reference = tiktoken.get_encoding(name)
    counter = tokens.TokenCounter(name, backend=backend)
    assert counter.backend == backend
    for text in CORPUS:
        exact = len(reference.encode(text, disallowed_special=()))
        assert tokens.count_text(text, enc) == exact, text[:40]
        assert counter.count(text) == exact, text[:40]
    assert counter.guarded == 0


@pytest.mark.parametrize("name", tokens.TIKTOKEN_NAMES)
def test_quicktok_vocabularies_agree_with_tiktoken(name):
    reference = tiktoken.get_encoding(name)
    q = quicktok.get_encoding(name)
    for text in CORPUS:
        assert q.encode_ordinary(text) == reference.encode_ordinary(text), text[:40]


def test_canonical_names_work_offline_and_match_known_ids(tmp_path):
    tokens.seed_tiktoken_cache(tmp_path / "tiktoken")
    assert tiktoken.get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]  # published ids
    assert tiktoken.get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]


def test_open_model_vocabularies_load_offline():
    assert tokens.encoding("llama3").encode_ordinary("hello world") == [15339, 1917]
    assert tokens.encoding("qwen3").encode_ordinary("hello world") == [14990, 1879]
    assert "<|eot_id|>" in tokens.special_tokens(tokens.encoding("llama3"))
    assert tokens.TokenCounter("llama3").count("<|eot_id|>") > 1  # typed text, not the control token


def test_unknown_tokenizer_names_the_choices():
    with pytest.raises(ValueError, match="o200k_base, cl100k_base, llama3, qwen3"):
        tokens.encoding("gpt2")


def test_bpe_guard_chunks_only_huge_runs_and_stays_close():
    counter = tokens.TokenCounter("o200k_base")
    blob = "".join(chr(97 + (i * 7) % 26) for i in range(tokens.GUARD_CHARS * 3))
    exact = len(counter.enc.encode_ordinary(blob))
    n = counter.count(f"see: {blob} end")
    assert counter.guarded == 1
    assert abs(n - exact) <= 3 * (len(blob) // tokens.CHUNK_CHARS + 1) + 3
    counter.count("word " * 10000)  # long, but whitespace breaks it into ordinary pre-tokens
    assert counter.guarded == 1


CHATS = [
    [message("user", "Hi?"), message("assistant", "Hello!")],
    [message("system", "Be brief. ✨"), message("user", "Write code:\n```py\nx = 1\n```"),
     message("assistant", "Sure:\n\n```py\nprint(x)\n```\nDone."), message("user", "  spaced?"),
     message("assistant", "1234 numbers, 'quotes' and émojis 🎉")],
    [message("user", "Where is HL-1?"),
     message("assistant", "Checking.", tool_calls=[{"id": "c1", "type": "function",
                                                   "function": {"name": "lookup", "arguments": '{"id": "HL-1"}'}}]),
     message("tool", '{"status": "shipped"}', tool_call_id="c1"), message("assistant", "It shipped.")],
]
TOOLS = json.dumps([{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}])


def _with_markers(base: tiktoken.Encoding, markers) -> tiktoken.Encoding:
    """The tokenizer a trainer builds: the base vocabulary plus the template's control tokens."""
    specials = dict(base._special_tokens)
    for m in markers:
        specials.setdefault(m, base.n_vocab + len(specials))
    return tiktoken.Encoding(name=f"{base.name}+chat", pat_str=base._pat_str, mergeable_ranks=base._mergeable_ranks,
                             special_tokens=specials)


@pytest.mark.parametrize("template", sorted(BUILTINS))
@pytest.mark.parametrize("name", tokens.TIKTOKEN_NAMES)
def test_rendered_count_equals_encoding_the_whole_rendered_text(name, template):
    t = get_template(template)
    counter = tokens.TokenCounter(name)
    full = _with_markers(tiktoken.get_encoding(name), t.markers)
    for i, chat in enumerate(CHATS):
        rendered = t.render(chat, TOOLS if i == 2 else None)
        total, trained = counter.count_rendered(rendered)
        assert total == len(full.encode(rendered.text, allowed_special=set(t.markers)))
        assert trained == sum(len(full.encode(rendered.text[a:b], allowed_special=set(t.markers)))
                              for a, b in rendered.spans())


@pytest.mark.parametrize("name, template", [("llama3", "llama3"), ("qwen3", "chatml")])
def test_rendered_count_equals_the_model_tokenizer_with_its_own_control_tokens(name, template):
    counter = tokens.TokenCounter(name)
    t = get_template(template)
    for i, chat in enumerate(CHATS):
        rendered = t.render(chat, TOOLS if i == 2 else None)
        assert counter.count_rendered(rendered)[0] == len(counter.enc.encode_with_special(rendered.text))
