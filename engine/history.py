"""The one History model: per-epoch metric values as numpy arrays, with segments.

Epochs are numbered from 1 as Keras prints them; index ``i`` of every array is
epoch ``i + 1``. Missing values are NaN. Arrays grow by doubling so appending a
live epoch is amortised O(1), and a million epochs cost a few megabytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

#: Segment kinds: how a stretch of epochs came to be trained.
SEGMENT_KINDS = ("initial", "extend", "resume", "restart")


@dataclass(frozen=True)
class Segment:
    """A stretch of epochs ``start..stop`` (1-based, inclusive) trained in one go."""

    start: int
    stop: int
    kind: str = "initial"

    def __post_init__(self) -> None:
        if self.kind not in SEGMENT_KINDS:
            raise ValueError(f"unknown segment kind {self.kind!r}")


def _to_float(value: object) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


class History:
    """Per-epoch values of any number of metrics for one training attempt.

    ``previous_attempts`` holds earlier attempts of the same run (a restart starts a
    new attempt at epoch 1); ``meta`` carries what a reader knew about the run
    (name, baseline loss, source file, ...).
    """

    __slots__ = ("_data", "_n", "_cap", "segments", "meta", "previous_attempts", "source")

    def __init__(
        self,
        metrics: Mapping[str, Iterable[float]] | None = None,
        *,
        segments: Iterable[Segment] | None = None,
        meta: Mapping[str, object] | None = None,
        source: str | None = None,
    ) -> None:
        self._data: dict[str, np.ndarray] = {}
        self._n = 0
        self._cap = 0
        self.meta: dict[str, object] = dict(meta or {})
        self.previous_attempts: list[History] = []
        self.source = source
        if metrics:
            arrays = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in metrics.items()}
            lengths = {len(a) for a in arrays.values()}
            if len(lengths) != 1:
                detail = ", ".join(f"{k}: {len(a)}" for k, a in arrays.items())
                raise ValueError(f"metrics have different lengths ({detail})")
            self._n = self._cap = lengths.pop()
            self._data = {k: a.copy() for k, a in arrays.items()}
        self.segments: list[Segment] = list(segments) if segments else (
            [Segment(1, self._n, "initial")] if self._n else []
        )

    # -- size and access -------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def epochs(self) -> int:
        """Number of epochs (the last epoch's number)."""
        return self._n

    @property
    def metric_names(self) -> list[str]:
        return list(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __getitem__(self, name: str) -> np.ndarray:
        """A read-only view of one metric's values, epochs 1..len."""
        view = self._data[name][: self._n]
        view.flags.writeable = False
        return view

    def get(self, name: str) -> np.ndarray | None:
        return self[name] if name in self._data else None

    def epoch_numbers(self) -> np.ndarray:
        return np.arange(1, self._n + 1)

    def has_values(self, name: str) -> bool:
        """True if the metric exists and has at least one finite value."""
        return name in self._data and bool(np.isfinite(self[name]).any())

    def row(self, epoch: int) -> dict[str, float]:
        """All metrics at one epoch (1-based)."""
        if not 1 <= epoch <= self._n:
            raise IndexError(f"epoch {epoch} outside 1..{self._n}")
        return {k: float(a[epoch - 1]) for k, a in self._data.items()}

    # -- growth ----------------------------------------------------------
    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, 2 * self._cap, 16)
        for k, a in self._data.items():
            b = np.full(cap, np.nan)
            b[: self._n] = a[: self._n]
            self._data[k] = b
        self._cap = cap

    def append(self, logs: Mapping[str, object], kind: str | None = None) -> int:
        """Append one epoch's logs; returns the new epoch's number.

        ``kind`` starts a new segment of that kind at this epoch ("extend", "resume").
        New metrics are back-filled with NaN.
        """
        self._grow(self._n + 1)
        i = self._n
        for k, v in logs.items():
            if k not in self._data:
                self._data[k] = np.full(self._cap, np.nan)
            self._data[k][i] = _to_float(v)
        for k, a in self._data.items():
            if k not in logs:
                a[i] = np.nan
        self._n += 1
        epoch = self._n
        if kind is not None or not self.segments:
            self.segments.append(Segment(epoch, epoch, kind or "initial"))
        else:
            last = self.segments[-1]
            self.segments[-1] = Segment(last.start, epoch, last.kind)
        return epoch

    def truncate(self, epochs: int) -> None:
        """Drop every epoch after ``epochs`` (a resumed run overwriting later epochs)."""
        epochs = max(0, min(epochs, self._n))
        for a in self._data.values():
            a[epochs : self._n] = np.nan
        self._n = epochs
        kept = []
        for s in self.segments:
            if s.start <= epochs:
                kept.append(Segment(s.start, min(s.stop, epochs), s.kind))
        self.segments = kept

    # -- views -----------------------------------------------------------
    def prefix(self, t: int) -> History:
        """The history as it was known at the end of epoch ``t`` (cheap: shares arrays)."""
        t = max(0, min(int(t), self._n))
        h = History.__new__(History)
        h._data = {k: a[:t] for k, a in self._data.items()}
        h._n = h._cap = t
        h.segments = [Segment(s.start, min(s.stop, t), s.kind) for s in self.segments if s.start <= t]
        h.meta = self.meta
        h.previous_attempts = self.previous_attempts
        h.source = self.source
        return h

    def copy(self) -> History:
        h = History({k: self[k] for k in self._data}, segments=self.segments, meta=self.meta, source=self.source)
        h.previous_attempts = list(self.previous_attempts)
        return h

    def to_dict(self) -> dict[str, list[float | None]]:
        """The Keras ``history.history`` shape (NaN written as None)."""
        out: dict[str, list[float | None]] = {}
        for k in self._data:
            out[k] = [None if not math.isfinite(x) and math.isnan(x) else float(x) for x in self[k]]
        return out

    def __repr__(self) -> str:
        return f"History(epochs={self._n}, metrics={self.metric_names}, segments={len(self.segments)})"
