"""Control keys in a storm, and ``r`` after a failure: real tiny training through Pilot.

Stop, extend and restart pressed dozens of times in a few seconds must never deadlock,
never run two fits at once, and leave the screen's history and the run log in agreement.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import numpy as np
import pytest

from textual import events

from epochwatch.engine.formats import read_runlog
from epochwatch.engine.scripts import TrainingSource, load_script
from epochwatch.tui.app import create_app
from pilot_helpers import wait_for

pytestmark = pytest.mark.timeout(240)

SIZE = (100, 30)


class FitCounter:
    """Counts fits running at the same moment (a Keras callback added through load_data)."""

    def __init__(self):
        self.active = 0
        self.most = 0
        self.fits = 0

    def callback(self):
        import keras

        counter = self

        class Count(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                counter.active += 1
                counter.fits += 1
                counter.most = max(counter.most, counter.active)

            def on_train_end(self, logs=None):
                counter.active -= 1

        return Count()


def counted_source(counter: FitCounter, epochs: int = 8) -> TrainingSource:
    def build_model():
        import keras

        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        return model

    def load_data():
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, size=(256, 1)).astype("float32")
        y = (2 * x + 0.5).astype("float32")
        return {"x": x[:192], "y": y[:192], "validation_data": (x[192:], y[192:]), "batch_size": 4,
                "callbacks": [counter.callback()]}

    return TrainingSource(name="storm", build_model=build_model, load_data=load_data, epochs=epochs,
                          origin={"test": "storm"})


def contiguous(numbers: list[int]) -> bool:
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True


async def test_a_storm_of_stop_extend_restart_keys(tmp_path: Path):
    counter = FitCounter()
    app = create_app(counted_source(counter), log_dir=tmp_path)
    rng = random.Random(6)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 1, what="the first epoch")
        started = time.monotonic()
        keys = [rng.choice("ser") for _ in range(60)]
        for key in keys:
            # straight to the driver's queue, as a terminal delivers them (Pilot.press would wait
            # for the app to go idle after every key, which is no storm)
            event = events.Key(key, key)
            event.set_sender(app)
            app._driver.send_message(event)
            await asyncio.sleep(rng.uniform(0, 0.03))
        storm_seconds = time.monotonic() - started
        await pilot.pause(0.5)
        # still responsive: one more extend trains to a finish
        await pilot.press("e")
        await wait_for(pilot, lambda: monitor.state == "finished", timeout=90, what="finished after the storm")
        await pilot.pause(0.3)
        trainer = monitor.trainer
        assert counter.most == 1, "two fits ran at the same time"
        assert counter.active == 0 and counter.fits >= 2
        attempts = monitor.attempt
        assert attempts == trainer.attempt and attempts >= 2  # some restarts went through
        for attempt, seen in monitor.epochs_seen.items():
            assert contiguous(seen) and seen[0] == 1, f"attempt {attempt}: epochs {seen}"
        shown = monitor.history
        assert len(shown) == len(trainer.history) == trainer.target_epochs
        np.testing.assert_allclose(shown["loss"], trainer.history["loss"])
        await pilot.press("q")
        await wait_for(pilot, lambda: monitor.training_done, timeout=10, what="the trainer to return")
    assert storm_seconds < 10  # 60 keys really arrived within a few seconds (a loaded 2-core machine)
    logged = read_runlog(monitor.run_log_path)
    assert logged.meta["attempt"] == attempts
    assert len(logged) == len(shown)
    np.testing.assert_allclose(logged["loss"], shown["loss"], rtol=1e-6)
    # every earlier attempt that trained an epoch is in the run log, as the screen had it
    shown_earlier = [h for h in monitor.previous_attempts if len(h)]
    assert [len(h) for h in logged.previous_attempts] == [len(h) for h in shown_earlier]
    assert logged.meta["markers"][-1]["event"] == "quit"


BROKEN = '''import numpy as np

def build_model():
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model

def load_data():
    x = np.zeros((32, {features}), dtype="float32")
    return {{"x": x, "y": np.zeros((32, 1), dtype="float32"), "batch_size": 8}}

EPOCHS = 3
'''


async def test_failure_shows_the_error_panel_and_r_retries_the_fixed_script(tmp_path: Path):
    script = tmp_path / "train.py"
    script.write_text(BROKEN.format(features=3), encoding="utf-8")  # 3 features for a 4-input model
    app = create_app(load_script(script), log_dir=tmp_path / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: monitor.state == "failed", what="state failed")
        await pilot.pause(0.1)
        panel = monitor.query_one("ErrorPanel")
        assert panel.shown and panel.message.startswith("train.py")
        assert panel.traceback.startswith("Traceback") and "model.fit(" in panel.traceback
        assert len(panel.traceback.splitlines()) > 10  # the whole thing, not just the message
        assert "train.py" in app.export_screenshot()
        scroll = panel.query_one("#error-scroll")
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y  # shows the end first
        await pilot.press("tab")  # the traceback scrolls from the keyboard
        assert scroll.has_focus
        await pilot.press("home")
        assert scroll.scroll_y == 0
        script.write_text(BROKEN.format(features=4), encoding="utf-8")  # fixed
        await pilot.press("r")
        await wait_for(pilot, lambda: monitor.state == "finished", what="the retry to finish")
        assert not panel.shown and len(monitor.history) == 3
        await pilot.press("q")
    logged = read_runlog(monitor.run_log_path)
    events = [m["event"] for m in logged.meta["markers"]]
    assert events[:2] == ["start", "fail"] and "restart" in events and events[-1] == "quit"
    assert len(logged) == 3


async def test_ctrl_c_in_the_tui_saves_a_checkpoint(tmp_path: Path):
    counter = FitCounter()
    app = create_app(counted_source(counter, epochs=500), log_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 2, what="two epochs")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not app.is_running, timeout=15, what="the app to exit")
    run_log = monitor.run_log_path
    last = read_runlog(run_log).meta["markers"][-1]
    assert last["event"] == "quit" and last["reason"] == "Ctrl+C"
    assert Path(last["checkpoint"]).is_file()
