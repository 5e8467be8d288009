"""Pure numpy helpers that keep plotting cost bounded by the plot's width.

A terminal column can show one vertical span, so a long series is cut into one
bin per column and each bin keeps its minimum and maximum: a one-epoch spike
survives, and plotting costs the same for 100 epochs or a million.
"""

from __future__ import annotations

import math

import numpy as np


def decimate_minmax(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``(x, y)`` to at most ``2 * columns`` points, keeping each column's min and max.

    NaN values are ignored inside a bin; a bin with only NaN yields NaN (a gap).
    Series already short enough are returned unchanged.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    columns = max(1, int(columns))
    if n <= 2 * columns:
        return x, y
    starts = (np.arange(columns, dtype=np.int64) * n) // columns
    stops = np.append(starts[1:], n)
    lows = np.fmin.reduceat(y, starts)
    highs = np.fmax.reduceat(y, starts)
    centres = (x[starts] + x[stops - 1]) / 2.0
    xs = np.repeat(centres, 2)
    ys = np.empty(2 * columns)
    ys[0::2] = lows
    ys[1::2] = highs
    return xs, ys


def ema_debiased(y: np.ndarray, weight: float = 0.6) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average with its start-up bias removed.

    Non-finite values are skipped (the line carries on from the last finite value)
    and stay NaN in the output.
    """
    y = np.asarray(y, dtype=np.float64)
    out = np.full(len(y), np.nan)
    finite = np.isfinite(y)
    values = y[finite]
    if len(values) == 0:
        return out
    if weight <= 0:
        out[finite] = values
        return out
    out[finite] = _ema_blocked(values, weight) / _debias(len(values), weight)
    return out


def _ema_blocked(values: np.ndarray, weight: float) -> np.ndarray:
    """``s[t] = w*s[t-1] + (1-w)*x[t]`` (s[-1] = 0), vectorised in blocks.

    Inside a block of B steps the recurrence is a scaled cumulative sum; B is chosen
    so that ``w**B`` is below float precision, so only the previous block's last
    value carries over (older blocks have faded out).
    """
    n = len(values)
    block = max(1, min(n, int(math.ceil(math.log(1e-17) / math.log(weight)))))
    blocks = -(-n // block)
    padded = np.zeros(blocks * block)
    padded[:n] = values
    grid = padded.reshape(blocks, block)
    powers = weight ** np.arange(block, dtype=np.float64)
    local = np.cumsum(grid / powers, axis=1) * powers * (1.0 - weight)
    carry = np.zeros(blocks)
    carry[1:] = local[:-1, -1]
    local += carry[:, None] * (powers * weight)
    return local.ravel()[:n]


def _debias(n: int, weight: float) -> np.ndarray:
    """``1 - w**k`` for k = 1..n; it is 1.0 to float precision after a few hundred steps."""
    factors = np.ones(n)
    head = min(n, _DEBIAS_HEAD)
    factors[:head] = 1.0 - weight ** np.arange(1, head + 1, dtype=np.float64)
    return factors


_DEBIAS_HEAD = 2048
