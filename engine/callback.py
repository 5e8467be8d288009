"""The Keras callback that turns ``fit``'s hooks into engine events and run log lines.

Keras 3 only (``keras``, never ``tf.keras``), so it works on every backend. It sets
``async_safe = True``: Keras then keeps dispatching batch-end hooks asynchronously
(on a thread pool), so the per-batch hook must stay cheap and thread-safe: one clock
read and compare, and a float conversion only ~10 times a second.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Mapping

import keras

from .events import BatchProgress, EpochBegin, EpochEnd, Listener, TrainBegin
from .formats.runlog import scalar_logs
from .history import History
from .throttle import PROGRESS_INTERVAL, Throttle

#: Seconds between two BatchProgress events.




class EpochwatchCallback(keras.callbacks.Callback):
    """One ``fit`` call's bridge to the engine: events to ``emit``, epochs to ``history`` and the run log.

    ``after_epoch(epoch, logs)`` (the trainer's hook) runs in the training thread after
    the epoch is recorded and returns the diagnosis the EpochEnd event carries.
    ``between_batches()`` runs before every training step in the training thread: the
    place where the trainer applies commands that other threads queued. ``halt_requested()``
    says the fit should stop after this batch, ``quit_requested()`` that a validation pass
    in progress should be cut short too.
    """

    async_safe = True

    def __init__(
        self,
        emit: Listener,
        *,
        history: History,
        attempt: int,
        initial_epoch: int,
        target_epochs: Callable[[], int],
        kind: str = "initial",
        runlog=None,
        keep_going: bool = False,
        after_epoch: Callable[[int, dict], object] | None = None,
        between_batches: Callable[[], None] | None = None,
        halt_requested: Callable[[], bool] | None = None,
        quit_requested: Callable[[], bool] | None = None,
        progress_interval: float = PROGRESS_INTERVAL,
    ) -> None:
        super().__init__()
        self._emit = emit
        self._history = history
        self._attempt = attempt
        self._initial_epoch = initial_epoch
        self._target_epochs = target_epochs
        self._kind = kind
        self._runlog = runlog
        self._keep_going = keep_going
        self._after_epoch = after_epoch
        self._between_batches = between_batches
        self._halt_requested = halt_requested or (lambda: False)
        self._quit_requested = quit_requested or (lambda: False)
        self._progress = Throttle(progress_interval)
        self._epoch = initial_epoch  # 1-based number of the epoch running (or last run)
        self._epoch_started = 0.0
        self._first_epoch = True
        self.diverged = False  # a non-finite loss stopped training
        self.epochs_done = 0  # epochs this fit call completed

    # -- helpers ---------------------------------------------------------
    def _steps(self) -> int | None:
        steps = (self.params or {}).get("steps")
        return int(steps) if isinstance(steps, int) else None

    def _halt_if_requested(self) -> None:
        if self._halt_requested():
            self.model.stop_training = True

    def _check_finite(self, logs: Mapping[str, float]) -> None:
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss) and not self._keep_going:
            self.diverged = True
            self.model.stop_training = True

    # -- Keras hooks -----------------------------------------------------
    def on_train_begin(self, logs=None) -> None:
        self._halt_if_requested()
        self._emit(TrainBegin(attempt=self._attempt, initial_epoch=self._initial_epoch,
                              target_epochs=self._target_epochs(), steps_per_epoch=self._steps(),
                              kind=self._kind))

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._epoch = int(epoch) + 1
        self._epoch_started = time.monotonic()
        self._progress.restart()
        self._emit(EpochBegin(attempt=self._attempt, epoch=self._epoch, target_epochs=self._target_epochs()))

    def on_train_batch_begin(self, batch, logs=None) -> None:
        if self._between_batches is not None:
            self._between_batches()
        self._halt_if_requested()

    def on_test_batch_begin(self, batch, logs=None) -> None:
        if self._quit_requested():
            # quitting: do not wait for a whole validation pass
            self.model.stop_evaluating = True

    def on_train_batch_end(self, batch, logs=None) -> None:
        if not self._progress.due():
            return
        values = scalar_logs(logs)
        step, steps = int(batch) + 1, self._steps()
        if not self._keep_going:
            self._check_finite(values)
        self._emit(BatchProgress(attempt=self._attempt, epoch=self._epoch, step=step, steps=steps,
                                 logs=values))
        if self._runlog is not None:
            self._runlog.batch(self._epoch, step, steps, values, attempt=self._attempt)

    def on_epoch_end(self, epoch, logs=None) -> None:
        values = scalar_logs(logs)
        number = int(epoch) + 1
        wall_time = time.time()
        seconds = time.monotonic() - self._epoch_started
        kind = self._kind if self._first_epoch and self._kind != "initial" else None
        self._first_epoch = False
        self._history.append(values, kind=kind)
        self.epochs_done += 1
        if self._runlog is not None:
            self._runlog.epoch(number, values, attempt=self._attempt, wall_time=wall_time, seconds=seconds)
        self._check_finite(values)
        diagnosis = self._after_epoch(number, values) if self._after_epoch is not None else None
        self._emit(EpochEnd(attempt=self._attempt, epoch=number, logs=values, wall_time=wall_time,
                            seconds=seconds, diagnosis=diagnosis))
        self._halt_if_requested()
