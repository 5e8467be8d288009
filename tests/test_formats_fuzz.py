"""Property: whatever bytes a file holds, read_history returns a History or raises HistoryError."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from epochwatch.engine.formats import HistoryError, RunLogWriter, read_history, write_csvlogger, write_keras_json
from epochwatch.engine.history import History

FUZZ = settings(max_examples=150, deadline=1000, suppress_health_check=[HealthCheck.too_slow])


def _valid_files() -> list[bytes]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        h = History({"loss": [1.0, 0.5, math.nan, 0.25], "val_loss": [1.2, math.inf, 0.7, 0.6]})
        write_keras_json(h, root / "h.json")
        write_csvlogger(h, root / "h.csv")
        write_csvlogger(h, root / "s.csv", separator=";")
        with RunLogWriter(root / "r.jsonl", run="r", meta={"baseline": 1.0}) as log:
            log.epoch(1, {"loss": 1.0, "val_loss": 1.1})
            log.marker("extend", 1)
            log.epoch(2, {"loss": math.nan})
            log.batch(3, 1, 4, {"loss": 0.5})
            log.marker("restart", 2)
            log.epoch(1, {"loss": 2.0}, attempt=2)
        return [p.read_bytes() for p in sorted(root.iterdir())]


VALID = _valid_files()


def _read(data: bytes, name: str = "fuzz.dat") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            history = read_history(path)
        except HistoryError as err:
            assert str(err).startswith(str(path)) and "\n" not in str(err)
            # the catch-all in read_history is a safety net; a reader should never need it
            assert "cannot read (" not in str(err), str(err)
        else:
            assert isinstance(history, History)
            assert history.source == str(path)
            assert history.meta["format"] in ("keras-json", "csvlogger", "runlog")


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _read(data)


@FUZZ
@given(st.sampled_from(VALID), st.data())
def test_truncated_valid_files(valid, data):
    cut = data.draw(st.integers(0, len(valid)))
    _read(valid[:cut])


@FUZZ
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=4)),
                                        min_size=1, max_size=6))
def test_mutated_valid_files(valid, edits):
    data = bytearray(valid)
    for position, replacement in edits:
        position %= len(data) + 1
        data[position:position + len(replacement) or position + 1] = replacement
    _read(bytes(data))


@FUZZ
@given(st.sampled_from(VALID), st.text(alphabet=",;\t| :\r\n\"NA0123456789.-einfaloss_v{}[]", max_size=200))
def test_valid_prefix_with_text_appended(valid, tail):
    _read(valid + tail.encode())
