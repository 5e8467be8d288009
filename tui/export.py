"""Exports without a terminal: the final replay frame as SVG, and a Markdown report.

The SVG is rendered by Textual headless (``run_test``), the same screen a user sees.
The Markdown report says what the diagnosis says, with a table of the key epochs and
the curve drawn as text, so it reads well in a pull request or a notebook.
"""

from __future__ import annotations

import asyncio
import math
import os
from pathlib import Path

import numpy as np

from epochwatch.engine.formats import HistoryError
from epochwatch.engine.formats._files import atomic_write_text
from epochwatch.engine.history import History
from epochwatch.engine.replay import ReplayModel
from epochwatch.themes import DEFAULT_THEME

from .widgets.decimate import decimate_minmax

EXPORT_SUFFIXES = (".svg", ".md")
#: Terminal size of an SVG export.
SVG_SIZE = (120, 36)
#: Strip cells used to find the verdict changes listed in the report.
REPORT_CELLS = 100
CHART_WIDTH = 72
CHART_HEIGHT = 14


async def render_svg(runs: list[tuple[str, History]], *, at: int | None = None, monitor: str = "val_loss",
                     theme: str = DEFAULT_THEME, size: tuple[int, int] = SVG_SIZE, title: str = "epochwatch") -> str:
    """The replay screen at epoch ``at`` (default: the last) as SVG, rendered headless."""
    from .screens.replay import ReplayScreen
    from .viewer_app import create_viewer_app

    screen = ReplayScreen(runs, at=at, monitor=monitor, autoplay=False)
    app = create_viewer_app(lambda: screen, theme=theme)
    async with app.run_test(size=size) as pilot:
        while screen.frames_shown == 0:
            await pilot.pause(0.01)
        await pilot.pause()
        plot = screen.curves.plot
        while plot.stale:
            await pilot.pause(0.01)
        return app.export_screenshot(title=title)


def export_svg(runs: list[tuple[str, History]], path: str | os.PathLike[str], **options) -> Path:
    svg = asyncio.run(render_svg(runs, **options))
    return atomic_write_text(path, svg)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:.4g}"


def text_chart(history: History, names: list[str], width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> str:
    """Series drawn with characters (``t`` train, ``v`` validation, ``*`` both), decimated to ``width``."""
    marks = {name: ("v" if name.startswith("val_") else "t") for name in names}
    series = []
    for name in names:
        y = history[name]
        x = np.arange(1, len(y) + 1, dtype=np.float64)
        xs, ys = decimate_minmax(x, y, width)
        series.append((name, xs, ys))
    finite = np.concatenate([ys[np.isfinite(ys)] for _, _, ys in series]) if series else np.array([])
    if not len(finite) or not len(history):
        return "(no finite values)"
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    grid = [[" "] * width for _ in range(height)]
    n = len(history)
    for name, xs, ys in series:
        for x, y in zip(xs, ys):
            if not math.isfinite(y):
                continue
            col = min(width - 1, int((x - 1) / max(1, n - 1) * (width - 1) + 0.5))
            row = height - 1 - min(height - 1, int((y - lo) / (hi - lo) * (height - 1) + 0.5))
            cell = grid[row][col]
            grid[row][col] = marks[name] if cell in (" ", marks[name]) else "*"
    label_width = max(len(_fmt(hi)), len(_fmt(lo)))
    lines = []
    for i, row in enumerate(grid):
        label = _fmt(hi) if i == 0 else _fmt(lo) if i == height - 1 else ""
        lines.append(f"{label:>{label_width}} |{''.join(row).rstrip()}")
    lines.append(" " * label_width + " +" + "-" * width)
    lines.append(" " * label_width + f"  epoch 1{str(n):>{width - 7}}")
    legend = ", ".join(f"{marks[name]} = {name}" for name in names)
    lines.append(" " * label_width + f"  {legend}, * = both")
    return "\n".join(lines)


def markdown_report(name: str, history: History, *, monitor: str = "val_loss",
                    model: ReplayModel | None = None) -> str:
    """The verdict, its reasons and advice, the best epoch, key epochs and the curve, as Markdown."""
    model = model or ReplayModel(history, monitor=monitor)
    n = len(history)
    final = model.diagnosis(n)
    lines = [f"# epochwatch report: {name}", "", f"**Verdict: {final.word}** after {n} epochs "
             f"(judged on `{final.monitor}`).", ""]
    if final.best_epoch is not None:
        lines.append(f"**Best epoch: {final.best_epoch}**"
                     + (f" ({final.monitor} {_fmt(float(history[final.monitor][final.best_epoch - 1]))})"
                        if final.monitor in history else "") + ".")
        lines.append("")
    if final.bias is not None:
        gauge = f"Bias {final.bias:.2f}"
        if final.variance is not None:
            gauge += f", variance {final.variance:.2f}"
        if final.baseline is not None:
            gauge += f" (baseline {_fmt(final.baseline)}: {final.baseline_source})"
        lines += [gauge + ".", ""]
    if final.reasons:
        lines += ["## Why", ""] + [f"- {r}" for r in final.reasons] + [""]
    if final.advice:
        lines += ["## What to do", ""] + [f"- {a}" for a in final.advice] + [""]

    key: dict[int, str] = {}
    if n:
        key[1] = "first epoch"
    for epoch, verdict in model.changes(REPORT_CELLS):
        key.setdefault(epoch, f"verdict now {model.diagnosis(epoch).word}")
    if final.best_epoch is not None:
        key[final.best_epoch] = (key.get(final.best_epoch, "") + "; best epoch").lstrip("; ")
    if n:
        key[n] = (key.get(n, "") + "; last epoch").lstrip("; ")
    columns = [c for c in ("loss", "val_loss") if c in history]
    columns += [c for c in history.metric_names if c not in columns][: max(0, 5 - len(columns))]
    lines += ["## Key epochs", "", "| epoch | " + " | ".join(columns) + " | verdict then | note |",
              "|---:|" + "---:|" * len(columns) + "---|---|"]
    for epoch in sorted(key):
        values = " | ".join(_fmt(float(history[c][epoch - 1])) for c in columns)
        lines.append(f"| {epoch} | {values} | {model.diagnosis(epoch).word} | {key[epoch]} |")
    lines.append("")
    shown = [c for c in ("loss", "val_loss") if history.has_values(c)]
    if shown:
        lines += ["## Curve", "", "```", text_chart(history, shown), "```", ""]
    return "\n".join(lines)


def export_runs(runs: list[tuple[str, History]], path: str | os.PathLike[str], *, at: int | None = None,
                monitor: str = "val_loss", theme: str = DEFAULT_THEME) -> Path:
    """Write ``path`` (.svg or .md) for the runs; the report describes the first run."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        return export_svg(runs, target, at=at, monitor=monitor, theme=theme)
    if suffix == ".md":
        name, history = runs[0]
        if at is not None:
            history = history.prefix(at)
        return atomic_write_text(target, markdown_report(name, history, monitor=monitor))
    raise HistoryError(target, f"cannot export to {suffix or 'a file without a suffix'}; use .svg or .md")


def save_frame(screen, path: Path) -> bool:
    """Key ``x``: the screen as it is now, as SVG at ``path``; says on screen what happened."""
    try:
        path.write_text(screen.app.export_screenshot(title=path.stem), encoding="utf-8")
    except OSError as err:
        screen.notify(f"{path}: cannot write: {err.strerror}", severity="error", timeout=8)
        return False
    screen.notify(f"Saved {path}", timeout=4)
    return True
