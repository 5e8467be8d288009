"""Checkpoints beside a run log, written so that a kill mid-save never leaves a broken file.

``<stem>.checkpoint.keras`` holds the model with its optimizer state (``model.save``),
``<stem>.best.weights.h5`` the best epoch's weights. Each is written to a temporary
file in the same folder and moved into place with ``os.replace`` (atomic on POSIX and
Windows when both paths are on one file system). Keras is imported only by the
functions that need it, through the model they are given.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

CHECKPOINT_SUFFIX = ".checkpoint.keras"
BEST_WEIGHTS_SUFFIX = ".best.weights.h5"


def checkpoint_path(run_log: str | os.PathLike[str]) -> Path:
    """``runs/x.jsonl`` -> ``runs/x.checkpoint.keras``."""
    return Path(run_log).with_name(Path(run_log).stem + CHECKPOINT_SUFFIX)


def best_weights_path(run_log: str | os.PathLike[str]) -> Path:
    """``runs/x.jsonl`` -> ``runs/x.best.weights.h5``."""
    return Path(run_log).with_name(Path(run_log).stem + BEST_WEIGHTS_SUFFIX)


def _atomic(path: Path, suffix: str, write) -> Path:
    """Call ``write(temp_path)`` for a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keras checks the file name's ending, so the temporary file keeps it.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".partial{suffix}", dir=path.parent)
    os.close(fd)
    os.unlink(temp)  # Keras refuses to overwrite without asking in some versions; let it create the file
    try:
        write(temp)
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return path


def save_checkpoint(model: Any, path: str | os.PathLike[str]) -> Path:
    """The whole model with its optimizer state, atomically."""
    return _atomic(Path(path), ".keras", lambda temp: model.save(temp))


def save_weights(model: Any, path: str | os.PathLike[str], weights: Sequence[Any] | None = None) -> Path:
    """``weights`` (default: the model's own) as a ``.weights.h5`` file, atomically.

    The model's current weights are put back afterwards, so training state is unchanged.
    """
    def write(temp: str) -> None:
        if weights is None:
            model.save_weights(temp)
            return
        current = model.get_weights()
        model.set_weights(list(weights))
        try:
            model.save_weights(temp)
        finally:
            model.set_weights(current)

    return _atomic(Path(path), ".weights.h5", write)


def load_checkpoint_into(model: Any, path: str | os.PathLike[str]) -> None:
    """Load a checkpoint's weights and optimizer state into a freshly built, compiled model.

    The model is rebuilt by the user's own ``build_model()``, so no code from the file is
    ever run (Keras reads only the weights archive). Raises on a missing or unreadable file,
    or one whose layers do not match the model.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    build_optimizer(model)
    model.load_weights(str(path))


def build_optimizer(model: Any) -> None:
    """Create the optimizer's variables, so that saved optimizer state has somewhere to go."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "build") and not getattr(optimizer, "built", True):
        optimizer.build(model.trainable_variables)


class ResumeError(Exception):
    """A run cannot be resumed; ``str()`` is one line naming the file and the problem."""


def plan_resume(run_log: str | os.PathLike[str]):
    """Everything ``epochwatch resume`` needs: ``(source, Resume, target_epochs)``.

    Reads the run log (its header names the script or demo scenario it trained), finds
    the checkpoint beside it and loads the source again. Raises ResumeError with one line.
    """
    from .demos import SCENARIOS, load_scenario
    from .formats import HistoryError, read_runlog
    from .scripts import ScriptError, load_script
    from .trainer import Resume

    path = Path(run_log)
    if not path.is_file():
        raise ResumeError(f"{path}: no such run log")
    try:
        history = read_runlog(path)
    except HistoryError as err:
        raise ResumeError(str(err)) from None
    origin = history.meta.get("origin")
    if not isinstance(origin, dict):
        origin = {k: history.meta[k] for k in ("script", "scenario") if isinstance(history.meta.get(k), str)}
    try:
        if isinstance(origin.get("script"), str):
            source = load_script(origin["script"])
        elif origin.get("scenario") in SCENARIOS:
            source = load_scenario(origin["scenario"])
        else:
            raise ResumeError(f"{path}: the run log does not say which script or demo trained it")
    except ScriptError as err:
        raise ResumeError(f"{path}: cannot rebuild the model: {err}") from None
    checkpoint = checkpoint_path(path)
    if not checkpoint.is_file():
        raise ResumeError(f"{path}: no checkpoint {checkpoint.name} beside it "
                          "(one is saved when epochwatch is interrupted by SIGHUP, SIGTERM or Ctrl+C)")
    try:
        with open(checkpoint, "rb") as f:
            if f.read(4) != b"PK\x03\x04":  # a .keras file is a zip archive
                raise ResumeError(f"{checkpoint}: not a Keras checkpoint (not a .keras archive)")
    except OSError as err:
        raise ResumeError(f"{checkpoint}: cannot read: {err.strerror or err}") from None
    best_weights, best_epoch, target = None, None, None
    for marker in history.meta.get("markers") or []:
        if not isinstance(marker, dict):
            continue
        if isinstance(marker.get("target_epochs"), int):
            target = marker["target_epochs"]
        if marker.get("event") == "quit" and marker.get("best_weights"):
            # the file beside the run log, wherever the run was started from
            best_weights, best_epoch = best_weights_path(path), marker.get("best_epoch")
    if target is None and isinstance(history.meta.get("target_epochs"), int):
        target = history.meta["target_epochs"]
    if best_weights is not None and not isinstance(best_epoch, int):
        best_weights = None
    resume = Resume(path, history, checkpoint, best_weights=best_weights, best_epoch=best_epoch)
    return source, resume, target or source.epochs
