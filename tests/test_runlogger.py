"""RunLogger in real fits, and every format read back from files real Keras callbacks wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from epochwatch.engine import diagnose
from epochwatch.engine.formats import read_history, read_runlog, read_tensorboard

from keras_runs import EPOCHS, fit_all_formats, tiny_data, tiny_model

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    return fit_all_formats(tmp_path_factory.mktemp("fit"))


def test_every_format_reads_the_same_epochs(run_files):
    reference = read_history(run_files["json"])
    assert len(reference) == EPOCHS
    for kind in ("csv", "tensorboard", "runlog"):
        history = read_history(run_files[kind])
        assert len(history) == EPOCHS, kind
        for name in ("loss", "val_loss", "mae", "val_mae"):
            np.testing.assert_allclose(history[name], reference[name], rtol=1e-5, err_msg=f"{kind} {name}")


def test_diagnose_gives_the_same_verdict_for_tensorboard_and_csvlogger(run_files):
    from_csv = diagnose(read_history(run_files["csv"]))
    from_tb = diagnose(read_tensorboard(run_files["tensorboard"]))
    assert from_tb.verdict == from_csv.verdict
    assert from_tb.best_epoch == from_csv.best_epoch


def test_diagnose_command_reads_a_tensorboard_dir(run_files):
    out = subprocess.run([sys.executable, "-m", "epochwatch.tui.cli", "diagnose", str(run_files["tensorboard"])],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    expected = diagnose(read_history(run_files["csv"])).word
    assert expected in out.stdout


def test_run_log_has_header_markers_epochs_and_timings(run_files):
    history = read_runlog(run_files["runlog"])
    assert history.meta["run"] == "run"
    assert history.meta["keras_version"]
    events = [m["event"] for m in history.meta["markers"]]
    assert events[0] == "start" and events[-1] == "finish"
    seconds = history.meta["epoch_seconds"]
    assert len(seconds) == EPOCHS and all(s > 0 for s in seconds)


def test_a_second_fit_is_an_extension_and_a_fresh_one_a_new_attempt(tmp_path: Path):
    import keras

    from epochwatch.engine import RunLogger

    x, y, xv, yv = tiny_data()
    path = tmp_path / "two.jsonl"
    with RunLogger(path) as logger:
        model = tiny_model()
        model.fit(x, y, validation_data=(xv, yv), epochs=3, verbose=0, callbacks=[logger])
        model.fit(x, y, validation_data=(xv, yv), initial_epoch=3, epochs=5, verbose=0, callbacks=[logger])
        history = read_runlog(path)
        assert len(history) == 5
        assert [(s.start, s.stop, s.kind) for s in history.segments] == [(1, 3, "initial"), (4, 5, "extend")]
        tiny_model().fit(x, y, epochs=2, verbose=0, callbacks=[logger])
    history = read_runlog(path)
    assert len(history) == 2 and len(history.previous_attempts) == 1
    assert len(history.previous_attempts[0]) == 5
    assert isinstance(keras.callbacks.Callback, type) and RunLogger.async_safe is True


def test_batch_progress_is_throttled(tmp_path: Path):
    from epochwatch.engine import RunLogger

    x, y, _, _ = tiny_data(samples=512)
    path = tmp_path / "batches.jsonl"
    with RunLogger(path, progress_interval=3600) as logger:
        tiny_model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[logger])
    lines = path.read_text().splitlines()
    assert sum('"type":"batch"' in line for line in lines) == 0  # 96 batches per epoch, none due yet
    assert sum('"type":"epoch"' in line for line in lines) == 2
