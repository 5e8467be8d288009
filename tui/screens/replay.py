"""The replay screen: a saved run played back as it happened, in the live monitor's widgets.

At epoch t the curves show epochs 1..t and the verdict and gauge show ``diagnose(history, t)``,
what a live monitor knew then. The verdict strip under the curves colours every epoch by
its verdict. Several runs are overlaid; ``n`` picks which one the verdict and gauge describe.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from epochwatch.engine.history import History
from epochwatch.engine.replay import EXACT_EPOCHS, ReplayModel, cell_ends

from ..widgets.curves import CurvesPlot, TrainingCurves
from ..widgets.gauge import BiasVarianceGauge
from ..widgets.header import RunHeader
from ..widgets.progress import EpochProgress
from ..widgets.strip import VerdictStrip
from ..widgets.verdict import VerdictPanel

#: Frames per second of the replay clock.
FRAMES_PER_SECOND = 20
#: A replay with no --speed plays the whole run in about this many seconds.
DEFAULT_SECONDS = 15.0
SPEED_STEP = 2.0
#: Longest the `g` search of a long run holds the event loop before letting keys and frames through.
SEARCH_SLICE_SECONDS = 0.02


def default_speed(epochs: int) -> float:
    return max(2.0, epochs / DEFAULT_SECONDS)


class OverlayCurves(TrainingCurves):
    """The monitor's curves with other runs in place of earlier attempts, named in the legend."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.focus_label = ""
        self.overlay_labels: list[str] = []

    def on_curves_plot_rebuilt(self, message: CurvesPlot.Rebuilt) -> None:
        message.stop()
        message.prevent_default()  # this legend, not the base class's
        legend = message.legend
        for index in range(len(self.overlay_labels), 0, -1):
            legend = legend.replace(f"attempt {index}", escape(self.overlay_labels[index - 1]))
        if self.focus_label:
            legend = f"[b]{escape(self.focus_label)}[/]: " + legend
        self.query_one("#curves-legend", Static).update(legend)


class ViewerScreen(Screen[None]):
    """What replay and watch share: the layout, view keys and export."""

    DEFAULT_CSS = """
    #viewer-main { width: 1fr; height: 1fr; }
    """

    BINDINGS = [
        Binding("m", "next_metric", "Metric", tooltip="show the next logged metric", id="next-metric"),
        Binding("l", "toggle_log_scale", "Log", tooltip="log scale on the y axis", id="log-scale"),
        Binding("x", "export", "Export", tooltip="save this frame as SVG next to the file", id="export"),
    ]

    def compose_main(self) -> ComposeResult:
        yield OverlayCurves(id="curves")

    def compose(self) -> ComposeResult:
        yield RunHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="viewer-main"):
                yield from self.compose_main()
            with Vertical(id="side"):
                yield VerdictPanel(id="verdict")
                yield BiasVarianceGauge(id="gauge")
        yield EpochProgress(id="progress")
        yield Footer(compact=True)

    @property
    def curves(self) -> OverlayCurves:
        return self.query_one(OverlayCurves)

    def show_diagnosis(self, diagnosis) -> None:
        self.query_one(VerdictPanel).diagnosis = diagnosis
        plot = self.curves.plot
        best = (diagnosis.monitor, diagnosis.best_epoch) if diagnosis and diagnosis.best_epoch else None
        if best != plot.diagnosed_best:
            plot.diagnosed_best = best
            plot.data_changed()
        gauge = self.query_one(BiasVarianceGauge)
        if diagnosis is None:
            gauge.reset()
        else:
            gauge.show(diagnosis)

    def action_next_metric(self) -> None:
        self.curves.next_metric()

    def action_toggle_log_scale(self) -> None:
        self.curves.log_scale = not self.curves.log_scale

    def export_path(self) -> Path:
        raise NotImplementedError

    def action_export(self) -> None:
        from ..export import save_frame

        path = self.export_path()
        if save_frame(self, path):
            self.last_export = path


class ReplayScreen(ViewerScreen):
    """Plays saved runs back epoch by epoch."""

    BINDINGS = [
        Binding("space", "play_pause", "Play/Pause", tooltip="start or pause the replay", id="play-pause"),
        Binding("left", "step(-1)", "-1", tooltip="one epoch back", id="back"),
        Binding("right", "step(1)", "+1", tooltip="one epoch on", id="forward"),
        Binding("shift+left", "step(-10)", "-10", show=False, tooltip="ten epochs back", id="back-ten"),
        Binding("shift+right", "step(10)", "+10", show=False, tooltip="ten epochs on", id="forward-ten"),
        Binding("plus", "speed(2.0)", "Faster", key_display="+", tooltip="double the speed", id="faster"),
        Binding("minus", "speed(0.5)", "Slower", key_display="-", tooltip="halve the speed", id="slower"),
        Binding("home", "jump_start", "Start", show=False, tooltip="back to epoch 1", id="home"),
        Binding("end", "jump_end", "End", show=False, tooltip="to the last epoch", id="end"),
        Binding("g", "next_change", "Next change", tooltip="jump to the next epoch where the verdict changed",
                id="next-change"),
        Binding("n", "next_run", "Run", tooltip="which run the verdict and gauge describe", id="next-run"),
        *ViewerScreen.BINDINGS,
    ]

    position: reactive[int] = reactive(0)
    """The epoch shown (0 before the first)."""
    playing: reactive[bool] = reactive(False)
    """True while the replay clock runs."""
    focus_index: reactive[int] = reactive(0)
    """Which run the verdict, gauge and strip describe."""

    def __init__(self, runs: list[tuple[str, History]], *, speed: float | None = None, at: int | None = None,
                 monitor: str = "val_loss", autoplay: bool = True) -> None:
        super().__init__()
        if not runs:
            raise ValueError("ReplayScreen needs at least one run")
        self.runs = runs
        self.models = [ReplayModel(h, monitor=monitor) for _, h in runs]
        self.total = max(len(h) for _, h in runs)
        self.speed = float(speed) if speed else default_speed(self.total)
        self._start_at = self.total if at is None and not autoplay else (at or 0)
        self._autoplay = autoplay and at is None
        self._clock = 0.0
        self._last_tick = 0.0
        self.last_export: Path | None = None
        #: Epochs shown so far, in order (the tests check causality against it).
        self.frames_shown = 0
        self._ready = False
        self._searching = False

    def compose_main(self) -> ComposeResult:
        yield OverlayCurves(id="curves")
        yield VerdictStrip(id="strip")

    def on_mount(self) -> None:
        self._ready = True
        header = self.query_one(RunHeader)
        header.run_name = "replay: " + ", ".join(name for name, _ in self.runs)
        header.device = f"{self.total} epochs"
        source = self.runs[0][1].source
        header.run_log = str(source) if source else ""
        self.query_one(EpochProgress).target = self.total
        self.set_interval(1 / FRAMES_PER_SECOND, self._tick)
        self.position = max(0, min(self._start_at, self.total))
        self._clock = float(self.position)
        self._show(self.position)
        self.playing = self._autoplay

    @property
    def model(self) -> ReplayModel:
        return self.models[self.focus_index]

    # -- the clock -------------------------------------------------------------
    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if not self.playing:
            return
        self._clock = min(float(self.total), self._clock + self.speed * min(elapsed, 0.5))
        new = int(self._clock)
        if new != self.position:
            self.position = new
        if self.position >= self.total:
            self.playing = False

    def watch_playing(self, playing: bool) -> None:
        self._last_tick = time.monotonic()
        self._update_state()

    def watch_position(self, position: int) -> None:
        self._show(position)

    def watch_focus_index(self) -> None:
        self._show(self.position)

    def _update_state(self) -> None:
        if not self._ready:
            return
        word = f"▶ {self.speed:g} epochs/s" if self.playing else ("end" if self.position >= self.total else "paused")
        self.query_one(RunHeader).state = word

    def _show(self, t: int) -> None:
        if not self._ready:
            return
        focus_name, focus = self.runs[self.focus_index]
        others = [(name, h) for i, (name, h) in enumerate(self.runs) if i != self.focus_index]
        curves = self.curves
        curves.focus_label = focus_name if len(self.runs) > 1 else ""
        curves.overlay_labels = [name for name, _ in others]
        curves.set_history(focus.prefix(t), [h.prefix(t) for _, h in others])
        model = self.models[self.focus_index]
        shown = min(t, model.epochs)
        self.show_diagnosis(model.diagnosis(shown) if shown else None)
        self.query_one(VerdictStrip).show(model, shown)
        progress = self.query_one(EpochProgress)
        progress.epoch = t
        seconds = focus.meta.get("epoch_seconds")
        if isinstance(seconds, list) and 0 < shown <= len(seconds):
            value = seconds[shown - 1]
            progress.seconds_per_epoch = value if isinstance(value, float) and value == value else None
        curves.refresh_plot()
        self.frames_shown += 1
        self._update_state()

    # -- keys ------------------------------------------------------------------
    def _go(self, epoch: int) -> None:
        self.position = max(0, min(int(epoch), self.total))
        self._clock = float(self.position)
        self._update_state()

    def action_play_pause(self) -> None:
        if not self.playing and self.position >= self.total:
            self._go(0)
        self.playing = not self.playing

    def action_step(self, epochs: int) -> None:
        self.playing = False
        self._go(self.position + epochs)

    def action_speed(self, factor: float) -> None:
        self.speed = max(0.25, min(self.speed * factor, 1e7))
        self._update_state()
        self.notify(f"{self.speed:g} epochs per second", timeout=2)

    def action_jump_start(self) -> None:
        self._go(0)

    def action_jump_end(self) -> None:
        self.playing = False
        self._go(self.total)

    def action_next_change(self) -> None:
        self.playing = False
        model, position = self.model, self.position
        start = max(position, 1) if position else 0
        if model.epochs <= EXACT_EPOCHS:  # a few hundred cheap diagnoses at most: answer at once
            self._change_found(model, position, model.next_change(start))
            return
        # a long run may take hundreds of diagnoses of up to a million epochs (seconds): search
        # a slice at a time on the event loop so the screen keeps answering, jump when found
        if self._searching:
            self.notify("Still looking for the next verdict change...", timeout=2)
            return
        self._searching = True
        self.notify("Looking for the next verdict change...", timeout=2)
        self.run_worker(self._search_change(model, position, start), group="next-change", exit_on_error=False)

    async def _search_change(self, model: ReplayModel, position: int, start: int) -> None:
        """Runs the search on the event loop, a few diagnoses at a time, so keys and frames go on."""
        steps = model.next_change_steps(start)
        failure = None
        found = None
        warming = False
        try:
            slice_end = time.monotonic() + SEARCH_SLICE_SECONDS
            while True:
                try:
                    next(steps)
                except StopIteration as done:
                    if warming:
                        break
                    found = done.value
                    if found is None:
                        break
                    warming = True
                    # judge the strip cells up to the answer here too, so the jump itself is instant
                    width = max(1, self.query_one(VerdictStrip).size.width or 80)
                    ends = [end for end in cell_ends(model.epochs, width) if end <= found]
                    steps = iter(model.verdict(end) for end in ends)
                    continue
                if time.monotonic() >= slice_end:
                    await asyncio.sleep(0)
                    if model is not self.model or position != self.position:
                        return  # the user moved on: the answer would be for another epoch
                    slice_end = time.monotonic() + SEARCH_SLICE_SECONDS
        except Exception as err:  # a diagnosis bug: say so on screen, keep the replay running
            failure = f"{type(err).__name__}: {err}"
        finally:
            self._searching = False
        self._change_found(model, position, found, failure)

    def _change_found(self, model: ReplayModel, position: int, found: int | None,
                      failure: str | None = None) -> None:
        """Jump to ``found``, unless the user moved or switched runs while it was being searched."""
        if failure is not None:
            self.notify(f"Could not find the next verdict change ({failure}).", severity="error", timeout=6)
            return
        if model is not self.model or position != self.position:
            return
        if found is None:
            self.notify("The verdict does not change again.", timeout=3)
            return
        self._go(found)
        self.notify(f"Epoch {found}: {model.diagnosis(found).word}", timeout=3)

    def action_next_run(self) -> None:
        if len(self.runs) == 1:
            self.notify("Only one run is open.", timeout=2)
            return
        self.focus_index = (self.focus_index + 1) % len(self.runs)
        self.notify(f"Verdict and gauge: {self.runs[self.focus_index][0]}", timeout=3)

    def export_path(self) -> Path:
        source = Path(self.runs[self.focus_index][1].source or self.runs[self.focus_index][0])
        folder = source if source.is_dir() else source.parent
        return folder / f"{source.stem or 'run'}.epoch-{self.position}.svg"
