"""``epochwatch resume``: an interrupted run carries on from its checkpoint in the same history.

Real tiny training: a Trainer is interrupted with ``checkpoint_and_quit`` (what the signal
handlers call) after epoch 3, then resumed through the CLI (plain) and through the TUI.
"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from epochwatch.engine.checkpoint import checkpoint_path, plan_resume
from epochwatch.engine.demos import load_scenario
from epochwatch.engine.events import EpochEnd
from epochwatch.engine.formats import read_runlog
from epochwatch.engine.scripts import load_script
from epochwatch.engine.trainer import Trainer
from epochwatch.tui.cli import main

pytestmark = pytest.mark.timeout(180)

SCRIPT = '''import numpy as np

EPOCHS = 6


def build_model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    return model


def load_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")).astype("float32")
    return {"x": x[:64], "y": y[:64], "validation_data": (x[64:], y[64:]), "batch_size": 8}
'''


def interrupted_run(source, log_dir: Path, at_epoch: int = 3, epochs: int | None = None) -> Path:
    """Train until ``at_epoch`` ends, then checkpoint_and_quit from the listener; the run log's path."""
    box: dict = {}

    def listener(event):
        if isinstance(event, EpochEnd) and event.epoch == at_epoch:
            box["trainer"].checkpoint_and_quit("test")

    trainer = box["trainer"] = Trainer(source, epochs=epochs, listener=listener, log_dir=log_dir)
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    thread.join(90)
    assert not thread.is_alive()
    return trainer.run_log_path


@pytest.fixture
def script_run(tmp_path) -> Path:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return interrupted_run(load_script(script), tmp_path / "runs")


def test_resume_carries_on_at_the_next_epoch_with_the_checkpoint_weights(script_run, capfd):
    before = read_runlog(script_run)
    assert len(before) == 3
    quit_marker = before.meta["markers"][-1]
    assert quit_marker["event"] == "quit" and quit_marker["checkpoint_epoch"] == 3
    code = main(["resume", str(script_run), "--no-tui"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch ")] == ["4/6", "5/6", "6/6"]
    after = read_runlog(script_run)
    assert after.epochs == 6
    np.testing.assert_allclose(after["loss"][:3], before["loss"])  # the earlier epochs are kept as they were
    assert [(s.start, s.stop, s.kind) for s in after.segments] == [(1, 3, "initial"), (4, 6, "resume")]
    events = [m["event"] for m in after.meta["markers"]]
    assert events == ["start", "stop", "quit", "resume", "finish", "quit"]
    assert after.meta["markers"][3]["epoch"] == 3
    # the weights came from the checkpoint: epoch 4 goes on from epoch 3's loss, far below a fresh start
    assert after["loss"][3] < 0.5 * after["loss"][0]
    lines = script_run.read_text(encoding="utf-8").splitlines()
    assert sum(json.loads(line)["type"] == "header" for line in lines) == 1


def test_resume_restores_the_optimizer_state(script_run):
    source, resume, target = plan_resume(script_run)
    assert target == 6 and len(resume.history) == 3 and resume.best_epoch in (1, 2, 3)
    seen = []
    trainer = Trainer(source, epochs=4, listener=seen.append, resume=resume)
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while trainer.state != "finished" and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert trainer.state == "finished"
        # 3 epochs of 8 steps before the interruption, 1 after
        assert int(trainer.model.optimizer.iterations) == 4 * 8
        assert [e.epoch for e in seen if isinstance(e, EpochEnd)] == [4]
    finally:
        trainer.quit()
        thread.join(20)


def test_resume_a_demo_scenario(tmp_path, capfd):
    run_log = interrupted_run(load_scenario("seed-underfit"), tmp_path / "runs", at_epoch=2)
    code = main(["resume", str(run_log), "--no-tui"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch ")] == ["3/5", "4/5", "5/5"]
    assert read_runlog(run_log).epochs == 5


def resume_error(capfd, *argv) -> str:
    code = main(["resume", *argv, "--no-tui"])
    out, err = capfd.readouterr()
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("epochwatch resume:")]
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    return lines[0]


def test_clear_errors_for_missing_or_broken_files(tmp_path, script_run, capfd):
    assert "no such run log" in resume_error(capfd, str(tmp_path / "gone.jsonl"))
    not_a_log = tmp_path / "notes.jsonl"
    not_a_log.write_text("hello\n", encoding="utf-8")
    assert "notes.jsonl" in resume_error(capfd, str(not_a_log))
    assert "already trained 3 epochs" in resume_error(capfd, str(script_run), "--epochs", "3")

    checkpoint = checkpoint_path(script_run)
    saved = checkpoint.read_bytes()
    checkpoint.write_bytes(b"garbage, not a zip")
    assert "not a Keras checkpoint" in resume_error(capfd, str(script_run))
    with zipfile.ZipFile(checkpoint, "w") as archive:  # a zip, but no weights inside
        archive.writestr("config.json", "{}")
    line = resume_error(capfd, str(script_run))
    assert checkpoint.name in line and "cannot load the checkpoint" in line
    checkpoint.unlink()
    line = resume_error(capfd, str(script_run))
    assert "no checkpoint" in line and checkpoint.name in line
    checkpoint.write_bytes(saved)  # and with it back, resuming works
    assert main(["resume", str(script_run), "--no-tui", "--epochs", "4"]) == 0


async def test_tui_resume_shows_the_earlier_epochs(script_run):
    from epochwatch.tui.app import create_app

    source, resume, target = plan_resume(script_run)
    app = create_app(source, epochs=target, log_dir=script_run.parent, resume=resume)
    async with app.run_test(size=(100, 30)) as pilot:
        monitor = app.monitor
        assert len(monitor.history) == 3  # shown before Keras has even loaded
        deadline = time.monotonic() + 60
        while monitor.state != "finished":
            assert time.monotonic() < deadline, "resumed training did not finish"
            await pilot.pause(0.05)
        assert len(monitor.history) == 6
        assert monitor.epochs_seen[1] == [4, 5, 6]
        assert [s.kind for s in monitor.history.segments] == ["initial", "resume"]
        await pilot.press("q")
    assert read_runlog(script_run).epochs == 6
