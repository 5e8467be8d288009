"""Benchmark 1: what watching costs the training.

Five identical models train side by side in one process: bare ``fit(verbose=0)``, the real
``Trainer`` as the live monitor drives it (its callback chain, run log, per-epoch diagnosis,
listener building the UI's messages), ``RunLogger`` alone, Keras' progress bar (stdout to
/dev/null) and ``TensorBoard(update_freq="batch")``. Each round times every variant once in
a shuffled order; the figure is the median over rounds of each variant's time divided by the
bare fit's time in the same round, so slow drifts of a shared machine cancel out.
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench_common import Row, median_ratio

STEPS = 400
BATCH = 32
FEATURES = 16


def _data(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(STEPS * BATCH, FEATURES)).astype("float32")
    w = rng.normal(size=(FEATURES, 1)).astype("float32")
    y = (np.tanh(x @ w) + 0.1 * rng.normal(size=(len(x), 1))).astype("float32")
    xv = rng.normal(size=(1024, FEATURES)).astype("float32")
    yv = np.tanh(xv @ w).astype("float32")
    return {"x": x, "y": y, "batch_size": BATCH, "validation_data": (xv, yv), "shuffle": True}


def _model():
    import keras

    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


class _PlainFit:
    """A model trained by ``fit`` calls that go on from the last epoch, with fixed callbacks and verbosity."""

    def __init__(self, data: dict, callbacks_factory, verbose: int = 0) -> None:
        self.model = _model()
        self.data = data
        self.callbacks = callbacks_factory()
        self.verbose = verbose
        self.epoch = 0

    def train(self, epochs: int) -> float:
        # the progress bar draws itself only on a terminal: give it a real one (a drained pty)
        sink = _Terminal() if self.verbose else None
        started = time.perf_counter()
        with contextlib.redirect_stdout(sink.file) if sink else contextlib.nullcontext():
            self.model.fit(**self.data, initial_epoch=self.epoch, epochs=self.epoch + epochs,
                           verbose=self.verbose, callbacks=self.callbacks)
        elapsed = time.perf_counter() - started
        if sink:
            sink.close()
        self.epoch += epochs
        return elapsed


class _Terminal:
    """A pseudo-terminal whose output a thread reads and drops, as a terminal emulator would."""

    def __init__(self) -> None:
        import pty
        import threading

        self._master, slave = pty.openpty()
        self.file = os.fdopen(slave, "w", buffering=1)
        assert self.file.isatty()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        try:
            while os.read(self._master, 65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self.file.close()
        self._reader.join(timeout=2)
        os.close(self._master)


class _Monitored:
    """The real Trainer in its own thread, as the live monitor runs it; timed from extend() to TrainEnd."""

    def __init__(self, data: dict, log_dir: Path) -> None:
        from epochwatch.engine.events import TrainEnd
        from epochwatch.engine.scripts import TrainingSource
        from epochwatch.engine.trainer import Trainer
        from epochwatch.tui.messages import message_for

        self._ended = threading.Event()
        self._end_time = 0.0
        self.messages = 0

        def listener(event) -> None:
            # what MonitorScreen._on_engine_event does, minus handing the message to Textual's queue
            if message_for(event) is not None:
                self.messages += 1
            if isinstance(event, TrainEnd):
                self._end_time = time.perf_counter()
                self._ended.set()

        source = TrainingSource(name="bench", build_model=_model, load_data=lambda: dict(data), epochs=1)
        self.trainer = Trainer(source, epochs=1, listener=listener, log_dir=log_dir)
        self._thread = threading.Thread(target=self.trainer.run, name="bench-trainer", daemon=True)
        self._thread.start()
        if not self._ended.wait(300):
            raise RuntimeError("the Trainer's warm-up epoch did not end")

    def train(self, epochs: int) -> float:
        self._ended.clear()
        started = time.perf_counter()
        self.trainer.extend(epochs)
        if not self._ended.wait(600):
            raise RuntimeError("the Trainer's extension did not end")
        return self._end_time - started

    def close(self) -> None:
        self.trainer.quit()
        self._thread.join(30)


def run(quick: bool) -> list[Row]:
    import keras

    from epochwatch.engine.runlogger import RunLogger

    rounds, epochs = (2, 1) if quick else (11, 2)
    data = _data()
    with tempfile.TemporaryDirectory(prefix="epochwatch-bench-") as tmp:
        tmp_path = Path(tmp)
        variants = {
            "bare": _PlainFit(data, list),
            "epochwatch": _Monitored(data, tmp_path / "runs"),
            "RunLogger": _PlainFit(data, lambda: [RunLogger(tmp_path / "runlogger.jsonl")]),
            "progress bar": _PlainFit(data, list, verbose=1),
            "TensorBoard": _PlainFit(data, lambda: [keras.callbacks.TensorBoard(
                log_dir=str(tmp_path / "tb"), update_freq="batch")]),
        }
        for name, variant in variants.items():  # warm-up epoch (tracing, first-call costs)
            if isinstance(variant, _PlainFit):
                variant.train(1)
        times: dict[str, list[float]] = {name: [] for name in variants}
        order = list(variants)
        rng = random.Random(1)
        for _ in range(rounds):
            rng.shuffle(order)
            for name in order:
                times[name].append(variants[name].train(epochs))
        variants["epochwatch"].close()

    bare = times["bare"]
    rows = []
    per_epoch = statistics_median(bare) / epochs
    for name in ("epochwatch", "RunLogger", "progress bar", "TensorBoard"):
        ratio, lo, hi = median_ratio(list(zip(bare, times[name])))
        target, met = ("<= 1.02x", ratio <= 1.02) if name == "epochwatch" else ("", None)
        rows.append(Row(f"1 training cost: {name}", f"bare fit {per_epoch:.2f} s/epoch",
                        f"{statistics_median(times[name]) / epochs:.2f} s/epoch",
                        f"{ratio:.3f}x (IQR {lo:.3f}-{hi:.3f}, n={rounds})", target, met))
    ours_vs_bar, lo, hi = median_ratio(list(zip(times["progress bar"], times["epochwatch"])))
    rows.append(Row("1 training cost: epochwatch vs progress bar", "progress bar", "epochwatch",
                    f"{ours_vs_bar:.3f}x (IQR {lo:.3f}-{hi:.3f})", "< 1x", ours_vs_bar < 1.0))
    return rows


def statistics_median(values: list[float]) -> float:
    return float(np.median(values))
