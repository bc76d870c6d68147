import tiktoken

from tuneset import tokens


def test_canonical_names_work_offline_and_match_known_ids(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESET_CACHE_DIR", str(tmp_path))
    tokens.seed_tiktoken_cache(tmp_path / "tiktoken")
    enc = tiktoken.get_encoding("o200k_base")
    assert enc.encode_ordinary("hello world") == [24912, 2375]  # published o200k ids
    assert tiktoken.get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]


def test_count_text_counts_special_token_text_as_text():
    enc = tokens.encoding("o200k_base")
    text = "before <|endoftext|> after"
    assert tokens.count_text(text, enc) == len(enc.encode_ordinary(text))


def test_long_runs_are_chunked_and_stay_close_to_exact():
    enc = tokens.encoding("o200k_base")
    blob = "".join(chr(97 + (i * 7) % 26) for i in range(3000))
    exact = len(enc.encode_ordinary(blob))
    assert abs(tokens.count_text(blob, enc) - exact) <= exact * 0.1 + 20
