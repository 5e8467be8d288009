"""Assembles one attempt's epochs from records that may overlap, skip or resume."""

from __future__ import annotations

import math
from array import array

import numpy as np

from ..history import History, Segment

NAN = math.nan
_NAN_ROW = (NAN,)


class AttemptBuilder:
    """Collects epochs into growable C arrays of doubles and turns them into a History once.

    ``array('d')`` costs 8 bytes a value where a list of floats costs 32, so a reader
    of a million-epoch file does not hold hundreds of megabytes of float objects.

    ``put(epoch, values)`` with an epoch at or below the last one overwrites from that
    epoch on (a run resumed from an earlier checkpoint); an epoch beyond the next one
    leaves NaN rows for the epochs in between.
    """

    def __init__(self, first_kind: str = "initial") -> None:
        self.columns: dict[str, array | list[float]] = {}
        self.extras: dict[str, list[object]] = {}
        self.n = 0
        self.segments: list[list] = []  # [start, stop, kind]
        self.first_kind = first_kind

    def put(self, epoch: int, values: dict[str, float], kind: str | None = None,
            extras: dict[str, object] | None = None) -> None:
        if epoch <= self.n:
            self.truncate(epoch - 1)
            kind = kind or "resume"
        while self.n < epoch - 1:
            self._append({}, None, None)
        self._append(values, kind, extras)

    def _append(self, values: dict[str, float], kind: str | None, extras: dict[str, object] | None) -> None:
        n = self.n
        for name, value in values.items():
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = array("d", _NAN_ROW) * n
            column.append(value)
        for name, value in (extras or {}).items():
            column = self.extras.get(name)
            if column is None:
                column = self.extras[name] = [None] * n
            column.append(value)
        self.n = n + 1
        for column in self.columns.values():
            if len(column) < self.n:
                column.append(NAN)
        for column in self.extras.values():
            if len(column) < self.n:
                column.append(None)
        if kind is not None or not self.segments:
            self.segments.append([self.n, self.n, kind or self.first_kind])
        else:
            self.segments[-1][1] = self.n

    def truncate(self, epochs: int) -> None:
        epochs = max(0, min(epochs, self.n))
        for column in self.columns.values():
            del column[epochs:]
        for column in self.extras.values():
            del column[epochs:]
        self.n = epochs
        self.segments = [[s, min(e, epochs), k] for s, e, k in self.segments if s <= epochs]

    def drop_columns(self, names: set[str]) -> None:
        for name in names:
            self.columns.pop(name, None)

    def build(self, *, source: str, meta: dict[str, object]) -> History:
        metrics = {name: np.asarray(col, dtype=np.float64) for name, col in self.columns.items()}
        segments = [Segment(s, e, k) for s, e, k in self.segments] if metrics else []
        history = History(metrics or None, segments=segments, meta=meta, source=source)
        return history
