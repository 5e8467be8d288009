"""Training without a screen: one plain line per epoch, for ``nohup``, batch jobs and pipes.

No Textual or Rich here and no escape codes in the output. The Trainer runs in a
thread; the main thread waits for it in short steps, so the signal handlers installed
here (SIGHUP, SIGTERM, SIGINT) run promptly and ask the trainer to save a checkpoint and
quit. A second signal leaves at once (the run log is fsynced per epoch).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TextIO

from epochwatch.engine.events import EpochEnd, Event, Notice, StateChanged, TrainEnd

if TYPE_CHECKING:
    from epochwatch.engine.scripts import TrainingSource
    from epochwatch.engine.trainer import Resume, Trainer

#: Signals that mean "the user or the machine wants us gone": checkpoint, then exit.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM", "SIGINT") if hasattr(signal, name))
_POLL = 0.1


def format_value(value: float) -> str:
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-4):
        return f"{value:.4e}"
    return f"{value:.4f}"


def epoch_line(event: EpochEnd, target: int) -> str:
    """``epoch 3/20  loss 0.1234  val_loss 0.2345  1.2s  verdict: overfitting (best epoch 2)``"""
    width = len(str(max(target, event.epoch)))
    parts = [f"epoch {event.epoch:>{width}}/{target}"]
    parts += [f"{name} {format_value(value)}" for name, value in event.logs.items()]
    parts.append(f"{event.seconds:.1f}s")
    diagnosis = event.diagnosis
    if diagnosis is not None:
        verdict = f"verdict: {diagnosis.word}"
        if diagnosis.best_epoch:
            verdict += f" (best epoch {diagnosis.best_epoch})"
        parts.append(verdict)
    return "  ".join(parts)


class PlainRun:
    """One training printed as lines; ``run()`` returns the exit status."""

    def __init__(self, trainer_factory: Callable[[Callable[[Event], None]], "Trainer"], *,
                 out: TextIO | None = None, err: TextIO | None = None, prog: str = "epochwatch") -> None:
        self._factory = trainer_factory
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.prog = prog
        self.trainer: Trainer | None = None
        self._ended = threading.Event()  # the training reached an end state: quit the trainer
        self._end_reason: str | None = None
        self._error: str | None = None
        self.signal_received: int | None = None

    # -- the trainer's listener (training thread) -----------------------------
    def _say(self, text: str, stream: TextIO | None = None) -> None:
        stream = stream or self.out
        try:
            stream.write(text + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass  # the terminal went away (SIGHUP): the run log still has everything

    def listen(self, event: Event) -> None:
        trainer = self.trainer
        if isinstance(event, EpochEnd):
            target = trainer.target_epochs if trainer is not None else event.epoch
            self._say(epoch_line(event, target))
        elif isinstance(event, TrainEnd):
            if event.reason == "failed":
                self._error = event.error or "training failed"
                self._say(f"{self.prog}: {self._error}", self.err)
            elif event.reason == "diverged":
                self._say(f"The loss is no longer finite at epoch {event.epoch}: training stopped "
                          "(--keep-going trains on)")
            self._end_reason = event.reason
        elif isinstance(event, Notice):
            if event.level != "info" or self.signal_received is None:
                self._say(f"{event.level}: {event.text}" if event.level != "info" else event.text,
                          self.err if event.level == "error" else self.out)
        elif isinstance(event, StateChanged) and event.state in ("finished", "stopped", "failed"):
            self._ended.set()

    # -- signals (main thread) ---------------------------------------------------
    def _on_signal(self, signum: int, frame) -> None:
        if self.signal_received is not None:
            # asked twice: leave now; every finished epoch is already on disk
            os._exit(128 + signum)
        self.signal_received = signum
        name = signal.Signals(signum).name
        self._say(f"{name}: stopping after this batch, saving a checkpoint…", self.err)
        if self.trainer is not None:
            self.trainer.checkpoint_and_quit(name)
        self._ended.set()

    def run(self) -> int:
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                try:
                    previous[signum] = signal.signal(signum, self._on_signal)
                except (ValueError, OSError):
                    pass
        try:
            return self._run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _run(self) -> int:
        self.trainer = trainer = self._factory(self.listen)
        if self.signal_received is not None:
            trainer.checkpoint_and_quit(signal.Signals(self.signal_received).name)
        thread = threading.Thread(target=trainer.run, name="epochwatch-training", daemon=True)
        thread.start()
        while not self._ended.wait(_POLL):
            if not thread.is_alive():
                break
        trainer.quit()
        while thread.is_alive():
            thread.join(_POLL)  # short waits: a signal handler runs between them
        if self.signal_received is not None:
            where = trainer.run_log_path
            if where is not None:
                self._say(f"Saved; carry on with: epochwatch resume {where}", self.err)
            return 128 + self.signal_received
        if self._error is not None:
            return 2
        if trainer.run_log_path is not None:
            self._say(f"run log: {trainer.run_log_path}")
        return 0


def run_plain(
    source: "TrainingSource | Callable[[], TrainingSource]",
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    log_dir: str | Path | None = "epochwatch-runs",
    keep_going: bool = False,
    resume: "Resume | None" = None,
    strategy: str | None = None,
    prog: str = "epochwatch",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Train ``source`` printing one line per epoch; 0 when done, 2 when training failed, 128+N on signal N."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ chatter is not for batch logs

    def factory(listener):
        from epochwatch.engine.trainer import Trainer

        loaded = source() if callable(source) and not hasattr(source, "build_model") else source
        return Trainer(loaded, epochs=epochs, listener=listener, batch_size=batch_size, log_dir=log_dir,
                       keep_going=keep_going, resume=resume, strategy=strategy)

    return PlainRun(factory, out=out, err=err, prog=prog).run()
