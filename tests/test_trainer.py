"""The Trainer with real tiny Keras training, driven from another thread as the UI drives it."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from epochwatch.engine.diagnosis import Diagnosis  # noqa: E402
from epochwatch.engine.events import (  # noqa: E402
    BatchProgress, EpochBegin, EpochEnd, Notice, StateChanged, TrainBegin, TrainEnd,
)
from epochwatch.engine.formats import read_csvlogger, read_keras_json, read_runlog  # noqa: E402
from epochwatch.engine.scripts import TrainingSource, load_script  # noqa: E402
from epochwatch.engine.trainer import Trainer, chance_baseline  # noqa: E402

WAIT = 60  # seconds: generous for a shared 2-core machine; tests finish far sooner


def regression_data(n=64, batch=16, seed=0, val=True, y_val_zero=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n + 16, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1).astype("float32")
    data = {"x": x[:n], "y": y[:n], "batch_size": batch}
    if val:
        y_val = np.zeros_like(y[n:]) if y_val_zero else y[n:]
        data["validation_data"] = (x[n:], y_val)
    return data


def dense_model(optimizer="adam"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def source(epochs=3, load_data=None, build_model=None, name="tiny"):
    return TrainingSource(name=name, build_model=build_model or dense_model,
                          load_data=load_data or regression_data, epochs=epochs, origin={"test": name})


class Run:
    """A Trainer running in a thread, with every event it emitted."""

    def __init__(self, src, tmp_path, on_event=None, **kwargs):
        self.events: list = []
        self.cond = threading.Condition()
        self.on_event = on_event
        kwargs.setdefault("log_dir", tmp_path / "runs")
        self.trainer = Trainer(src, listener=self.listen, **kwargs)
        self.thread = threading.Thread(target=self.trainer.run, daemon=True)
        self.thread.start()

    def listen(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()
        if self.on_event is not None:
            self.on_event(self, event)

    def wait_for(self, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.events):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; last events: {self.events[-5:]}"
                self.cond.wait(left)

    def count(self, kind, where=lambda e: True) -> int:
        with self.cond:
            return sum(1 for e in self.events if isinstance(e, kind) and where(e))

    def wait_train_ends(self, n):
        """Until the n-th TrainEnd and the state change after it (if one comes)."""
        self.wait_for(lambda evs: sum(isinstance(e, TrainEnd) for e in evs) >= n)

    def wait_state(self, state, nth=1):
        self.wait_for(lambda evs: sum(isinstance(e, StateChanged) and e.state == state for e in evs) >= nth)

    def of(self, kind):
        with self.cond:
            return [e for e in self.events if isinstance(e, kind)]

    def quit(self, timeout=10.0) -> float:
        started = time.monotonic()
        self.trainer.quit()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "run() did not return after quit()"
        return time.monotonic() - started


@pytest.fixture
def runs():
    started: list[Run] = []
    yield started
    for run in started:
        if run.thread.is_alive():
            run.trainer.quit()
            run.thread.join(10)


def start(runs, *args, **kwargs) -> Run:
    run = Run(*args, **kwargs)
    runs.append(run)
    return run


def test_events_in_order_one_epoch_end_per_epoch(runs, tmp_path):
    run = start(runs, source(epochs=3), tmp_path)
    run.wait_state("finished")
    run.quit()
    kinds = [type(e).__name__ for e in run.events if not isinstance(e, (BatchProgress, Notice))]
    assert kinds == ["StateChanged", "TrainBegin"] + ["EpochBegin", "EpochEnd"] * 3 + \
        ["TrainEnd", "StateChanged"]
    begin = run.of(TrainBegin)[0]
    assert (begin.attempt, begin.initial_epoch, begin.target_epochs, begin.steps_per_epoch, begin.kind) == \
        (1, 0, 3, 4, "initial")
    ends = run.of(EpochEnd)
    assert [e.epoch for e in ends] == [1, 2, 3]
    assert [e.epoch for e in run.of(EpochBegin)] == [1, 2, 3]
    for e in ends:
        assert isinstance(e.diagnosis, Diagnosis) and e.diagnosis.epoch == e.epoch
        assert set(e.logs) == {"loss", "val_loss"} and e.seconds > 0
    history = run.trainer.history
    assert history.epochs == 3
    np.testing.assert_allclose(history["val_loss"], [e.logs["val_loss"] for e in ends])
    assert run.of(TrainEnd)[0].reason == "finished" and run.trainer.state == "finished"
    assert [e.state for e in run.of(StateChanged)] == ["running", "finished"]
    assert run.trainer.device == "CPU"


def test_run_log_matches_what_was_trained(runs, tmp_path):
    run = start(runs, source(epochs=4), tmp_path)
    run.wait_state("finished")
    run.quit()
    path = run.trainer.run_log_path
    assert path.parent == tmp_path / "runs" and path.name.endswith("-tiny.jsonl")
    logged = read_runlog(path)
    trained = run.trainer.history
    assert logged.epochs == 4
    for name in ("loss", "val_loss"):
        np.testing.assert_allclose(logged[name], trained[name])
    y = regression_data()["y"]
    assert logged.meta["baseline"] == pytest.approx(float(np.var(y)))
    assert logged.meta["baseline_source"] == "Var(y) of the training targets"
    assert logged.meta["origin"] == {"test": "tiny"}
    assert [m["event"] for m in logged.meta["markers"]] == ["start", "finish", "quit"]


def test_baseline_matches_the_loss_of_the_best_constant_prediction():
    rng = np.random.default_rng(1)
    y = rng.normal(2.0, 3.0, size=(500, 1))
    value, how = chance_baseline("mse", y)
    assert value == pytest.approx(float(np.mean(keras.losses.mean_squared_error(y, np.full_like(y, y.mean())))))
    assert how == "Var(y) of the training targets"
    value, _ = chance_baseline(keras.losses.MeanAbsoluteError(), y)
    assert value == pytest.approx(float(np.mean(np.abs(y - np.median(y)))))
    labels = rng.integers(0, 4, size=400)
    freq = np.bincount(labels) / labels.size
    value, how = chance_baseline("sparse_categorical_crossentropy", labels)
    expected = keras.losses.sparse_categorical_crossentropy(labels, np.tile(freq, (labels.size, 1)))
    assert value == pytest.approx(float(np.mean(expected)), rel=1e-5) and "label frequencies" in how
    onehot = np.eye(4)[labels]
    value, _ = chance_baseline(keras.losses.categorical_crossentropy, onehot)
    expected = keras.losses.categorical_crossentropy(onehot, np.tile(freq, (labels.size, 1)))
    assert value == pytest.approx(float(np.mean(expected)), rel=1e-5)
    binary = (rng.uniform(size=(300, 1)) < 0.2).astype("float32")
    value, _ = chance_baseline("binary_crossentropy", binary)
    expected = keras.losses.binary_crossentropy(binary, np.full_like(binary, binary.mean()))
    assert value == pytest.approx(float(np.mean(expected)), rel=1e-4)
    assert chance_baseline("hinge", y)[0] is None
    assert chance_baseline("mse", None)[0] is None


def stepping_data():
    """1000 batches of 2 samples: an epoch far longer than the progress interval."""
    return regression_data(n=2000, batch=2, val=False)


class BatchCounter(keras.callbacks.Callback):
    """Counts the training steps begun (a begin hook keeps Keras' async batch dispatch)."""

    def __init__(self):
        super().__init__()
        self.begun = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.begun += 1


def test_stop_lands_within_one_batch(runs, tmp_path):
    counter = BatchCounter()
    at_stop: list[int] = []

    def on_event(run, event):
        if isinstance(event, BatchProgress) and not at_stop:
            at_stop.append(counter.begun)
            run.trainer.stop()

    run = start(runs, source(epochs=5, load_data=lambda: {**stepping_data(), "callbacks": [counter]}),
                tmp_path, on_event=on_event)
    run.wait_state("stopped")
    assert at_stop and counter.begun - at_stop[0] <= 1, (at_stop, counter.begun)
    assert counter.begun < 1000  # the epoch ended early
    assert [e.epoch for e in run.of(EpochEnd)] == [1]  # the partial epoch is recorded, nothing more
    assert run.of(TrainEnd)[-1].reason == "stopped"
    assert [e.state for e in run.of(StateChanged)] == ["running", "stopping", "stopped"]
    time.sleep(0.3)
    assert run.count(EpochBegin) == 1  # nothing trains again by itself
    run.quit()
    assert read_runlog(run.trainer.run_log_path).epochs == 1


def test_extend_continues_the_numbering_while_running_and_after_the_end(runs, tmp_path):
    def on_event(run, event):
        if isinstance(event, EpochEnd) and event.epoch == 1:
            assert run.trainer.extend(2) == 5

    run = start(runs, source(epochs=3), tmp_path, on_event=on_event)
    run.wait_state("finished")
    assert [e.epoch for e in run.of(EpochEnd)] == [1, 2, 3, 4, 5]
    assert run.of(EpochBegin)[-1].target_epochs == 5
    assert run.trainer.extend(2) == 7
    run.wait_state("finished", nth=2)
    run.quit()
    ends = [e.epoch for e in run.of(EpochEnd)]
    assert ends == list(range(1, 8))
    begins = run.of(TrainBegin)
    assert [(b.kind, b.initial_epoch, b.target_epochs) for b in begins] == \
        [("initial", 0, 3), ("extend", 3, 5), ("extend", 5, 7)]
    history = run.trainer.history
    assert history.epochs == 7 and np.isfinite(history["loss"]).all()
    assert [(s.start, s.stop, s.kind) for s in history.segments] == \
        [(1, 3, "initial"), (4, 5, "extend"), (6, 7, "extend")]
    logged = read_runlog(run.trainer.run_log_path)
    np.testing.assert_allclose(logged["loss"], history["loss"])
    assert [(s.start, s.stop, s.kind) for s in logged.segments] == \
        [(1, 3, "initial"), (4, 5, "extend"), (6, 7, "extend")]


def test_extend_after_a_stop_continues_from_the_last_epoch(runs, tmp_path):
    def on_event(run, event):
        if isinstance(event, EpochEnd) and event.epoch == 2 and event.attempt == 1:
            run.trainer.stop()

    run = start(runs, source(epochs=50), tmp_path, on_event=on_event)
    run.wait_state("stopped")
    done = run.trainer.history.epochs
    assert 2 <= done <= 3
    assert run.trainer.extend(2) == done + 2
    run.wait_state("finished")
    run.quit()
    assert [e.epoch for e in run.of(EpochEnd)] == list(range(1, done + 3))


def test_default_extension_is_a_quarter_but_at_least_ten(runs, tmp_path):
    run = start(runs, source(epochs=2), tmp_path)
    run.wait_state("finished")
    diagnosis = run.trainer.last_diagnosis
    expected = 10 if not (diagnosis and diagnosis.suggested_total_epochs
                          and diagnosis.suggested_total_epochs > 2) else diagnosis.suggested_total_epochs - 2
    assert run.trainer.extend() == 2 + expected
    run.trainer.stop()
    run.quit()


def test_restart_is_a_new_attempt_from_epoch_one_and_keeps_the_old(runs, tmp_path):
    builds = []

    def build():
        builds.append(1)
        return dense_model()

    def on_event(run, event):
        if isinstance(event, EpochEnd) and event.attempt == 1 and event.epoch == 2:
            run.trainer.restart()

    run = start(runs, source(epochs=4, build_model=build), tmp_path, on_event=on_event)
    run.wait_state("finished")
    run.quit()
    trainer = run.trainer
    assert len(builds) == 2
    assert trainer.attempt == 2 and len(trainer.attempts) == 1
    first, second = trainer.attempts[0], trainer.history
    assert 2 <= first.epochs <= 3 and second.epochs == 4
    assert second.previous_attempts == [first]
    assert [e.epoch for e in run.of(EpochEnd) if e.attempt == 2] == [1, 2, 3, 4]
    begin = [b for b in run.of(TrainBegin) if b.attempt == 2]
    assert [(b.kind, b.initial_epoch, b.target_epochs) for b in begin] == [("restart", 0, 4)]
    logged = read_runlog(trainer.run_log_path)
    assert logged.epochs == 4 and len(logged.previous_attempts) == 1
    np.testing.assert_allclose(logged.previous_attempts[0]["loss"], first["loss"])
    np.testing.assert_allclose(logged["loss"], second["loss"])


def test_quit_during_training_returns_promptly(runs, tmp_path):
    seen = threading.Event()

    def on_event(run, event):
        if isinstance(event, BatchProgress):
            seen.set()

    run = start(runs, source(epochs=1000, load_data=stepping_data), tmp_path, on_event=on_event)
    assert seen.wait(WAIT)
    assert run.quit() < 3.0
    logged = read_runlog(run.trainer.run_log_path)
    assert logged.meta["markers"][-1]["event"] == "quit"
    assert logged.epochs == run.trainer.history.epochs <= 1


def test_quit_cuts_a_long_validation_pass_short(runs, tmp_path):
    def load():
        data = regression_data(n=32, batch=16, val=False)
        x_val = np.random.default_rng(2).normal(size=(40000, 4)).astype("float32")
        data["validation_data"] = (x_val, np.zeros((40000, 1), "float32"))
        data["validation_batch_size"] = 2
        return data

    class QuitInValidation(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.trainer = None
            self.tested = 0

        def on_test_batch_begin(self, batch, logs=None):
            self.tested += 1
            if batch == 5:
                self.trainer.quit()

    hook = QuitInValidation()
    run = start(runs, source(epochs=3, load_data=lambda: {**load(), "callbacks": [hook]}), tmp_path)
    hook.trainer = run.trainer
    run.thread.join(WAIT)
    assert not run.thread.is_alive()
    assert hook.tested < 100  # of 20000 validation batches


def test_nan_loss_stops_with_reason_diverged(runs, tmp_path):
    def nan_data():
        data = regression_data()
        data["y"] = np.full_like(data["y"], np.nan)
        return data

    run = start(runs, source(epochs=5, load_data=nan_data), tmp_path)
    run.wait_state("stopped")
    run.quit()
    assert [e.epoch for e in run.of(EpochEnd)] == [1]
    assert math.isnan(run.of(EpochEnd)[0].logs["loss"])
    assert run.of(TrainEnd)[-1].reason == "diverged"
    markers = read_runlog(run.trainer.run_log_path).meta["markers"]
    assert any(m["event"] == "stop" and m.get("reason") == "diverged" for m in markers)


def test_keep_going_trains_through_nan(runs, tmp_path):
    def nan_data():
        data = regression_data()
        data["y"] = np.full_like(data["y"], np.nan)
        return data

    run = start(runs, source(epochs=3, load_data=nan_data), tmp_path, keep_going=True)
    run.wait_state("finished")
    run.quit()
    assert [e.epoch for e in run.of(EpochEnd)] == [1, 2, 3]


SCRIPT = '''
import numpy as np
import keras

def build_model():
    {body}

def load_data():
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    return {{"x": x, "y": 3 * x, "batch_size": 16}}
'''
GOOD_BODY = ('model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])\n'
             '    model.compile(optimizer="adam", loss="mse")\n    return model')


def test_failing_build_model_fails_then_restart_after_a_fix_trains(runs, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(body="raise ValueError('layer sizes do not match')"))
    run = start(runs, load_script(script), tmp_path, epochs=2)
    run.wait_state("failed")
    end = run.of(TrainEnd)[-1]
    assert end.reason == "failed"
    assert end.error == "train.py:6: ValueError: layer sizes do not match"
    assert "Traceback" in end.traceback and "layer sizes do not match" in end.traceback
    time.sleep(0.3)
    assert run.thread.is_alive() and run.trainer.state == "failed"
    markers = read_runlog(run.trainer.run_log_path).meta["markers"]
    assert markers[-1]["event"] == "fail" and "Traceback" in markers[-1]["traceback"]

    script.write_text(SCRIPT.format(body=GOOD_BODY))
    run.trainer.restart()
    run.wait_state("finished")
    assert [e.epoch for e in run.of(EpochEnd)] == [1, 2]
    assert run.trainer.attempts == []  # the failed attempt trained nothing
    run.quit()


def test_error_during_fit_fails_with_the_history_so_far(runs, tmp_path):
    class BreakAtEpochThree(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("out of memory (pretend)")

    run = start(runs, source(epochs=5, load_data=lambda: {**regression_data(), "callbacks": [BreakAtEpochThree()]}),
                tmp_path)
    run.wait_state("failed")
    assert run.of(TrainEnd)[-1].error == "RuntimeError: out of memory (pretend)"
    assert run.trainer.history.epochs == 2
    assert run.quit() < 3.0


def test_load_data_with_unknown_fit_argument_fails_with_one_line(runs, tmp_path):
    run = start(runs, source(load_data=lambda: {**regression_data(), "epoch": 3}), tmp_path)
    run.wait_state("failed")
    error = run.of(TrainEnd)[-1].error
    assert "'epoch'" in error and "model.fit" in error and "\n" not in error
    run.quit()


def test_save_writes_model_history_and_csv(runs, tmp_path):
    run = start(runs, source(epochs=3), tmp_path)
    run.wait_state("finished")
    run.trainer.save()
    run.wait_for(lambda evs: any(isinstance(e, Notice) and "Saved" in e.text for e in evs))
    run.quit()
    stem = run.trainer.run_log_path.with_suffix("")
    model_path, json_path, csv_path = (Path(f"{stem}{ext}") for ext in (".keras", ".history.json", ".csv"))
    assert model_path.exists() and json_path.exists() and csv_path.exists()
    assert not list(model_path.parent.glob("*.partial.keras"))
    loaded = keras.models.load_model(model_path)
    for saved, trained in zip(loaded.get_weights(), run.trainer.model.get_weights()):
        np.testing.assert_array_equal(saved, trained)
    history = run.trainer.history
    np.testing.assert_allclose(read_keras_json(json_path)["val_loss"], history["val_loss"])
    np.testing.assert_allclose(read_csvlogger(csv_path)["loss"], history["loss"])


class WeightsPerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights: dict[int, list] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = [w.copy() for w in self.model.get_weights()]


def test_restore_best_puts_back_the_best_epochs_weights(runs, tmp_path):
    recorder = WeightsPerEpoch()
    # validation targets are all zero: the better the model learns y, the worse val_loss gets
    data = lambda: {**regression_data(y_val_zero=True), "callbacks": [recorder]}  # noqa: E731
    run = start(runs, source(epochs=8, load_data=data, build_model=lambda: dense_model(keras.optimizers.Adam(0.05))),
                tmp_path)
    run.wait_state("finished")
    val = run.trainer.history["val_loss"]
    assert int(np.argmin(val)) + 1 < 8
    expected = run.trainer.restore_best()
    run.wait_for(lambda evs: any(isinstance(e, Notice) and "Restored" in e.text for e in evs))
    notice = [e for e in run.of(Notice) if "Restored" in e.text][0]
    assert expected is not None and f"epoch {expected}," in notice.text
    assert expected < 8
    restored = run.trainer.model.get_weights()
    for got, want in zip(restored, recorder.weights[expected]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(restored[0], recorder.weights[8][0])
    run.quit()


def test_restore_before_any_epoch_says_so(runs, tmp_path):
    run = start(runs, source(epochs=1000, load_data=stepping_data), tmp_path)
    run.wait_for(lambda evs: any(isinstance(e, BatchProgress) for e in evs))
    assert run.trainer.restore_best() is None
    run.wait_for(lambda evs: any(isinstance(e, Notice) for e in evs))
    assert "No best-epoch weights" in run.of(Notice)[0].text
    run.quit()


def test_batch_progress_is_throttled(runs, tmp_path):
    run = start(runs, source(epochs=2, load_data=stepping_data), tmp_path)
    started = time.monotonic()
    run.wait_state("finished")
    elapsed = time.monotonic() - started
    progress = run.of(BatchProgress)
    assert progress and len(progress) <= elapsed * 10 + 4
    assert all(p.steps == 1000 and 1 <= p.step <= 1000 and "loss" in p.logs for p in progress)
    run.quit()


def test_no_log_dir_means_no_run_log(runs, tmp_path):
    run = start(runs, source(epochs=1), tmp_path, log_dir=None)
    run.wait_state("finished")
    run.quit()
    assert run.trainer.run_log_path is None
    assert not (tmp_path / "runs").exists()


def test_many_fast_commands_never_run_two_fits_at_once(runs, tmp_path):
    active = []
    overlaps = []

    class Overlap(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            active.append(1)
            if len(active) > 1:
                overlaps.append(1)

        def on_train_end(self, logs=None):
            active.pop()

    run = start(runs, source(epochs=4, load_data=lambda: {**regression_data(), "callbacks": [Overlap()]}),
                tmp_path)
    commands = [run.trainer.stop, run.trainer.extend, run.trainer.restart, run.trainer.save]
    for i in range(60):
        commands[i % len(commands)]()
        time.sleep(0.005)
    trained_before = run.count(EpochEnd)
    run.trainer.extend(2)
    run.wait_for(lambda evs: sum(isinstance(e, EpochEnd) for e in evs) > trained_before)  # still trains
    run.quit()
    assert not overlaps
    assert run.count(TrainBegin) == run.count(TrainEnd)
    assert not any(isinstance(e, TrainEnd) and e.reason == "failed" for e in run.events)
    for history in [*run.trainer.attempts, run.trainer.history]:
        assert history.epochs > 0 or history is run.trainer.history
        for name in history.metric_names:
            assert np.isfinite(history[name]).all()
    per_attempt: dict[int, list[int]] = {}
    for e in run.of(EpochEnd):
        per_attempt.setdefault(e.attempt, []).append(e.epoch)
    for epochs in per_attempt.values():
        assert epochs == list(range(1, len(epochs) + 1))
    logged = read_runlog(run.trainer.run_log_path)
    np.testing.assert_allclose(logged["loss"], run.trainer.history["loss"])
    assert len(logged.previous_attempts) == len(run.trainer.attempts)


def test_script_failing_on_its_first_batch_gives_one_line_naming_the_script(runs, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(body=GOOD_BODY).replace('reshape(-1, 1)', 'reshape(-1, 2)'))
    run = start(runs, load_script(script), tmp_path, epochs=2)
    run.wait_state("failed")
    error = run.of(TrainEnd)[-1].error
    assert error.startswith("train.py: ValueError: ") and "incompatible" in error
    assert "\n" not in error and "\x1b" not in error
    assert run.trainer.history.epochs == 0
    run.quit()
