"""``RunLogger``: a Keras callback for your own training scripts that writes epochwatch's run log.

``model.fit(..., callbacks=[RunLogger("run.jsonl")])`` lets ``epochwatch watch run.jsonl``
follow the run from another terminal and ``epochwatch replay run.jsonl`` play it later.
It has to cost the training almost nothing: ``async_safe = True`` keeps Keras' batch
hooks asynchronous, batch progress is written at most every ``progress_interval``
seconds into a buffered file, and each epoch costs one line and one fsync.
"""

from __future__ import annotations

import os
import time

import keras

from .formats.runlog import RunLogWriter, scalar_logs
from .throttle import PROGRESS_INTERVAL, Throttle

#: Seconds between two batch-progress lines.


class RunLogger(keras.callbacks.Callback):
    """Writes the run log: a header, one durable line per epoch, throttled batch progress, markers.

    One logger may serve several ``fit`` calls: a call that goes on from the last epoch
    is marked ``extend``, one that starts again at epoch 1 is a new attempt (``restart``),
    anything else ``resume``. Call ``close()`` (or use it as a context manager) when done;
    the file is consistent after every epoch even if you never do.
    """

    async_safe = True

    def __init__(self, path: str | os.PathLike[str], *, run: str | None = None,
                 progress_interval: float = PROGRESS_INTERVAL, meta: dict | None = None,
                 append: bool = False) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self.run_name = run or os.path.splitext(os.path.basename(self.path))[0]
        self._progress = Throttle(progress_interval)
        self._meta = dict(meta or {})
        self._append = append
        self._writer: RunLogWriter | None = None
        self._epoch = 0  # 1-based epoch running
        self._last_logged = 0  # last epoch written
        self._attempt = 1
        self._fit_first_epoch = True
        self._epoch_started = 0.0

    def _open(self) -> RunLogWriter:
        if self._writer is None:
            self._writer = RunLogWriter(self.path, run=self.run_name, keras_version=keras.__version__,
                                        meta=self._meta, append=self._append)
        return self._writer

    def on_train_begin(self, logs=None) -> None:
        writer = self._open()
        self._fit_first_epoch = True
        if not self._last_logged:
            writer.marker("start", 0, attempt=self._attempt, epochs=(self.params or {}).get("epochs"))

    def on_epoch_begin(self, epoch, logs=None) -> None:
        number = int(epoch) + 1
        if self._fit_first_epoch and self._last_logged:
            if number == 1:
                self._attempt += 1
                self._writer.marker("restart", 0, attempt=self._attempt)
            elif number == self._last_logged + 1:
                self._writer.marker("extend", self._last_logged, attempt=self._attempt)
            else:
                self._writer.marker("resume", number - 1, attempt=self._attempt)
        self._fit_first_epoch = False
        self._epoch = number
        self._epoch_started = time.monotonic()
        self._progress.restart()

    def on_train_batch_end(self, batch, logs=None) -> None:
        if not self._progress.due():
            return
        steps = (self.params or {}).get("steps")
        self._writer.batch(self._epoch, int(batch) + 1, steps if isinstance(steps, int) else None,
                           scalar_logs(logs), attempt=self._attempt)

    def on_epoch_end(self, epoch, logs=None) -> None:
        number = int(epoch) + 1
        self._writer.epoch(number, logs or {}, attempt=self._attempt,
                           seconds=time.monotonic() - self._epoch_started)
        self._last_logged = number

    def on_train_end(self, logs=None) -> None:
        if self._writer is not None:
            self._writer.marker("finish", self._last_logged, attempt=self._attempt)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
