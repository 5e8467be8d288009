"""The ground-truth labels and the scoring helpers of benchmarks/verdict_eval, on hand-made curves."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "verdict_eval"))

import evaluate  # noqa: E402
import labels  # noqa: E402

EPOCHS = np.arange(1, 401, dtype=float)


def label(test, t, baseline=1.0, train=None):
    name, acceptable, _ = labels.label_at(np.asarray(test, dtype=float), t, baseline, train=train)
    return name, acceptable


def test_curve_still_dropping_fast_is_underfitting():
    test = 0.05 + 0.9 * np.exp(-EPOCHS / 80)
    assert label(test, 20) == ("underfitting", frozenset({"underfitting"}))


def test_u_shaped_curve_late_is_overfitting_and_early_is_underfitting():
    test = 0.3 + 0.6 * np.exp(-EPOCHS / 15) + 2e-5 * np.maximum(EPOCHS - 80, 0) ** 2
    assert label(test, 200)[0] == "overfitting"
    assert label(test, 5)[0] == "underfitting"


def test_flat_converged_curve_is_good_fit():
    test = 0.2 + 0.7 * np.exp(-EPOCHS / 5)
    assert label(test, 100) == ("good_fit", frozenset({"good_fit"}))


def test_three_to_ten_percent_gain_is_borderline_between_neighbours():
    test = 0.5 * EPOCHS ** -0.1  # doubling always gains 1 - 2**-0.1 ~ 6.7 %
    name, acceptable = label(test, 50)
    assert name == "borderline"
    assert acceptable == {"underfitting", "good_fit"}


def test_nan_by_t_is_diverged_but_not_before_it():
    test = 0.2 + 0.7 * np.exp(-EPOCHS / 5)
    train = test.copy()
    train[30:] = np.nan
    assert label(test, 40, train=train)[0] == "diverged"
    assert label(test, 20, train=train)[0] != "diverged"


def test_loss_stuck_at_chance_is_diverged():
    rng = np.random.default_rng(0)
    test = 1.0 + 0.01 * rng.standard_normal(len(EPOCHS))
    assert label(test, 50, baseline=1.0)[0] == "diverged"


def test_exploding_training_loss_is_diverged():
    train = np.r_[np.linspace(1.0, 0.1, 50), np.full(350, 5.0)]
    test = 0.2 + 0.7 * np.exp(-EPOCHS / 5)
    assert label(test, 60, train=train)[0] == "diverged"
    assert label(test, 40, train=train)[0] != "diverged"


def test_too_short_a_future_is_unknown():
    test = 0.05 + 0.9 * np.exp(-EPOCHS / 1000)  # slow, and 300 -> 400 is not a doubling
    assert label(test, 300)[0] == "unknown"


def test_cases_skip_unknown_and_report_best_available():
    test = 0.3 + 0.6 * np.exp(-EPOCHS / 15) + 2e-5 * np.maximum(EPOCHS - 80, 0) ** 2
    run = {"name": "u", "baseline": 1.0, "test_loss": test, "loss": test * 0.5, "val_loss": test}
    found = labels.cases([run])
    assert {c.t for c in found} <= set(labels.T_GRID)
    assert all(c.label != "unknown" and c.acceptable for c in found)
    assert found[0].best_available == pytest.approx(test.min())


def test_smooth_median_removes_a_single_spike_and_ignores_nan():
    values = np.array([1.0, 1.0, 9.0, 1.0, 1.0, np.nan, 1.0])
    out = labels.smooth_median(values)
    assert np.all(out == 1.0)


# -- Keras EarlyStopping semantics (checked once against real Keras 3.15 fits) ----
def test_early_stopping_stops_after_patience_and_restores_the_best():
    val = [5, 4, 3, 3.5, 3.2, 3.1, 3.0, 3.05, 2.9, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8, 3.9, 4, 4.1, 4.2, 4.3]
    assert evaluate.keras_early_stopping(np.array(val), patience=3) == (3, 6)
    assert evaluate.keras_early_stopping(np.array(val), patience=10) == (9, 19)


def test_early_stopping_without_stop_restores_the_best_at_the_end():
    val = np.linspace(3, 1, 30)
    assert evaluate.keras_early_stopping(val, patience=10) == (30, 30)


def test_early_stopping_first_nan_becomes_best_and_never_improves():
    val = np.r_[math.nan, np.linspace(3, 1, 29)]
    assert evaluate.keras_early_stopping(val, patience=3) == (1, 4)


def test_regret_is_relative_to_the_test_minimum():
    test = np.array([2.0, 1.0, 1.1, math.nan])
    assert evaluate._regret(test, 2) == 0.0
    assert evaluate._regret(test, 3) == pytest.approx(0.1)
    assert evaluate._regret(test, 4) == math.inf
    assert evaluate._regret(test, None) == math.inf


def test_loss_near_chance_with_accuracy_well_above_chance_is_borderline():
    test = 0.95 + 0.05 * np.exp(-EPOCHS / 5)  # flat just under chance: "nothing learned" by loss
    accuracy = np.full(len(EPOCHS), 0.6)  # but 4-class accuracy far above 0.25
    name, acceptable, _ = labels.label_at(test, 100, 1.0, accuracy=accuracy, chance_accuracy=0.25)
    assert name == "borderline"
    assert acceptable == {"diverged", "good_fit"}
    assert labels.label_at(test, 100, 1.0, accuracy=accuracy * 0 + 0.26, chance_accuracy=0.25)[0] == "diverged"
