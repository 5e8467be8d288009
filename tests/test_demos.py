"""The demo scenarios, trained for real through the Trainer: each reaches its verdict.

Epoch counts are the scenarios' own; together these take about half a minute on a
shared 2-core machine. The 500-epoch textbook run takes ~35 s more and runs only when
EPOCHWATCH_SLOW_TESTS=1 (it is also marked ``slow``).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from epochwatch.engine.demos import SCENARIOS, load_scenario
from epochwatch.engine.events import EpochEnd, TrainEnd

NOISE_FLOOR_TEXTBOOK = 0.1 ** 2  # the variance of the noise in y = 2x + 0.5 + 0.1 * noise


def test_scenarios_are_listed_without_importing_keras():
    code = ("import sys; from epochwatch.engine.demos import SCENARIOS, load_scenario; "
            "import epochwatch.engine.trainer; source = load_scenario('overfit'); "
            "print(','.join(SCENARIOS), source.epochs, "
            "any(m in sys.modules for m in ('keras', 'tensorflow', 'jax', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    names, epochs, imported = out.stdout.split()
    assert names.split(",") == ["seed-underfit", "seed-ideal", "seed-overfit", "underfit", "goodfit",
                                "overfit", "diverge"]
    assert int(epochs) > 0 and imported == "False", out.stderr


def test_unknown_scenario_lists_the_names():
    with pytest.raises(ValueError) as info:
        load_scenario("overfitt")
    assert "overfitt" in str(info.value) and all(name in str(info.value) for name in SCENARIOS)


def test_every_scenario_has_a_description_and_its_origin():
    for name, description in SCENARIOS.items():
        source = load_scenario(name)
        assert source.description == description and source.origin == {"scenario": name}
        assert source.reload() is source


def train(name, tmp_path, epochs=None):
    """Run a scenario to its end through the Trainer; its EpochEnd events and the trainer."""
    from epochwatch.engine.trainer import Trainer

    ends: list[EpochEnd] = []
    finished: list[TrainEnd] = []
    done = threading.Event()

    def listener(event):
        if isinstance(event, EpochEnd):
            ends.append(event)
        elif isinstance(event, TrainEnd):
            finished.append(event)
            done.set()

    trainer = Trainer(load_scenario(name), epochs=epochs, listener=listener, log_dir=tmp_path)
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    try:
        assert done.wait(240), f"{name} did not finish"
    finally:
        trainer.quit()
        thread.join(10)
    assert [e.epoch for e in ends] == list(range(1, len(ends) + 1))
    assert finished[-1].reason != "failed", finished[-1].error
    seconds = float(np.median([e.seconds for e in ends]))
    assert seconds < 0.2, f"{name}: {seconds:.3f} s an epoch"
    return ends, finished[-1], trainer


def val(ends, epoch):
    return ends[epoch - 1].logs["val_loss"]


def test_seed_underfit_and_seed_ideal_are_still_underfitting(tmp_path):
    short, end, _ = train("seed-underfit", tmp_path)
    assert len(short) == 5 and end.reason == "finished"
    ends, end, trainer = train("seed-ideal", tmp_path)
    assert len(ends) == 100 and end.reason == "finished"
    # the same seeds: seed-underfit is the first five epochs of seed-ideal
    assert [e.logs["val_loss"] for e in short] == pytest.approx([val(ends, k) for k in range(1, 6)])
    assert val(ends, 5) > 100 * NOISE_FLOOR_TEXTBOOK and val(ends, 100) > 50 * NOISE_FLOOR_TEXTBOOK
    assert val(ends, 100) < val(ends, 80) < val(ends, 50) < val(ends, 5)
    assert 1.8 < val(ends, 5) < 2.6 and 0.7 < val(ends, 100) < 1.3  # the textbook's ~2.2 and ~1.0
    assert short[-1].diagnosis.verdict == "underfitting"
    assert ends[-1].diagnosis.verdict == "underfitting"
    assert ends[-1].diagnosis.suggested_total_epochs > 100
    assert trainer.history.meta["baseline_source"] == "Var(y) of the training targets"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("EPOCHWATCH_SLOW_TESTS") != "1", reason="~35 s; set EPOCHWATCH_SLOW_TESTS=1")
def test_seed_overfit_is_still_underfitting_at_500(tmp_path):
    ends, end, _ = train("seed-overfit", tmp_path)
    assert len(ends) == 500 and end.reason == "finished"
    assert 0.03 < val(ends, 500) < 0.25 and val(ends, 500) < val(ends, 450)
    assert ends[-1].diagnosis.verdict == "underfitting"


def test_underfit_is_still_learning_when_the_epochs_run_out(tmp_path):
    ends, end, _ = train("underfit", tmp_path)
    assert end.reason == "finished"
    assert val(ends, len(ends)) < 0.8 * val(ends, len(ends) - 10)
    assert ends[-1].diagnosis.verdict == "underfitting"
    assert ends[-1].diagnosis.still_improving


def test_goodfit_settles_with_train_and_val_close(tmp_path):
    ends, end, _ = train("goodfit", tmp_path)
    last = ends[-1]
    assert end.reason == "finished"
    assert abs(last.logs["val_loss"] - last.logs["loss"]) < 0.1 * last.logs["loss"]
    assert last.logs["val_loss"] < 1.3 * 0.3 ** 2  # near the noise floor
    assert last.diagnosis.verdict == "good_fit"


def test_overfit_turns_up_and_says_so_within_a_minute(tmp_path):
    ends, end, _ = train("overfit", tmp_path)
    assert end.reason == "finished"
    losses = np.array([e.logs["val_loss"] for e in ends])
    best = int(np.argmin(losses)) + 1
    assert best < 20 and losses[-1] > 1.5 * losses.min()
    first = next(e for e in ends if e.diagnosis.verdict == "overfitting")
    assert sum(e.seconds for e in ends[: first.epoch]) < 60
    assert ends[-1].diagnosis.verdict == "overfitting"


def test_diverge_explodes_and_stops_itself(tmp_path):
    ends, end, trainer = train("diverge", tmp_path)
    assert end.reason == "diverged" and trainer.state == "stopped"
    assert len(ends) < load_scenario("diverge").epochs
    assert not math.isfinite(ends[-1].logs["loss"])
    assert ends[-1].logs["loss"] != ends[0].logs["loss"]
    assert ends[-1].diagnosis.verdict == "diverged"
