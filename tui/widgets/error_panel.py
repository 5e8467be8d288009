"""The panel a failed training shows: the one-line problem and the full traceback, scrollable by keys.

Hidden until a failure; ``r`` (restart) reloads the script, so one can fix the file and
go on. The traceback scrolls with the arrow keys and Page Up/Down once focused (Tab),
so nothing needs a mouse.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static


class ErrorPanel(Vertical):
    """The message of the latest failure and its traceback."""

    DEFAULT_CSS = """
    ErrorPanel {
        display: none;
        height: 45%;
        min-height: 6;
        border: round $error;
        border-title-color: $error;
        padding: 0 1;
    }
    ErrorPanel.-shown { display: block; }
    ErrorPanel #error-message { text-style: bold; height: auto; }
    ErrorPanel #error-hint { color: $text-muted; height: auto; }
    ErrorPanel #error-scroll { height: 1fr; }
    ErrorPanel #error-traceback { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Training failed"
        self.message = ""
        self.traceback = ""

    def compose(self) -> ComposeResult:
        yield Static(id="error-message", markup=False)
        yield Static("Fix the script and press r to reload it and train again; Tab, then arrows, scroll "
                     "the traceback.", id="error-hint", markup=False)
        with VerticalScroll(id="error-scroll"):
            yield Static(id="error-traceback", markup=False)

    def show(self, message: str, traceback: str | None = None) -> None:
        self.message = message
        self.traceback = traceback or ""
        self.query_one("#error-message", Static).update(Text(message))
        self.query_one("#error-traceback", Static).update(Text(self.traceback or "(no traceback)"))
        self.add_class("-shown")
        scroll = self.query_one("#error-scroll", VerticalScroll)
        # the innermost frame (where it broke) first; after the refresh, once the new size is known
        self.call_after_refresh(scroll.scroll_end, animate=False)

    def hide(self) -> None:
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")
