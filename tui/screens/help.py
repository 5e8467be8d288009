"""The help screen: every key with its description, as the footer shows them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

_ABOUT = (
    "epochwatch trains a Keras model and says, epoch by epoch, whether it underfits, "
    "fits well, overfits or diverges. Bias and variance are measured against the "
    "chance-level loss (the baseline); the smoothed lines are TensorBoard's debiased EMA (0.6)."
)


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen below it and of the app."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help-close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help-close-again"),
    ]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self._key_list = bindings

    def compose(self) -> ComposeResult:
        rows = []
        for binding in self._key_list:
            key = "?" if binding.key == "question_mark" else binding.key
            rows.append(f"  [b $accent]{escape(key):>3}[/]  {escape(binding.description)}"
                        + (f" [dim]— {escape(binding.tooltip)}[/]" if binding.tooltip else ""))
        with Vertical(id="help-box"):
            yield Static("[b]Keys[/]", id="help-title")
            yield Static("\n".join(rows), id="help-keys")
            yield Static(f"[dim]{escape(_ABOUT)}[/]", id="help-about")
            yield Static("[dim]escape or ? closes this screen[/]", id="help-close-hint")
