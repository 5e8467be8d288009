"""Choosing a reader by what a file contains, and ``read_history``, the one entry point."""

from __future__ import annotations

import os
from pathlib import Path

from ._files import decode_text, read_bytes
from .csvlogger import parse_csvlogger
from .errors import HistoryError
from .keras_json import parse_keras_json
from .runlog import looks_like_runlog, parse_runlog
from ..history import History

PICKLE_SUFFIXES = (".pkl", ".pickle", ".pck", ".pcl")
PICKLE_REFUSAL = ("is a pickle file; epochwatch does not open pickles because loading one would run code "
                  "from the file (save the history as JSON: json.dump(history.history, f))")


def is_pickle(path: Path, data: bytes) -> bool:
    return path.suffix.lower() in PICKLE_SUFFIXES or (
        len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5)


def detect_format(path: Path, text: str) -> str:
    """"runlog", "keras-json" or "csvlogger" for a file's text."""
    stripped = text.lstrip()
    first_line = stripped.split("\n", 1)[0].strip()
    if first_line.startswith("{") and looks_like_runlog(first_line):
        return "runlog"
    if stripped[:1] in ("{", "["):
        return "keras-json"
    return "csvlogger"


def _read(path: Path) -> History:
    if path.is_dir():
        from .tensorboard import read_tensorboard

        return read_tensorboard(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise HistoryError(path, PICKLE_REFUSAL)
    data = read_bytes(path)
    if is_pickle(path, data):
        raise HistoryError(path, PICKLE_REFUSAL)
    if data.startswith(b"\x1f\x8b"):
        raise HistoryError(path, "is a gzip-compressed file; decompress it first")
    if data.startswith(b"PK\x03\x04"):
        raise HistoryError(path, "is a zip archive (a .keras model?), not a training history")
    if data.startswith(b"\x89HDF"):
        raise HistoryError(path, "is an HDF5 file (a saved model?), not a training history")
    text = decode_text(path, data)
    del data  # the text is a copy: keeping the bytes too would double a large file's footprint
    fmt = detect_format(path, text)
    if fmt == "runlog":
        return parse_runlog(path, text)
    if fmt == "keras-json":
        return parse_keras_json(path, text)
    return parse_csvlogger(path, text)


def read_history(path: str | os.PathLike[str]) -> History:
    """Read any supported history file (or TensorBoard log directory), chosen by content.

    Raises HistoryError, and nothing else, for anything that is not a readable history.
    Sets ``history.source`` and ``history.meta["format"]``.
    """
    try:
        path = Path(path)
        history = _read(path)
    except HistoryError:
        raise
    except MemoryError:
        raise HistoryError(path, "file is too large to read into memory") from None
    except RecursionError:
        raise HistoryError(path, "file is nested too deeply to read") from None
    except Exception as err:  # a reader bug must still reach the user as one line
        raise HistoryError(path, f"cannot read ({type(err).__name__}: {err})") from None
    history.source = str(path)
    return history
