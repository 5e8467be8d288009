"""Messages the training thread posts to the UI; each wraps one engine event.

Posting a message is thread-safe, so the trainer's listener only ever calls
``post_message``. Batch ticks are "latest state" messages: a newer one replaces a
queued older one. Epoch messages never replace anything, so no epoch is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from epochwatch.engine.events import (
    BatchProgress,
    EpochBegin,
    EpochEnd,
    Event,
    Notice,
    StateChanged,
    TrainBegin,
    TrainEnd,
)


@dataclass
class TrainingStarted(Message):
    """A call to ``fit`` began (first run, extension or restart)."""

    event: TrainBegin


@dataclass
class EpochStarted(Message):
    event: EpochBegin


@dataclass
class BatchTick(Message):
    """Progress inside an epoch; only the newest queued one matters."""

    event: BatchProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatchTick)


@dataclass
class EpochFinished(Message):
    """An epoch ended; never dropped, never replaced."""

    event: EpochEnd


@dataclass
class TrainingEnded(Message):
    event: TrainEnd


@dataclass
class TrainerStateChanged(Message):
    event: StateChanged


@dataclass
class TrainerNotice(Message):
    event: Notice


class InboxReady(Message):
    """Engine events are waiting in the monitor's inbox (posted once per batch of events)."""


@dataclass
class TrainerReady(Message):
    """The trainer exists: what the header shows about the run."""

    device: str
    run_log_path: Path | None
    target_epochs: int


@dataclass
class TrainerFailed(Message):
    """The trainer could not even be built (bad data, broken model)."""

    error: str


_WRAPPERS: dict[type, type[Message]] = {
    TrainBegin: TrainingStarted,
    EpochBegin: EpochStarted,
    BatchProgress: BatchTick,
    EpochEnd: EpochFinished,
    TrainEnd: TrainingEnded,
    StateChanged: TrainerStateChanged,
    Notice: TrainerNotice,
}


def message_for(event: Event) -> Message | None:
    """The UI message for an engine event (None for events the UI does not know)."""
    wrapper = _WRAPPERS.get(type(event))
    return wrapper(event) if wrapper else None
