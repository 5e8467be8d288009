"""Watch: following files another process writes, down to partial lines, truncation and a real training."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from epochwatch.engine import diagnose
from epochwatch.engine.follow import HistoryFollower
from epochwatch.engine.formats import read_history
from epochwatch.tui.screens.watch import WatchScreen
from epochwatch.tui.viewer_app import create_viewer_app
from epochwatch.tui.widgets.verdict import VerdictPanel

from keras_runs import fit_all_formats

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    return fit_all_formats(tmp_path_factory.mktemp("fit"))


def test_follower_reads_each_real_format_like_read_history(run_files):
    for kind in ("csv", "runlog", "tensorboard", "json"):
        follower = HistoryFollower(run_files[kind])
        assert follower.poll()
        expected = read_history(run_files[kind])
        assert len(follower.history) == len(expected), kind
        np.testing.assert_allclose(follower.history["val_loss"], expected["val_loss"], rtol=1e-6, err_msg=kind)
        assert not follower.poll()  # nothing new


def test_partial_line_waits_and_truncation_rereads(run_files, tmp_path: Path):
    lines = run_files["csv"].read_bytes().splitlines(keepends=True)
    path = tmp_path / "growing.csv"
    path.write_bytes(b"".join(lines[:4]))
    follower = HistoryFollower(path)
    follower.poll()
    assert len(follower.history) == 3
    half = len(lines[4]) // 2
    with open(path, "ab") as f:
        f.write(lines[4][:half])
    assert not follower.poll() and len(follower.history) == 3
    with open(path, "ab") as f:
        f.write(lines[4][half:] + lines[5])
    assert follower.poll() and len(follower.history) == 5
    path.write_bytes(b"".join(lines[:3]))  # truncated: a new run overwrote the file
    assert follower.poll() and len(follower.history) == 2
    replacement = tmp_path / "other.csv"
    replacement.write_bytes(b"".join(lines[:8]))
    os.replace(replacement, path)  # replaced (new inode), same length class
    follower.poll()
    assert len(follower.history) == 7
    np.testing.assert_allclose(follower.history["loss"], read_history(path)["loss"])


def test_new_tensorboard_event_files_are_picked_up(run_files, tmp_path: Path):
    import shutil

    folder = tmp_path / "tb"
    shutil.copytree(run_files["tensorboard"], folder)
    follower = HistoryFollower(folder)
    follower.poll()
    first = len(follower.history)
    for sub in ("train", "validation"):  # a second fit call: new event files, a later timestamp
        for f in (folder / sub).iterdir():
            parts = f.name.split(".")
            parts[3] = str(int(parts[3]) + 100)
            shutil.copy(f, f.with_name(".".join(parts)))
    assert follower.poll()
    assert len(follower.history) == first  # epochs 1..n again: a restart
    assert len(follower.history.previous_attempts) == 1
    assert len(read_history(folder).previous_attempts) == 1


TRAIN_SCRIPT = textwrap.dedent("""
    import sys, time, keras, numpy as np
    sys.path.insert(0, {tests!r})
    from keras_runs import tiny_data, tiny_model
    from epochwatch.engine import RunLogger
    x, y, xv, yv = tiny_data()
    class Slow(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            time.sleep(0.3)
    kind = sys.argv[2]
    writer = RunLogger(sys.argv[1]) if kind == "runlog" else keras.callbacks.CSVLogger(sys.argv[1])
    tiny_model().fit(x, y, validation_data=(xv, yv), epochs=8, batch_size=16, verbose=0,
                     callbacks=[writer, Slow()])
""")


@pytest.mark.parametrize("kind", ["runlog", "csv"])
async def test_watch_screen_follows_a_training_in_another_process(tmp_path: Path, kind):
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT.format(tests=str(Path(__file__).parent)))
    log = tmp_path / ("run.jsonl" if kind == "runlog" else "log.csv")
    log.touch()
    process = subprocess.Popen([sys.executable, str(script), str(log), kind], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        screen = WatchScreen(log)
        app = create_viewer_app(lambda: screen)
        seen: list[int] = []
        async with app.run_test(size=(110, 32)) as pilot:
            deadline = time.monotonic() + 120
            while len(screen.history) < 8:
                assert time.monotonic() < deadline, f"only {len(screen.history)} epochs seen"
                if not seen or seen[-1] != len(screen.history):
                    seen.append(len(screen.history))
                await pilot.pause(0.05)
            assert len(screen.curves.history) == 8
            assert screen.query_one(VerdictPanel).diagnosis == diagnose(read_history(log))
            # the progress line repaints at most 5 times a second: its last change shows within 0.2 s
            shown = lambda: "Epoch&#160;8" in app.export_screenshot() or "Epoch 8" in app.export_screenshot()  # noqa: E731
            deadline = time.monotonic() + 5
            while not shown():
                assert time.monotonic() < deadline, "the screen never said Epoch 8"
                await pilot.pause(0.05)
        assert len(seen) > 2, seen  # epochs arrived while the screen was open, not all at once
    finally:
        process.wait(timeout=60)
    assert process.returncode == 0
