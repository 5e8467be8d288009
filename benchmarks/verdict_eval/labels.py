"""Ground-truth verdicts for a prefix of a recorded run, from its test-loss curve.

The test loss T is measured on thousands of held-out points after every epoch, so
it is what the validation loss would be without sampling noise. The product
definitions (shared/docs/verdict-research.md, "What the words mean") are applied
to it literally, looking into the run's future, which the verdict itself may not:

- diverged: a non-finite value by epoch t, a training loss that exploded, or a
  test loss that never got meaningfully below chance (min T[:t] > 0.9 L0) and
  is not falling fast.
- underfitting: doubling the run beats the best so far by >= 10 %
  (min T(t, 2t] <= 0.90 min T[:t]).
- overfitting: T(t) >= 1.15 min T[:t] and the rest of the run never gets back
  below min T[:t].
- good_fit: doubling gains < 3 %, not overfitting, not diverged.
- between those bands the case is borderline and either neighbour is right.

A case is ``(run, t)``; its truth is a set of acceptable verdicts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RUNS_DIR = Path(__file__).resolve().parent / "runs"

#: Epochs at which each run is judged (those within the run's length).
T_GRID = (5, 10, 15, 20, 30, 40, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200)

UNDERFIT_GAIN = 0.10  # doubling beats the best by this much: worth more epochs
DONE_GAIN = 0.03  # doubling gains less than this: the run is done
OVERFIT_RATIO = 1.15  # current test loss this far above the best so far
OVERFIT_SOFT_RATIO = 1.05  # from here on overfitting is an acceptable word
NEVER_LEARNED = 0.9  # min T above this fraction of the chance level: nothing learned
SMOOTH_WINDOW = 5

TRUE_CLASSES = ("underfitting", "good_fit", "overfitting", "diverged", "borderline")


@dataclass(frozen=True)
class Case:
    """One judgement: run ``run`` as known at the end of epoch ``t``."""

    run: str
    t: int
    label: str  # one of TRUE_CLASSES
    acceptable: frozenset[str]
    best_available: float  # min of the raw test loss over the whole run
    info: dict = field(default_factory=dict, compare=False, hash=False)


def as_array(values) -> np.ndarray:
    """JSON list (None for non-finite) -> float array with NaN."""
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def load_runs(directory: str | Path = RUNS_DIR) -> list[dict]:
    """Every run record in ``directory``, sorted by name, with curves as arrays."""
    runs = []
    for path in sorted(Path(directory).glob("*.json")):
        record = json.loads(path.read_text())
        for key, value in list(record.items()):
            if isinstance(value, list):
                record[key] = as_array(value)
        runs.append(record)
    return runs


def smooth_median(values: np.ndarray, window: int = SMOOTH_WINDOW) -> np.ndarray:
    """Centred running median (window shrinks at the ends; NaN ignored, all-NaN stays NaN)."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    half = window // 2
    out = np.full(n, math.nan)
    for i in range(n):
        chunk = values[max(0, i - half) : i + half + 1]
        chunk = chunk[np.isfinite(chunk)]
        if len(chunk):
            out[i] = np.median(chunk)
    return out


def _exploded(train: np.ndarray, baseline: float) -> bool:
    """Training loss that undid over half of its progress, doubled from its start,
    or jumped tenfold above its minimum to a size comparable with chance."""
    finite = train[np.isfinite(train)]
    if len(finite) < 3:
        return False
    first, low = float(finite[0]), float(finite.min())
    recent = float(np.median(finite[-3:]))
    had_fallen = low < 0.8 * first
    scale = 0.25 * baseline if baseline and baseline > 0 else 0.25 * first
    return (
        (had_fallen and recent - low > 0.5 * (first - low))
        or recent > 2.0 * first
        or (recent > 10.0 * low and recent > scale)
    )


def label_at(
    test: np.ndarray,
    t: int,
    baseline: float,
    *,
    train: np.ndarray | None = None,
    val: np.ndarray | None = None,
    smoothed: np.ndarray | None = None,
    accuracy: np.ndarray | None = None,
    chance_accuracy: float | None = None,
) -> tuple[str, frozenset[str], dict]:
    """Truth for the prefix ``1..t`` of a run: (label, acceptable verdicts, numbers used).

    ``label`` is "unknown" when the run is too short after ``t`` to tell. A loss
    that stays near chance while the test ``accuracy`` rose clearly above
    ``chance_accuracy`` (heavy label noise, L2 in the loss, a tiny model) has
    learned something: such a case is borderline, "diverged" or the verdict the
    other rules give.
    """
    name, acceptable, info = _label_at(test, t, baseline, train, val, smoothed, accuracy, chance_accuracy)
    if info.pop("learned_by_accuracy", False) and name not in ("diverged", "unknown"):
        info["why"] = "loss near chance but accuracy well above it; " + info.get("why", "")
        return "borderline", acceptable | {"diverged"}, info
    return name, acceptable, info


def _label_at(test, t, baseline, train, val, smoothed, accuracy, chance_accuracy):
    test = np.asarray(test, dtype=np.float64)
    n = len(test)
    if not 1 <= t <= n:
        raise ValueError(f"t={t} outside 1..{n}")
    smooth = smooth_median(test) if smoothed is None else smoothed
    info: dict = {"t": t}
    diverged = frozenset({"diverged"})

    for name, series in (("test", test), ("train", train), ("val", val)):
        if series is not None and not np.isfinite(series[:t]).all():
            info["why"] = f"non-finite {name} loss by epoch {t}"
            return "diverged", diverged, info
    if train is not None and _exploded(np.asarray(train[:t], dtype=np.float64), baseline):
        info["why"] = "training loss exploded"
        return "diverged", diverged, info

    best = float(np.nanmin(smooth[:t]))
    current = float(smooth[t - 1])
    rest = smooth[t:]
    rest = rest[np.isfinite(rest)]
    horizon = smooth[t : 2 * t]
    horizon = horizon[np.isfinite(horizon)]
    full_horizon = 2 * t <= n
    gain = 1.0 - float(horizon.min()) / best if len(horizon) and best > 0 else None
    ratio = current / best if best > 0 else math.inf
    comes_back = bool(len(rest)) and float(rest.min()) < best
    info.update(best=best, current=current, ratio=ratio, gain=gain, full_horizon=full_horizon,
                comes_back=comes_back, baseline=baseline)

    learned_by_accuracy = False
    if accuracy is not None and chance_accuracy is not None:
        acc = np.asarray(accuracy[:t], dtype=np.float64)
        acc = acc[np.isfinite(acc)]
        learned_by_accuracy = bool(len(acc)) and float(acc.max()) >= chance_accuracy + 0.2 * (1 - chance_accuracy)
    if baseline and baseline > 0 and best > NEVER_LEARNED * baseline and learned_by_accuracy:
        info["learned_by_accuracy"] = True
    elif baseline and baseline > 0 and best > NEVER_LEARNED * baseline:
        if gain is not None and gain >= UNDERFIT_GAIN:
            info["why"] = "nothing learned yet, but falling fast"
            return "underfitting", frozenset({"underfitting"}), info
        if float(np.nanmin(smooth)) > NEVER_LEARNED * baseline:
            info["why"] = "the test loss never gets below 0.9 x chance in the whole run"
            return "diverged", diverged, info
        if full_horizon:
            info["why"] = "nothing learned by t and not falling fast (the run learns later)"
            return "borderline", frozenset({"diverged", "underfitting"}), info
        return "unknown", frozenset(), info

    if len(rest) < min(t, 20):
        return "unknown", frozenset(), info
    if not comes_back and ratio >= OVERFIT_RATIO:
        info["why"] = "test loss >= 15 % above its best and never back"
        return "overfitting", frozenset({"overfitting"}), info
    if not comes_back and ratio >= OVERFIT_SOFT_RATIO:
        info["why"] = "test loss 5-15 % above its best and never back"
        return "borderline", frozenset({"overfitting", "good_fit"}), info
    if gain is None:
        return "unknown", frozenset(), info
    if gain >= UNDERFIT_GAIN:
        info["why"] = "doubling the run gains >= 10 %"
        return "underfitting", frozenset({"underfitting"}), info
    if not full_horizon:
        return "unknown", frozenset(), info
    if gain < DONE_GAIN:
        if ratio >= OVERFIT_SOFT_RATIO:
            info["why"] = "above its best now, and doubling gains < 3 %"
            return "borderline", frozenset({"good_fit", "overfitting"}), info
        info["why"] = "doubling the run gains < 3 %"
        return "good_fit", frozenset({"good_fit"}), info
    info["why"] = "doubling the run gains 3-10 %"
    return "borderline", frozenset({"underfitting", "good_fit"}), info


def run_cases(run: dict, grid: tuple[int, ...] = T_GRID) -> list[Case]:
    """Every decidable case of one run on the grid."""
    test = run["test_loss"]
    smoothed = smooth_median(test)
    finite = test[np.isfinite(test)]
    best_available = float(finite.min()) if len(finite) else math.nan
    classes = run.get("config", {}).get("data", {}).get("classes") or (2 if run.get("task") == "binary" else None)
    chance = 1.0 / classes if classes else None
    out = []
    for t in grid:
        if t > len(test):
            break
        label, acceptable, info = label_at(
            test, t, run.get("baseline") or 0.0, train=run.get("loss"), val=run.get("val_loss"), smoothed=smoothed,
            accuracy=run.get("test_accuracy"), chance_accuracy=chance,
        )
        if label != "unknown":
            out.append(Case(run["name"], t, label, acceptable, best_available, info))
    return out


def cases(runs: list[dict] | None = None, grid: tuple[int, ...] = T_GRID) -> list[Case]:
    """All decidable cases of all runs (loads the stored runs when none are given)."""
    runs = load_runs() if runs is None else runs
    return [c for run in runs for c in run_cases(run, grid)]


def character(run: dict) -> str:
    """The run's truth over the grid, compressed: "underfitting 5-30 > good_fit 40-100"."""
    parts: list[list] = []
    for c in run_cases(run):
        if parts and parts[-1][0] == c.label:
            parts[-1][2] = c.t
        else:
            parts.append([c.label, c.t, c.t])
    return " > ".join(f"{name} {a}" if a == b else f"{name} {a}-{b}" for name, a, b in parts) or "(no decidable case)"
