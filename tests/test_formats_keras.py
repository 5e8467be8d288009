"""The readers and writers against files written by real Keras (one tiny model, trained once)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from epochwatch.engine.formats import (
    HistoryError,
    RunLogWriter,
    read_csvlogger,
    read_history,
    read_runlog,
    write_csvlogger,
    write_keras_json,
)


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """Histories and the files Keras wrote for them: fresh, resumed, restarted, ';'-separated."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("keras_files")
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.random((64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    fit = dict(x=x, y=y, batch_size=16, verbose=0)

    files = {"dir": folder}
    runlog = RunLogWriter(folder / "run.jsonl", run="tiny", keras_version=keras.__version__,
                          meta={"baseline": float(y.var())})

    class ToRunLog(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            runlog.epoch(epoch + 1, logs or {}, seconds=0.01)

    first = model.fit(epochs=6, validation_split=0.25,
                      callbacks=[keras.callbacks.CSVLogger(folder / "fresh.csv"), ToRunLog(),
                                 keras.callbacks.TensorBoard(folder / "tb", update_freq=3)], **fit)  # 3 steps/epoch
    runlog.close()
    with open(folder / "history.json", "w") as f:
        json.dump(first.history, f)
    # resume: copy the fresh log, then append a second fit that redoes epochs 5..8 (0-based 4..7)
    (folder / "resumed.csv").write_bytes((folder / "fresh.csv").read_bytes())
    resumed = model.fit(epochs=8, initial_epoch=4, validation_split=0.25,
                        callbacks=[keras.callbacks.CSVLogger(folder / "resumed.csv", append=True),
                                   keras.callbacks.TensorBoard(folder / "tb")], **fit)
    # restart from scratch appending to the same file: epochs go back to 0
    (folder / "restarted.csv").write_bytes((folder / "fresh.csv").read_bytes())
    restarted = model.fit(epochs=3, validation_split=0.25,
                          callbacks=[keras.callbacks.CSVLogger(folder / "restarted.csv", append=True)], **fit)
    no_val = model.fit(epochs=4, callbacks=[keras.callbacks.CSVLogger(folder / "semicolon.csv", separator=";")],
                       **fit)
    files.update(first=first.history, resumed=resumed.history, restarted=restarted.history,
                 no_val=no_val.history)
    return files


def assert_same(history, expected: dict, start: int = 0) -> None:
    for name, values in expected.items():
        np.testing.assert_allclose(history[name][start:start + len(values)], values, rtol=0, atol=0,
                                   err_msg=name)


def test_keras_json_matches_fit_history(keras_files):
    h = read_history(keras_files["dir"] / "history.json")
    assert h.meta["format"] == "keras-json"
    assert len(h) == 6 and list(h.epoch_numbers()) == [1, 2, 3, 4, 5, 6]
    assert set(h.metric_names) == set(keras_files["first"])
    assert_same(h, keras_files["first"])
    assert h.source == str(keras_files["dir"] / "history.json")


def test_csvlogger_matches_fit_history(keras_files):
    h = read_history(keras_files["dir"] / "fresh.csv")
    assert h.meta["format"] == "csvlogger"
    assert len(h) == 6
    assert set(h.metric_names) == {"loss", "mae", "val_loss", "val_mae"}
    assert_same(h, keras_files["first"])
    assert [(s.start, s.stop, s.kind) for s in h.segments] == [(1, 6, "initial")]


def test_csvlogger_append_resume_replaces_overlapping_epochs(keras_files):
    h = read_history(keras_files["dir"] / "resumed.csv")
    assert len(h) == 8
    assert_same(h.prefix(4), {k: v[:4] for k, v in keras_files["first"].items()})
    assert_same(h, keras_files["resumed"], start=4)  # epochs 5..8 are the second fit's
    assert h.row(5)["loss"] != keras_files["first"]["loss"][4]
    assert [(s.start, s.stop, s.kind) for s in h.segments] == [(1, 4, "initial"), (5, 8, "resume")]
    assert h.previous_attempts == []


def test_csvlogger_back_to_epoch_zero_is_a_new_attempt(keras_files):
    h = read_history(keras_files["dir"] / "restarted.csv")
    assert len(h) == 3
    assert_same(h, keras_files["restarted"])
    assert [s.kind for s in h.segments] == ["restart"]
    assert len(h.previous_attempts) == 1
    assert_same(h.previous_attempts[0], keras_files["first"])


def test_csvlogger_semicolon_without_validation(keras_files):
    path = keras_files["dir"] / "semicolon.csv"
    assert path.read_text().startswith("epoch;loss;mae;val_loss;val_mae")
    h = read_csvlogger(path)
    assert h.meta["separator"] == ";"
    # the all-NA val_* columns CSVLogger invents are dropped
    assert set(h.metric_names) == {"loss", "mae"}
    assert_same(h, keras_files["no_val"])


@pytest.mark.parametrize("name, expected, separator", [
    ("fresh.csv", "first", ","), ("semicolon.csv", "no_val", ";")])
def test_write_csvlogger_is_byte_identical_to_keras(keras_files, tmp_path, name, expected, separator):
    h = read_history(keras_files["dir"] / name)
    out = write_csvlogger(h, tmp_path / "ours.csv", separator=separator)
    assert out.read_bytes() == (keras_files["dir"] / name).read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["ours.csv"]  # no temp file left behind


def test_write_keras_json_is_what_json_dump_writes(keras_files, tmp_path):
    h = read_history(keras_files["dir"] / "fresh.csv")
    write_keras_json(h, tmp_path / "h.json")
    assert (tmp_path / "h.json").read_text() == json.dumps(keras_files["first"])


def test_runlog_written_during_real_training(keras_files):
    h = read_runlog(keras_files["dir"] / "run.jsonl")
    assert h.meta["format"] == "runlog" and h.meta["run"] == "tiny"
    assert h.meta["keras_version"] and h.meta["baseline"] > 0
    assert_same(h, keras_files["first"])
    assert h.meta["epoch_seconds"] == [0.01] * 6
    assert read_history(keras_files["dir"] / "run.jsonl").meta["format"] == "runlog"


READ_TB_WITHOUT_TF = """
import json, sys
from epochwatch.engine.formats import read_history
h = read_history(sys.argv[1])
print(json.dumps({"tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules,
                  "format": h.meta["format"], "values": {k: h[k].tolist() for k in h.metric_names},
                  "segments": [[s.start, s.stop, s.kind] for s in h.segments]}))
"""


def test_tensorboard_logdir_read_without_importing_tensorflow(keras_files):
    done = subprocess.run([sys.executable, "-c", READ_TB_WITHOUT_TF, str(keras_files["dir"] / "tb")],
                          capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(done.stdout)
    assert result["tf"] is False and result["keras"] is False
    assert result["format"] == "tensorboard"
    expected = {k: v[:4] + keras_files["resumed"][k] for k, v in keras_files["first"].items()}
    for name, values in expected.items():
        np.testing.assert_allclose(result["values"][name], values, rtol=0, atol=0, err_msg=name)
    assert not any(name.startswith(("batch_", "evaluation_")) for name in result["values"])
    assert result["segments"] == [[1, 4, "initial"], [5, 8, "resume"]]


def test_tensorboard_parent_folder_names_its_runs(keras_files, tmp_path):
    import shutil

    shutil.copytree(keras_files["dir"] / "tb", tmp_path / "runs" / "tiny")
    (tmp_path / "runs" / "other").mkdir()
    with pytest.raises(HistoryError, match="several TensorBoard runs; open one of: tiny"):
        read_history(tmp_path / "runs")


def test_tensorboard_event_file_cut_short_is_read_up_to_the_cut(keras_files, tmp_path):
    import shutil

    logdir = shutil.copytree(keras_files["dir"] / "tb", tmp_path / "tb")
    last_train = sorted((logdir / "train").iterdir())[-1]
    data = last_train.read_bytes()
    last_train.write_bytes(data[:-7])
    h = read_history(logdir)
    assert 6 <= len(h) <= 8 and h.meta["format"] == "tensorboard"
    garbage = b"\xff" * 40
    last_train.write_bytes(struct.pack("<Q", len(garbage)) + b"crc!" + garbage + b"crc!")
    with pytest.raises(HistoryError) as info:
        read_history(logdir)
    assert str(info.value) == f"{last_train}: record 1 is not a TensorBoard event"
