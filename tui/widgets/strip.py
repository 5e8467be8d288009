"""The verdict strip: one cell per epoch (or per stretch of epochs), coloured by the verdict known then.

It shows at a glance when overfitting first showed. Cells not yet replayed stay blank.
The verdicts come from the engine's ``ReplayModel`` (lazy, cached, bounded per column).
"""

from __future__ import annotations

from rich.text import Text
from textual.color import Color
from textual.widget import Widget

from epochwatch.engine.diagnosis import VERDICT_WORDS
from epochwatch.engine.replay import ReplayModel, cell_ends

#: Theme variable of each verdict's colour (the verdict panel uses the same ones).
VERDICT_VARIABLES = {
    "underfitting": "verdict-underfitting",
    "good_fit": "verdict-good-fit",
    "overfitting": "verdict-overfitting",
    "diverged": "verdict-diverged",
    "insufficient_data": "verdict-waiting",
}


class VerdictStrip(Widget):
    """Two lines: the strip itself, then which colour means which verdict."""

    DEFAULT_CSS = """
    VerdictStrip { height: 2; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model: ReplayModel | None = None
        self.position = 0
        #: Verdict per cell of the last render (tests compare it with ``diagnose``).
        self.cells: list[tuple[int, str | None]] = []

    def show(self, model: ReplayModel | None, position: int) -> None:
        if model is not self.model or position != self.position:
            self.model = model
            self.position = position
            self.refresh()

    def _style(self, verdict: str) -> str:
        variables = self.app.theme_variables
        colour = variables.get(VERDICT_VARIABLES[verdict], variables.get("foreground", "#ffffff"))
        return Color.parse(colour).hex

    def render(self) -> Text:
        width = max(1, self.size.width or 80)
        text = Text(no_wrap=True, overflow="crop")
        model = self.model
        if model is None or not model.epochs:
            self.cells = []
            text.append("·" * width, style="dim")
            return text
        self.cells = model.strip(width, upto=self.position)
        ends = cell_ends(model.epochs, width)
        per_cell = max(1, width // len(ends))
        for _, verdict in self.cells:
            if verdict is None:
                text.append("·" * per_cell, style="dim")
            else:
                text.append("█" * per_cell, style=self._style(verdict))
        text.append("\n")
        for verdict in ("underfitting", "good_fit", "overfitting", "diverged"):
            text.append("■ ", style=self._style(verdict))
            text.append(VERDICT_WORDS[verdict].lower() + "  ")
        text.append("(verdict known at each epoch)", style="dim")
        return text
