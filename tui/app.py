"""The epochwatch Textual app and ``create_app``, the one factory the CLI and the tests share."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual.app import App
from textual.binding import Binding

from epochwatch.themes import DEFAULT_THEME, TCSS_PATH, THEMES

from .screens.help import HelpScreen
from .screens.monitor import MonitorScreen, TrainingOptions

if TYPE_CHECKING:
    from epochwatch.engine.scripts import TrainingSource
    from epochwatch.engine.trainer import Resume

#: Seconds ``q`` waits for the trainer to finish its batch before leaving anyway.
QUIT_TIMEOUT = 5.0
_QUIT_POLL = 0.05


class EpochwatchApp(App[int]):
    """Shows a live training (or the start screen); the training itself lives in the monitor screen."""

    TITLE = "epochwatch"
    CSS_PATH = [TCSS_PATH]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("t", "next_theme", "Theme", tooltip="cycle dark, light and high-contrast", id="next-theme"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="this list of keys", id="help"),
        Binding("q", "quit", "Quit", tooltip="stop after the batch, write the run log, exit", id="quit"),
    ]

    def __init__(
        self,
        source: TrainingSource | None = None,
        *,
        loader: Callable[[], TrainingSource] | None = None,
        run_name: str | None = None,
        options: TrainingOptions = TrainingOptions(),
        theme: str = DEFAULT_THEME,
        ascii_plots: bool = False,
    ) -> None:
        super().__init__()
        for definition in THEMES.values():
            self.register_theme(definition)
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEMES)}")
        self.theme = theme
        self._source = source
        self._loader = loader
        self._run_name = run_name
        #: How the monitor trains (epochs, run-log folder, resume, ...).
        self.options = options
        #: Plots in plain ASCII (``--ascii``, or a terminal that is not UTF-8).
        self.ascii_plots = ascii_plots
        self.monitor: MonitorScreen | None = None
        self._quit_deadline: float | None = None

    def on_mount(self) -> None:
        if self._source is not None or self._loader is not None:
            self._open_monitor(self._source, self._loader, self._run_name)
        else:
            from .screens.start import StartScreen

            self.push_screen(StartScreen())

    def _open_monitor(self, source, loader, run_name) -> None:
        self.monitor = MonitorScreen(
            source, loader=loader, run_name=run_name, options=self.options,
        )
        self.push_screen(self.monitor)

    def start_scenario(self, name: str) -> None:
        """Train a demo scenario (the start screen's choice); at most one training per app."""
        if self.monitor is not None:
            self.notify("A training is already running.", severity="warning")
            return

        def load():
            from epochwatch.engine.demos import load_scenario

            return load_scenario(name)

        self._open_monitor(None, load, name)

    # -- keys ----------------------------------------------------------------
    def action_next_theme(self) -> None:
        names = list(THEMES)
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        bindings = list(self.screen.BINDINGS if isinstance(self.screen, MonitorScreen) else [])
        bindings += list(self.BINDINGS)
        self.push_screen(HelpScreen([b for b in bindings if isinstance(b, Binding)]))

    async def action_quit(self) -> None:
        """Ask the trainer to quit, then poll (never block) until its worker ends or time runs out."""
        if self.monitor is None or self.monitor.training_done:
            self.exit(0)
            return
        if self._quit_deadline is not None:  # a second q: leave now
            self.exit(0)
            return
        self.monitor.request_quit()
        self._quit_deadline = time.monotonic() + QUIT_TIMEOUT
        self.set_interval(_QUIT_POLL, self._exit_when_training_done)

    def _exit_when_training_done(self) -> None:
        assert self.monitor is not None and self._quit_deadline is not None
        if self.monitor.training_done or time.monotonic() > self._quit_deadline:
            self.exit(0)


def create_app(
    source: TrainingSource | None = None,
    *,
    scenario: str | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    log_dir: str | Path | None = "epochwatch-runs",
    theme: str = DEFAULT_THEME,
    keep_going: bool = False,
    ascii_plots: bool = False,
    resume: Resume | None = None,
    strategy: str | None = None,
) -> EpochwatchApp:
    """The app for a training source, a demo scenario (loaded in the training thread), or neither (start screen)."""
    def load_scenario():
        from epochwatch.engine.demos import load_scenario

        return load_scenario(scenario)

    loader = load_scenario if source is None and scenario is not None else None
    return EpochwatchApp(
        source, loader=loader, run_name=scenario, theme=theme, ascii_plots=ascii_plots,
        options=TrainingOptions(epochs=epochs, batch_size=batch_size, log_dir=log_dir, keep_going=keep_going,
                                resume=resume, strategy=strategy),
    )
