"""Benchmarks 2 and 3: the screen keeping up with a very fast run, and the curve widget's frame time.

Both drive the real Textual app headless (``run_test``). The synthetic producer is a thread
that calls the monitor screen's own trainer listener (``_on_engine_event``) with the events
a Trainer sends, so everything after the listener is the product's code.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

import numpy as np

from bench_common import Row, ms, synthetic_history, synthetic_metrics

PLOT_SIZE = (120, 30)


# -- 2: keeping up ------------------------------------------------------------

def _producer(screen, seconds: float, epochs_per_second: int, batches_per_epoch: int, sent: dict) -> None:
    """Posts TrainBegin, then per epoch EpochBegin, the batch updates and EpochEnd (with a diagnosis), in real time."""
    from epochwatch.engine.diagnosis import Diagnoser
    from epochwatch.engine.events import BatchProgress, EpochBegin, EpochEnd, TrainBegin
    from epochwatch.engine.history import History

    total = int(seconds * epochs_per_second)
    metrics = synthetic_metrics(total, seed=5)
    history = History()
    diagnoser = Diagnoser()
    emit = screen._on_engine_event
    emit(TrainBegin(attempt=1, initial_epoch=0, target_epochs=total, steps_per_epoch=batches_per_epoch,
                    kind="initial"))
    started = time.perf_counter()
    epoch = 0
    batches = 0
    while epoch < total:
        due = min(total, int((time.perf_counter() - started) * epochs_per_second) + 1)
        if epoch >= due:
            time.sleep(0.0005)
            continue
        while epoch < due:
            epoch += 1
            emit(EpochBegin(attempt=1, epoch=epoch, target_epochs=total))
            logs = {"loss": float(metrics["loss"][epoch - 1]), "val_loss": float(metrics["val_loss"][epoch - 1])}
            for step in range(1, batches_per_epoch + 1):
                emit(BatchProgress(attempt=1, epoch=epoch, step=step, steps=batches_per_epoch,
                                   logs={"loss": logs["loss"]}))
            batches += batches_per_epoch
            history.append(logs)
            diagnosis = diagnoser(history)
            emit(EpochEnd(attempt=1, epoch=epoch, logs=logs, wall_time=time.time(), seconds=0.001,
                          diagnosis=diagnosis))
    sent.update(epochs=epoch, batches=batches, seconds=time.perf_counter() - started)


async def _keeping_up(seconds: float) -> dict:
    from textual import events

    from epochwatch.tui.app import EpochwatchApp, TrainingOptions
    from epochwatch.tui.screens.monitor import MonitorScreen
    from epochwatch.tui.widgets.curves import TrainingCurves

    release = threading.Event()

    def loader():
        release.wait()
        raise RuntimeError("benchmark over")  # the screen shows it as a failed start; nothing trained

    app = EpochwatchApp(loader=loader, options=TrainingOptions(log_dir=None))
    result: dict = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        curves = screen.query_one(TrainingCurves)
        plot = curves.plot
        draws: list[float] = []
        build_times: list[float] = []
        draw = plot._draw

        def counting_draw() -> None:
            draws.append(time.perf_counter())
            draw()

        plot._draw = counting_draw  # counts every rebuild of the curves
        original_render = plot.render

        def timed_render():
            rendered = original_render()
            if draws and draws[-1] >= render_started[0]:
                build_times.append(plot.last_build_seconds)
            return rendered

        render_started = [0.0]

        def render_wrapper():
            render_started[0] = time.perf_counter()
            return timed_render()

        plot.render = render_wrapper
        sent: dict = {}
        producer = threading.Thread(target=_producer, args=(screen, seconds, 1000, 20, sent), daemon=True)
        started = time.perf_counter()
        producer.start()
        latencies: list[float] = []
        while producer.is_alive():
            await asyncio.sleep(0.2)
            expected = not curves.log_scale
            key = events.Key("l", "l")
            key.set_sender(app)
            pressed = time.perf_counter()
            app._driver.send_message(key)  # what the terminal driver does for a key press
            while time.perf_counter() - pressed < 5:
                await asyncio.sleep(0.001)
                if plot._cache_key is not None and plot._cache_key[5] == expected:
                    break
            latencies.append(time.perf_counter() - pressed)
        fed = time.perf_counter() - started
        deadline = time.perf_counter() + 60
        while len(screen.history) < sent.get("epochs", 0) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        drained = time.perf_counter() - started
        await pilot.pause()
        seen = screen.epochs_seen.get(1, [])
        result = dict(
            sent=sent, fed=fed, drain_lag=drained - fed, history=len(screen.history),
            in_order=seen == list(range(1, sent.get("epochs", 0) + 1)),
            draws_per_second=len([t for t in draws if started <= t <= started + fed]) / fed,
            latencies=latencies, build_max=max(build_times) if build_times else 0.0,
        )
        release.set()
    return result


def run_keeping_up(quick: bool) -> list[Row]:
    from epochwatch.tui.screens.monitor import REDRAWS_PER_SECOND

    seconds = 3.0 if quick else 10.0
    r = asyncio.run(_keeping_up(seconds))
    sent = r["sent"]
    lost = sent["epochs"] - r["history"]
    p95 = float(np.percentile(r["latencies"], 95)) if r["latencies"] else float("inf")
    # l-presses redraw too: five a second on top of the coalesced data redraws
    bound = REDRAWS_PER_SECOND + 5 + 2
    rate = f"{sent['epochs'] / sent['seconds']:.0f} epochs/s + {sent['batches'] / sent['seconds']:.0f} batch/s"
    return [
        Row("2 keeping up: epochs lost", f"{sent['epochs']:,} sent ({rate})",
            f"{lost} lost, in order: {r['in_order']}, drained {r['drain_lag']:.1f} s after the feed",
            "-", "0 lost", lost == 0 and r["in_order"]),
        Row("2 keeping up: curve redraws per second", "1,000 epochs/s", f"{r['draws_per_second']:.1f}/s "
            f"(slowest {ms(r['build_max'])})", f"{r['draws_per_second'] / 1000:.3f} per epoch",
            f"<= {bound}/s", r["draws_per_second"] <= bound),
        Row("2 keeping up: key press to redraw, p95", f"{len(r['latencies'])} presses of l",
            f"p95 {ms(p95)}, median {ms(statistics.median(r['latencies']))}", "-", "< 100 ms", p95 < 0.1),
    ]


# -- 3: drawing -------------------------------------------------------------------

def _plotext_raw(metrics: dict[str, np.ndarray]) -> float:
    import plotext as plt

    started = time.perf_counter()
    plt.clear_figure()
    plt.plotsize(*PLOT_SIZE)
    x = np.arange(1, len(metrics["loss"]) + 1)
    for values in metrics.values():
        plt.plot(x.tolist(), values.tolist(), marker="braille")
    plt.build()
    return time.perf_counter() - started


async def _frame_times(sizes: tuple[int, ...], repeats: int) -> dict[int, float]:
    from textual.app import App

    from epochwatch.themes import DEFAULT_THEME, TCSS_PATH, THEMES
    from epochwatch.tui.widgets.curves import TrainingCurves

    class CurvesApp(App):
        CSS_PATH = [TCSS_PATH]
        CSS = "Screen { layout: vertical; } TrainingCurves { width: 120; height: 31; }"

        def __init__(self) -> None:
            super().__init__()
            for definition in THEMES.values():
                self.register_theme(definition)
            self.theme = DEFAULT_THEME

        def compose(self):
            yield TrainingCurves()

    times: dict[int, float] = {}
    app = CurvesApp()
    async with app.run_test(size=(120, 31)) as pilot:
        await pilot.pause()
        plot = app.query_one(TrainingCurves).plot
        assert (plot.size.width, plot.size.height) == PLOT_SIZE, plot.size
        for n in sizes:
            history = synthetic_history(n)
            samples = []
            for _ in range(repeats):
                plot.set_history(history)  # drops the cached smoothing too: a full rebuild
                started = time.perf_counter()
                plot.render()
                samples.append(time.perf_counter() - started)
            times[n] = statistics.median(samples)
    return times


def run_drawing(quick: bool) -> list[Row]:
    sizes = (1_000, 100_000) if quick else (1_000, 100_000, 1_000_000)
    ours = asyncio.run(_frame_times(sizes, 3 if quick else 9))
    rows = []
    for n in sizes:
        metrics = synthetic_metrics(n)
        base = statistics.median(_plotext_raw(metrics) for _ in range(1 if n >= 100_000 else 5))
        rows.append(Row(f"3 drawing: frame at 120x30, {n:,} epochs", f"plotext raw {ms(base)}", ms(ours[n]),
                        f"{ours[n] / base:.3f}x", "<= 30 ms", ours[n] <= 0.030))
    return rows
