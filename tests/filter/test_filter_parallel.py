"""The filter judged batch by batch in worker processes gives exactly what one in-process pass gives:
the same kept table (byte for byte), the same drops and the same reports."""

from __future__ import annotations

import pandas as pd

from tuneset import frames
from tuneset.config import FilterConfig, TargetConfig
from tuneset.filter import FilterRun

ODD = ["As an AI language model, I cannot access your account. Please contact support.",
       "Hi {{customer_name}}, your order has shipped. TODO: add tracking link.",
       "I can help with that. " * 12,
       "x" * 9000]


def _frame(make) -> pd.DataFrame:
    rows = []
    for i in range(120):
        answer = ODD[i % len(ODD)] if i % 7 == 0 else f"Open Settings, then Export, then pick format {i}."
        rows.append(make(f"How do I export my files, part {i}?", answer, locator=str(i + 1),
                         kind="preference" if i % 10 == 5 else "sft", system="Be brief." if i % 3 == 0 else None,
                         labels={"intent": ["export", "billing", "login"][i % 3]}))
    return frames.records_frame(rows)


def _cfg() -> FilterConfig:
    from tuneset import config

    rules = [{"rule": "context_limit"}, {"rule": "trained_tokens"}, {"rule": "min_answer_tokens", "min": 1},
             {"rule": "template_leftovers"}, {"rule": "repeated_ngrams", "n": 4, "max": 0.35},
             {"rule": "restates_question"}, {"rule": "refusal", "action": "label"}, {"rule": "language"}]
    return config.load_section("filter", {"filter": {"rules": rules}})


def test_workers_and_batches_do_not_change_the_output(tmp_path, record_factory):
    df = _frame(record_factory)
    target = TargetConfig(context_tokens=1024)
    source = tmp_path / "in.parquet"
    frames.write_parquet(df, source)

    serial = FilterRun(_cfg(), target)
    kept, dropped = serial.add(frames.read_parquet(source))
    one = frames.ParquetSink(tmp_path / "serial.parquet", list(kept.columns), serial.output_types(kept))
    one.write_frame(kept)
    one.close()

    run = FilterRun(_cfg(), target)
    sink, drops = None, []
    for out, verdict in run.filter_tables(frames.iter_tables(source, batch_rows=17), workers=2):
        if sink is None:
            sink = frames.ParquetSink(tmp_path / "parallel.parquet", out.column_names, run.output_types(verdict.added))
        sink.write_table(out)
        drops.append(verdict.dropped)
    sink.close()

    assert 0 < len(kept) < len(df) and len(dropped) > 0, "the fixture meets both outcomes"
    assert (tmp_path / "serial.parquet").read_bytes() == (tmp_path / "parallel.parquet").read_bytes()
    pd.testing.assert_frame_equal(pd.concat(drops, ignore_index=True), dropped.reset_index(drop=True))
    assert run.report() == serial.report()
    assert run.coverage_report() == serial.coverage_report()
