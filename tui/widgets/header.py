"""The run header: what is training, where, in which state, and where it is logged."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

#: Trainer states plus the UI's own "starting" (the trainer is still being built).
STATES = ("starting", "idle", "running", "stopping", "stopped", "finished", "failed")


class RunHeader(Horizontal):
    """One line: app name, run name and attempt, device, state; the run log path on the right."""

    run_name: reactive[str] = reactive("")
    """The training source's name (scenario or script stem)."""
    attempt: reactive[int] = reactive(1)
    """1-based attempt; shown from the second attempt on."""
    device: reactive[str] = reactive("…")
    """What the model trains on ("CPU" or GPU names)."""
    state: reactive[str] = reactive("starting")
    """The trainer's state, one of ``STATES``."""
    run_log: reactive[str] = reactive("")
    """The run log path, or "no log" with --no-log."""

    def compose(self) -> ComposeResult:
        yield Static("epochwatch", id="header-app")
        yield Static(id="header-run")
        yield Static(id="header-device")
        yield Static(id="header-state")
        yield Static(id="header-log")

    def _update_run(self) -> None:
        label = self.run_name or "—"
        if self.attempt > 1:
            label += f"  attempt {self.attempt}"
        self.query_one("#header-run", Static).update(label)

    def watch_run_name(self) -> None:
        self._update_run()

    def watch_attempt(self) -> None:
        self._update_run()

    def watch_device(self, device: str) -> None:
        self.query_one("#header-device", Static).update(device)

    def watch_state(self, old: str, new: str) -> None:
        label = self.query_one("#header-state", Static)
        label.update(f"● {new}")
        for state in STATES:
            label.set_class(state == new, f"-{state}")

    def watch_run_log(self, path: str) -> None:
        self.query_one("#header-log", Static).update(path)
