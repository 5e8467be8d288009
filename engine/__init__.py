"""epochwatch's engine: histories, their file formats, the diagnosis and the training side.

Importing this package never imports textual, rich, keras or tensorflow; ``RunLogger``
(a Keras callback) loads Keras only when it is asked for.
"""

from .diagnosis import Diagnosis, diagnose
from .history import History, Segment

__all__ = ["Diagnosis", "History", "Segment", "diagnose"]  # RunLogger stays out: `import *` must not load Keras


def __getattr__(name: str):
    if name == "RunLogger":
        from .runlogger import RunLogger

        return RunLogger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
