"""The Trainer: owns one run's model and drives ``fit`` in a training thread.

Other threads (the UI) only call the non-blocking commands ``stop``, ``extend``,
``restart``, ``restore_best``, ``save``, ``quit`` and ``checkpoint_and_quit``: they set flags or queue work under a
lock, and the training thread carries it out, between batches or between fits. The one
thing set directly from another thread is ``model.stop_training``, which Keras checks
after every step. Keras is imported only when ``run()`` starts.
"""

from __future__ import annotations

import collections
import math
import os
import re
import threading
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .diagnosis import Diagnoser, Diagnosis
from .events import Event, Listener, Notice, StateChanged, TrainEnd
from .history import History
from .scripts import ScriptError, TrainingSource, describe_exception

STATES = ("idle", "running", "stopping", "stopped", "finished", "failed")

# -- the chance-level baseline ------------------------------------------------

_LOSS_KINDS = {
    "mse": "mse", "meansquarederror": "mse",
    "mae": "mae", "meanabsoluteerror": "mae",
    "sparsecategoricalcrossentropy": "sparse_ce",
    "categoricalcrossentropy": "ce",
    "binarycrossentropy": "binary_ce",
}


def _loss_kind(loss: object) -> str | None:
    if loss is None or isinstance(loss, (dict, list, tuple)):
        return None
    name = loss if isinstance(loss, str) else (
        getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__)
    return _LOSS_KINDS.get(re.sub(r"[^a-z]", "", str(name).lower()))


def chance_baseline(loss: object, y: object) -> tuple[float | None, str]:
    """The loss of the best constant prediction: what a model that learned nothing scores.

    Returns ``(value, how it was found)``, or ``(None, why not)`` when the loss or the
    targets are not ones it knows.
    """
    kind = _loss_kind(loss)
    if kind is None:
        return None, "unknown for this loss"
    if y is None or hasattr(y, "element_spec") or isinstance(y, dict):
        return None, "unknown: the training targets are not an array"
    try:
        targets = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return None, "unknown: the training targets are not an array"
    if targets.size == 0 or not np.isfinite(targets).all():
        return None, "unknown: the training targets are empty or not finite"
    columns = targets.reshape(len(targets), -1) if targets.ndim else targets.reshape(1, 1)
    if kind == "mse":
        return float(np.mean(np.var(columns, axis=0))), "Var(y) of the training targets"
    if kind == "mae":
        spread = np.abs(columns - np.median(columns, axis=0))
        return float(np.mean(spread)), "mean |y - median(y)| of the training targets"
    if kind == "sparse_ce":
        labels = targets.ravel()
        if (labels < 0).any() or (labels != np.round(labels)).any():
            return None, "unknown: the labels are not class numbers"
        p = np.bincount(labels.astype(np.int64)) / labels.size
        p = p[p > 0]
        return float(-(p * np.log(p)).sum()), "entropy of the training label frequencies"
    if kind == "ce":
        p = columns.mean(axis=0)
        p = p[p > 0]
        return float(-(p * np.log(p)).sum()), "entropy of the mean one-hot training target"
    p = np.clip(columns.mean(axis=0), 1e-7, 1 - 1e-7)
    entropy = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    return float(entropy.mean()), "binary entropy of mean(y) of the training targets"


def _is_array_input(x: object) -> bool:
    """True for arrays (and lists/dicts of them) that model.fit batches itself."""
    if isinstance(x, (list, tuple)):
        return all(_is_array_input(v) for v in x)
    if isinstance(x, dict):
        return all(_is_array_input(v) for v in x.values())
    return hasattr(x, "shape") and not hasattr(x, "element_spec")


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"


# -- the trainer --------------------------------------------------------------

class Trainer:
    """Trains one source in the thread that calls ``run()``; commands may come from any thread."""

    def __init__(
        self,
        source: TrainingSource,
        *,
        epochs: int | None = None,
        listener: Listener,
        batch_size: int | None = None,
        log_dir: str | Path | None = "epochwatch-runs",
        run_name: str | None = None,
        monitor: str = "val_loss",
        keep_going: bool = False,
        resume: "Resume | None" = None,
        strategy: str | None = None,
    ) -> None:
        self.source = source
        self.batch_size = batch_size
        self.monitor = monitor
        self._diagnoser = Diagnoser(monitor=monitor)  # within a time budget on long, fast runs
        self.keep_going = keep_going
        self.run_name = run_name or source.name
        self._listener = listener
        self._initial_target = max(1, int(epochs or source.epochs))
        self.target_epochs = self._initial_target
        self.attempt = 1
        self.attempts: list[History] = []
        self.history = History(meta=self._history_meta())
        self._resume = resume
        if strategy not in (None, "mirrored"):
            raise ValueError(f"unknown strategy {strategy!r} (known: mirrored)")
        self.strategy = strategy
        self.replicas = 1
        self._distribution: Any = None
        if resume is not None:
            # carry on in the same history: its attempt, its earlier attempts, its epochs
            self.attempt = int(resume.history.meta.get("attempt") or 1)
            self.attempts = list(resume.history.previous_attempts)
            self.history = resume.history
            self.history.meta.update(self._history_meta())
        self.state = "idle"
        self.device = ""  # known once run() has imported Keras (before the first "running" state)
        self.model: Any = None
        self.listener_errors = 0
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self._stem_name = f"{stamp}-{_safe_name(self.run_name)}"
        self.run_log_path: Path | None = None
        if log_dir is not None:
            path = Path(log_dir) / f"{self._stem_name}.jsonl"
            counter = 2
            while path.exists():
                path = Path(log_dir) / f"{self._stem_name}-{counter}.jsonl"
                counter += 1
            self.run_log_path = path
        if resume is not None:
            self.run_log_path = Path(resume.run_log)

        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._run_guard = threading.Lock()
        self._commands: collections.deque[str] = collections.deque()
        self._pending = False  # anything for the training thread to look at between batches
        self._halt = False  # stop the current fit at the end of the batch
        self._paused = False  # start no further fit until extend() or restart()
        self._quit = False
        self._restart = False
        self._state_lock = threading.RLock()  # held while a state is set and announced
        self._fit_running = False
        self._fits_in_attempt = 0
        self._done = 0  # epochs recorded in the current attempt
        self._data: dict | None = None
        self._runlog = None
        self._runlog_failed = False
        self._keras_version: str | None = None
        self._last_diagnosis: Diagnosis | None = None
        self._snapshots: dict[int, list] = {}  # epoch -> model weights
        self._raw_best: tuple[int, float] | None = None
        self._checkpoint_reason: str | None = None  # set: save a checkpoint before quitting
        if resume is not None:
            self._done = len(resume.history)
            self._raw_best = self._best_measured()

    # -- helpers for every thread ----------------------------------------------
    def _history_meta(self) -> dict:
        return {"run": self.run_name, "attempt": getattr(self, "attempt", 1), "origin": dict(self.source.origin)}

    def _emit(self, event: Event) -> None:
        try:
            self._listener(event)
        except Exception:
            self.listener_errors += 1

    def _set_state(self, state: str) -> None:
        with self._state_lock:
            with self._lock:
                self.state = state
            self._emit(StateChanged(state))

    def _request_halt(self) -> None:
        """Called with the lock held: stop the running fit at the end of the batch."""
        if self._fit_running and not self._halt:
            self._halt = True
            self._pending = True
            model = self.model
            if model is not None:
                model.stop_training = True

    @property
    def last_diagnosis(self) -> Diagnosis | None:
        """The diagnosis sent with the latest EpochEnd."""
        return self._last_diagnosis

    # -- commands (any thread, never blocking) ---------------------------------
    def stop(self) -> None:
        """Stop at the end of the current batch; nothing trains again until extend() or restart()."""
        with self._lock:
            self._paused = True
            announce = self._fit_running and not self._halt
            self._request_halt()
            self._wake.notify_all()
        if announce:
            # said from this thread at once (a batch may take long); the state lock keeps it
            # ordered before the training thread's "stopped"
            with self._state_lock:
                with self._lock:
                    announce = self._fit_running and self.state == "running"
                    if announce:
                        self.state = "stopping"
                if announce:
                    self._emit(StateChanged("stopping"))

    def extend(self, epochs: int | None = None) -> int:
        """Train ``epochs`` more (default: the diagnosis' suggestion, else a quarter, at least 10).

        While running this raises the target; after a stop or the end it continues from the
        last epoch with the same weights, optimizer state and numbering. Returns the new target.
        """
        with self._lock:
            done = self._done
            if epochs is None:
                diagnosis = self._last_diagnosis
                suggested = 0
                if diagnosis is not None and diagnosis.suggested_total_epochs:
                    suggested = int(diagnosis.suggested_total_epochs) - done
                epochs = suggested if suggested > 0 else max(10, done // 4)
            epochs = max(1, int(epochs))
            if self._fit_running and not self._halt:
                self.target_epochs += epochs
            else:
                self.target_epochs = done + epochs
            self._paused = False
            self._wake.notify_all()
            return self.target_epochs

    def restart(self) -> None:
        """Stop, re-read the source, rebuild the model and start a new attempt at epoch 1."""
        with self._lock:
            self._restart = True
            self._paused = False
            self._request_halt()
            self._wake.notify_all()

    def restore_best(self) -> int | None:
        """Ask for the best epoch's weights to be put back; returns the epoch expected (None: none kept).

        The training thread does it (between batches while training) and says so in a Notice.
        """
        with self._lock:
            expected = self._closest_snapshot(self._best_epoch())
            self._commands.append("restore")
            self._pending = True
            self._wake.notify_all()
        return expected

    def save(self) -> None:
        """Ask for the model (.keras), the history (Keras JSON) and a CSVLogger CSV beside the run log."""
        with self._lock:
            self._commands.append("save")
            self._pending = True
            self._wake.notify_all()

    def quit(self) -> None:
        """Stop at the end of the batch (skipping the rest of a validation pass) and make run() return."""
        with self._lock:
            self._quit = True
            self._request_halt()
            self._wake.notify_all()

    def checkpoint_and_quit(self, reason: str = "interrupted") -> None:
        """quit(), but first save a checkpoint and the best weights beside the run log (for ``resume``).

        Safe from any thread and from a signal handler: it only sets flags under a lock that
        no code holds while waiting. ``reason`` (e.g. "SIGHUP") goes into the run log.
        """
        with self._lock:
            if self._checkpoint_reason is None:
                self._checkpoint_reason = reason
        self.quit()

    # -- the training thread -----------------------------------------------------
    def run(self) -> None:
        """Train to the target, then serve commands until quit(). Blocking; never raises."""
        if not self._run_guard.acquire(blocking=False):
            self._emit(Notice("This run is already training", level="error"))
            return
        try:
            self._serve()
        except BaseException as exc:  # the last line of defence: never let the thread die loudly
            try:
                self._fail(exc)
            except BaseException:
                pass
        finally:
            if self._runlog is not None:
                try:
                    self._runlog.close()
                except Exception:
                    pass
            self._run_guard.release()

    def _serve(self) -> None:
        try:
            import keras

            self._keras_version = keras.__version__
            from .device import describe_device

            self.device = describe_device()
        except Exception as exc:
            self._fail(exc)
        else:
            self._prepare(reload=False)
        while True:
            with self._lock:
                while True:
                    if self._quit:
                        action = "quit"
                    elif self._restart:
                        self._restart = False
                        action = "restart"
                    elif self._commands:
                        action = "commands"
                    elif (self.state != "failed" and self.model is not None and not self._paused
                          and self._done < self.target_epochs):
                        self._fit_running = True
                        self._halt = False
                        self._pending = bool(self._commands)
                        action = "fit"
                    else:
                        self._wake.wait()
                        continue
                    break
            if action == "quit":
                info = self._write_checkpoint() if self._checkpoint_reason is not None else {}
                self._marker("quit", self._done, **info)
                return
            try:
                if action == "restart":
                    self._do_restart()
                elif action == "commands":
                    self._service_commands()
                else:
                    self._fit()
            except Exception as exc:
                with self._lock:
                    self._fit_running = False
                self._fail(exc)

    def _marker(self, event: str, epoch: int, **info: object) -> None:
        if self._runlog is None:
            return
        try:
            self._runlog.marker(event, epoch, attempt=self.attempt, **info)
        except Exception as exc:
            self._emit(Notice(f"Run log: {exc}", level="warning"))

    def _where(self) -> str:
        return self.source.origin.get("script") or self.source.name

    def _fit_kwargs(self, data: Mapping[str, Any]) -> dict:
        """load_data()'s dict checked against model.fit's parameters; what the trainer controls removed."""
        import inspect

        import keras

        if not isinstance(data, Mapping):
            raise ScriptError(f"{self._where()}: load_data() must return a dict of model.fit keyword arguments, "
                              f"not {type(data).__name__}")
        accepted = set(inspect.signature(keras.Model.fit).parameters) - {"self"}
        unknown = sorted(k for k in data if k not in accepted)
        if unknown:
            raise ScriptError(f"{self._where()}: load_data() returned {', '.join(map(repr, unknown))}, "
                              "which model.fit does not take")
        if "x" not in data:
            raise ScriptError(f"{self._where()}: load_data() returned no 'x' (the training inputs)")
        kwargs = {k: v for k, v in data.items() if k not in ("epochs", "initial_epoch", "verbose")}
        if self.batch_size:
            if _is_array_input(kwargs["x"]):
                kwargs["batch_size"] = int(self.batch_size)
            else:
                self._emit(Notice("The batch size given is ignored: the data is a dataset that batches itself",
                                  level="warning"))
        return kwargs

    def _prepare(self, *, reload: bool) -> bool:
        """Load the data and build the model (after re-reading the source if ``reload``)."""
        try:
            if reload:
                self.source = self.source.reload()
            data = self._fit_kwargs(self.source.load_data())
            model = self._build_model()
            if not hasattr(model, "fit") or not hasattr(model, "get_weights"):
                raise ScriptError(f"{self._where()}: build_model() returned {type(model).__name__}, "
                                  "not a Keras model")
            if getattr(model, "compiled", True) is False:
                raise ScriptError(f"{self._where()}: build_model() must compile the model "
                                  "(model.compile(optimizer=..., loss=...))")
            if self._resume is not None and not reload:
                self._load_resume_state(model)
        except Exception as exc:
            self._fail(exc)
            return False
        self._data = data
        self.model = model
        baseline, baseline_source = chance_baseline(getattr(model, "loss", None), data.get("y"))
        self.history.meta["baseline"] = baseline
        self.history.meta["baseline_source"] = baseline_source
        self._open_runlog()
        if self.state != "idle":
            self._set_state("idle")
        return True

    def _open_runlog(self) -> None:
        if self._runlog is not None or self._runlog_failed or self.run_log_path is None:
            return
        from .formats import RunLogWriter

        meta = {
            "origin": dict(self.source.origin),
            **dict(self.source.origin),
            "description": self.source.description,
            "monitor": self.monitor,
            "target_epochs": self.target_epochs,
            "batch_size": self.batch_size,
            "keep_going": self.keep_going,
            "strategy": self.strategy,
            "replicas": self.replicas,
            "baseline": self.history.meta.get("baseline"),
            "baseline_source": self.history.meta.get("baseline_source"),
        }
        try:
            self._runlog = RunLogWriter(self.run_log_path, run=self.run_name, keras_version=self._keras_version,
                                        device=self.device or None, meta=meta,
                                        append=self._resume is not None)
        except Exception as exc:
            self._runlog_failed = True
            self._emit(Notice(f"Not writing a run log: {exc}", level="warning"))

    def _fail(self, exc: BaseException) -> None:
        error = describe_exception(exc, self.source.origin.get("script"))
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._open_runlog()
        self._marker("fail", self._done, error=error, traceback=trace)
        self._emit(TrainEnd(attempt=self.attempt, epoch=self._done, reason="failed", error=error, traceback=trace))
        self._set_state("failed")

    def _fit(self) -> None:
        from .callback import EpochwatchCallback

        if self._fits_in_attempt:
            kind = "extend"
        elif self._resume is not None and self._done > 0:
            kind = "resume"
        else:
            kind = "restart" if self.attempt > 1 else "initial"
        self._fits_in_attempt += 1
        initial = self._done
        with self._lock:
            target = self.target_epochs
        self._marker({"initial": "start", "restart": "start", "extend": "extend", "resume": "resume"}[kind], initial,
                     target_epochs=target)
        callback = EpochwatchCallback(
            self._emit,
            history=self.history,
            attempt=self.attempt,
            initial_epoch=initial,
            target_epochs=lambda: self.target_epochs,
            kind=kind,
            runlog=self._runlog,
            keep_going=self.keep_going,
            after_epoch=self._after_epoch,
            between_batches=self._between_batches,
            halt_requested=lambda: self._halt,
            quit_requested=lambda: self._quit,
        )
        kwargs = dict(self._data or {})
        kwargs["callbacks"] = [*list(kwargs.get("callbacks") or []), callback]
        self._set_state("running")
        error: BaseException | None = None
        try:
            self.model.fit(epochs=target, initial_epoch=initial, verbose=0, **kwargs)
        except Exception as exc:
            error = exc
        with self._lock:
            self._fit_running = False
            halted, self._halt = self._halt, False
            restarting = self._restart
        if error is not None:
            self._fail(error)
            return
        done = self._done
        if callback.diverged:
            reason = "diverged"
        elif halted or done < target:  # our stop, or the user's own callback (EarlyStopping)
            reason = "stopped"
        else:
            reason = "finished"
        with self._lock:
            if reason != "finished":
                self._paused = True
            more_to_do = reason == "finished" and self._done < self.target_epochs
        verdict = self._last_diagnosis.verdict if self._last_diagnosis is not None else None
        self._marker("finish" if reason == "finished" else "stop", done, reason=reason, verdict=verdict)
        self._emit(TrainEnd(attempt=self.attempt, epoch=done, reason=reason))
        if more_to_do or restarting:
            return  # an extension or a restart follows at once
        self._set_state("finished" if reason == "finished" else "stopped")

    def _after_epoch(self, epoch: int, logs: dict) -> Diagnosis | None:
        """Runs in the training thread after each epoch is recorded: diagnose, keep best weights."""
        with self._lock:
            self._done = epoch
        try:
            last_of_fit = epoch >= self.target_epochs or self._halt or self._quit
            diagnosis = self._diagnoser(self.history, force=last_of_fit)
        except Exception as exc:
            diagnosis = None
            self._emit(Notice(f"The diagnosis failed: {describe_exception(exc)}", level="error"))
        self._last_diagnosis = diagnosis
        try:
            self._keep_best_weights(epoch, diagnosis)
        except Exception as exc:
            self._emit(Notice(f"Could not keep the best weights: {describe_exception(exc)}", level="warning"))
        return diagnosis

    def _monitored(self, diagnosis: Diagnosis | None) -> np.ndarray | None:
        for name in ((diagnosis.monitor,) if diagnosis else ()) + (self.monitor, "loss"):
            if self.history.has_values(name):
                return self.history[name]
        return None

    def _best_epoch(self) -> int | None:
        diagnosis = self._last_diagnosis
        if diagnosis is not None and diagnosis.best_epoch:
            return int(diagnosis.best_epoch)
        return self._raw_best[0] if self._raw_best else None

    def _closest_snapshot(self, epoch: int | None) -> int | None:
        """The kept snapshot nearest ``epoch`` (the earlier one on a tie); call with the lock held."""
        if not self._snapshots:
            return None
        if epoch is None:
            return max(self._snapshots)
        return min(self._snapshots, key=lambda e: (abs(e - epoch), e))

    def _keep_best_weights(self, epoch: int, diagnosis: Diagnosis | None) -> None:
        """Copy the weights when this epoch is the diagnosis' best or a raw minimum; drop stale copies."""
        series = self._monitored(diagnosis)
        take = False
        if series is not None and len(series) >= epoch:
            value = float(series[epoch - 1])
            if math.isfinite(value) and (self._raw_best is None or value < self._raw_best[1]):
                self._raw_best = (epoch, value)
                take = True
        best = diagnosis.best_epoch if diagnosis is not None else None
        if best == epoch:
            take = True
        weights = self.model.get_weights() if take else None
        with self._lock:
            if weights is not None:
                self._snapshots[epoch] = weights
            needed = set()
            if self._raw_best is not None:
                needed.add(self._raw_best[0])
            closest = self._closest_snapshot(best) if best else None
            if closest is not None:
                needed.add(closest)
            for kept in list(self._snapshots):
                if kept not in needed:
                    del self._snapshots[kept]

    def _between_batches(self) -> None:
        """Before every training step: cheap unless another thread asked for something."""
        if not self._pending:
            return
        self._pending = False
        if self._commands:
            self._service_commands()

    def _service_commands(self) -> None:
        sync = getattr(self.model, "jax_state_sync", None)
        if self._fit_running and callable(sync):
            sync()  # JAX keeps the weights outside the model during an epoch; put them back first
        while True:
            with self._lock:
                if not self._commands:
                    return
                command = self._commands.popleft()
            try:
                if command == "restore":
                    self._restore()
                elif command == "save":
                    self._save()
            except Exception as exc:
                self._emit(Notice(f"Could not {command}: {describe_exception(exc)}", level="error"))

    def _restore(self) -> None:
        if self.model is None:
            self._emit(Notice("There is no model to restore weights into", level="warning"))
            return
        best = self._best_epoch()
        with self._lock:
            epoch = self._closest_snapshot(best)
            weights = self._snapshots.get(epoch) if epoch is not None else None
        if weights is None:
            self._emit(Notice("No best-epoch weights are kept yet", level="warning"))
            return
        self.model.set_weights(weights)
        self._marker("restore", self._done, restored_epoch=epoch, best_epoch=best)
        if best is None or epoch == best:
            text = f"Restored the weights of epoch {epoch}, the best epoch"
        else:
            text = f"Restored the weights of epoch {epoch}, the kept copy closest to the best epoch ({best})"
        self._emit(Notice(text))

    def files_stem(self) -> Path:
        """Where saved files go: the run log's path without ``.jsonl`` (or the current folder)."""
        if self.run_log_path is not None:
            return self.run_log_path.with_suffix("")
        return Path.cwd() / self._stem_name

    def _save(self) -> None:
        from .formats import write_csvlogger, write_keras_json

        if self.model is None:
            self._emit(Notice("There is no model to save", level="warning"))
            return
        stem = self.files_stem()
        stem.parent.mkdir(parents=True, exist_ok=True)
        model_path = Path(f"{stem}.keras")
        partial = Path(f"{stem}.partial.keras")
        try:
            self.model.save(partial)
            os.replace(partial, model_path)
        finally:
            if partial.exists():
                partial.unlink()
        json_path = write_keras_json(self.history, f"{stem}.history.json")
        csv_path = write_csvlogger(self.history, f"{stem}.csv")
        paths = [str(model_path), str(json_path), str(csv_path)]
        self._marker("save", self._done, paths=paths)
        self._emit(Notice(f"Saved {model_path.name}, {Path(json_path).name} and {Path(csv_path).name} "
                          f"in {stem.parent}"))

    def _do_restart(self) -> None:
        self._resume = None  # a new attempt starts from fresh weights, not the checkpoint
        if len(self.history):
            self.attempts.append(self.history)
            self.attempt += 1
        self.history = History(meta=self._history_meta())
        self.history.previous_attempts = list(self.attempts)
        self._snapshots = {}
        self._raw_best = None
        self._last_diagnosis = None
        self._fits_in_attempt = 0
        with self._lock:
            self._done = 0
            self.target_epochs = self._initial_target
            self._paused = False
        self.model = None
        self._data = None
        try:
            import keras

            keras.backend.clear_session()
        except Exception:
            pass
        self._marker("restart", 0)
        if self.state != "failed":
            self._set_state("idle")
        self._prepare(reload=True)

    def _build_model(self) -> Any:
        """build_model(), under tf.distribute.MirroredStrategy (all local GPUs) when asked."""
        if self.strategy != "mirrored":
            return self.source.build_model()
        import keras

        if keras.backend.backend() != "tensorflow":
            raise ScriptError(f"--strategy mirrored needs the TensorFlow backend, not {keras.backend.backend()}")
        import tensorflow as tf

        if self._distribution is None:
            self._distribution = tf.distribute.MirroredStrategy()
            self.replicas = int(self._distribution.num_replicas_in_sync)
        with self._distribution.scope():
            return self.source.build_model()

    # -- checkpoints and resuming ------------------------------------------------
    def _best_measured(self) -> tuple[int, float] | None:
        """The lowest finite value of the monitored series so far: (epoch, value)."""
        series = self._monitored(None)
        if series is None or not np.isfinite(series).any():
            return None
        index = int(np.nanargmin(np.where(np.isfinite(series), series, np.nan)))
        return index + 1, float(series[index])

    def _load_resume_state(self, model: Any) -> None:
        """Put the best weights (if saved) among the kept copies, then the checkpoint into the model."""
        from .checkpoint import build_optimizer, load_checkpoint_into

        resume = self._resume
        assert resume is not None
        build_optimizer(model)
        if resume.best_weights is not None and resume.best_epoch and Path(resume.best_weights).is_file():
            try:
                model.load_weights(str(resume.best_weights))
                self._snapshots[int(resume.best_epoch)] = model.get_weights()
                self._raw_best = self._best_measured()
            except Exception as exc:
                self._emit(Notice(f"Could not read the best weights {resume.best_weights}: "
                                  f"{describe_exception(exc)}", level="warning"))
        try:
            load_checkpoint_into(model, resume.checkpoint)
        except Exception as exc:
            raise ScriptError(f"{resume.checkpoint}: cannot load the checkpoint into the rebuilt model: "
                              f"{describe_exception(exc)}") from exc

    def _write_checkpoint(self) -> dict:
        """Save the model with its optimizer state and the best weights; what was saved, for the run log."""
        from .checkpoint import best_weights_path, checkpoint_path, save_checkpoint, save_weights

        info: dict[str, object] = {"reason": self._checkpoint_reason}
        if self.model is None or self._done == 0 and self._resume is None:
            return info  # nothing trained yet: nothing worth resuming
        stem = self.run_log_path if self.run_log_path is not None else Path(f"{self.files_stem()}.jsonl")
        try:
            sync = getattr(self.model, "jax_state_sync", None)
            if callable(sync):
                sync()
            info["checkpoint"] = str(save_checkpoint(self.model, checkpoint_path(stem)))
            info["checkpoint_epoch"] = self._done
        except Exception as exc:
            info["checkpoint_error"] = describe_exception(exc)
            self._emit(Notice(f"Could not save the checkpoint: {describe_exception(exc)}", level="error"))
        with self._lock:
            epoch = self._closest_snapshot(self._best_epoch())
            weights = self._snapshots.get(epoch) if epoch is not None else None
        if weights is not None:
            try:
                info["best_weights"] = str(save_weights(self.model, best_weights_path(stem), weights))
                info["best_epoch"] = epoch
            except Exception as exc:
                self._emit(Notice(f"Could not save the best weights: {describe_exception(exc)}", level="error"))
        return info


class Resume:
    """What ``Trainer(resume=...)`` carries on from: the run log's history and the files saved beside it."""

    def __init__(self, run_log: str | Path, history: History, checkpoint: str | Path,
                 best_weights: str | Path | None = None, best_epoch: int | None = None) -> None:
        self.run_log = Path(run_log)
        self.history = history
        self.checkpoint = Path(checkpoint)
        self.best_weights = Path(best_weights) if best_weights else None
        self.best_epoch = best_epoch
