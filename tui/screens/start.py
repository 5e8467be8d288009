"""The start screen (bare ``epochwatch``): demo scenarios, recent run logs, how to run a script."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from epochwatch.engine.demos import SCENARIOS

RUNS_FOLDER = Path("epochwatch-runs")
#: How many recent run logs are listed.
RECENT_LIMIT = 12

_OWN_SCRIPT = """[b]Your own model[/]
Write [b]train.py[/] with:
• [b]build_model()[/]: a compiled Keras
  model, fresh weights on every call
• [b]load_data()[/]: the keyword arguments
  for model.fit (x, y, validation_data)
• [b]EPOCHS[/] = 50 (optional)
Then run:
  [b $accent]epochwatch run train.py[/]"""


def _last_verdict(path: Path) -> str:
    """The verdict recorded in a run log's last line, if cheap to find (reads only the tail)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 8192))
            tail = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    for line in reversed(tail[-5:]):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        diagnosis = record.get("diagnosis")
        verdict = diagnosis.get("verdict") if isinstance(diagnosis, dict) else record.get("verdict")
        if isinstance(verdict, str):
            return verdict.replace("_", " ").upper()
    return ""


def recent_run_logs(folder: Path = RUNS_FOLDER, limit: int = RECENT_LIMIT) -> list[Path]:
    """Run logs in ``folder``, newest first."""
    try:
        logs = [p for p in folder.glob("*.jsonl") if p.is_file()]
    except OSError:
        return []
    logs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return logs[:limit]


class StartScreen(Screen[None]):
    """Pick a demo scenario to train live; recent runs and the script convention beside it."""

    BINDINGS = [Binding("enter", "select", "Train", id="start-choose")]

    def compose(self) -> ComposeResult:
        yield Static("[b]epochwatch[/] — watch a Keras model train and get an honest verdict on its epochs",
                     id="start-title")
        with Horizontal(id="start-body"):
            with Vertical(id="start-scenarios"):
                yield Static("[b]Demo scenarios[/] [dim](enter trains one live)[/]", classes="start-heading")
                yield OptionList(
                    *[Option(f"[b]{escape(name)}[/]  [dim]{escape(text)}[/]", id=f"scenario:{name}")
                      for name, text in SCENARIOS.items()],
                    id="scenario-list",
                )
            with Vertical(id="start-side"):
                yield Static(_OWN_SCRIPT, id="start-own-script")
                yield Static("[b]Recent runs[/] [dim](./epochwatch-runs; enter replays one)[/]",
                             classes="start-heading")
                logs = recent_run_logs()
                if logs:
                    yield OptionList(*[self._recent_option(path) for path in logs], id="start-recent")
                else:
                    yield Static("[dim]none yet[/]", id="start-recent")
        yield Footer()

    @staticmethod
    def _recent_option(path: Path) -> Option:
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%m-%d %H:%M")
        verdict = _last_verdict(path)
        return Option(f"{escape(path.name)}  [dim]{when}[/] {escape(verdict)}", id=f"runlog:{path}")

    def on_mount(self) -> None:
        self.query_one("#scenario-list", OptionList).focus()

    def action_select(self) -> None:
        self.query_one("#scenario-list", OptionList).action_select()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id.startswith("scenario:"):
            self.app.start_scenario(option_id.split(":", 1)[1])  # type: ignore[attr-defined]
        elif option_id.startswith("runlog:"):
            self._replay(Path(option_id.split(":", 1)[1]))

    def _replay(self, path: Path) -> None:
        """Play a recent run back in the replay screen (a file that cannot be read is said so)."""
        from epochwatch.engine.formats import HistoryError, read_history

        from .replay import ReplayScreen

        try:
            history = read_history(path)
        except HistoryError as error:
            self.notify(str(error), severity="error", timeout=8)
            return
        self.app.push_screen(ReplayScreen([(path.name, history)]))
