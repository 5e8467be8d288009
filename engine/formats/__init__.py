"""History file formats: a reader for each, writers for the ones epochwatch saves.

``read_history(path)`` picks the reader by content; every problem is a HistoryError
whose message is one line naming the file.
"""

from .csvlogger import read_csvlogger, sniff_separator, write_csvlogger
from .errors import HistoryError
from .keras_json import read_keras_json, write_keras_json
from .runlog import MARKER_EVENTS, RunLogWriter, read_runlog
from .sniff import detect_format, read_history
from .tensorboard import read_tensorboard

__all__ = [
    "HistoryError",
    "MARKER_EVENTS",
    "RunLogWriter",
    "detect_format",
    "read_csvlogger",
    "read_history",
    "read_keras_json",
    "read_runlog",
    "read_tensorboard",
    "sniff_separator",
    "write_csvlogger",
    "write_keras_json",
]
