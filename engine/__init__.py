"""epochwatch's engine: histories, their file formats, the diagnosis and the training side.

Importing this package never imports textual, rich, keras or tensorflow.
"""

from .diagnosis import Diagnosis, diagnose
from .history import History, Segment

__all__ = ["Diagnosis", "History", "Segment", "diagnose"]
