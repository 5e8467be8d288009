"""The watch screen: follows a history another process is writing, in the live monitor's widgets.

The file is polled a few times a second (``HistoryFollower`` reads only what was added),
so a new epoch is on screen well within a second of being written.
"""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding

from epochwatch.engine.diagnosis import diagnose
from epochwatch.engine.follow import HistoryFollower
from epochwatch.engine.formats import HistoryError

from ..widgets.header import RunHeader
from ..widgets.progress import EpochProgress
from .replay import ViewerScreen

#: Seconds between two looks at the file.
POLL_SECONDS = 0.25


class WatchScreen(ViewerScreen):
    """Shows the followed run as it grows; the verdict is the diagnosis of everything so far."""

    BINDINGS = [
        Binding("f", "toggle_follow", "Follow", tooltip="show only the last 100 epochs", id="follow"),
        *ViewerScreen.BINDINGS,
    ]

    def __init__(self, path: str | Path, *, monitor: str = "val_loss", follower: HistoryFollower | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        self.follower = follower or HistoryFollower(self.path)
        self.diagnosis = None
        self.error: str | None = None
        self.last_export: Path | None = None

    def on_mount(self) -> None:
        header = self.query_one(RunHeader)
        header.run_name = f"watch: {self.path.name}"
        header.device = ""
        header.run_log = str(self.path)
        header.state = "waiting"
        self._show()
        self.set_interval(POLL_SECONDS, self.poll)

    @property
    def history(self):
        return self.follower.history

    def poll(self) -> bool:
        """Look at the file once; True if new epochs arrived."""
        try:
            changed = self.follower.poll()
        except HistoryError as err:
            if err.problem != self.error:
                self.error = err.problem
                self.notify(str(err), severity="error", timeout=10)
            self.query_one(RunHeader).state = "unreadable"
            return False
        self.error = None
        if changed:
            self._show()
        self._show_progress()
        return changed

    def _show(self) -> None:
        history = self.follower.history
        self.curves.set_history(history, history.previous_attempts)
        self.diagnosis = diagnose(history, monitor=self.monitor) if len(history) else None
        self.show_diagnosis(self.diagnosis)
        header = self.query_one(RunHeader)
        header.state = "following" if len(history) else "waiting"
        attempt = history.meta.get("attempt")
        header.attempt = attempt if isinstance(attempt, int) else len(history.previous_attempts) + 1
        self.curves.refresh_plot()

    def _show_progress(self) -> None:
        progress = self.query_one(EpochProgress)
        history = self.follower.history
        batch = self.follower.last_batch
        if batch and isinstance(batch.get("epoch"), int) and batch["epoch"] > len(history):
            progress.epoch = batch["epoch"]
            progress.step = int(batch.get("step") or 0)
            progress.steps = batch.get("steps") if isinstance(batch.get("steps"), int) else None
        else:
            progress.epoch = len(history)
            progress.step = progress.steps or 0
        progress.target = max(progress.target, progress.epoch)

    def action_toggle_follow(self) -> None:
        self.curves.follow = not self.curves.follow

    def export_path(self) -> Path:
        folder = self.path if self.path.is_dir() else self.path.parent
        return folder / f"{self.path.stem or 'run'}.epoch-{len(self.follower.history)}.svg"
