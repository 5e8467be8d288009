"""The one exception every reader and writer raises, so callers show one clear line."""

from __future__ import annotations

import os


class HistoryError(Exception):
    """A history file could not be read or written.

    ``str(err)`` is a single line, ``"<path>: <problem>"``, fit to show a user as is.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = " ".join(str(problem).split()) or "unknown problem"
        super().__init__(f"{self.path}: {self.problem}")
