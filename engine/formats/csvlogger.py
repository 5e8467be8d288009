"""CSV as ``keras.callbacks.CSVLogger`` writes it.

CSVLogger writes a header ``epoch<sep><keys sorted>`` (adding ``val_<key>`` columns
full of ``NA`` when a run has no validation data), then one row per epoch with the
0-based epoch number and each value's ``str()`` (``nan``, ``inf`` included; ``NA``
for a key missing that epoch), in the csv module's excel dialect (``\\r\\n`` line
ends, quotes only where needed). The separator is any single character.

How the reader treats what real files contain:

* The separator is sniffed from the header: the character after ``epoch``, else
  the most frequent of ``, ; tab | : space``.
* ``NA`` and empty fields are missing (NaN). A column with nothing but ``NA`` (the
  ``val_*`` columns CSVLogger invents without validation data) is dropped.
* ``append=True`` resumes: an epoch number at or below the last one seen starts a
  ``resume`` segment that replaces the values from that epoch on. A repeated
  header line (files glued together) also starts a ``resume`` segment.
* Going back to epoch 0 after some epochs means the run was started again from
  scratch: the earlier rows become ``history.previous_attempts`` and the new
  attempt's first segment has kind ``restart``.
* A gap in the epoch numbers is filled with NaN rows.
* A last line without its line end and with too few fields is a row still being
  written and is ignored; any other row with missing or extra fields is an error.
* Array-valued metrics (written as ``"[a, b, ...]"``) are left out and named in
  ``meta["skipped_columns"]``.
* A CSV without an ``epoch`` column (e.g. from pandas) numbers its rows 1, 2, ...;
  an unnamed first column (a pandas index) is taken as the 0-based epoch.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from ._builder import AttemptBuilder
from ._files import atomic_write_text, decode_text, read_bytes
from .errors import HistoryError
from ..history import History, Segment

FORMAT = "csvlogger"
SEPARATORS = (",", ";", "\t", "|", ":", " ")
MISSING = ("NA", "")


def sniff_separator(first_line: str) -> str:
    """The separator a CSVLogger header line uses."""
    line = first_line.strip("\r\n")
    if line.startswith("epoch") and len(line) > 5 and not (line[5].isalnum() or line[5] == "_"):
        return line[5]
    if line[:1] in SEPARATORS:  # pandas: an unnamed index column first
        return line[0]
    counts = [(line.count(sep), -i, sep) for i, sep in enumerate(SEPARATORS)]
    best = max(counts)
    return best[2] if best[0] else ","


def _describe(sep: str) -> str:
    return {"\t": "tab", " ": "space"}.get(sep, repr(sep))


def _epoch_number(path: Path, line: int, text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise HistoryError(path, f"line {line}: epoch {text!r} is not a number") from None
    if not math.isfinite(value) or value != int(value) or value < 0:
        raise HistoryError(path, f"line {line}: epoch {text!r} is not a whole number >= 0")
    return int(value)


#: Physical lines as ``io.StringIO(text, newline="")`` yields them (ends kept), without its 4-byte-a-char copy.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    return (match.group() for match in _LINE.finditer(text))


def _numbered_rows(path: Path, reader) -> Iterator[tuple[int, list[str], bool]]:
    """(first physical line, row, is the last row) for each row, read one row ahead (nothing held)."""
    start = 1
    pending: tuple[int, list[str]] | None = None
    try:
        for row in reader:
            if pending is not None:
                yield pending[0], pending[1], False
            pending = (start, row)
            start = reader.line_num + 1
    except csv.Error as err:
        raise HistoryError(path, f"line {reader.line_num}: not valid CSV ({err})") from None
    if pending is not None:
        yield pending[0], pending[1], True


def _parse_plain(path: Path, text: str, sep: str) -> History | None:
    """The common case in one numpy pass: one header, then only numbers, epochs 0, 1, 2, ... in order.

    Returns None for anything else (missing values, resumes, restarts, quotes, errors), which
    the row-by-row reader then handles and reports exactly.
    """
    if '"' in text:
        return None
    lines = _lines(text)
    for first in lines:
        if first.strip():
            break
    else:
        return None
    header = [f.strip() for f in next(csv.reader([first], delimiter=sep), [])]
    if not ({"loss", "val_loss"} & set(header)) or len(set(header)) != len(header):
        return None
    epoch_col = header.index("epoch") if "epoch" in header else (0 if header[0] == "" else None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": a header-only file
            table = np.loadtxt(lines, delimiter=sep, comments=None, dtype=np.float64, ndmin=2)
    except ValueError:
        return None
    epochs = len(table)
    if not epochs or table.shape[1] != len(header):
        return None
    if epoch_col is not None and not np.array_equal(table[:, epoch_col], np.arange(epochs, dtype=np.float64)):
        return None
    metrics = {name: table[:, i] for i, name in enumerate(header) if i != epoch_col}
    return History(metrics, segments=[Segment(1, epochs, "initial")],
                   meta={"format": FORMAT, "separator": sep}, source=str(path))


def parse_csvlogger(path: Path, text: str) -> History:
    first_line = text.lstrip().split("\n", 1)[0]
    sep = sniff_separator(first_line)
    plain = _parse_plain(path, text, sep)
    if plain is not None:
        return plain
    reader = csv.reader(_lines(text), delimiter=sep)
    complete_last_line = text.endswith(("\n", "\r"))

    header: list[str] | None = None
    epoch_col: int | None = None
    attempts: list[AttemptBuilder] = []
    builder = AttemptBuilder()
    last_epoch: int | None = None  # 0-based, as in the file
    pending_kind: str | None = None
    seen_value: set[str] = set()
    all_columns: set[str] = set()
    arrays: set[str] = set()

    for line, row, is_last_row in _numbered_rows(path, reader):
        fields = [f.strip() for f in row]
        if not fields or all(f == "" for f in fields):
            continue
        if header is None or fields == header or (
                epoch_col is not None and len(fields) > epoch_col and fields[epoch_col] == "epoch"):
            if header is not None and last_epoch is not None:
                pending_kind = "resume"
            header = fields
            names = set(header)
            if "loss" not in names and "val_loss" not in names:
                shown = first_line if len(first_line) <= 80 else first_line[:77] + "..."
                raise HistoryError(
                    path, f"line {line}: no 'loss' or 'val_loss' column in the header"
                    f" (separator {_describe(sep)}: {shown!r})")
            if len(names) != len(header):
                raise HistoryError(path, f"line {line}: the header repeats a column name")
            if "epoch" in header:
                epoch_col = header.index("epoch")
            elif header[0] == "":
                epoch_col = 0
            else:
                epoch_col = None
            all_columns.update(n for i, n in enumerate(header) if i != epoch_col)
            continue
        if len(fields) != len(header):
            if is_last_row and not complete_last_line and len(fields) < len(header):
                break  # a row still being written
            raise HistoryError(
                path, f"line {line}: {len(fields)} fields, the header has {len(header)}"
                f" (separator {_describe(sep)})")
        if epoch_col is None:
            epoch = 0 if last_epoch is None else last_epoch + 1
        else:
            epoch = _epoch_number(path, line, fields[epoch_col])
        values: dict[str, float] = {}
        for i, (name, value) in enumerate(zip(header, fields)):
            if i == epoch_col:
                continue
            if value in MISSING:
                values[name] = math.nan
                continue
            bare = value.strip('"')
            if bare.startswith("[") and bare.endswith("]"):
                arrays.add(name)  # CSVLogger writes array-valued metrics as "[a, b, ...]"
                values[name] = math.nan
                continue
            try:
                values[name] = float(value)
            except ValueError:
                raise HistoryError(
                    path, f"line {line}: value {value!r} in column {name!r} is not a number") from None
            seen_value.add(name)
        if epoch == 0 and last_epoch is not None:
            attempts.append(builder)
            builder = AttemptBuilder(first_kind="restart")
            pending_kind = None
        builder.put(epoch + 1, values, pending_kind)
        pending_kind = None
        last_epoch = epoch

    if header is None:
        raise HistoryError(path, "file is empty")
    only_na = all_columns - seen_value - arrays if (attempts or builder.n) else set()
    meta: dict[str, object] = {"format": FORMAT, "separator": sep}
    if arrays:
        meta["skipped_columns"] = sorted(arrays)
        only_na |= arrays
        if not ({"loss", "val_loss"} & (all_columns - only_na)):
            raise HistoryError(path, "no 'loss' or 'val_loss' column with single numbers")
    previous = []
    for old in attempts:
        old.drop_columns(only_na)
        previous.append(old.build(source=str(path), meta=dict(meta)))
    builder.drop_columns(only_na)
    history = builder.build(source=str(path), meta=meta)
    history.previous_attempts = previous
    return history


def read_csvlogger(path: str | os.PathLike[str]) -> History:
    path = Path(path)
    return parse_csvlogger(path, decode_text(path, read_bytes(path)))


def csvlogger_text(history: History, separator: str = ",") -> str:
    """The bytes CSVLogger writes for the same epochs (as text; line ends ``\\r\\n``)."""
    if len(separator) != 1:
        raise ValueError("separator must be a single character, as CSVLogger's csv writer requires")
    keys = sorted(history.metric_names)
    invented = [] if any(k.startswith("val_") for k in keys) or not keys else [f"val_{k}" for k in keys]

    class Dialect(csv.excel):
        delimiter = separator

    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect=Dialect)
    writer.writerow(["epoch", *keys, *invented])
    columns = [history[k] for k in keys]
    tail = ["NA"] * len(invented)
    for i in range(len(history)):
        writer.writerow([i, *(float(c[i]) for c in columns), *tail])
    return out.getvalue()


def write_csvlogger(history: History, path: str | os.PathLike[str], separator: str = ",") -> Path:
    """Save as CSVLogger CSV (0-based epoch column), atomically."""
    return atomic_write_text(path, csvlogger_text(history, separator), newline="")
