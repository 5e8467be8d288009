"""The bias/variance gauge: two bars in [0, 1], which one dominates, and where each is heading."""

from __future__ import annotations

import math

from textual.markup import escape
from textual.reactive import var
from textual.widgets import Static

from epochwatch.engine.diagnosis import Diagnosis

from .text import update_if_changed

#: Changes smaller than this between epochs count as steady.
_STEADY = 0.005


def _bar(value: float | None, width: int) -> str:
    if value is None or not math.isfinite(value):
        return "[dim]" + "·" * width + "[/] "
    value = min(1.0, max(0.0, value))
    eighths = round(value * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest].strip() if rest else ""
    filled = "█" * full + partial
    return filled + "[$foreground-muted]" + "·" * (width - len(filled)) + "[/] "


def _arrow(value: float | None, previous: float | None) -> str:
    if value is None or previous is None or not (math.isfinite(value) and math.isfinite(previous)):
        return " "
    if value > previous + _STEADY:
        return "↑"
    if value < previous - _STEADY:
        return "↓"
    return "→"


def _number(value: float | None) -> str:
    return f"{value:4.2f}" if value is not None and math.isfinite(value) else "  — "


class BiasVarianceGauge(Static):
    """Bias and variance as bars, each with its value and an arrow against the previous epoch."""

    diagnosis: var[Diagnosis | None] = var(None, always_update=True)
    """The latest diagnosis; None before the first epoch (a ``var``: the text decides what repaints)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._previous: Diagnosis | None = None

    def show(self, diagnosis: Diagnosis | None) -> None:
        """Show a new diagnosis; the one it replaces gives the arrows' direction."""
        self._previous = self.diagnosis
        self.diagnosis = diagnosis

    def reset(self) -> None:
        self._previous = None
        self.diagnosis = None

    def on_resize(self) -> None:
        self.watch_diagnosis(self.diagnosis)

    def watch_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        text = self.render_text(diagnosis, self._previous, self.size.width or 30)
        old = self.content if isinstance(self.content, str) else ""
        # The two bar lines have a fixed width; only the lines under them can change the height.
        layout = old.split("\n")[2:] != text.split("\n")[2:]
        update_if_changed(self, text, layout=layout)

    @staticmethod
    def render_text(diagnosis: Diagnosis | None, previous: Diagnosis | None, width: int) -> str:
        """The gauge as Textual markup (a pure function, so it can be tested on its own)."""
        bar_width = max(6, min(24, width - 18))
        bias = diagnosis.bias if diagnosis else None
        variance = diagnosis.variance if diagnosis else None
        prev_bias = previous.bias if previous else None
        prev_variance = previous.variance if previous else None
        lines = [
            f"bias     [$gauge-bias]{_bar(bias, bar_width)}[/] {_number(bias)} {_arrow(bias, prev_bias)}",
            f"variance [$gauge-variance]{_bar(variance, bar_width)}[/] {_number(variance)} "
            f"{_arrow(variance, prev_variance)}",
        ]
        if bias is not None and variance is not None and math.isfinite(bias) and math.isfinite(variance):
            if abs(bias - variance) < 0.05:
                lines.append("[b]bias ≈ variance[/]")
            elif bias > variance:
                lines.append("[b $gauge-bias]bias dominates[/]")
            else:
                lines.append("[b $gauge-variance]variance dominates[/]")
        else:
            lines.append("[dim]no estimate yet[/]")
        if diagnosis is not None and diagnosis.baseline is not None and math.isfinite(diagnosis.baseline):
            lines.append(
                f"[dim]baseline L0 = {diagnosis.baseline:.4g}: {escape(diagnosis.baseline_source)}[/]"
            )
        else:
            lines.append("[dim]baseline L0: unknown[/]")
        return "\n".join(lines)
