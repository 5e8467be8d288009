"""The verdict on curves whose truth is known by construction, and its causality and speed limits."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import savgol_filter
from scipy.stats import theilslopes

from epochwatch.engine import History, diagnose
from epochwatch.engine.diagnosis import VERDICTS, smooth, theil_sen

EXAMPLES = Path(__file__).resolve().parents[1] / "engine" / "examples"
rng = np.random.default_rng(7)
T = np.arange(1, 401)


def u_shaped(noise=0.02):
    train = 1.0 * T**-0.5 + 0.01
    val = 0.3 + T**-0.6 + 0.0015 * T
    return History({"loss": train, "val_loss": val * (1 + rng.normal(0, noise, len(T)))})


def power_law(noise=0.02):
    val = 0.05 + 2 * T**-0.5
    return History({"loss": 0.9 * val, "val_loss": val * (1 + rng.normal(0, noise, len(T)))})


def plateau(noise=0.01):
    val = 0.2 + np.exp(-T / 10)
    return History({"loss": val - 0.02, "val_loss": val + rng.normal(0, noise, len(T))}, meta={"baseline": 1.3})


@pytest.mark.parametrize("n,w", [(5, 5), (9, 5), (40, 11), (500, 61), (61, 61)])
def test_smoothing_equals_scipy_savgol(n, w):
    z = rng.normal(size=n).cumsum()
    np.testing.assert_allclose(smooth(z, w), savgol_filter(z, w, 2, mode="interp"), atol=1e-9)


@pytest.mark.parametrize("n", [3, 5, 12, 40])
def test_theil_sen_equals_scipy(n):
    y = np.round(rng.normal(size=n), 1)  # rounding makes ties, which change the interval
    x = np.arange(n, dtype=float)
    ref = theilslopes(y, x, alpha=0.90)
    assert theil_sen(y, x) == pytest.approx((ref[0], ref[2], ref[3]))


def test_overfitting_found_after_the_turn_with_best_epoch_near_the_minimum():
    h = u_shaped()
    early = diagnose(h, 10)
    assert early.verdict == "underfitting" and early.still_improving
    late = diagnose(h, 300)
    assert late.verdict == "overfitting"
    assert not late.still_improving
    true_best = int(np.argmin(0.3 + T[:300] ** -0.6 + 0.0015 * T[:300])) + 1
    assert abs(late.best_epoch - true_best) <= 15
    assert any("risen" in r and f"epoch {late.best_epoch}" in r for r in late.reasons)
    assert any(f"Stop at epoch {late.best_epoch}" in a for a in late.advice)


def test_power_law_still_improving_with_extension_within_the_observed_length():
    d = diagnose(power_law(), 300)
    assert d.verdict == "underfitting" and d.still_improving
    assert 300 < d.suggested_total_epochs <= 600
    assert d.expected_gain >= 0.10
    assert d.best_epoch >= 290


def test_plateau_is_a_good_fit_and_the_best_epoch_is_on_the_plateau():
    d = diagnose(plateau(), 400)
    assert d.verdict == "good_fit" and not d.still_improving
    assert d.suggested_total_epochs is None
    assert 0.2 + math.exp(-d.best_epoch / 10) < 0.2 * 1.01  # within 1 % of the true plateau
    assert d.bias == pytest.approx(0.18 / 1.3, abs=0.03)
    assert d.variance == pytest.approx(0.02 / 1.3, abs=0.02)
    assert d.baseline == 1.3


def test_verdict_at_t_uses_nothing_after_t():
    h = u_shaped()
    for t in (8, 40, 120, 250):
        full = diagnose(h, t)
        cut = diagnose(History({k: h[k][:t] for k in h.metric_names}), None)
        assert full == cut


def test_nan_loss_is_diverged_with_the_last_good_epoch():
    loss = np.concatenate([np.linspace(2, 1, 30), [np.nan, np.nan]])
    d = diagnose(History({"loss": loss, "val_loss": loss + 0.1}))
    assert d.verdict == "diverged"
    assert d.best_epoch == 30
    assert any("NaN at epoch 31" in r for r in d.reasons)


def test_missing_validation_values_are_gaps_not_divergence():
    val = 1 + 1 / T[:50]
    val[::3] = np.nan  # CSVLogger's NA
    d = diagnose(History({"loss": 1 + 0.9 / T[:50], "val_loss": val}))
    assert d.verdict != "diverged"


def test_loss_stuck_at_chance_level_is_not_a_good_fit():
    loss = math.log(10) * (1 + rng.normal(0, 0.01, 60))
    d = diagnose(History({"loss": loss, "val_loss": loss}, meta={"baseline": math.log(10)}))
    assert d.verdict == "diverged"
    assert any("chance level" in r for r in d.reasons)
    assert any("learning rate" in a for a in d.advice)


def test_exploding_loss_is_diverged():
    loss = np.concatenate([np.linspace(2, 0.5, 40), np.geomspace(0.6, 50, 20)])
    d = diagnose(History({"loss": loss, "val_loss": loss * 1.1}))
    assert d.verdict == "diverged"
    assert any("exploded" in r for r in d.reasons)


def test_without_validation_it_says_so_and_judges_the_training_loss():
    d = diagnose(History({"loss": 0.05 + 2 * T[:100] ** -0.5}))
    assert not d.has_validation and d.monitor == "loss"
    assert d.variance is None
    assert d.verdict == "underfitting"
    assert any("No validation data" in r for r in d.reasons)


def test_too_few_epochs_is_insufficient_data():
    d = diagnose(History({"loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.6, 1.3]}))
    assert d.verdict == "insufficient_data"
    assert d.best_epoch is None


def test_high_bias_plateau_says_capacity_not_epochs():
    loss = 0.9 + 0.1 * np.exp(-T[:200] / 5) + rng.normal(0, 0.002, 200)
    d = diagnose(History({"loss": loss, "val_loss": loss + 0.01}, meta={"baseline": 1.1, "baseline_source": "Var(y)"}))
    assert d.verdict == "underfitting" and not d.still_improving
    assert any("capacity" in a for a in d.advice)


def test_learning_rate_change_starts_a_new_regime():
    # a plateau, then ReduceLROnPlateau drops the rate at epoch 101 and the loss falls again
    val = np.concatenate([0.5 + 0.5 * np.exp(-T[:100] / 10), 0.5 - 0.3 * (1 - np.exp(-np.arange(1, 31) / 40))])
    lr = np.concatenate([np.full(100, 1e-3), np.full(30, 1e-4)])
    d = diagnose(History({"loss": val * 0.95, "val_loss": val, "learning_rate": lr}))
    assert d.verdict == "underfitting" and d.still_improving


def test_every_verdict_is_a_known_word_and_serialises():
    for h in (u_shaped(), power_law(), plateau()):
        d = diagnose(h)
        assert d.verdict in VERDICTS
        json.dumps(d.to_dict())


def test_textbook_500_epoch_run_is_underfitting_at_5_100_and_500():
    """The classic 'underfit / ideal / overfit' trio, actually run: all still underfitting."""
    h = History(json.loads((EXAMPLES / "textbook-500-epochs.json").read_text()))
    for t in (5, 100, 500):
        d = diagnose(h, t)
        assert d.verdict == "underfitting", (t, d.reasons)
        assert d.still_improving, t
        assert t < d.suggested_total_epochs <= 2 * t
    last = diagnose(h, 500)
    assert any("higher learning rate" in a for a in last.advice)


def test_an_accuracy_monitor_is_judged_as_an_error_rate():
    acc = 1 - (0.01 + 0.5 * T[:300] ** -0.5)  # still rising: doubling the run cuts the error ~19 %
    val_acc = acc - 0.005
    loss = 0.05 + 2 * T[:300] ** -0.5
    h = History({"loss": loss, "val_loss": loss, "accuracy": acc, "val_accuracy": val_acc}, meta={"baseline": 3.0})
    d = diagnose(h, monitor="val_accuracy")
    assert d.verdict == "underfitting" and d.still_improving
    assert d.monitor == "1 - val_accuracy"
    assert d.baseline != 3.0  # the loss's chance level is not the error rate's
    peaked = np.concatenate([acc[:100], acc[99] - 0.004 * np.arange(1, 101)])
    d = diagnose(History({"loss": loss[:200], "accuracy": acc[:200], "val_accuracy": peaked - 0.02}), monitor="val_accuracy")
    assert d.verdict == "overfitting" and 90 <= d.best_epoch <= 100


def test_diagnoser_keeps_to_its_time_budget_and_can_be_forced():
    from epochwatch.engine.diagnosis import Diagnoser

    h = power_law()
    fresh = Diagnoser(budget=1.0)
    assert fresh(h.prefix(100)).epoch == 100
    assert fresh(h.prefix(101)).epoch == 101  # cheap calls: a budget of 100 % never skips
    frugal = Diagnoser(budget=1e-9)  # any call's cost pushes the next one far away
    assert frugal(h.prefix(100)).epoch == 100
    assert frugal(h.prefix(150)).epoch == 100  # the last diagnosis stands in
    assert frugal(h.prefix(200), force=True).epoch == 200
    assert frugal(h.prefix(50)).epoch == 50  # a shorter history (a restart) is never given a stale one
