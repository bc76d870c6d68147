"""`tuneset show ID --template NAME`: the rendered example with its trained spans marked."""

from __future__ import annotations

import pytest

from tuneset import frames
from tuneset.cli import main as cli
from tuneset.frames import records_frame


@pytest.fixture
def examples(tmp_path, record_factory):
    recs = [record_factory(locator="1", system="Be brief."), record_factory(locator="2", kind="preference")]
    path = tmp_path / "examples.parquet"
    frames.write_parquet(records_frame(recs), path)
    return path, recs


def show(capsys, *args):
    code = cli(["show", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_show_by_example_id_prefix_marks_trained_spans(examples, capsys, tmp_path):
    path, recs = examples
    code, out, _ = show(capsys, recs[0]["example_id"][:10], "--examples", str(path), "--params",
                        str(tmp_path / "none.yaml"), "--template", "llama3", "--color", "never")
    assert code == 0
    assert f"example {recs[0]['example_id']}" in out
    assert "llama3 template, o200k_base:" in out and "trained (" in out
    assert "⟦Use the reset link.<|eot_id|>⟧" in out
    assert "<|start_header_id|>user<|end_header_id|>\n\nHow do I reset my password?<|eot_id|>" in out


def test_show_preference_by_origin_id_lists_both_sides_and_tokens(examples, capsys, tmp_path):
    path, recs = examples
    code, out, _ = show(capsys, recs[1]["origin_id"][:12], "--examples", str(path), "--params",
                        str(tmp_path / "none.yaml"), "--tokenizer", "cl100k_base", "--tokens", "--color", "never")
    assert code == 0
    assert "chosen: chatml template, cl100k_base" in out and "rejected: chatml template" in out
    assert "⟦No.<|im_end|>⟧" in out
    assert "train  special  '<|im_end|>'" in out and "  -    special  '<|im_start|>'" in out


def test_color_output_uses_ansi(examples, capsys, tmp_path):
    path, recs = examples
    _, out, _ = show(capsys, recs[0]["origin_id"][:8], "--examples", str(path), "--params",
                     str(tmp_path / "none.yaml"), "--color", "always")
    assert "\x1b[32;1mUse the reset link." in out


@pytest.mark.parametrize("ident, message", [("abc", "at least 8 hex"), ("ffffffffff", "no example"),
                                            ("not-hex-at-all", "at least 8 hex")])
def test_bad_ids_are_readable_errors(examples, capsys, tmp_path, ident, message):
    path, _ = examples
    code, _, err = show(capsys, ident, "--examples", str(path), "--params", str(tmp_path / "none.yaml"))
    assert code == 1 and message in err


def test_ambiguous_prefix_asks_for_more_characters(record_factory):
    from tuneset.templates.show import find_example

    a, b = record_factory(locator="1"), record_factory(locator="2")
    a["example_id"], b["example_id"] = "abcdef12" + "0" * 56, "abcdef12" + "1" * 56
    df = records_frame([a, b])
    with pytest.raises(LookupError, match="ambiguous: 2 examples match"):
        find_example(df, "abcdef12")
    assert find_example(df, "abcdef121")["locator"] == "2"


def test_missing_file_and_unknown_template_are_readable_errors(examples, capsys, tmp_path):
    path, recs = examples
    code, _, err = show(capsys, recs[0]["origin_id"][:8], "--examples", str(tmp_path / "nope.parquet"),
                        "--params", str(tmp_path / "none.yaml"))
    assert code == 1 and "not found" in err
    code, _, err = show(capsys, recs[0]["origin_id"][:8], "--examples", str(path), "--params",
                        str(tmp_path / "none.yaml"), "--template", "vicuna")
    assert code == 1 and "not one of chatml" in err
