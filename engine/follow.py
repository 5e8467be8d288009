"""Following a history that another process is still writing.

``HistoryFollower(path).poll()`` reads only what was added since the last poll:
new lines of a CSVLogger file or a run log (appended to the History one by one),
new records of TensorBoard event files (new event files included). A last line or
record still being written is kept back until it is complete. A file that shrank or
was replaced (a new inode) is read again from the start; anything the incremental
path does not expect (a restart, a resumed run, a repeated header) falls back to the
full reader on the text already read, so the result always equals ``read_history``.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from .formats.csvlogger import MISSING, parse_csvlogger, sniff_separator
from .formats.errors import HistoryError
from .formats.keras_json import parse_keras_json
from .formats.runlog import looks_like_runlog, parse_runlog
from .formats.sniff import detect_format
from .history import History

#: Bytes read per poll at most, so a huge file is taken in steps and the UI stays responsive.
READ_CHUNK = 8 << 20


class _FileTail:
    """New complete lines of a growing text file; notices truncation and replacement."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        self.offset = 0
        self.inode: int | None = None
        self.pending = b""
        self.text_parts: list[str] = []  # every complete line read so far (for the full reader)

    def read_lines(self) -> tuple[list[str], bool]:
        """(new complete lines, True if the file was replaced or truncated and reading restarted)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return [], False
        restarted = False
        if (self.inode is not None and stat.st_ino != self.inode) or stat.st_size < self.offset:
            self.reset()
            restarted = True
        self.inode = stat.st_ino
        if stat.st_size == self.offset:
            return [], restarted
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(READ_CHUNK)
        except OSError as err:
            raise HistoryError(self.path, f"cannot read: {err.strerror or type(err).__name__}") from None
        self.offset += len(data)
        data = self.pending + data
        cut = data.rfind(b"\n") + 1
        self.pending = data[cut:]
        if not cut:
            return [], restarted
        text = data[:cut].decode("utf-8", errors="replace")
        if not self.text_parts:
            text = text.lstrip("\ufeff")
        self.text_parts.append(text)
        return text.splitlines(), restarted

    def text(self) -> str:
        return "".join(self.text_parts)


class HistoryFollower:
    """The latest History of a file or TensorBoard directory being written; ``poll()`` to update.

    ``version`` goes up whenever ``history`` changed; ``last_batch`` is a run log's latest
    batch-progress record (epoch, step, steps) for the epoch in progress.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.history = History()
        self.history.source = str(self.path)
        self.version = 0
        self.last_batch: dict | None = None
        self.format: str | None = None
        self._tail = _FileTail(self.path)
        # csv
        self._header: list[str] | None = None
        self._sep = ","
        # runlog
        self._attempt = 1
        self._pending_kind: str | None = None
        # tensorboard: file -> (bytes read, rows)
        self._event_files: dict[Path, list] = {}

    # -- public --------------------------------------------------------------
    def poll(self) -> bool:
        """Read what was added; True if the history changed. Raises HistoryError for a broken file."""
        if self.path.is_dir():
            return self._poll_tensorboard()
        lines, restarted = self._tail.read_lines()
        if restarted:
            self._reset_parsed()
        if self.format in (None, "keras-json") and self._tail.pending.lstrip()[:1] in (b"{", b"["):
            return self._poll_keras_json(restarted)
        if not lines:
            return restarted
        if self.format is None:
            first = next((line for line in self._tail.text().splitlines() if line.strip()), None)
            if first is None:
                return False
            self.format = detect_format(self.path, self._tail.text())
        before = len(self.history)
        if self.format == "keras-json":
            return self._reparse()
        handle = self._csv_line if self.format == "csvlogger" else self._runlog_line
        for line in lines:
            if not line.strip():
                continue
            if not handle(line):
                return self._reparse()
        if len(self.history) != before:
            self.version += 1
            return True
        return restarted

    # -- shared ----------------------------------------------------------------
    def _reset_parsed(self) -> None:
        self.history = History()
        self.history.source = str(self.path)
        self.format = None
        self._header = None
        self._attempt = 1
        self._pending_kind = None
        self.last_batch = None
        self._json_text = None
        self.version += 1

    def _reparse(self) -> bool:
        """The full reader on everything read so far (rare: restarts, resumes, JSON files)."""
        text = self._tail.text()
        if self.format == "keras-json":
            if self._tail.pending:
                return False  # a JSON file is only whole once its writer is done
            history = parse_keras_json(self.path, text)
        elif self.format == "runlog":
            history = parse_runlog(self.path, text)
        else:
            history = parse_csvlogger(self.path, text)
        history.source = str(self.path)
        self.history = history
        if self.format == "runlog":
            self._attempt = int(history.meta.get("attempt") or 1)
            self._pending_kind = "__reparse__"  # stay on the full reader for this file
        if self.format == "csvlogger":
            self._header = None  # stay on the full reader
            self._pending_kind = "__reparse__"
        self.version += 1
        return True

    def _poll_keras_json(self, restarted: bool) -> bool:
        """A Keras History JSON is written whole: read it once it parses, again when it changes."""
        text = (self._tail.text() + self._tail.pending.decode("utf-8", errors="replace")).lstrip("\ufeff")
        if text == getattr(self, "_json_text", None):
            return restarted
        try:
            json.loads(text)
        except ValueError:
            return restarted  # still being written
        self._json_text = text
        self.format = "keras-json"
        history = parse_keras_json(self.path, text)
        history.source = str(self.path)
        self.history = history
        self.version += 1
        return True

    # -- csv -------------------------------------------------------------------
    def _csv_line(self, line: str) -> bool:
        if self._pending_kind == "__reparse__":
            return False
        if self._header is None:
            self._sep = sniff_separator(line)
            self._header = [f.strip() for f in next(csv.reader([line], delimiter=self._sep))]
            if "epoch" not in self._header or not ({"loss", "val_loss"} & set(self._header)):
                return False
            return True
        fields = [f.strip() for f in next(csv.reader([line], delimiter=self._sep))]
        if len(fields) != len(self._header):
            return False
        values: dict[str, float] = {}
        epoch = None
        for name, value in zip(self._header, fields):
            if name == "epoch":
                try:
                    epoch = int(float(value))
                except ValueError:
                    return False
                continue
            if value in MISSING:
                continue  # CSVLogger's invented val_* columns stay absent, as the full reader drops them
            try:
                values[name] = float(value)
            except ValueError:
                return False
        if epoch != len(self.history):
            return False
        self.history.append(values)
        return True

    # -- run log -----------------------------------------------------------------
    def _runlog_line(self, line: str) -> bool:
        if self._pending_kind == "__reparse__":
            return False
        try:
            record = json.loads(line)
        except ValueError:
            return False
        if not isinstance(record, dict):
            return False
        kind = record.get("type")
        if kind == "header":
            if not looks_like_runlog(line):
                return False
            for key in ("run", "experiment", "device", "keras_version", "started"):
                self.history.meta[key] = record.get(key)
            self.history.meta["format"] = "runlog"
            return True
        if kind == "batch":
            if record.get("attempt", 1) == self._attempt:
                self.last_batch = record
            return True
        if kind == "marker":
            event = record.get("event")
            if event in ("extend", "resume"):
                self._pending_kind = event
            elif event == "restart" and len(self.history):
                return False
            return True
        if kind == "epoch":
            logs = record.get("logs")
            if record.get("attempt", 1) != self._attempt or record.get("epoch") != len(self.history) + 1 \
                    or not isinstance(logs, dict):
                return False
            self.history.append({k: (float("nan") if v is None else v) for k, v in logs.items()},
                                kind=self._pending_kind)
            self._pending_kind = None
            return True
        return True

    # -- tensorboard ---------------------------------------------------------------
    def _poll_tensorboard(self) -> bool:
        from .formats.tensorboard import _order_key, assemble, find_event_files

        self.format = "tensorboard"
        files = find_event_files(self.path)
        changed = False
        for role, paths in files.items():
            for file in paths:
                state = self._event_files.get(file)
                if state is None:
                    state = self._event_files[file] = [0, {}, role]
                    changed = True
                if self._read_events(file, state):
                    changed = True
        for gone in [f for f in self._event_files if not f.exists()]:
            del self._event_files[gone]
            changed = True
        if not changed:
            return False
        ordered = sorted(self._event_files.items(), key=lambda item: _order_key(item[0]))
        history = assemble(self.path, [(state[2], state[1]) for _, state in ordered], {"format": "tensorboard"})
        if history is None:
            return False
        self.history = history
        self.version += 1
        return True

    def _read_events(self, file: Path, state: list) -> bool:
        """Parse the complete records added to one event file since the last poll."""
        from .formats.tensorboard import epoch_rows, split_records

        offset, rows, role = state
        try:
            size = file.stat().st_size
            if size < offset:
                offset, rows = 0, {}
                state[1] = rows
            if size == offset:
                return False
            with open(file, "rb") as f:
                f.seek(offset)
                data = f.read(READ_CHUNK)
        except OSError:
            return False
        payloads, used = split_records(data)
        epoch_rows(payloads, "val_" if role == "validation" else "", file, rows=rows)
        state[0] = offset + used
        return bool(payloads)


