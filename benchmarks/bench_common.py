"""Shared pieces of the benchmarks: a result row, medians of paired ratios, synthetic histories."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np


@dataclass
class Row:
    """One line of the results table. ``met`` is None when there is no target to meet."""

    name: str
    baseline: str
    ours: str
    ratio: str
    target: str
    met: bool | None


def median_ratio(pairs: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Median of ours/baseline over paired runs, with the interquartile range of the ratios."""
    ratios = sorted(o / b for b, o in pairs if b > 0)
    if len(ratios) < 2:
        return (ratios[0], ratios[0], ratios[0]) if ratios else (float("nan"),) * 3
    q = statistics.quantiles(ratios, n=4, method="inclusive")
    return statistics.median(ratios), q[0], q[2]


def synthetic_metrics(epochs: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A noisy training run that learns, then overfits: loss and val_loss for ``epochs`` epochs."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, epochs + 1, dtype=np.float64)
    scale = max(10.0, epochs / 50)
    loss = 0.1 + 2.0 / (1 + t / scale) ** 0.7
    val = loss + 0.05 * np.maximum(0, t / (epochs / 2) - 1) ** 2
    loss = loss * np.exp(rng.normal(0, 0.03, epochs))
    val = val * np.exp(rng.normal(0, 0.05, epochs))
    return {"loss": loss, "val_loss": val}


def synthetic_history(epochs: int, seed: int = 0):
    from epochwatch.engine.history import History

    return History(synthetic_metrics(epochs, seed))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"
