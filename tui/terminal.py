"""Keeping native code's output off the screen while the full-screen app draws on it.

TensorFlow's C++ logging (and XLA's, CUDA's) writes straight to file descriptor 2, the
terminal Textual draws on. Those lines land in the middle of the screen, and with the
screen repainting only the lines that changed they can stay there. While the app runs,
descriptor 2 points at a log file instead, and Textual draws on a duplicate of the
terminal's descriptor.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator

#: Where native output goes when there is no run-log folder.
FALLBACK_LOG = Path(os.environ.get("TMPDIR", "/tmp")) / "epochwatch-native-stderr.log"


@contextlib.contextmanager
def native_output_to(log_dir: str | os.PathLike[str] | None) -> Iterator[Path | None]:
    """Send what is written to descriptor 2 to ``<log_dir>/native-stderr.log`` while inside."""
    try:
        stream = sys.__stderr__
        if stream is None or not os.isatty(2):
            yield None
            return
    except (OSError, ValueError):
        yield None
        return
    path = Path(log_dir) / "native-stderr.log" if log_dir is not None else FALLBACK_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = open(path, "ab")
    except OSError:
        yield None  # nowhere to put it: leave the terminal as it is
        return
    stream.flush()
    terminal_fd = os.dup(2)
    terminal = os.fdopen(terminal_fd, "w", encoding=stream.encoding, errors=stream.errors, buffering=1)
    saved_dunder, saved_stderr = sys.__stderr__, sys.stderr
    os.dup2(log.fileno(), 2)
    sys.__stderr__ = terminal  # Textual's driver draws on sys.__stderr__
    if saved_stderr is saved_dunder:
        sys.stderr = terminal
    try:
        yield path
    finally:
        terminal.flush()
        os.dup2(terminal.fileno(), 2)
        sys.__stderr__, sys.stderr = saved_dunder, saved_stderr
        terminal.close()
        log.close()
