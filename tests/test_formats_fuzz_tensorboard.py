"""Property: whatever bytes a TensorBoard event file holds, reading its log dir gives a History or a HistoryError.

The one reader test_formats_fuzz.py leaves out (it fuzzes single files). Valid event
files are built here with TensorBoard's protobuf classes and the TFRecord framing (CRCs
zeroed: the reader does not check them), then cut short and mutated.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from epochwatch.engine.formats import HistoryError, read_history
from epochwatch.engine.history import History

event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")

FUZZ = settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
NAME = "events.out.tfevents.1700000000.host.1.0.v2"


def _record(payload: bytes) -> bytes:
    return struct.pack("<Q", len(payload)) + b"\0" * 4 + payload + b"\0" * 4


def _event_file(values: dict[str, list[float]]) -> bytes:
    from tensorboard.compat.proto import summary_pb2

    out = _record(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())
    for step in range(max(len(v) for v in values.values())):
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(tag=f"epoch_{name}", simple_value=series[step])
            for name, series in values.items() if step < len(series)])
        out += _record(event_pb2.Event(wall_time=2.0 + step, step=step, summary=summary).SerializeToString())
    return out


TRAIN = _event_file({"loss": [1.0, 0.5, 0.25, 0.2], "mae": [0.9, 0.6, 0.4, 0.3]})
VALID = _event_file({"loss": [1.2, 0.7, 0.6, 0.65]})


def test_the_valid_files_read_back():
    with tempfile.TemporaryDirectory() as folder:
        history = _read_dir(Path(folder), TRAIN, VALID)
    assert history is not None and len(history) == 4 and history["val_loss"][3] == pytest.approx(0.65)


def _read_dir(root: Path, train: bytes, validation: bytes) -> History | None:
    (root / "train").mkdir()
    (root / "validation").mkdir()
    (root / "train" / NAME).write_bytes(train)
    (root / "validation" / NAME).write_bytes(validation)
    try:
        history = read_history(root)
    except HistoryError as err:
        assert str(err).startswith(str(root)) and "\n" not in str(err)
        assert "cannot read (" not in str(err), str(err)
        return None
    assert isinstance(history, History) and history.meta["format"] == "tensorboard"
    return history


def _check(train: bytes, validation: bytes = VALID) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _read_dir(Path(folder), train, validation)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _check(data)


@FUZZ
@given(st.data())
def test_truncated(data):
    _check(TRAIN[:data.draw(st.integers(0, len(TRAIN)))], VALID[:data.draw(st.integers(0, len(VALID)))])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=4)), min_size=1, max_size=6))
def test_mutated(edits):
    data = bytearray(TRAIN)
    for position, replacement in edits:
        position %= len(data) + 1
        data[position:position + len(replacement) or position + 1] = replacement
    _check(bytes(data))
