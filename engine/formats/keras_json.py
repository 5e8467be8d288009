"""Keras History JSON: what ``json.dump(model.fit(...).history, f)`` writes.

Accepted shapes: the plain ``{"loss": [...], "val_loss": [...], ...}`` dict, and the
same wrapped as ``{"history": {...}}`` (extra keys such as ``params`` and ``epoch``
are ignored). Values may be numbers, ``null`` (missing), or the ``NaN`` /
``Infinity`` / ``-Infinity`` tokens Python's json module writes. Element 0 is epoch 1.
Per-class metrics (a list per epoch) are left out and named in ``meta["skipped_columns"]``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from ._files import atomic_write_text, decode_text, read_bytes
from .errors import HistoryError
from ..history import History, Segment

FORMAT = "keras-json"
LOSS_KEYS = ("loss", "val_loss")


def _number(path: Path, key: str, index: int, value: object) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HistoryError(path, f"value {value!r} at {key}[{index}] is not a number")
    return float(value)


def history_dict(path: Path, data: object) -> dict[str, list]:
    """The metric dict inside a parsed JSON document, or a HistoryError saying why not."""
    if isinstance(data, dict) and isinstance(data.get("history"), dict):
        data = data["history"]
    if not isinstance(data, dict):
        raise HistoryError(path, f"JSON {type(data).__name__} is not a Keras history (expected an object of lists)")
    if not data:
        raise HistoryError(path, "JSON object has no metrics")
    not_lists = [k for k, v in data.items() if not isinstance(v, list)]
    if not_lists:
        raise HistoryError(path, f"JSON is not a Keras history: {not_lists[0]!r} is not a list of numbers")
    if not any(k in data for k in LOSS_KEYS):
        found = ", ".join(list(data)[:6])
        raise HistoryError(path, f"no 'loss' or 'val_loss' in the history (found: {found})")
    lengths = {len(v) for v in data.values()}
    if len(lengths) > 1:
        detail = ", ".join(f"{k}: {len(v)}" for k, v in data.items())
        raise HistoryError(path, f"metric lists have different lengths ({detail})")
    return data


def parse_keras_json(path: Path, text: str, data: object = None) -> History:
    """A History from the JSON text (``data`` if it was already parsed)."""
    parsed_here = data is None
    if data is None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise HistoryError(path, f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
        except RecursionError:
            raise HistoryError(path, "JSON is nested too deeply") from None
    metrics = parsed = history_dict(path, data)
    # per-class metrics (lists of lists) have no single value per epoch: leave them out
    skipped = sorted(k for k, v in metrics.items() if v and all(isinstance(x, list) for x in v))
    if skipped:
        metrics = {k: v for k, v in metrics.items() if k not in skipped}
        if not any(k in metrics for k in LOSS_KEYS):
            raise HistoryError(path, "no 'loss' or 'val_loss' with single numbers per epoch")
    epochs = len(next(iter(metrics.values())))
    names = list(metrics)
    columns: dict[str, np.ndarray] = {}
    for name in names:
        columns[name] = _column(path, name, metrics[name])
        if parsed_here:
            parsed[name] = None  # drop the parsed list now: a million floats are 32 MB as Python objects
            metrics[name] = None
    meta: dict[str, object] = {"format": FORMAT}
    if skipped:
        meta["skipped_columns"] = skipped
    segments = [Segment(1, epochs, "initial")] if epochs else []
    return History(columns or None, segments=segments, meta=meta, source=str(path))


_NUMBER_TYPES = frozenset((int, float, type(None)))


def _column(path: Path, key: str, values: list) -> np.ndarray:
    """One metric's list as float64 (None as NaN); the first value that is not a number is an error."""
    if {type(x) for x in values} <= _NUMBER_TYPES:
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            pass  # an integer too large for a double: the exact path below says which
    return np.array([_number(path, key, i, x) for i, x in enumerate(values)], dtype=np.float64)


def read_keras_json(path: str | os.PathLike[str]) -> History:
    path = Path(path)
    return parse_keras_json(path, decode_text(path, read_bytes(path)))


def keras_json_text(history: History) -> str:
    """Exactly the text ``json.dump(history.history, f)`` writes for the same values."""
    return json.dumps({name: [float(x) for x in history[name]] for name in history.metric_names})


def write_keras_json(history: History, path: str | os.PathLike[str]) -> Path:
    """Save as Keras History JSON, atomically; NaN is written as the ``NaN`` token like json.dump does."""
    return atomic_write_text(path, keras_json_text(history))
