"""Hand-written files: what each reader accepts, what it refuses and how it says so."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest

from epochwatch.engine.formats import (
    HistoryError,
    read_history,
    sniff_separator,
    write_csvlogger,
    write_keras_json,
)
from epochwatch.engine.history import History, Segment


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


# -- Keras JSON ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"loss": [1.0, NaN, 0.5], "val_loss": [2.0, Infinity, null]}',
    '{"history": {"loss": [1.0, NaN, 0.5], "val_loss": [2.0, Infinity, null]}}',
    '{"history": {"loss": [1.0, NaN, 0.5], "val_loss": [2.0, Infinity, null]}, "params": {"epochs": 3},'
    ' "epoch": [0, 1, 2]}',
    '\n  {"val_loss": [2.0, Infinity, null], "loss": [1.0, NaN, 0.5]}\n',
])
def test_keras_json_shapes_and_non_finite_values(tmp_path, text):
    h = read_history(write(tmp_path, "h.json", text))
    assert h.meta["format"] == "keras-json" and len(h) == 3
    np.testing.assert_array_equal(h["loss"], [1.0, math.nan, 0.5])
    np.testing.assert_array_equal(h["val_loss"], [2.0, math.inf, math.nan])


def test_keras_json_learning_rate_and_content_sniffing(tmp_path):
    path = write(tmp_path, "history.txt", json.dumps({"loss": [0.3, 0.2], "learning_rate": [0.01, 0.005]}))
    h = read_history(path)
    np.testing.assert_array_equal(h["learning_rate"], [0.01, 0.005])


def test_write_keras_json_writes_nan_tokens(tmp_path):
    h = History({"loss": [1.0, math.nan], "val_loss": [math.inf, 0.5]})
    path = write_keras_json(h, tmp_path / "sub" / "out.json")
    assert path.read_text() == '{"loss": [1.0, NaN], "val_loss": [Infinity, 0.5]}'
    back = read_history(path)
    np.testing.assert_array_equal(back["loss"], h["loss"])
    np.testing.assert_array_equal(back["val_loss"], h["val_loss"])


def test_writer_replaces_atomically_and_keeps_old_file_on_failure(tmp_path):
    path = write(tmp_path, "h.json", "old")
    write_keras_json(History({"loss": [1.0]}), path)
    assert path.read_text() == '{"loss": [1.0]}'
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(HistoryError) as info:
        write_keras_json(History({"loss": [1.0]}), tmp_path / "blocked" / "h.json")
    assert "cannot write" in str(info.value)
    assert (tmp_path / "blocked").read_text() == "a file, not a folder"


# -- CSVLogger ---------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", ";", "\t", "|", ":", " "])
def test_csv_any_separator_and_na(tmp_path, sep):
    rows = [["epoch", "loss", "val_loss"], ["0", "1.5", "NA"], ["1", "nan", "2.0"], ["2", "inf", "1.0"]]
    path = write(tmp_path, "log.csv", "".join(sep.join(r) + "\r\n" for r in rows))
    assert sniff_separator(path.read_text().splitlines()[0]) == sep
    h = read_history(path)
    assert h.meta == {"format": "csvlogger", "separator": sep}
    np.testing.assert_array_equal(h["loss"], [1.5, math.nan, math.inf])
    np.testing.assert_array_equal(h["val_loss"], [math.nan, 2.0, 1.0])


def test_csv_repeated_header_continuing_epochs_starts_resume_segment(tmp_path):
    text = "epoch,loss\n0,3\n1,2\nepoch,loss\n2,1\n3,0.5\n"
    h = read_history(write(tmp_path, "log.csv", text))
    np.testing.assert_array_equal(h["loss"], [3, 2, 1, 0.5])
    assert h.segments == [Segment(1, 2, "initial"), Segment(3, 4, "resume")]


def test_csv_overlap_replaces_later_epochs(tmp_path):
    text = "epoch,loss\n0,3\n1,2\n2,1\n3,0.9\n1,1.8\n2,1.1\n"
    h = read_history(write(tmp_path, "log.csv", text))
    np.testing.assert_array_equal(h["loss"], [3, 1.8, 1.1])
    assert h.segments == [Segment(1, 1, "initial"), Segment(2, 3, "resume")]


def test_csv_header_repeat_back_to_zero_is_new_attempt(tmp_path):
    text = "epoch,loss\n0,3\n1,2\nepoch,loss,val_loss\n0,5,6\n1,4,5\n"
    h = read_history(write(tmp_path, "log.csv", text))
    np.testing.assert_array_equal(h["loss"], [5, 4])
    np.testing.assert_array_equal(h["val_loss"], [6, 5])
    assert h.segments == [Segment(1, 2, "restart")]
    [old] = h.previous_attempts
    np.testing.assert_array_equal(old["loss"], [3, 2])


def test_csv_gap_is_filled_with_nan(tmp_path):
    h = read_history(write(tmp_path, "log.csv", "epoch,loss\n0,3\n3,1\n"))
    np.testing.assert_array_equal(h["loss"], [3, math.nan, math.nan, 1])


def test_csv_partial_last_row_is_ignored(tmp_path):
    h = read_history(write(tmp_path, "log.csv", "epoch,loss,val_loss\r\n0,3,4\r\n1,2"))
    assert len(h) == 1


def test_csv_header_only_is_an_empty_history(tmp_path):
    h = read_history(write(tmp_path, "log.csv", "epoch,loss,val_loss\r\n"))
    assert len(h) == 0 and h.meta["format"] == "csvlogger"


def test_array_valued_metrics_are_skipped(tmp_path):
    # as CSVLogger writes them: its own quotes around "[...]", quoted again by the csv module
    text = 'epoch,f1,loss\r\n0,"""[0.5, 0.25]""",1.0\r\n1,"[0.6, 0.3]",0.5\r\n'
    h = read_history(write(tmp_path, "a.csv", text))
    assert h.metric_names == ["loss"] and h.meta["skipped_columns"] == ["f1"]
    h = read_history(write(tmp_path, "a.json", '{"f1": [[0.5, 0.25], [0.6, 0.3]], "loss": [1.0, 0.5]}'))
    assert h.metric_names == ["loss"] and h.meta["skipped_columns"] == ["f1"]
    np.testing.assert_array_equal(h["loss"], [1.0, 0.5])


def test_csv_pandas_shapes(tmp_path):
    h = read_history(write(tmp_path, "a.csv", ",loss,val_loss\n0,3,4\n1,2,\n"))
    np.testing.assert_array_equal(h["val_loss"], [4, math.nan])
    h = read_history(write(tmp_path, "b.csv", "loss,val_loss\n3,4\n2,3\n"))
    np.testing.assert_array_equal(h["loss"], [3, 2])


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_write_csvlogger_round_trip(tmp_path, sep):
    h = History({"loss": [1.0, math.nan, 0.25, math.inf], "val_loss": [2.0, 1.5, math.nan, 1.0],
                 "accuracy": [0.1, 0.2, 0.3, 0.4]})
    path = write_csvlogger(h, tmp_path / "out.csv", separator=sep)
    assert path.read_bytes().startswith(f"epoch{sep}accuracy{sep}loss{sep}val_loss\r\n0{sep}".encode())
    back = read_history(path)
    assert set(back.metric_names) == set(h.metric_names) and len(back) == 4
    for name in h.metric_names:
        np.testing.assert_array_equal(back[name], h[name])


def test_write_csvlogger_without_validation_adds_na_columns_like_keras(tmp_path):
    path = write_csvlogger(History({"loss": [1.0, 0.5]}), tmp_path / "out.csv")
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,1.0,NA\r\n1,0.5,NA\r\n"
    assert read_history(path).metric_names == ["loss"]


# -- errors ----------------------------------------------------------------

BAD_FILES = [
    ("missing.json", None, "no such file"),
    ("empty.csv", "", "empty"),
    ("blank.json", "  \n\n", "empty"),
    ("binary.csv", b"\x00\x01\x02epoch", "binary"),
    ("latin.csv", b"epoch,loss\n0,\xff\xfe\n", "UTF-8"),
    ("truncated.json", '{"loss": [1.0, 0.9', "invalid JSON"),
    ("list.json", "[1, 2, 3]", "not a Keras history"),
    ("config.json", '{"name": "model", "layers": 3}', "not a Keras history"),
    ("noloss.json", '{"accuracy": [0.5, 0.6]}', "no 'loss' or 'val_loss'"),
    ("lengths.json", '{"loss": [1, 2, 3], "val_loss": [1, 2]}', "different lengths"),
    ("strings.json", '{"loss": [1, "x"]}', "is not a number"),
    ("nested.json", '{"loss": [[1, 2]]}', "no 'loss' or 'val_loss' with single numbers"),
    ("mixed.json", '{"loss": [1, [1, 2]]}', "is not a number"),
    ("array_loss.csv", 'epoch,loss\n0,"[1, 2]"\n', "no 'loss' or 'val_loss' column with single numbers"),
    ("deep.json", "[" * 100000, "JSON"),
    ("noloss.csv", "epoch,accuracy\n0,0.5\n", "no 'loss' or 'val_loss' column"),
    ("text.txt", "hello world, this is not a log\n", "no 'loss' or 'val_loss' column"),
    ("value.csv", "epoch,loss,val_loss\n0,1,2\n1,2,3\n2,3,4\n3,4,5\n4,5,6\n5,6,7\n6,7,abc\n",
     "line 8: value 'abc' in column 'val_loss' is not a number"),
    ("missing_field.csv", "epoch,loss,val_loss\n0,1\n1,2,3\n", "line 2: 2 fields, the header has 3"),
    ("extra_field.csv", "epoch,loss,val_loss\n0,1,2,3\n", "line 2: 4 fields, the header has 3"),
    ("epoch.csv", "epoch,loss\n0.5,1\n", "epoch '0.5'"),
    ("negative.csv", "epoch,loss\n-1,1\n", "epoch '-1'"),
    ("gzip.csv", b"\x1f\x8b\x08\x00rest", "gzip"),
    ("model.keras", b"PK\x03\x04rest", "zip"),
    ("runlog.jsonl", '{"type":"header","format":"epochwatch-runlog","version":1}\nnot json\n'
     '{"type":"epoch","epoch":1,"logs":{"loss":1}}\n', "line 2: invalid JSON"),
    ("runlog_bad_epoch.jsonl", '{"type":"header","format":"epochwatch-runlog","version":1}\n'
     '{"type":"epoch","epoch":0,"logs":{"loss":1}}\n', "line 2: 'epoch' is 0"),
    ("runlog_bad_value.jsonl", '{"type":"header","format":"epochwatch-runlog","version":1}\n'
     '{"type":"epoch","epoch":1,"logs":{"loss":"high"}}\n', "line 2: value 'high'"),
    ("runlog_no_header.jsonl", '{"type":"epoch","epoch":1,"logs":{"loss":1}}\n', "line 1: no run log header"),
]


@pytest.mark.parametrize("name, content, reason", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_raise_one_line_history_error(tmp_path, name, content, reason):
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    with pytest.raises(HistoryError) as info:
        read_history(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert reason in message
    assert "\n" not in message
    assert info.value.path == str(path) and info.value.problem in message


def test_directory_without_event_files_is_refused(tmp_path):
    (tmp_path / "logs").mkdir()
    with pytest.raises(HistoryError, match="is a directory"):
        read_history(tmp_path / "logs")


@pytest.mark.parametrize("name, protocol", [("h.pkl", 4), ("h.pickle", 2), ("history", 5), ("h.json", 3)])
def test_pickle_refused_without_loading(tmp_path, name, protocol):
    # a pickle that would create a file if it were ever loaded
    class Trap:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    path = write(tmp_path, name, pickle.dumps(Trap(), protocol=protocol))
    with pytest.raises(HistoryError, match="would run code"):
        read_history(path)
    assert not (tmp_path / "pwned").exists()


def test_history_error_message_is_one_line():
    err = HistoryError("runs/a.csv", "line 7: value 'abc'\nin column 'val_loss' is not a number")
    assert str(err) == "runs/a.csv: line 7: value 'abc' in column 'val_loss' is not a number"
    assert err.path == "runs/a.csv"


def test_reading_imports_no_tensorflow_keras_or_ui(tmp_path):
    import subprocess
    import sys

    write(tmp_path, "a.csv", "epoch,loss\n0,1\n")
    write(tmp_path, "a.json", '{"loss": [1]}')
    write(tmp_path, "a.jsonl", '{"type":"header","format":"epochwatch-runlog","version":1}\n')
    code = ("import sys\nfrom epochwatch.engine.formats import read_history\n"
            "for name in sys.argv[1:]: read_history(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'textual', 'rich', 'tensorboard')))")
    done = subprocess.run([sys.executable, "-c", code, *(str(tmp_path / n) for n in ("a.csv", "a.json", "a.jsonl"))],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
