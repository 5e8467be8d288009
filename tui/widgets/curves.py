"""The training curves: raw points faint, a TensorBoard-style smoothed line over them.

Every series is decimated to the plot's width before plotext sees it, and the
built plot is cached until the data, the size, the theme or a view option changes,
so a frame costs the same at epoch 10 and at epoch 1,000,000.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.geometry import Region
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static
from textual_plotext import PlotextPlot

from epochwatch.engine.diagnosis import higher_is_better
from epochwatch.engine.history import History

from .decimate import EmaState, best_index, column_means, decimate_epochs, ema_extend
from .text import update_if_changed

#: TensorBoard's default smoothing weight.
SMOOTHING = 0.6
#: With this many epochs a column or more, the smoothed line is each column's mean: the
#: moving average's few epochs of smoothing could not be seen, and it costs a pass over them all.
COLUMN_MEAN_RATIO = 32
#: Epochs kept on screen when following the end of the run.
FOLLOW_EPOCHS = 100
#: Metric names where larger is better (the best epoch is the maximum).


def metric_bases(history: History) -> list[str]:
    """The metrics one can switch between: "loss" first, then the others, without "val_"."""
    bases: list[str] = []
    for name in history.metric_names:
        base = name[4:] if name.startswith("val_") else name
        if base not in bases and base not in ("lr", "learning_rate"):
            bases.append(base)
    bases.sort(key=lambda b: (b != "loss", 0))
    return bases or ["loss"]




def _has_values(owner: History, name: str) -> bool:
    """``owner.has_values(name)``, answered from the ends first: no pass over a long series that has them."""
    values = owner.get(name)
    if values is None or not len(values):
        return False
    if math.isfinite(values[-1]) or math.isfinite(values[0]):
        return True
    return owner.has_values(name)


class _SmoothingCache:
    """Smoothed series per (history, metric), extended over new epochs only.

    The debiased EMA is a recurrence: keeping where it stopped makes smoothing a
    million-epoch run cost one epoch per new epoch instead of a million per frame.
    """

    def __init__(self) -> None:
        self._store: dict[tuple[int, str], _Smoothed] = {}

    def get(self, owner: History, name: str, values: np.ndarray) -> np.ndarray:
        key = (id(owner), name)
        entry = self._store.get(key)
        n = len(values)
        if entry is None or entry.owner is not owner or not entry.extends_to(values):
            entry = self._store[key] = _Smoothed(owner)
        entry.extend(values)
        return entry.smoothed[:n]

    def clear(self) -> None:
        self._store.clear()


class _Smoothed:
    """One smoothed series in a buffer that grows by doubling, and the EMA state at its end."""

    def __init__(self, owner: History) -> None:
        self.owner = owner  # held, so a new History can never reuse a stale entry through its id
        self.smoothed = np.empty(0)
        self.length = 0
        self.state = EmaState()
        self._last_raw: float | None = None

    def extends_to(self, values: np.ndarray) -> bool:
        """True when ``values`` starts with the series smoothed so far (same length or longer)."""
        if len(values) < self.length:
            return False
        if self.length == 0:
            return True
        last = float(values[self.length - 1])
        return last == self._last_raw or (math.isnan(last) and math.isnan(self._last_raw))

    def extend(self, values: np.ndarray) -> None:
        n = len(values)
        if n == self.length:
            return
        if self.length == 0:  # the first smoothing: its result is the buffer, no copy
            self.smoothed, self.state = ema_extend(values, SMOOTHING, self.state)
            self.length = n
            self._last_raw = float(values[n - 1])
            return
        if n > len(self.smoothed):
            grown = np.empty(max(n, 2 * len(self.smoothed), 64))
            grown[:self.length] = self.smoothed[:self.length]
            self.smoothed = grown
        tail, self.state = ema_extend(values[self.length:n], SMOOTHING, self.state)
        self.smoothed[self.length:n] = tail
        self.length = n
        self._last_raw = float(values[n - 1])


@dataclass(frozen=True)
class Glyphs:
    """The characters a plot is drawn with."""

    line: str
    points: str
    best: str
    legend_line: str
    legend_best: str


UNICODE_GLYPHS = Glyphs(line="braille", points="braille", best="●", legend_line="━━", legend_best="┃")
#: For terminals that are not UTF-8 (``--ascii``): nothing outside ASCII on the plot.
ASCII_GLYPHS = Glyphs(line="*", points=".", best="o", legend_line="--", legend_best="|")


def compact_number(value: float) -> str:
    """A tick label at most about 8 characters wide, so huge losses don't squeeze the plot."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def integer_ticks(lo: int, hi: int, count: int = 5) -> list[int]:
    """About ``count`` round epoch numbers between lo and hi (epochs are whole numbers)."""
    span = max(1, hi - lo)
    raw = span / max(1, count - 1)
    magnitude = 10 ** int(math.floor(math.log10(raw))) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = int(math.ceil(lo / step) * step)
    ticks = list(range(first, hi + 1, int(step)))
    return ticks or [lo]


class CurvesPlot(PlotextPlot):
    """The plotext part of ``TrainingCurves``: rebuilt only when something it shows changed."""

    metric: reactive[str] = reactive("loss")
    """The metric shown (without the "val_" prefix)."""
    log_scale: reactive[bool] = reactive(False)
    """Plot the y axis on a log scale (non-positive values are left out)."""
    follow: reactive[bool] = reactive(False)
    """Show only the last ``FOLLOW_EPOCHS`` epochs."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.legend = ""
        #: (series, epoch) the diagnosis calls best; used when that series is on screen.
        self.diagnosed_best: tuple[str, int] | None = None
        self.history = History()
        self.previous_attempts: list[History] = []
        self._version = 0
        self._cache_key: tuple | None = None
        self._cached: Text | None = None
        self._cached_size: tuple[int, int] | None = None
        #: True when the next render must show the newest data (else only a view change does).
        self._take_new_data = True
        self._smoothing = _SmoothingCache()
        #: Seconds the last rebuild took (the benchmark and the tests read it).
        self.last_build_seconds = 0.0
        #: Points handed to plotext in the last build: bounded by the width, whatever the run's length.
        self.last_points_plotted = 0
        self._y_range = (math.inf, -math.inf)

    # -- data in -----------------------------------------------------------
    def set_history(self, history: History, previous_attempts: list[History] | None = None) -> None:
        self.history = history
        self.previous_attempts = list(previous_attempts or [])
        self._smoothing.clear()
        self.data_changed()
        self._take_new_data = True  # a different history shows at the next render, whoever asks

    def data_changed(self) -> None:
        """Mark the plot stale; the owner decides when to show it (``refresh_changed``, coalescing).

        Until then a repaint shows the frame already on screen, so the lines that
        ``refresh_changed`` leaves alone always match what the terminal has.
        """
        self._version += 1

    @property
    def stale(self) -> bool:
        return self._cache_key is None or self._cache_key[0] != self._version

    def watch_metric(self) -> None:
        self.refresh()

    def watch_log_scale(self) -> None:
        self.refresh()

    def watch_follow(self) -> None:
        self.refresh()

    # -- drawing -----------------------------------------------------------
    def _colour(self, variable: str, fade: float = 0.0) -> tuple[int, int, int]:
        variables = self.app.theme_variables
        colour = Color.parse(variables.get(variable, variables.get("foreground", "#ffffff")))
        if fade:
            colour = Color.parse(variables.get("surface", "#000000")).blend(colour, 1.0 - fade)
        return colour.rgb

    class Rebuilt(Message):
        """The plot was rebuilt; carries the legend line for the container."""

        def __init__(self, legend: str) -> None:
            super().__init__()
            self.legend = legend

    def render(self):
        view = (self.size.width, self.size.height, self.app.theme, self.metric, self.log_scale, self.follow)
        if self._cached is not None and self._cache_key is not None:
            if view == self._cache_key[1:] and (not self._take_new_data or self._cache_key[0] == self._version):
                self._take_new_data = False
                return self._cached
        self._take_new_data = False
        key = (self._version, *view)
        started = time.perf_counter()
        self.last_points_plotted = 0
        self._y_range = (math.inf, -math.inf)
        self._draw()
        self._cached = super().render()
        self._cached_size = (self.size.width, self.size.height)
        self._cache_key = key
        self.last_build_seconds = time.perf_counter() - started
        return self._cached

    def refresh_changed(self) -> None:
        """Rebuild now and repaint only the cells that differ from the last frame.

        Textual sends every cell of a refreshed region to the terminal; between two
        epochs most of the plot (empty rows, axes, the flat end of a curve) is unchanged,
        and over SSH those bytes are most of the traffic.
        """
        before = self._cached
        size = (self.size.width, self.size.height)
        if before is None or self._cached_size != size:
            self._take_new_data = True
            self.refresh()
            return
        self._take_new_data = True
        after = self.render()
        if after is before:
            return
        regions = _changed_regions(before, after, size[0])
        if regions is None:
            self.refresh()
        elif regions:
            self.refresh(*regions)

    def _window(self, n: int) -> tuple[int, int]:
        """Index range [lo, hi) of the epochs on screen."""
        if self.follow and n > FOLLOW_EPOCHS:
            return n - FOLLOW_EPOCHS, n
        return 0, n

    def _series(self, owner: History, name: str, lo: int, hi: int, columns: int,
                smoothed: bool) -> tuple[list[float], list[float]]:
        values = owner[name]
        if smoothed and hi - lo >= COLUMN_MEAN_RATIO * columns:
            xs, ys = column_means(values[lo:hi], lo + 1, columns)
        else:
            if smoothed:
                values = self._smoothing.get(owner, name, values)
            xs, ys = decimate_epochs(values[lo:hi], lo + 1, columns)
        if self.log_scale:
            ys = np.where(ys > 0, ys, np.nan)
        keep = np.isfinite(ys)
        self.last_points_plotted += int(keep.sum())
        if keep.any():
            self._y_range = (min(self._y_range[0], float(ys[keep].min())), max(self._y_range[1], float(ys[keep].max())))
        return xs[keep].tolist(), ys[keep].tolist()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        glyphs = ASCII_GLYPHS if getattr(self.app, "ascii_plots", False) else UNICODE_GLYPHS
        if glyphs is ASCII_GLYPHS:
            plt.frame(False)  # plotext's frame is drawn with box characters
        history = self.history
        metric = self.metric
        n = len(history)
        columns = max(10, self.size.width - 10)
        lo, hi = self._window(n)
        names = [name for name in (metric, f"val_{metric}") if _has_values(history, name)]
        plotted = False
        legend: list[str] = []
        for attempt_number, previous in enumerate(self.previous_attempts, start=1):
            name = f"val_{metric}" if _has_values(previous, f"val_{metric}") else metric
            if not _has_values(previous, name):
                continue
            p_lo, p_hi = (lo, min(hi, len(previous))) if self.follow else (0, len(previous))
            xs, ys = self._series(previous, name, p_lo, p_hi, columns, smoothed=True)
            if xs:
                plt.plot(xs, ys, color=self._colour("curve-previous"), marker=glyphs.line)
                legend.append(f"[$curve-previous]{glyphs.legend_line}[/] attempt {attempt_number}")
                plotted = True
        for name in names:
            variable = "curve-val" if name.startswith("val_") else "curve-train"
            xs, ys = self._series(history, name, lo, hi, columns, smoothed=False)
            if xs:
                # Decimated raw points are drawn as points: joining every column's min and max
                # makes plotext interpolate long strokes, which costs more than the whole plot.
                draw = plt.scatter if hi - lo > 2 * columns else plt.plot
                draw(xs, ys, color=self._colour(variable, fade=0.6), marker=glyphs.points)
            xs, ys = self._series(history, name, lo, hi, columns, smoothed=True)
            if xs:
                label = "val" if name.startswith("val_") else "train"
                plt.plot(xs, ys, color=self._colour(variable), marker=glyphs.line)
                legend.append(f"[${variable}]{glyphs.legend_line}[/] {label}")
                plotted = True
        title = f"[b]{escape(metric)}[/]" + (" (log)" if self.log_scale else "")
        if names:
            judged = names[-1]
            best = self._best_epoch(history[judged])
            if self.diagnosed_best and self.diagnosed_best[0] == judged and 1 <= self.diagnosed_best[1] <= n:
                best = self.diagnosed_best[1]
            if best is not None:
                best_value = float(history[judged][best - 1])
                if lo < best <= hi:
                    if glyphs is UNICODE_GLYPHS:  # plotext draws the line with a box character
                        plt.vline(best, color=self._colour("curve-best"))
                    plt.scatter([best], [best_value], color=self._colour("curve-best"), marker=glyphs.best)
                legend.append(f"[$curve-best]{glyphs.legend_best}[/] best {best} ({best_value:.4g})")
        if self.follow and n > FOLLOW_EPOCHS:
            legend.append(f"last {FOLLOW_EPOCHS}")
        if self.log_scale:
            plt.yscale("log")
        if not plotted:
            plt.xlim(1, max(2, n))
            plt.ylim(0, 1)
            self.legend = f"{title}  [dim]waiting for the first epoch[/]"
        else:
            plt.xlim(lo + 1, max(lo + 2, hi) + max(0.5, 0.01 * (hi - lo)))
            plt.xticks(integer_ticks(lo + 1, max(lo + 2, hi)))
            y0, y1 = self._y_range
            if not self.log_scale and math.isfinite(y0) and math.isfinite(y1) and y1 > y0:
                ticks = np.linspace(y0, y1, 5)
                plt.yticks(ticks.tolist(), [compact_number(v) for v in ticks])
            self.legend = "  ".join([title, *legend])
        self.post_message(self.Rebuilt(self.legend))

    def _best_epoch(self, values: np.ndarray) -> int | None:
        index = best_index(values, higher_is_better(self.metric))
        return None if index is None else index + 1


def _changed_regions(before: Text, after: Text, width: int) -> list[Region] | None:
    """Per line, one region from its first to its last changed cell; None if the shape changed.

    One region per line, not one per changed run: Textual (8.x) writes a partly refreshed
    line from the start of the changed run to the end of the widget's line, so several
    runs on one line would each resend the rest of it.
    """
    old_lines, new_lines = before.split("\n"), after.split("\n")
    if len(old_lines) != len(new_lines):
        return None
    regions: list[Region] = []
    for y, (old, new) in enumerate(zip(old_lines, new_lines)):
        if old.plain == new.plain and old.spans == new.spans and old.style == new.style:
            continue
        old_cells, new_cells = _cells(old), _cells(new)
        changed = [x for x, (was, now) in enumerate(zip(old_cells, new_cells)) if was != now]
        first = changed[0] if changed else min(len(old_cells), len(new_cells))
        last = changed[-1] + 1 if changed else first
        if len(old_cells) != len(new_cells):
            last = max(len(old_cells), len(new_cells))
        last = min(width, last)
        if last > first:
            regions.append(Region(first, y, last - first, 1))
    return regions


def _cells(line: Text) -> list:
    """(character, style) for each cell of one line of plotext's output (one cell per character)."""
    styles: list = [line.style] * len(line.plain)
    for span in line.spans:
        styles[span.start:span.end] = [span.style] * (min(span.end, len(styles)) - span.start)
    return list(zip(line.plain, styles))


class TrainingCurves(Vertical):
    """A legend line over the plot; the view options (metric, log scale, follow) live here."""

    DEFAULT_CSS = """
    TrainingCurves { height: 1fr; }
    TrainingCurves > #curves-legend { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    TrainingCurves > CurvesPlot { height: 1fr; }
    """

    metric: reactive[str] = reactive("loss")
    """The metric shown (without the "val_" prefix)."""
    log_scale: reactive[bool] = reactive(False)
    """Plot the y axis on a log scale (non-positive values are left out)."""
    follow: reactive[bool] = reactive(False)
    """Show only the last ``FOLLOW_EPOCHS`` epochs."""

    def compose(self) -> ComposeResult:
        yield Static(id="curves-legend")
        yield CurvesPlot(id="curves-plot")

    @property
    def plot(self) -> CurvesPlot:
        return self.query_one(CurvesPlot)

    @property
    def history(self) -> History:
        return self.plot.history

    @property
    def stale(self) -> bool:
        return self.plot.stale

    @property
    def last_build_seconds(self) -> float:
        return self.plot.last_build_seconds

    def set_history(self, history: History, previous_attempts: list[History] | None = None) -> None:
        self.plot.set_history(history, previous_attempts)

    def data_changed(self) -> None:
        self.plot.data_changed()

    def refresh_plot(self) -> None:
        """Show the data as it is now, repainting only what changed."""
        self.plot.refresh_changed()

    def next_metric(self) -> str:
        bases = metric_bases(self.plot.history)
        current = bases.index(self.metric) if self.metric in bases else -1
        self.metric = bases[(current + 1) % len(bases)]
        return self.metric

    def watch_metric(self, metric: str) -> None:
        self.plot.metric = metric

    def watch_log_scale(self, log_scale: bool) -> None:
        self.plot.log_scale = log_scale

    def watch_follow(self, follow: bool) -> None:
        self.plot.follow = follow

    def on_curves_plot_rebuilt(self, message: CurvesPlot.Rebuilt) -> None:
        message.stop()
        update_if_changed(self.query_one("#curves-legend", Static), message.legend, layout=False)  # one line
