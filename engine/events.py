"""Events the training side emits; the UI (or any other listener) turns them into screens.

Plain dataclasses, no Keras: a listener is any ``Callable[[Event], None]``. Epoch events
are never dropped; ``BatchProgress`` is throttled by its producer and a newer one may
replace an older one that has not been handled yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Union

if TYPE_CHECKING:
    from .diagnosis import Diagnosis


@dataclass(frozen=True)
class TrainBegin:
    """A call to ``fit`` begins (first run, extension, restart or resume)."""

    attempt: int
    initial_epoch: int  # epochs already done in this attempt (0 on a fresh attempt)
    target_epochs: int  # the epoch number training runs up to
    steps_per_epoch: int | None
    kind: str  # "initial", "extend", "restart", "resume"


@dataclass(frozen=True)
class EpochBegin:
    attempt: int
    epoch: int  # 1-based
    target_epochs: int


@dataclass(frozen=True)
class BatchProgress:
    """Throttled progress within an epoch (at most ~10 per second)."""

    attempt: int
    epoch: int  # 1-based
    step: int  # batches done in this epoch
    steps: int | None  # batches per epoch, if known
    logs: dict[str, float] = field(default_factory=dict)  # running means since the epoch began


@dataclass(frozen=True)
class EpochEnd:
    """An epoch finished; ``logs`` are Keras' epoch logs (loss, val_loss, ...)."""

    attempt: int
    epoch: int  # 1-based
    logs: dict[str, float]
    wall_time: float  # unix time at the end of the epoch
    seconds: float  # how long the epoch took
    diagnosis: "Diagnosis | None" = None  # the verdict on the attempt's history up to this epoch


@dataclass(frozen=True)
class TrainEnd:
    """A call to ``fit`` ended: ``reason`` is "finished", "stopped", "diverged" or "failed"."""

    attempt: int
    epoch: int  # last completed epoch
    reason: str
    error: str | None = None  # one-line message when failed
    traceback: str | None = None


@dataclass(frozen=True)
class StateChanged:
    """The trainer's state: "idle", "running", "stopping", "stopped", "finished", "failed"."""

    state: str


@dataclass(frozen=True)
class Notice:
    """Something the user should be told (weights restored, files saved, ...)."""

    text: str
    level: str = "info"  # "info", "warning", "error"


Event = Union[TrainBegin, EpochBegin, BatchProgress, EpochEnd, TrainEnd, StateChanged, Notice]
Listener = Callable[[Event], None]
