"""Pure numpy helpers that keep plotting cost bounded by the plot's width.

A terminal column can show one vertical span, so a long series is cut into one
bin per column and each bin keeps its minimum and maximum: a one-epoch spike
survives, and plotting costs the same for 100 epochs or a million.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def decimate_epochs(y: np.ndarray, first_epoch: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """``decimate_minmax`` for a series whose x is ``first_epoch, first_epoch + 1, ...``.

    The x values are worked out per column instead of building an array as long as the
    series (at a million epochs that array alone costs as much as the decimation).
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    columns = max(1, int(columns))
    if n <= 2 * columns:
        return np.arange(first_epoch, first_epoch + n, dtype=np.float64), y
    starts = (np.arange(columns, dtype=np.int64) * n) // columns
    stops = np.append(starts[1:], n)
    ys = np.empty(2 * columns)
    ys[0::2] = np.fmin.reduceat(y, starts)
    ys[1::2] = np.fmax.reduceat(y, starts)
    centres = first_epoch + (starts + stops - 1) / 2.0
    return np.repeat(centres, 2), ys


def column_means(y: np.ndarray, first_epoch: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean of each column's epochs (NaN ignored): the smoothed line of a run far longer
    than the plot is wide, where an epoch-by-epoch moving average would be invisible anyway."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    columns = max(1, min(int(columns), n))
    starts = (np.arange(columns, dtype=np.int64) * n) // columns
    stops = np.append(starts[1:], n)
    finite = np.isfinite(y)
    sums = np.add.reduceat(np.where(finite, y, 0.0), starts)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return first_epoch + (starts + stops - 1) / 2.0, means


def best_index(values: np.ndarray, higher_is_better: bool = False) -> int | None:
    """Index of the first best finite value (None if there is none), without a pass that copies the series.

    Long series are reduced per chunk first, then only the winning chunk is searched.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n > 2 * _BEST_CHUNK:
        starts = np.arange(0, n, _BEST_CHUNK)
        reduced = (np.fmax if higher_is_better else np.fmin).reduceat(values, starts)
        wrong_infinity = -np.inf if not higher_is_better else np.inf
        if not (reduced == wrong_infinity).any():  # an infinite "best" is not finite: fall back
            finite = np.isfinite(reduced)
            if not finite.any():
                return None
            masked = np.where(finite, reduced, -np.inf if higher_is_better else np.inf)
            chunk = int(np.argmax(masked) if higher_is_better else np.argmin(masked))
            lo = chunk * _BEST_CHUNK
            inner = best_index(values[lo:lo + _BEST_CHUNK], higher_is_better)
            return None if inner is None else lo + inner
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, -np.inf if higher_is_better else np.inf)
    return int(np.argmax(masked) if higher_is_better else np.argmin(masked))


_BEST_CHUNK = 4096


@dataclass(frozen=True)
class EmaState:
    """Where a debiased EMA stopped: its biased value after the last finite input, and how many there were."""

    value: float = 0.0
    count: int = 0


def ema_debiased(y: np.ndarray, weight: float = 0.6) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average with its start-up bias removed.

    Non-finite values are skipped (the line carries on from the last finite value)
    and stay NaN in the output.
    """
    return ema_extend(y, weight, EmaState())[0]


def ema_extend(y: np.ndarray, weight: float, state: EmaState) -> tuple[np.ndarray, EmaState]:
    """Smooth ``y`` as the continuation of a series that ended in ``state``; also the new state.

    The EMA is a recurrence, so smoothing the new epochs of a long run costs only them:
    ``ema_extend(b, w, ema_extend(a, w, s0)[1])[0]`` equals the tail of smoothing ``a + b``.
    """
    y = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(y)
    every_value_finite = bool(finite.all())
    values = y if every_value_finite else y[finite]
    m = len(values)
    if m == 0:
        return np.full(len(y), np.nan), state
    if weight <= 0:
        smoothed = values.copy()
        new_state = EmaState(float(values[-1]), state.count + m)
    else:
        smoothed = _ema_blocked(values, weight, state.value)
        new_state = EmaState(float(smoothed[-1]), state.count + m)
        head = max(0, min(m, _DEBIAS_HEAD - state.count))
        if head:  # 1 - w**k is 1.0 to float precision after a few hundred steps
            k = np.arange(state.count + 1, state.count + head + 1, dtype=np.float64)
            smoothed[:head] /= 1.0 - weight ** k
    if every_value_finite:
        return smoothed, new_state
    out = np.full(len(y), np.nan)
    out[finite] = smoothed
    return out, new_state


def _ema_blocked(values: np.ndarray, weight: float, initial: float = 0.0) -> np.ndarray:
    """``s[t] = w*s[t-1] + (1-w)*x[t]`` (s[-1] = ``initial``), vectorised in blocks: four passes over one buffer.

    Inside a block of B steps ``s[j] = w**j * ((1-w) * cumsum(x / w**j)[j] + w * carry)``,
    where carry is the previous block's last value. B is chosen so that ``w**B`` is below
    float precision, so the previous block's own carry has faded out of that last value.
    """
    n = len(values)
    block = max(1, min(n, int(math.ceil(math.log(1e-17) / math.log(weight)))))
    blocks = -(-n // block)
    whole = (n // block) * block
    powers = weight ** np.arange(block, dtype=np.float64)
    inverse = 1.0 / powers
    flat = np.empty(blocks * block)
    grid = flat.reshape(blocks, block)
    np.multiply(values[:whole].reshape(-1, block), inverse, out=grid[: whole // block])
    if whole < n:
        tail = np.zeros(block)
        tail[: n - whole] = values[whole:]
        np.multiply(tail, inverse, out=grid[-1])
    np.cumsum(grid, axis=1, out=grid)
    # carry into block b: the previous block's last smoothed value, less its own (faded) carry
    offsets = np.empty(blocks)
    offsets[0] = initial * weight / (1.0 - weight)
    offsets[1:] = grid[:-1, -1] * (powers[-1] * weight)
    grid += offsets[:, None]
    grid *= powers * (1.0 - weight)
    return flat[:n]


_DEBIAS_HEAD = 2048
