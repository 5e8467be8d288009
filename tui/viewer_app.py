"""The app for replay and watch: the live app's themes, styles and keys around a viewer screen.

It reuses ``EpochwatchApp`` (themes, ``t``, ``?``, ``q``) but opens the given screen
instead of a training, and lists that screen's own keys in the help screen.
"""

from __future__ import annotations

from typing import Callable

from textual.binding import Binding
from textual.screen import Screen

from epochwatch.themes import DEFAULT_THEME

from .app import EpochwatchApp
from .screens.monitor import TrainingOptions
from .screens.help import HelpScreen


class ViewerApp(EpochwatchApp):
    """Shows one viewer screen (replay or watch); nothing trains here."""

    def __init__(self, make_screen: Callable[[], Screen], *, theme: str = DEFAULT_THEME) -> None:
        super().__init__(None, options=TrainingOptions(log_dir=None), theme=theme)
        self._make_screen = make_screen
        self.viewer: Screen | None = None

    def on_mount(self, event) -> None:
        event.prevent_default()  # not the live app's start screen
        self.viewer = self._make_screen()
        self.push_screen(self.viewer)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        bindings = [b for b in list(self.screen.BINDINGS) + list(self.BINDINGS) if isinstance(b, Binding)]
        self.push_screen(HelpScreen(bindings))

    async def action_quit(self) -> None:
        self.exit(0)


def create_viewer_app(make_screen: Callable[[], Screen], *, theme: str = DEFAULT_THEME) -> ViewerApp:
    """The one factory the replay/watch commands and their tests share."""
    return ViewerApp(make_screen, theme=theme)
