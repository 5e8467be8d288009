"""Batch progress at a bounded rate, from whichever thread Keras runs the batch hooks in."""

from __future__ import annotations

import threading
import time

#: Seconds between two batch-progress reports (about 10 a second).
PROGRESS_INTERVAL = 0.1


class Throttle:
    """Says yes at most once every ``interval`` seconds; one clock read per call otherwise.

    Keras may run ``async_safe`` batch hooks in a thread pool, so two calls can race: the
    one that does not get the lock simply skips, as a throttled report may.
    """

    def __init__(self, interval: float = PROGRESS_INTERVAL) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def restart(self) -> None:
        """The first report comes one interval from now (an epoch just began)."""
        self._next = time.monotonic() + self.interval

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next or not self._lock.acquire(blocking=False):
            return False
        try:
            if now < self._next:
                return False
            self._next = now + self.interval
            return True
        finally:
            self._lock.release()
