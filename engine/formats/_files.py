"""File plumbing shared by the formats: checked reading and atomic writing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import HistoryError


def os_problem(err: OSError) -> str:
    """A short reason for an OS error, without the path (HistoryError adds it)."""
    return err.strerror or type(err).__name__


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise HistoryError(path, "no such file") from None
    except IsADirectoryError:
        raise HistoryError(path, "is a directory, not a history file") from None
    except OSError as err:
        raise HistoryError(path, f"cannot read: {os_problem(err)}") from None


def decode_text(path: Path, data: bytes) -> str:
    """The file's text; refuses empty and binary files with a clear reason."""
    if not data.strip():
        raise HistoryError(path, "file is empty")
    if b"\x00" in data:
        raise HistoryError(path, "is a binary file, not a training history")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise HistoryError(path, f"is not a UTF-8 text file (bad byte at offset {err.start})") from None


def atomic_write_text(path: str | os.PathLike[str], text: str, *, newline: str | None = None) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and move it into place.

    A reader (or a crash) never sees a half-written file, and an old file survives a failed write.
    """
    target = Path(path)
    tmp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as err:
        raise HistoryError(target, f"cannot write: {os_problem(err)}") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return target
