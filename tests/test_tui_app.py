"""The live monitor with real (tiny) Keras training, driven through Textual's Pilot.

Each test trains a Dense(1) on 64 points: a few seconds, no mocks. Tests wait for
states (polling with a deadline), never for fixed delays.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from epochwatch.engine.formats import read_runlog
from epochwatch.engine.scripts import TrainingSource
from epochwatch.tui.app import create_app
from pilot_helpers import wait_for

pytestmark = pytest.mark.timeout(180)

SIZE = (100, 30)


def tiny_source(epochs: int = 6, samples: int = 64) -> TrainingSource:
    """A Dense(1) on y = 2x + 0.5 + noise: 48 training and 16 validation points, batch 16."""

    def build_model():
        import keras

        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        return model

    def load_data():
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, size=(samples, 1)).astype("float32")
        y = (2 * x + 0.5 + 0.1 * rng.standard_normal((samples, 1))).astype("float32")
        split = samples * 3 // 4
        return {"x": x[:split], "y": y[:split], "validation_data": (x[split:], y[split:]), "batch_size": 16}

    return TrainingSource(name="tiny", build_model=build_model, load_data=load_data, epochs=epochs,
                          description="test model", origin={"test": "tiny"})


def screen_text(app) -> str:
    """The visible screen as plain text (what a user reads)."""
    return app.export_screenshot()  # SVG: every visible character is in it


async def test_trains_to_finished_and_shows_epochs_and_verdict(tmp_path: Path):
    app = create_app(tiny_source(epochs=6), log_dir=tmp_path, theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: monitor.state == "finished", what="state finished")
        assert len(monitor.history) == 6
        assert monitor.epochs_seen[1] == [1, 2, 3, 4, 5, 6]
        assert np.isfinite(monitor.history["val_loss"]).all()
        assert monitor.diagnosis is not None and monitor.diagnosis.epoch == 6
        header_state = str(app.screen.query_one("#header-state").content)
        assert "finished" in header_state
        assert monitor.query_one("EpochProgress").summary().startswith("Epoch 6/6")
        run_log = monitor.run_log_path
        assert run_log is not None and run_log.parent == tmp_path
        assert str(run_log) in str(monitor.query_one("#header-log").content)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=10, what="the app to exit")
    assert app.return_code == 0
    logged = read_runlog(run_log)
    assert len(logged) == 6
    np.testing.assert_allclose(logged["loss"], monitor.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(logged["val_loss"], monitor.history["val_loss"], rtol=1e-6)


async def test_stop_lands_within_the_epoch_in_progress(tmp_path: Path):
    app = create_app(tiny_source(epochs=2000), log_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 3, what="three epochs")
        await pilot.press("s")
        epochs_at_press = len(monitor.history)
        await wait_for(pilot, lambda: monitor.state == "stopped", timeout=20, what="state stopped")
        await pilot.pause(0.3)  # any epoch still in flight has been handled by now
        done = len(monitor.history)
        assert epochs_at_press <= done <= epochs_at_press + 1
        assert done < 2000
        assert "stopped" in str(monitor.query_one("#header-state").content)
        await pilot.press("q")
        await wait_for(pilot, lambda: monitor.training_done, timeout=10, what="the worker to end")
    assert len(read_runlog(monitor.run_log_path)) == done


async def test_extend_continues_the_numbering_without_a_gap(tmp_path: Path):
    app = create_app(tiny_source(epochs=4), log_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: monitor.state == "finished", what="the first 4 epochs")
        await pilot.press("e")
        await wait_for(pilot, lambda: len(monitor.history) > 4, what="epochs after the extension")
        target = monitor.query_one("EpochProgress").target
        assert target > 4
        await wait_for(pilot, lambda: monitor.state == "finished" and len(monitor.history) == target,
                       what=f"finished at epoch {target}")
        assert monitor.epochs_seen[1] == list(range(1, target + 1))
        assert [s.kind for s in monitor.history.segments] == ["initial", "extend"]
        assert monitor.history.segments[1].start == 5
        await pilot.press("q")
        await wait_for(pilot, lambda: monitor.training_done, timeout=10, what="the worker to end")
    assert len(read_runlog(monitor.run_log_path)) == target


async def test_restart_starts_attempt_two_at_epoch_one_and_keeps_attempt_one(tmp_path: Path):
    app = create_app(tiny_source(epochs=300), log_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 3, what="three epochs")
        await pilot.press("r")
        await wait_for(pilot, lambda: monitor.attempt == 2 and len(monitor.history) >= 2,
                       what="attempt 2 to train two epochs")
        assert monitor.epochs_seen[2][:2] == [1, 2]
        assert len(monitor.previous_attempts) == 1
        first = monitor.previous_attempts[0]
        assert len(first) >= 3 and monitor.epochs_seen[1] == list(range(1, len(first) + 1))
        assert "attempt 2" in str(monitor.query_one("#header-run").content)
        assert monitor.query_one("TrainingCurves").plot.previous_attempts == [first]
        await pilot.press("q")
        await wait_for(pilot, lambda: monitor.training_done, timeout=10, what="the worker to end")
    logged = read_runlog(monitor.run_log_path)
    assert len(logged.previous_attempts) == 1
    assert len(logged.previous_attempts[0]) == len(first)


async def test_quit_during_training_ends_the_worker_and_exits(tmp_path: Path):
    app = create_app(tiny_source(epochs=5000), log_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 2 and monitor.state == "running",
                       what="training to run")
        worker = monitor.training_worker
        pressed = time.monotonic()
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=10, what="the app to exit")
        quit_seconds = time.monotonic() - pressed
    assert app.return_code == 0
    assert quit_seconds < 5
    assert monitor.training_returned.wait(5), "Trainer.run() did not return after q"
    assert worker is not None and worker.is_finished
    logged = read_runlog(monitor.run_log_path)
    assert len(logged) >= 2 and len(logged) < 5000


async def test_keys_for_the_view_never_need_the_trainer(tmp_path: Path):
    app = create_app(tiny_source(epochs=3), log_dir=None, theme="light")
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: monitor.state == "finished", what="state finished")
        curves = monitor.query_one("TrainingCurves")
        await pilot.press("m")
        assert curves.metric == "mae"
        await pilot.press("l", "f")
        assert curves.log_scale and curves.follow
        await pilot.press("t")
        assert app.theme == "high-contrast"
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        help_text = str(app.screen.query_one("#help-keys").content)
        for description in ("Stop", "Extend", "Restart", "Best", "Save", "Log", "Metric", "Follow",
                            "Theme", "Help", "Quit"):
            assert description in help_text
        await pilot.press("escape")
        assert app.screen is monitor
        assert monitor.run_log_path is None
        assert "no run log" in str(monitor.query_one("#header-log").content)


async def test_export_key_saves_the_frame_beside_the_run_log(tmp_path: Path):
    app = create_app(tiny_source(epochs=5), log_dir=tmp_path, theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: monitor.state == "finished", what="state finished")
        await pilot.press("x")
        await wait_for(pilot, lambda: monitor.last_export is not None, timeout=10, what="the export")
        await pilot.press("q")
    saved = monitor.last_export
    assert saved.parent == tmp_path and saved.name == f"{monitor.run_log_path.stem}.epoch-5.svg"
    svg = saved.read_text()
    assert svg.startswith("<svg") and "Epoch" in svg and "5/5" in svg
