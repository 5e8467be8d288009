"""SIGHUP, SIGTERM and Ctrl+C during a real run: stop after the batch, checkpoint, exit fast.

Each test starts ``epochwatch run --no-tui`` in a real process, sends the signal once
the first epoch line is out, and checks the exit time, the run log's last line, the
checkpoint (loaded with Keras' safe mode) and the best weights beside the run log.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from epochwatch.engine.checkpoint import best_weights_path, checkpoint_path

pytestmark = pytest.mark.timeout(240)

SCRIPT = '''import numpy as np

EPOCHS = 5000


def build_model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def load_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    return {"x": x[:256], "y": y[:256], "validation_data": (x[256:], y[256:]), "batch_size": 8}
'''

#: Seconds from the signal to the process' exit: the batch, the checkpoint, the run log.
EXIT_WITHIN = 8.0


def start_run(tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    argv = ["run", str(script), "--no-tui", "--log-dir", str(tmp_path / "runs")]
    code = f"import sys; from epochwatch.tui.cli import main; sys.exit(main({argv!r}))"
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path)


def wait_for_epoch_line(proc: subprocess.Popen, epochs: int = 2) -> list[str]:
    lines = []
    while sum(line.startswith("epoch ") for line in lines) < epochs:
        line = proc.stdout.readline()
        assert line, f"no epoch line; exit {proc.poll()}, stderr: {proc.stderr.read()[-2000:]}"
        lines.append(line)
    return lines


def interrupt(tmp_path: Path, signum: int) -> tuple[subprocess.Popen, float, str, Path]:
    proc = start_run(tmp_path)
    try:
        wait_for_epoch_line(proc)
        sent = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    (run_log,) = (tmp_path / "runs").glob("*.jsonl")
    return proc, took, err, run_log


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_signal_saves_a_checkpoint_and_exits_quickly(tmp_path, signum):
    proc, took, err, run_log = interrupt(tmp_path, signum)
    assert took < EXIT_WITHIN, f"took {took:.1f} s to exit"
    assert proc.returncode == 128 + signum
    assert "Traceback" not in err
    assert f"epochwatch resume {run_log}" in err
    last = json.loads(run_log.read_text(encoding="utf-8").splitlines()[-1])
    assert last["type"] == "marker" and last["event"] == "quit"
    assert last["reason"] == signal.Signals(signum).name
    epoch = last["epoch"]
    assert epoch >= 2 and last["checkpoint_epoch"] == epoch
    checkpoint = checkpoint_path(run_log)
    assert Path(last["checkpoint"]).resolve() == checkpoint.resolve() and checkpoint.is_file()
    assert best_weights_path(run_log).is_file() and 1 <= last["best_epoch"] <= epoch
    # no temporary file left behind
    assert sorted(p.name for p in run_log.parent.iterdir()) == sorted(
        [run_log.name, checkpoint.name, best_weights_path(run_log).name])

    import keras

    model = keras.saving.load_model(checkpoint, safe_mode=True)
    steps_per_epoch = 256 // 8
    # the optimizer state came along: every step up to the last recorded epoch, which may be
    # the one the signal cut short (Keras ends a stopped epoch and reports it)
    assert (epoch - 1) * steps_per_epoch < int(model.optimizer.iterations) <= epoch * steps_per_epoch


def test_sigterm_in_the_tui_saves_a_checkpoint_too(tmp_path):
    """The full-screen app on a real pseudo-terminal: SIGTERM closes it after the checkpoint."""
    import os
    import pty
    import threading

    script = tmp_path / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    argv = ["run", str(script), "--log-dir", str(tmp_path / "runs")]
    code = f"import sys; from epochwatch.tui.cli import main; sys.exit(main({argv!r}))"
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="30")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave,
                            cwd=tmp_path, env=env, start_new_session=True)
    os.close(slave)

    def drain():  # the screen's output must be read, or the app blocks writing it
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    try:
        deadline = time.monotonic() + 90
        run_log = None
        while time.monotonic() < deadline:
            logs = list((tmp_path / "runs").glob("*.jsonl"))
            if logs and logs[0].read_text(encoding="utf-8").count('"type":"epoch"') >= 2:
                run_log = logs[0]
                break
            assert proc.poll() is None, f"exited early with {proc.returncode}"
            time.sleep(0.1)
        assert run_log is not None, "no epochs in the run log"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert took < EXIT_WITHIN, f"took {took:.1f} s to exit"
    assert proc.returncode == 128 + signal.SIGTERM
    last = json.loads(run_log.read_text(encoding="utf-8").splitlines()[-1])
    assert last["event"] == "quit" and last["reason"] == "SIGTERM"
    assert checkpoint_path(run_log).is_file() and best_weights_path(run_log).is_file()
