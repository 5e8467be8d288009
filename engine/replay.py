"""The replay model: what the diagnosis knew at each epoch t of a saved run.

``diagnose(history, t)`` is causal, so a replay shows at epoch t exactly what a live
monitor would have shown then. Verdicts are computed lazily and cached; a long run is
judged at a bounded number of epochs (one per strip cell), so a million-epoch history
costs a few hundred diagnoses, not a million.
"""

from __future__ import annotations

import math
from typing import Generator

from .diagnosis import Diagnosis, diagnose
from .history import History

#: Runs up to this long are judged at every epoch when looking for the next verdict change.
EXACT_EPOCHS = 2000
#: Longer runs are scanned at this many evenly spaced epochs, then the change is found by bisection.
SCAN_POINTS = 400
#: Diagnoses kept in the cache (a Diagnosis is small; this bounds memory for any run length).
CACHE_LIMIT = 20000


def cell_ends(epochs: int, cells: int) -> list[int]:
    """The last epoch of each of ``cells`` equal cells covering 1..epochs (one per epoch if fewer)."""
    if epochs <= 0 or cells <= 0:
        return []
    if epochs <= cells:
        return list(range(1, epochs + 1))
    return [((i + 1) * epochs) // cells for i in range(cells)]


class ReplayModel:
    """One run's diagnoses by epoch, with the verdict strip and the next-change lookup."""

    def __init__(self, history: History, *, monitor: str = "val_loss") -> None:
        self.history = history
        self.monitor = monitor
        self._cache: dict[int, Diagnosis] = {}

    @property
    def epochs(self) -> int:
        return len(self.history)

    def diagnosis(self, t: int) -> Diagnosis:
        """``diagnose(history, t)``, cached."""
        t = max(0, min(int(t), self.epochs))
        found = self._cache.get(t)
        if found is None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[t] = diagnose(self.history, t, monitor=self.monitor)
        return found

    def verdict(self, t: int) -> str:
        return self.diagnosis(t).verdict

    def strip(self, cells: int, upto: int | None = None) -> list[tuple[int, str | None]]:
        """(last epoch, verdict) per strip cell; cells past ``upto`` (not yet replayed) get None.

        A cell's colour is the verdict known at its last epoch, so the strip stays causal.
        """
        upto = self.epochs if upto is None else upto
        return [(end, self.verdict(end) if end <= upto else None) for end in cell_ends(self.epochs, cells)]

    def next_change(self, t: int) -> int | None:
        """The first epoch after ``t`` whose verdict differs from the verdict at ``t`` (None if none)."""
        steps = self.next_change_steps(t)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def next_change_steps(self, t: int) -> Generator[int, None, int | None]:
        """``next_change`` one verdict at a time: yields each epoch it judged, returns the answer.

        On a million epochs the search judges a few hundred long prefixes (seconds), so a
        screen can run it a few steps per frame and stay responsive.
        """
        n = self.epochs
        if t >= n:
            return None
        current = self.verdict(max(t, 1))
        if n <= EXACT_EPOCHS:
            for epoch in range(t + 1, n + 1):
                if self.verdict(epoch) != current:
                    return epoch
                yield epoch
            return None
        step = max(1, math.ceil(n / SCAN_POINTS))
        previous = t
        probe = t
        while probe < n:
            probe = min(n, probe + step)
            if self.verdict(probe) != current:
                lo, hi = previous, probe  # verdict(lo) == current, verdict(hi) != current
                while hi - lo > 1:
                    yield hi
                    mid = (lo + hi) // 2
                    if self.verdict(mid) != current:
                        hi = mid
                    else:
                        lo = mid
                return hi
            yield probe
            previous = probe
        return None

    def changes(self, cells: int) -> list[tuple[int, str]]:
        """(epoch, new verdict) where the strip's verdict changes, first cell included."""
        out: list[tuple[int, str]] = []
        for end, verdict in self.strip(cells):
            if verdict is not None and (not out or out[-1][1] != verdict):
                out.append((end, verdict))
        return out
