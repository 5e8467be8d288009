"""The progress line, Keras style: ``Epoch N/M``, the batch bar, time per epoch and time left."""

from __future__ import annotations

import math

import time

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.reactive import var
from textual.widget import Widget


def format_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


#: Most repaints of the progress line per second; a fast run's batch ticks and epoch ends are coalesced.
REPAINTS_PER_SECOND = 5


class EpochProgress(Widget):
    """One line, repainted at most ``REPAINTS_PER_SECOND`` (the last change always shows)."""

    DEFAULT_CSS = """
    EpochProgress { height: 1; }
    """

    epoch: var[int] = var(0)
    """The epoch in progress (or the last finished one), 1-based."""
    target: var[int] = var(0)
    """The epoch training runs up to."""
    step: var[int] = var(0)
    """Batches done in the current epoch."""
    steps: var[int | None] = var(None)
    """Batches per epoch, when known."""
    seconds_per_epoch: var[float | None] = var(None)
    """Recent mean epoch duration."""
    active: var[bool] = var(False)
    """True while training (the time left is only meaningful then)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._painted_at = -1.0
        self._repaint_timer = None

    def _watch_any(self) -> None:
        """Repaint now, or once the rate allows (one pending repaint at most)."""
        if self._repaint_timer is not None:
            return
        wait = self._painted_at + 1 / REPAINTS_PER_SECOND - time.monotonic()
        if wait <= 0 or not self.is_mounted:
            self._repaint()
        else:
            self._repaint_timer = self.set_timer(wait, self._repaint)

    def _repaint(self) -> None:
        self._repaint_timer = None
        self._painted_at = time.monotonic()
        self.refresh()

    def watch_active(self) -> None:
        """Training started or stopped: show the line as it is now, not after the rate's wait."""
        if self._repaint_timer is not None:
            self._repaint_timer.stop()
        self._repaint()

    watch_epoch = watch_target = watch_step = watch_steps = watch_seconds_per_epoch = _watch_any

    def eta_seconds(self) -> float | None:
        if not self.active or self.seconds_per_epoch is None:
            return None
        remaining = max(0, self.target - self.epoch)
        fraction_left = 1.0
        if self.steps:
            fraction_left = 1.0 - min(1.0, self.step / self.steps)
        return (remaining - 1 + fraction_left if remaining else 0.0) * self.seconds_per_epoch

    def summary(self) -> str:
        """The line's text without the bar (also used by tests and the tmux check)."""
        parts = [f"Epoch {self.epoch}/{self.target}"]
        steps = f"{self.step}/{self.steps}" if self.steps else f"{self.step}"
        parts.append(steps)
        parts.append(f"{format_duration(self.seconds_per_epoch)}/epoch")
        parts.append(f"ETA {format_duration(self.eta_seconds())}" if self.active else "ETA —")
        return "  ".join(parts)

    def render(self) -> Table:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_column(no_wrap=True)
        total = self.steps or 1
        done = min(self.step, total) if self.steps else 0
        steps = f"{self.step}/{self.steps}" if self.steps else f"{self.step}"
        tail = (
            f"{steps}  {format_duration(self.seconds_per_epoch)}/epoch  "
            f"ETA {format_duration(self.eta_seconds()) if self.active else '—'}"
        )
        grid.add_row(
            Text(f"Epoch {self.epoch}/{self.target}", style="bold"),
            ProgressBar(total=total, completed=done, pulse=self.active and not self.steps),
            Text(tail),
        )
        return grid
