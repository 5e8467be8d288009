"""TensorBoard log directories as ``keras.callbacks.TensorBoard`` writes them.

Layout: ``<logdir>/train/events.out.tfevents.*`` and ``<logdir>/validation/...``; each
``fit`` call opens new event files. Epoch values are scalar summaries tagged
``epoch_<metric>`` at step = 0-based epoch (TF2 stores them as tensors; older
``simple_value`` scalars are read too); the ones under ``validation/`` become
``val_<metric>``. ``batch_*`` and ``evaluation_*_vs_iterations`` tags are ignored.

Files are taken in the order they were opened (timestamp, then the writer's counter
in the name). Each train file starts a new fit: one that goes back to epoch 0 starts a
new attempt; one that continues or overlaps starts a ``resume`` segment that replaces
values from its first epoch on. A record cut short at the end of a file (still being
written) is ignored. CRCs are not checked.

The records are parsed with TensorBoard's protobuf classes only; TensorFlow is never
imported (it would cost seconds).
"""

from __future__ import annotations

import math
import os
import re
import struct
from pathlib import Path

from ._builder import AttemptBuilder
from ._files import os_problem
from .errors import HistoryError
from ..history import History

FORMAT = "tensorboard"
EVENT_PREFIX = "events.out.tfevents"
_NAME_ORDER = re.compile(r"events\.out\.tfevents\.(\d+)\.(.*?)\.(\d+)\.(\d+)")


def _event_files(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.name.startswith(EVENT_PREFIX) and p.is_file()]
    except OSError:
        return []


def find_event_files(path: Path) -> dict[str, list[Path]]:
    """Event files by role ("train", "validation") in a Keras TensorBoard log dir."""
    found = {"train": _event_files(path / "train") + _event_files(path),
             "validation": _event_files(path / "validation")}
    return {role: files for role, files in found.items() if files}


def _order_key(path: Path) -> tuple:
    match = _NAME_ORDER.match(path.name)
    if match:
        stamp, host, pid, counter = match.groups()
        return (int(stamp), host, int(pid), int(counter), path.name)
    return (math.inf, "", 0, 0, path.name)


def split_records(data: bytes) -> tuple[list[bytes], int]:
    """The payloads of the TFRecords in ``data`` and the bytes they used; a record cut short waits."""
    payloads = []
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        end = pos + 12 + length
        if end + 4 > len(data):
            break
        payloads.append(data[pos + 12:end])
        pos = end + 4
    return payloads, pos


def _scalar(value) -> float | None:
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind == "tensor":
        from tensorboard.util import tensor_util

        array = tensor_util.make_ndarray(value.tensor)
        if array.size != 1:
            return None
        return float(array.reshape(()))
    return None


def epoch_rows(payloads: list[bytes], prefix: str, path: Path, first_index: int = 0,
               rows: dict[int, dict[str, float]] | None = None) -> dict[int, dict[str, float]]:
    """{0-based epoch: {metric: value}} from event payloads (added to ``rows`` if given)."""
    from google.protobuf.message import DecodeError
    from tensorboard.compat.proto import event_pb2

    rows = {} if rows is None else rows
    for index, payload in enumerate(payloads, start=first_index):
        event = event_pb2.Event()
        try:
            event.ParseFromString(payload)
        except DecodeError:
            raise HistoryError(path, f"record {index + 1} is not a TensorBoard event") from None
        if event.WhichOneof("what") != "summary":
            continue
        for value in event.summary.value:
            if not value.tag.startswith("epoch_"):
                continue
            try:
                number = _scalar(value)
            except Exception:  # malformed tensor protos: skip the value, keep the rest
                number = None
            if number is not None and event.step >= 0:
                rows.setdefault(int(event.step), {})[prefix + value.tag[len("epoch_"):]] = number
    return rows


def _epoch_rows(path: Path, prefix: str) -> dict[int, dict[str, float]]:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise HistoryError(path, f"cannot read: {os_problem(err)}") from None
    return epoch_rows(split_records(data)[0], prefix, path)


def assemble(path: Path, files: list[tuple[str, dict[int, dict[str, float]]]], meta: dict) -> History | None:
    """Event files' rows, in the order they were opened, as one History (None if no epochs).

    Each train file starts a new fit (with the validation files opened after it); a fit
    that goes back to epoch 0 starts a new attempt, one that continues a ``resume`` segment.
    """
    fits: list[dict[int, dict[str, float]]] = []
    for role, rows in files:
        if role == "train" or not fits:
            fits.append({})
        for step, values in rows.items():
            fits[-1].setdefault(step, {}).update(values)
    attempts: list[AttemptBuilder] = []
    builder = AttemptBuilder()
    for fit in fits:
        if not fit:
            continue
        steps = sorted(fit)
        kind = None
        if builder.n:
            if steps[0] == 0:
                attempts.append(builder)
                builder = AttemptBuilder(first_kind="restart")
            else:
                kind = "resume"
        for step in steps:
            builder.put(step + 1, fit[step], kind)
            kind = None
    if not builder.n:
        return None
    history = builder.build(source=str(path), meta=meta)
    history.previous_attempts = [old.build(source=str(path), meta=dict(meta)) for old in attempts]
    return history


def read_tensorboard(path: str | os.PathLike[str]) -> History:
    path = Path(path)
    files = find_event_files(path)
    if not files:
        runs = sorted(p.name for p in path.iterdir() if p.is_dir() and find_event_files(p)) \
            if path.is_dir() else []
        if runs:
            raise HistoryError(path, f"holds several TensorBoard runs; open one of: {', '.join(runs[:8])}")
        raise HistoryError(path, "is a directory without TensorBoard event files (expected train/ and validation/"
                                 " folders), not a training history")
    ordered = sorted(((f, role) for role, fs in files.items() for f in fs), key=lambda x: _order_key(x[0]))

    files_rows = [(role, _epoch_rows(file, "val_" if role == "validation" else "")) for file, role in ordered]
    meta = {"format": FORMAT, "event_files": [str(f) for f, _ in ordered]}
    history = assemble(path, files_rows, meta)
    if history is None:
        raise HistoryError(path, "no epoch_* scalars in the TensorBoard event files")
    names = set(history.metric_names)
    if "loss" not in names and "val_loss" not in names:
        raise HistoryError(path, f"no epoch_loss scalars (found: {', '.join(sorted(names)[:6])})")
    return history
