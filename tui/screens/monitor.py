"""The live monitor: one training run, its curves, verdict, gauge and progress.

The screen owns the training worker. The worker builds an engine ``Trainer`` and
calls its blocking ``run()``; the trainer's listener only posts messages, and the
handlers below are the only code that turns them into widgets. The screen keeps its
own ``History`` built from ``EpochEnd`` events (the trainer's belongs to its thread).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from epochwatch.engine.diagnosis import Diagnosis
from epochwatch.engine.events import BatchProgress, EpochBegin, EpochEnd, Event
from epochwatch.engine.history import History

from .. import messages
from ..widgets.curves import TrainingCurves
from ..widgets.error_panel import ErrorPanel
from ..widgets.gauge import BiasVarianceGauge
from ..widgets.header import RunHeader
from ..widgets.progress import EpochProgress
from ..widgets.verdict import VerdictPanel

if TYPE_CHECKING:
    from epochwatch.engine.scripts import TrainingSource
    from epochwatch.engine.trainer import Resume, Trainer

@dataclass(frozen=True)
class TrainingOptions:
    """How the monitor trains: the Trainer's keyword arguments as the command line set them."""

    epochs: int | None = None
    batch_size: int | None = None
    log_dir: str | Path | None = "epochwatch-runs"  # None: no run log (--no-log)
    keep_going: bool = False  # train on through a non-finite loss
    resume: Resume | None = None  # the run being resumed (``epochwatch resume``)
    strategy: str | None = None  # "mirrored": tf.distribute.MirroredStrategy

    def trainer_kwargs(self) -> dict:
        """The fields as keyword arguments (not deep-copied: ``resume`` carries a History)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: Most redraws of the plot per second; epochs arriving faster are coalesced. Four a second
#: reads as live, and keeps a fast run under 50 KB/s to the terminal (over SSH): at ten a
#: second the plot alone was ~90 KB/s, as Textual rewrites each changed line to its end.
#: Key presses (log scale, metric, follow) redraw at once, not at this rate.
REDRAWS_PER_SECOND = 4
#: How often the screen checks for a stale plot or panels.
_TICKS_PER_SECOND = 10
#: Most updates per second of the text panels (verdict, gauge) while epochs stream in:
#: their numbers change every epoch, and each update is a relayout and a repaint.
PANEL_UPDATES_PER_SECOND = 2
#: Epoch durations averaged for the time per epoch and the ETA.
_DURATION_WINDOW = 5


class MonitorScreen(Screen[None]):
    """Trains one source live and shows what the engine thinks of it."""

    BINDINGS = [
        Binding("s", "stop", "Stop", tooltip="stop at the end of the current batch", id="stop"),
        Binding("e", "extend", "Extend", tooltip="train more epochs, same weights and numbering", id="extend"),
        Binding("r", "restart", "Restart", tooltip="fresh weights, new attempt from epoch 1", id="restart"),
        Binding("b", "restore_best", "Best", tooltip="restore the best epoch's weights", id="restore-best"),
        Binding("w", "save", "Save", tooltip="save model, history JSON and CSV beside the run log", id="save"),
        Binding("l", "toggle_log_scale", "Log", tooltip="log scale on the y axis", id="log-scale"),
        Binding("m", "next_metric", "Metric", tooltip="show the next logged metric", id="next-metric"),
        Binding("f", "toggle_follow", "Follow", tooltip="show only the last 100 epochs", id="follow"),
        Binding("x", "export", "Export", tooltip="save this frame as SVG beside the run log", id="export"),
        Binding("ctrl+c", "interrupt", "Save & quit", show=False, priority=True,
                tooltip="stop after the batch, save a checkpoint beside the run log, exit", id="interrupt"),
    ]

    # ``var``, not ``reactive``: a reactive on the screen repaints the whole screen when set,
    # which at 10 epochs/s rewrote every row of the terminal every epoch.
    state: var[str] = var("starting")
    """The trainer's state as last reported ("starting" until the trainer exists)."""
    attempt: var[int] = var(1)
    """The attempt being shown (a restart adds one)."""
    diagnosis: var[Diagnosis | None] = var(None, always_update=True)
    """The diagnosis carried by the latest epoch (setting it shows it at once)."""

    def __init__(
        self,
        source: TrainingSource | None = None,
        *,
        loader: Callable[[], TrainingSource] | None = None,
        run_name: str | None = None,
        options: TrainingOptions = TrainingOptions(),
    ) -> None:
        super().__init__()
        if source is None and loader is None:
            raise ValueError("MonitorScreen needs a source or a loader")
        self.options = options
        self.source = source
        self._loader = loader
        self.run_name = run_name or (source.name if source else "")
        self.trainer: Trainer | None = None
        self.history = History()
        self.previous_attempts: list[History] = []
        self.run_log_path: Path | None = None
        #: Where ``x`` last saved the screen.
        self.last_export: Path | None = None
        self.error: str | None = None
        self.quit_requested = False
        self._checkpoint_reason: str | None = None
        #: Set when the training thread's work has returned (the pool thread itself lives on).
        self.training_returned = threading.Event()
        self._training_started = False
        self._training_worker: Worker | None = None
        self._segment_kind: str | None = None
        self._durations: deque[float] = deque(maxlen=_DURATION_WINDOW)
        #: Epoch numbers in the order they arrived for each attempt (tests check for gaps).
        self.epochs_seen: dict[int, list[int]] = {}
        #: Engine messages waiting for the UI thread (filled by the training thread).
        self._inbox: deque[Event] = deque()
        self._inbox_lock = threading.Lock()
        self._inbox_posted = False
        #: A diagnosis newer than the panels show, and when the panels last changed.
        self._panels_stale = False
        self._panels_shown_at = -1.0
        self._plot_drawn_at = -1.0

    # -- layout ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield RunHeader(id="header")
        with Horizontal(id="body"):
            yield TrainingCurves(id="curves")
            with Vertical(id="side"):
                yield VerdictPanel(id="verdict")
                yield BiasVarianceGauge(id="gauge")
        yield ErrorPanel(id="error-panel")
        yield EpochProgress(id="progress")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        header = self.query_one(RunHeader)
        header.run_name = self.run_name
        header.run_log = "no run log" if self.options.log_dir is None else "run log: …"
        plan = self.options.resume
        if plan is not None:
            # a resumed run shows its earlier epochs too
            self.history = plan.history.copy()
            self.history.meta = dict(plan.history.meta)
            self.previous_attempts = list(plan.history.previous_attempts)
            self.attempt = int(plan.history.meta.get("attempt") or 1)
            header.attempt = self.attempt
        self.query_one(TrainingCurves).set_history(self.history, self.previous_attempts)
        self.set_interval(1 / _TICKS_PER_SECOND, self._redraw_if_stale)
        self._training_worker = self.train()

    def _redraw_if_stale(self, *, now: bool = False) -> None:
        """Redraw the plot and the panels if they are behind the data, each at its bounded rate."""
        curves = self.query_one(TrainingCurves)
        clock = time.monotonic()
        if curves.stale and (now or clock - self._plot_drawn_at >= 1 / REDRAWS_PER_SECOND):
            self._plot_drawn_at = clock
            curves.refresh_plot()
        self._show_panels_if_due(now=now)

    def _show_panels_if_due(self, *, now: bool = False) -> None:
        """Show the latest diagnosis in the panels, at most ``PANEL_UPDATES_PER_SECOND`` (``now``: at once)."""
        if not self._panels_stale:
            return
        clock = time.monotonic()
        if not now and clock - self._panels_shown_at < 1 / PANEL_UPDATES_PER_SECOND:
            return  # the redraw timer comes back for it
        self._show_diagnosis(self.diagnosis)

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")

    # -- the training thread -----------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="training",
          description="Keras training: Trainer.run() until quit")
    def train(self) -> None:
        """Build the trainer (this imports Keras, so never on the UI thread) and run it."""
        worker = get_current_worker()
        self._training_started = True
        try:
            self._build_and_run(worker)
        finally:
            self.training_returned.set()

    def _build_and_run(self, worker: Worker) -> None:
        try:
            source = self.source if self.source is not None else self._loader()  # type: ignore[misc]
            from epochwatch.engine.trainer import Trainer

            trainer = Trainer(
                source, listener=self._on_engine_event, run_name=None, **self.options.trainer_kwargs(),
            )
        except Exception as error:  # a broken script or data: say so on screen, keep the app alive
            self.post_message(messages.TrainerFailed(_one_line(error)))
            return
        self.trainer = trainer
        self.post_message(messages.TrainerReady(trainer.device, trainer.run_log_path, trainer.target_epochs))
        if self._checkpoint_reason is not None:
            trainer.checkpoint_and_quit(self._checkpoint_reason)
        if worker.is_cancelled or self.quit_requested:
            trainer.quit()
        trainer.run()

    def _on_engine_event(self, event: Event) -> None:
        """The trainer's listener; runs in the training thread, so it only queues.

        Events wait in an inbox and one wake-up message is posted when the inbox was
        empty: a run sending thousands of events a second costs the screen's queue a few
        messages, so it still goes idle, repaints and answers keys at once.
        """
        with self._inbox_lock:
            self._inbox.append(event)
            if self._inbox_posted:
                return
            self._inbox_posted = True
        self.post_message(messages.InboxReady())

    def on_inbox_ready(self, _message: messages.InboxReady) -> None:
        """Handle the queued engine events in order; progress the newer ones replace only updates the history."""
        with self._inbox_lock:
            pending, self._inbox = self._inbox, deque()
            self._inbox_posted = False
        last_epoch_end = last_progress = -1
        for index, event in enumerate(pending):
            if isinstance(event, EpochEnd):
                last_epoch_end = last_progress = index
            elif isinstance(event, (EpochBegin, BatchProgress)):
                last_progress = index
        for index, event in enumerate(pending):
            if isinstance(event, EpochEnd) and index < last_epoch_end:
                self._record_epoch(event)  # the widgets show the newest epoch only
                continue
            if isinstance(event, (EpochBegin, BatchProgress)) and index < last_progress:
                continue
            message = messages.message_for(event)
            handler = self._handlers.get(type(message)) if message is not None else None
            if handler is not None:
                handler(message)

    @property
    def _handlers(self) -> dict:
        return {
            messages.TrainingStarted: self.on_training_started,
            messages.EpochStarted: self.on_epoch_started,
            messages.BatchTick: self.on_batch_tick,
            messages.EpochFinished: self.on_epoch_finished,
            messages.TrainingEnded: self.on_training_ended,
            messages.TrainerStateChanged: self.on_trainer_state_changed,
            messages.TrainerNotice: self.on_trainer_notice,
        }

    @on(Worker.StateChanged)
    def _training_worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "training":
            return
        if event.state == WorkerState.ERROR:
            self.error = _one_line(event.worker.error)
            self.state = "failed"
            self.query_one(ErrorPanel).show(self.error)
            self.notify(f"Training failed: {self.error}", severity="error", timeout=10)

    @property
    def training_worker(self) -> Worker | None:
        return self._training_worker

    @property
    def training_done(self) -> bool:
        """True once the training worker has ended (or never started)."""
        worker = self.training_worker
        returned = not self._training_started or self.training_returned.is_set()
        return (worker is None or worker.is_finished) and returned

    # -- messages from the trainer -----------------------------------------
    def on_trainer_ready(self, message: messages.TrainerReady) -> None:
        header = self.query_one(RunHeader)
        header.device = message.device
        self.run_log_path = message.run_log_path
        if message.run_log_path is not None:
            header.run_log = str(message.run_log_path)
        if self.trainer is not None and not self.run_name:
            self.run_name = header.run_name = self.trainer.source.name
        progress = self.query_one(EpochProgress)
        progress.target = message.target_epochs

    def on_trainer_failed(self, message: messages.TrainerFailed) -> None:
        self.error = message.error
        self.state = "failed"
        self.query_one(ErrorPanel).show(message.error)

    def on_training_started(self, message: messages.TrainingStarted) -> None:
        event = message.event
        if event.attempt != self.attempt or event.kind == "restart":
            self._new_attempt(event.attempt)
        self._segment_kind = event.kind if event.initial_epoch > 0 else None
        progress = self.query_one(EpochProgress)
        progress.target = event.target_epochs
        progress.steps = event.steps_per_epoch

    def _new_attempt(self, attempt: int) -> None:
        if len(self.history):
            self.previous_attempts.append(self.history)
        self.history = History()
        self.history.previous_attempts = list(self.previous_attempts)
        self.attempt = attempt
        self.query_one(RunHeader).attempt = attempt
        self.query_one(TrainingCurves).set_history(self.history, self.previous_attempts)
        self.query_one(BiasVarianceGauge).reset()
        self.diagnosis = None
        self._durations.clear()
        progress = self.query_one(EpochProgress)
        progress.epoch = 0
        progress.step = 0

    def on_epoch_started(self, message: messages.EpochStarted) -> None:
        if message.event.attempt != self.attempt:
            return
        progress = self.query_one(EpochProgress)
        progress.epoch = message.event.epoch
        progress.target = message.event.target_epochs
        progress.step = 0

    def on_batch_tick(self, message: messages.BatchTick) -> None:
        event = message.event
        if event.attempt != self.attempt:
            return
        progress = self.query_one(EpochProgress)
        progress.epoch = event.epoch
        progress.step = event.step
        if event.steps:
            progress.steps = event.steps

    def _record_epoch(self, event) -> None:
        """Keep an epoch (history, order seen, duration) without touching the widgets."""
        if event.attempt != self.attempt:
            self._new_attempt(event.attempt)
        self.history.append(event.logs, kind=self._segment_kind)
        self._segment_kind = None
        self.epochs_seen.setdefault(event.attempt, []).append(event.epoch)
        self._durations.append(event.seconds)

    def on_epoch_finished(self, message: messages.EpochFinished) -> None:
        event = message.event
        self._record_epoch(event)
        progress = self.query_one(EpochProgress)
        progress.epoch = event.epoch
        if progress.steps:
            progress.step = progress.steps
        progress.seconds_per_epoch = sum(self._durations) / len(self._durations)
        self.query_one(TrainingCurves).data_changed()
        if event.diagnosis is not None:
            # kept at once, shown at a bounded rate: a fast run would relayout the panels every epoch
            self.set_reactive(MonitorScreen.diagnosis, event.diagnosis)
            self._panels_stale = True
            self._show_panels_if_due()

    def watch_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        self._show_diagnosis(diagnosis)

    def _show_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        self._panels_stale = False
        self._panels_shown_at = time.monotonic()
        self.query_one(VerdictPanel).diagnosis = diagnosis
        plot = self.query_one(TrainingCurves).plot
        best = (diagnosis.monitor, diagnosis.best_epoch) if diagnosis and diagnosis.best_epoch else None
        if best != plot.diagnosed_best:
            plot.diagnosed_best = best
            plot.data_changed()
        if diagnosis is not None:
            self.query_one(BiasVarianceGauge).show(diagnosis)

    def on_training_ended(self, message: messages.TrainingEnded) -> None:
        event = message.event
        if event.reason == "failed" and event.error:
            self.error = event.error
            self.query_one(ErrorPanel).show(event.error, event.traceback)
        elif event.reason == "diverged":
            self.notify("The loss is no longer finite: training stopped.", severity="warning")

    def on_trainer_state_changed(self, message: messages.TrainerStateChanged) -> None:
        self.state = message.event.state
        if self.state in ("idle", "running"):
            self.query_one(ErrorPanel).hide()  # a retry got going
        if self.trainer is not None and self.trainer.device:
            self.query_one(RunHeader).device = self.trainer.device  # found once Keras is loaded

    def watch_state(self, state: str) -> None:
        if state not in ("running", "stopping"):  # training paused or ended: show the last epoch now
            self._redraw_if_stale(now=True)
        self.query_one(RunHeader).state = state
        self.query_one(EpochProgress).active = state in ("running", "stopping")

    def on_trainer_notice(self, message: messages.TrainerNotice) -> None:
        notice = message.event
        severity = {"info": "information", "warning": "warning", "error": "error"}.get(notice.level, "information")
        self.notify(notice.text, severity=severity, timeout=8)  # type: ignore[arg-type]

    def _ask_trainer_to_quit(self) -> None:
        self.quit_requested = True
        if self.trainer is not None:
            self.trainer.quit()

    def checkpoint_and_quit(self, reason: str = "interrupted") -> None:
        """Stop after the batch, save a checkpoint and the best weights beside the run log, quit the trainer.

        Callable from a signal handler on the main thread: it only sets flags.
        """
        self._checkpoint_reason = reason
        self.quit_requested = True
        trainer = self.trainer
        if trainer is not None:
            trainer.checkpoint_and_quit(reason)

    async def action_interrupt(self) -> None:
        """Ctrl+C: what SIGHUP and SIGTERM do (checkpoint, then leave)."""
        self.checkpoint_and_quit("Ctrl+C")
        await self.app.action_quit()

    def on_unmount(self) -> None:
        """However the app ends, the training thread must return, or the process cannot exit."""
        self._ask_trainer_to_quit()

    # -- keys ----------------------------------------------------------------
    def _trainer_or_say_so(self) -> Trainer | None:
        if self.trainer is None:
            self.notify("The trainer is still starting (loading Keras)…", severity="warning", timeout=3)
        return self.trainer

    def action_stop(self) -> None:
        trainer = self._trainer_or_say_so()
        if trainer is not None:
            trainer.stop()

    def action_extend(self) -> None:
        trainer = self._trainer_or_say_so()
        if trainer is not None:
            target = trainer.extend()
            self.query_one(EpochProgress).target = target
            self.notify(f"Training on to epoch {target}", timeout=3)

    def action_restart(self) -> None:
        trainer = self._trainer_or_say_so()
        if trainer is not None:
            trainer.restart()
            self.notify("Restarting with fresh weights (a new attempt)", timeout=3)

    def action_restore_best(self) -> None:
        trainer = self._trainer_or_say_so()
        if trainer is not None:
            trainer.restore_best()

    def action_save(self) -> None:
        trainer = self._trainer_or_say_so()
        if trainer is not None:
            trainer.save()

    def action_export(self) -> None:
        from ..export import save_frame

        log = self.run_log_path
        base = log.with_suffix("") if log is not None else Path.cwd() / (self.run_name or "epochwatch")
        path = base.with_name(f"{base.name}.epoch-{len(self.history)}.svg")
        if save_frame(self, path):
            self.last_export = path

    def action_toggle_log_scale(self) -> None:
        curves = self.query_one(TrainingCurves)
        curves.log_scale = not curves.log_scale

    def action_next_metric(self) -> None:
        self.query_one(TrainingCurves).next_metric()

    def action_toggle_follow(self) -> None:
        curves = self.query_one(TrainingCurves)
        curves.follow = not curves.follow

    def request_quit(self) -> None:
        """Ask the trainer to finish its batch, write the run log's last line and return."""
        self._ask_trainer_to_quit()
        if self.state not in ("finished", "failed", "stopped"):
            self.state = "stopping"


def _one_line(error: BaseException | str | None) -> str:
    text = str(error) if error is not None else "unknown error"
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if isinstance(error, BaseException) and type(error).__name__ not in first:
        first = f"{type(error).__name__}: {first}"
    return first
