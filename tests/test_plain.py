"""``--no-tui``: plain lines per epoch, clear one-line errors for broken scripts, divergence stops.

Real tiny Keras training in-process through the CLI's ``main`` (stdout is not a terminal
under pytest, so the plain runner is also what runs without ``--no-tui``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from epochwatch.engine.formats import read_runlog
from epochwatch.tui.cli import main

pytestmark = pytest.mark.timeout(180)

SCRIPT = '''"""A tiny regression."""
import numpy as np

EPOCHS = {epochs}


def build_model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer={optimizer}, loss="mse")
    return model


def load_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, {features})).astype("float32")
    y = (x[:, :1] * 2.0 + 0.5).astype("float32")
    return {{"x": x[:64], "y": y[:64], "validation_data": (x[64:], y[64:]), "batch_size": 16}}
'''

ESCAPE = re.compile(r"\x1b")


def write_script(folder: Path, name="train.py", epochs=4, optimizer='"adam"', features=4) -> Path:
    path = folder / name
    path.write_text(SCRIPT.format(epochs=epochs, optimizer=optimizer, features=features), encoding="utf-8")
    return path


def run_cli(capfd, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


def only_run_log(folder: Path) -> Path:
    logs = list(folder.glob("*.jsonl"))
    assert len(logs) == 1, logs
    return logs[0]


def test_one_plain_line_per_epoch_and_exit_zero(tmp_path, capfd):
    script = write_script(tmp_path, epochs=4)
    code, out, err = run_cli(capfd, "run", str(script), "--no-tui", "--log-dir", str(tmp_path / "runs"))
    assert code == 0, err
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/4", "2/4", "3/4", "4/4"]
    for line in epoch_lines:
        assert "loss " in line and "val_loss " in line and "verdict: " in line
    assert not ESCAPE.search(out) and not ESCAPE.search(err)
    assert "Traceback" not in out + err
    logged = read_runlog(only_run_log(tmp_path / "runs"))
    assert len(logged) == 4
    assert [m["event"] for m in logged.meta["markers"]] == ["start", "finish", "quit"]


def test_without_a_terminal_the_plain_runner_is_automatic(tmp_path, capfd):
    script = write_script(tmp_path, epochs=2)
    code, out, _ = run_cli(capfd, "run", str(script), "--log-dir", str(tmp_path / "runs"))
    assert code == 0
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch ")] == ["1/2", "2/2"]


@pytest.mark.parametrize("case", ["missing", "syntax", "no_build_model", "first_batch"])
def test_broken_script_is_one_clear_line_and_exit_2(tmp_path, capfd, case):
    runs = tmp_path / "runs"
    if case == "missing":
        script = tmp_path / "nothere.py"
        expected = "nothere.py: no such file"
    elif case == "syntax":
        script = tmp_path / "broken.py"
        script.write_text("import numpy\n\ndef build_model(:\n    pass\n", encoding="utf-8")
        expected = "broken.py:3: syntax error"
    elif case == "no_build_model":
        script = tmp_path / "half.py"
        script.write_text("def load_data():\n    return {}\n", encoding="utf-8")
        expected = "half.py: defines no build_model()"
    else:  # the data has 3 features, the model wants 4: fails on the first batch
        script = write_script(tmp_path, name="shapes.py", features=3)
        expected = "shapes.py"
    code, out, err = run_cli(capfd, "run", str(script), "--no-tui", "--log-dir", str(runs))
    assert code == 2
    problem = [line for line in err.splitlines() if line.startswith("epochwatch run:")]
    assert len(problem) == 1, err
    assert expected in problem[0]
    assert "Traceback" not in out + err and not ESCAPE.search(out + err)
    if case == "first_batch":
        # the whole traceback is in the run log's fail marker, not on the terminal
        assert "incompatible" in problem[0].lower() or "shape" in problem[0].lower()
        logged = read_runlog(only_run_log(runs))
        fail = [m for m in logged.meta["markers"] if m["event"] == "fail"]
        assert len(fail) == 1 and fail[0]["traceback"].startswith("Traceback")
    else:
        assert not runs.exists()


DIVERGING = "__import__('keras').optimizers.SGD(learning_rate=5.0)"


def test_non_finite_loss_stops_training_with_verdict_diverged(tmp_path, capfd):
    script = write_script(tmp_path, epochs=200, optimizer=DIVERGING)
    code, out, err = run_cli(capfd, "run", str(script), "--no-tui", "--log-dir", str(tmp_path / "runs"))
    assert code == 0, err
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert 1 <= len(epoch_lines) < 200
    assert "verdict: DIVERGED" in epoch_lines[-1]
    assert "no longer finite" in out
    logged = read_runlog(only_run_log(tmp_path / "runs"))
    stop = [m for m in logged.meta["markers"] if m["event"] == "stop"]
    assert stop and stop[0]["reason"] == "diverged"


def test_keep_going_trains_through_a_non_finite_loss(tmp_path, capfd):
    script = write_script(tmp_path, epochs=200, optimizer=DIVERGING)
    code, out, err = run_cli(capfd, "run", str(script), "--no-tui", "--keep-going", "--epochs", "40",
                             "--log-dir", str(tmp_path / "runs"))
    assert code == 0, err
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 40
    assert "nan" in epoch_lines[-1] or "inf" in epoch_lines[-1]


def test_strategy_mirrored_on_two_logical_cpus(tmp_path):
    """MirroredStrategy over two logical CPU devices (set before TensorFlow starts: a fresh process)."""
    import subprocess
    import sys

    script = write_script(tmp_path, epochs=3)
    runs = tmp_path / "runs"
    argv = ["run", str(script), "--no-tui", "--strategy", "mirrored", "--log-dir", str(runs)]
    code = ("import sys, tensorflow as tf\n"
            "cpu = tf.config.list_physical_devices('CPU')[0]\n"
            "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n"
            "from epochwatch.tui.cli import main\n"
            f"sys.exit(main({argv!r}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("epoch ")] == \
        ["1/3", "2/3", "3/3"]
    logged = read_runlog(only_run_log(runs))
    assert logged.meta["strategy"] == "mirrored" and logged.meta["replicas"] == 2
    assert len(logged) == 3 and (logged["loss"][-1] < logged["loss"][0])


def test_the_plain_runner_needs_no_textual_or_keras_to_import():
    import subprocess
    import sys

    code = ("import sys, epochwatch.tui.plain, epochwatch.engine.checkpoint\n"
            "print(sorted(m for m in ('textual', 'rich', 'keras', 'tensorflow') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
