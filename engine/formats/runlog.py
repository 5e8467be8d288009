"""epochwatch's run log: one JSON object per line, appended while a run trains.

Written by :class:`RunLogWriter`, read by :func:`read_runlog`. Every line is a JSON
object with a ``type``:

``header`` (first line)
    ``{"type": "header", "format": "epochwatch-runlog", "version": 1, "run": str,
    "experiment": str|null, "keras_version": str|null, "device": str|null,
    "started": ISO-8601 UTC, "meta": {...}}`` — ``meta`` is free-form (``baseline``,
    ``script``, ``scenario``, ...).
``epoch``
    ``{"type": "epoch", "epoch": int (1-based), "attempt": int, "time": unix seconds,
    "seconds": float|null, "logs": {"loss": ..., "val_loss": ..., ...}}`` — flushed
    and fsynced when written, so a crash loses at most the epoch in progress.
``batch``
    ``{"type": "batch", "epoch": int, "step": int, "steps": int|null, "attempt": int,
    "time": unix seconds, "logs": {...}}`` — running means within an epoch; buffered,
    never fsynced (progress only, may be lost).
``marker``
    ``{"type": "marker", "event": str, "epoch": int, "attempt": int, "time": unix
    seconds, ...}`` with event one of ``start stop extend restart resume finish fail
    save restore quit`` and any extra fields the caller gave.

Non-finite values are written as the JSON extension tokens ``NaN``, ``Infinity`` and
``-Infinity`` (as Python's json module does); the reader also takes ``null`` as NaN.

Reading: the latest attempt is the History; earlier attempts (a ``restart`` marker,
or epoch lines with a higher ``attempt``) go to ``previous_attempts``, oldest first.
An ``extend`` or ``resume`` marker starts a segment of that kind at the next epoch; an
epoch number at or below the last one replaces the epochs from there on (a resumed
run). Lines of unknown type are skipped. A last line cut short (the writer was
killed mid-line) is ignored; a bad line anywhere else is an error naming its line.
A resuming writer (``append=True``) first cuts such a partial last line off.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Mapping

from ._builder import AttemptBuilder
from ._files import decode_text, os_problem, read_bytes
from .errors import HistoryError
from ..history import History

FORMAT = "runlog"
FORMAT_NAME = "epochwatch-runlog"
VERSION = 1
MARKER_EVENTS = ("start", "stop", "extend", "restart", "resume", "finish", "fail", "save", "restore", "quit")
HEADER_FIELDS = ("run", "experiment", "keras_version", "device", "started")


def scalar_logs(logs: Mapping[str, object] | None) -> dict[str, float]:
    """Keras logs as plain floats; values that are not scalars (per-class arrays) are left out."""
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        try:
            out[str(key)] = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return out


def _cut_partial_last_line(path: Path) -> None:
    """Drop bytes after the last newline: a line a killed writer left half-written."""
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        block = 4096
        pos = size
        while pos > 0:
            start = max(0, pos - block)
            f.seek(start)
            chunk = f.read(pos - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                if end != size:
                    f.truncate(end)
                return
            pos = start
        f.truncate(0)


class RunLogWriter:
    """Appends one run's epochs, batches and markers to a run log.

    Epochs and markers are flushed and fsynced at once; batch lines are only buffered.
    Safe to call from several threads. Raises HistoryError when the file cannot be
    written.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        run: str,
        experiment: str | None = None,
        keras_version: str | None = None,
        device: str | None = None,
        meta: dict | None = None,
        append: bool = False,
    ) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            resuming = append and self.path.exists() and self.path.stat().st_size > 0
            if resuming:
                _cut_partial_last_line(self.path)
                resuming = self.path.stat().st_size > 0
            self._file = open(self.path, "a" if append else "w", encoding="utf-8", newline="\n",
                              buffering=1 << 16)
        except OSError as err:
            raise HistoryError(self.path, f"cannot write the run log: {os_problem(err)}") from None
        if not resuming:
            header = {
                "type": "header",
                "format": FORMAT_NAME,
                "version": VERSION,
                "run": run,
                "experiment": experiment,
                "keras_version": keras_version,
                "device": device,
                "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "meta": dict(meta or {}),
            }
            self._write(header, sync=True)

    def _write(self, record: dict, *, sync: bool) -> None:
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._file is None:
                raise HistoryError(self.path, "the run log is closed")
            try:
                self._file.write(line)
                if sync:
                    self._file.flush()
                    os.fsync(self._file.fileno())
            except OSError as err:
                raise HistoryError(self.path, f"cannot write the run log: {os_problem(err)}") from None

    def epoch(self, epoch: int, logs: Mapping[str, float], *, attempt: int = 1,
              wall_time: float | None = None, seconds: float | None = None) -> None:
        """Record a finished epoch (1-based) and make it durable."""
        self._write({
            "type": "epoch", "epoch": int(epoch), "attempt": int(attempt),
            "time": time.time() if wall_time is None else float(wall_time),
            "seconds": None if seconds is None else float(seconds),
            "logs": scalar_logs(logs),
        }, sync=True)

    def batch(self, epoch: int, step: int, steps: int | None, logs: Mapping[str, float], *,
              attempt: int = 1) -> None:
        """Record progress within an epoch; buffered, so cheap enough for ~10 calls a second."""
        self._write({
            "type": "batch", "epoch": int(epoch), "step": int(step),
            "steps": None if steps is None else int(steps), "attempt": int(attempt),
            "time": time.time(), "logs": scalar_logs(logs),
        }, sync=False)

    def marker(self, event: str, epoch: int, *, attempt: int = 1, **info: object) -> None:
        """Record an event in the run's life (``restart``, ``extend``, ``stop``, ...)."""
        if event not in MARKER_EVENTS:
            raise ValueError(f"unknown run log event {event!r} (known: {', '.join(MARKER_EVENTS)})")
        record = {"type": "marker", "event": event, "epoch": int(epoch), "attempt": int(attempt),
                  "time": time.time()}
        for key, value in info.items():
            record.setdefault(key, value)
        self._write(record, sync=True)

    def close(self) -> None:
        with self._lock:
            if self._file is None:
                return
            f, self._file = self._file, None
            try:
                f.flush()
                os.fsync(f.fileno())
            except OSError:
                pass
            finally:
                f.close()

    def __enter__(self) -> RunLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# -- reading ---------------------------------------------------------------

def looks_like_runlog(first_line: str) -> bool:
    """True if a file's first line is a run log record."""
    try:
        record = json.loads(first_line)
    except (ValueError, RecursionError):
        return False
    return isinstance(record, dict) and (
        record.get("format") == FORMAT_NAME or record.get("type") in ("header", "epoch", "marker", "batch"))


def _logs(path: Path, line: int, raw: object) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise HistoryError(path, f"line {line}: 'logs' is not an object")
    out: dict[str, float] = {}
    for key, value in raw.items():
        if value is None:
            out[key] = math.nan
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
        else:
            raise HistoryError(path, f"line {line}: value {value!r} of {key!r} is not a number")
    return out


def _int_field(path: Path, line: int, record: dict, key: str, default: int | None = None,
               minimum: int = 0) -> int:
    value = record.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise HistoryError(path, f"line {line}: {key!r} is {value!r}, expected a whole number >= {minimum}")
    return value


def _split_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, is the last piece) as ``text.split("\\n")`` would give them, one at a time."""
    start = 0
    number = 1
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield number, text[start:], True
            return
        yield number, text[start:end], False
        start = end + 1
        number += 1


def parse_runlog(path: Path, text: str) -> History:
    complete = text.endswith("\n")
    header: dict | None = None
    markers: list[dict] = []
    attempts: list[tuple[int, AttemptBuilder, list[dict]]] = []
    attempt = 1
    builder = AttemptBuilder()
    attempt_markers: list[dict] = []
    pending_kind: str | None = None
    last_batch: dict | None = None

    def start_attempt(number: int) -> None:
        nonlocal attempt, builder, attempt_markers, pending_kind
        if builder.n:
            attempts.append((attempt, builder, attempt_markers))
            builder = AttemptBuilder(first_kind="restart")
            attempt_markers = []
        pending_kind = None
        attempt = number

    for line, raw, is_last in _split_lines(text):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as err:
            if is_last and not complete:
                break  # the writer was killed mid-line
            reason = err.msg if isinstance(err, json.JSONDecodeError) else "too deeply nested"
            raise HistoryError(path, f"line {line}: invalid JSON ({reason})") from None
        if not isinstance(record, dict):
            raise HistoryError(path, f"line {line}: not a JSON object")
        kind = record.get("type")
        if kind == "header":
            if header is None:
                header = record
            continue
        if header is None:
            raise HistoryError(path, f"line {line}: no run log header before the first record")
        if kind == "epoch":
            epoch = _int_field(path, line, record, "epoch", minimum=1)
            rec_attempt = _int_field(path, line, record, "attempt", default=1, minimum=1)
            logs = _logs(path, line, record.get("logs", {}))
            if rec_attempt > attempt:
                start_attempt(rec_attempt)
            seconds = record.get("seconds")
            extras = {"seconds": float(seconds) if isinstance(seconds, (int, float)) else math.nan,
                      "time": record.get("time")}
            builder.put(epoch, logs, pending_kind, extras)
            pending_kind = None
        elif kind == "marker":
            event = record.get("event")
            if event == "restart":
                # the marker may carry the old or the new attempt's number
                rec_attempt = record.get("attempt")
                number = rec_attempt if isinstance(rec_attempt, int) and rec_attempt > attempt else attempt + 1
                if builder.n:
                    start_attempt(number)
            elif event in ("extend", "resume"):
                pending_kind = event
            markers.append(record)
            attempt_markers.append(record)
        elif kind == "batch":
            last_batch = record
    if header is None:
        raise HistoryError(path, "not an epochwatch run log (no header line)")
    if header.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise HistoryError(path, f"unknown run log format {header.get('format')!r}")

    base_meta: dict[str, object] = {"format": FORMAT}
    for key in HEADER_FIELDS:
        base_meta[key] = header.get(key)
    extra = header.get("meta")
    if isinstance(extra, dict):
        for key, value in extra.items():
            base_meta.setdefault(key, value)
    base_meta["version"] = header.get("version")

    def finish(number: int, b: AttemptBuilder, own_markers: list[dict], all_markers: list[dict]) -> History:
        meta = dict(base_meta)
        meta["attempt"] = number
        meta["markers"] = all_markers
        meta["epoch_seconds"] = list(b.extras.get("seconds", [math.nan] * b.n))
        meta["epoch_times"] = list(b.extras.get("time", [None] * b.n))
        return b.build(source=str(path), meta=meta)

    previous = [finish(n, b, m, m) for n, b, m in attempts]
    history = finish(attempt, builder, attempt_markers, markers)
    if last_batch is not None and last_batch.get("attempt", 1) == attempt and \
            isinstance(last_batch.get("epoch"), int) and last_batch["epoch"] > len(history):
        history.meta["last_batch"] = last_batch
    history.previous_attempts = previous
    return history


def read_runlog(path: str | os.PathLike[str]) -> History:
    path = Path(path)
    return parse_runlog(path, decode_text(path, read_bytes(path)))
