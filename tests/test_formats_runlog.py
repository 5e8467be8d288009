"""epochwatch's run log: writer -> reader round trips, attempts, segments, crashes."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from epochwatch.engine.formats import HistoryError, RunLogWriter, read_history, read_runlog
from epochwatch.engine.history import Segment


def test_header_epochs_and_markers_round_trip(tmp_path):
    path = tmp_path / "runs" / "deep" / "a.jsonl"
    with RunLogWriter(path, run="a", experiment="lr-sweep", keras_version="3.15.1", device="cpu",
                      meta={"baseline": 0.25, "script": "train.py", "scenario": "overfit"}) as log:
        assert log.path == path
        log.marker("start", 0)
        for epoch, loss in enumerate([1.0, math.nan, math.inf, -math.inf, 0.5], start=1):
            log.epoch(epoch, {"loss": loss, "val_loss": np.float32(loss * 2)}, wall_time=1000.0 + epoch,
                      seconds=1.5)
        log.marker("finish", 5, reason="done")
    h = read_history(path)
    assert h.meta["format"] == "runlog" and h.source == str(path)
    for key, value in {"run": "a", "experiment": "lr-sweep", "keras_version": "3.15.1", "device": "cpu",
                       "baseline": 0.25, "script": "train.py", "scenario": "overfit"}.items():
        assert h.meta[key] == value
    assert h.meta["started"].endswith("+00:00")
    np.testing.assert_array_equal(h["loss"], [1.0, math.nan, math.inf, -math.inf, 0.5])
    np.testing.assert_array_equal(h["val_loss"], [2.0, math.nan, math.inf, -math.inf, 1.0])
    assert [m["event"] for m in h.meta["markers"]] == ["start", "finish"]
    assert h.meta["markers"][1]["reason"] == "done"
    assert h.meta["epoch_seconds"] == [1.5] * 5
    assert h.meta["epoch_times"] == [1001.0, 1002.0, 1003.0, 1004.0, 1005.0]
    assert h.segments == [Segment(1, 5, "initial")]


def test_null_values_read_as_nan(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"type":"header","format":"epochwatch-runlog","version":1,"run":"x"}\n'
                    '{"type":"epoch","epoch":1,"attempt":1,"logs":{"loss":null,"val_loss":1}}\n')
    h = read_runlog(path)
    assert math.isnan(h["loss"][0]) and h["val_loss"][0] == 1.0


@pytest.mark.parametrize("restart_attempt", ["old", "new"])
def test_restart_starts_new_attempt_and_keeps_old_ones(tmp_path, restart_attempt):
    path = tmp_path / "a.jsonl"
    with RunLogWriter(path, run="a") as log:
        for attempt in (1, 2, 3):
            if attempt > 1:
                log.marker("restart", 0, attempt=attempt - 1 if restart_attempt == "old" else attempt)
            for epoch in range(1, 3 + attempt):
                log.epoch(epoch, {"loss": 10 * attempt + epoch}, attempt=attempt)
    h = read_runlog(path)
    np.testing.assert_array_equal(h["loss"], [31, 32, 33, 34, 35])
    assert h.meta["attempt"] == 3 and h.segments == [Segment(1, 5, "restart")]
    assert [len(p) for p in h.previous_attempts] == [3, 4]
    np.testing.assert_array_equal(h.previous_attempts[0]["loss"], [11, 12, 13])
    assert h.previous_attempts[0].segments == [Segment(1, 3, "initial")]
    assert [m["event"] for m in h.meta["markers"]] == ["restart", "restart"]


def test_restart_marker_alone_starts_a_new_attempt(tmp_path):
    path = tmp_path / "a.jsonl"
    with RunLogWriter(path, run="a") as log:
        log.epoch(1, {"loss": 1})
        log.epoch(2, {"loss": 2})
        log.marker("restart", 2)
        log.epoch(1, {"loss": 3})  # a writer that forgot to bump the attempt number
    h = read_runlog(path)
    np.testing.assert_array_equal(h["loss"], [3])
    assert len(h.previous_attempts) == 1 and h.meta["attempt"] == 2


def test_extend_and_resume_markers_make_segments(tmp_path):
    path = tmp_path / "a.jsonl"
    with RunLogWriter(path, run="a") as log:
        for epoch in range(1, 5):
            log.epoch(epoch, {"loss": epoch})
        log.marker("extend", 4, to=6)
        for epoch in (5, 6):
            log.epoch(epoch, {"loss": epoch})
        log.marker("resume", 6, checkpoint_epoch=3)
        for epoch in (4, 5):
            log.epoch(epoch, {"loss": 40 + epoch})
    h = read_runlog(path)
    np.testing.assert_array_equal(h["loss"], [1, 2, 3, 44, 45])
    assert h.segments == [Segment(1, 3, "initial"), Segment(4, 5, "resume")]
    path2 = tmp_path / "b.jsonl"
    with RunLogWriter(path2, run="b") as log:
        log.epoch(1, {"loss": 1})
        log.marker("extend", 1)
        log.epoch(2, {"loss": 2})
        log.epoch(3, {"loss": 3})
    assert read_runlog(path2).segments == [Segment(1, 1, "initial"), Segment(2, 3, "extend")]


def test_truncated_last_line_is_ignored_and_append_cuts_it(tmp_path):
    path = tmp_path / "a.jsonl"
    with RunLogWriter(path, run="a") as log:
        log.epoch(1, {"loss": 1.0})
        log.epoch(2, {"loss": 0.5})
    with open(path, "a") as f:
        f.write('{"type":"epoch","epoch":3,"logs":{"lo')  # killed mid-write
    assert len(read_runlog(path)) == 2
    with RunLogWriter(path, run="ignored", append=True) as log:
        log.marker("resume", 2)
        log.epoch(3, {"loss": 0.25})
    lines = path.read_text().splitlines()
    assert sum('"header"' in line for line in lines) == 1
    assert all(json.loads(line) for line in lines)
    h = read_runlog(path)
    np.testing.assert_array_equal(h["loss"], [1.0, 0.5, 0.25])
    assert h.meta["run"] == "a"
    assert h.segments == [Segment(1, 2, "initial"), Segment(3, 3, "resume")]


def test_append_to_missing_file_writes_header(tmp_path):
    with RunLogWriter(tmp_path / "new.jsonl", run="n", append=True) as log:
        log.epoch(1, {"loss": 1})
    assert read_runlog(tmp_path / "new.jsonl").meta["run"] == "n"


def test_header_only_is_an_empty_history(tmp_path):
    RunLogWriter(tmp_path / "a.jsonl", run="a").close()
    h = read_history(tmp_path / "a.jsonl")
    assert len(h) == 0 and h.meta["run"] == "a"


def test_batches_are_buffered_and_last_one_is_reported(tmp_path):
    path = tmp_path / "a.jsonl"
    log = RunLogWriter(path, run="a")
    log.epoch(1, {"loss": 1})
    size = path.stat().st_size
    log.batch(2, 5, 10, {"loss": 0.9})
    assert path.stat().st_size == size  # not flushed per batch
    log.marker("stop", 2)
    log.close()
    log.close()  # idempotent
    h = read_runlog(path)
    assert h.meta["last_batch"]["step"] == 5 and h.meta["last_batch"]["steps"] == 10
    with pytest.raises(HistoryError, match="closed"):
        log.epoch(2, {"loss": 1})


def test_non_scalar_logs_are_left_out_and_unknown_events_refused(tmp_path):
    with RunLogWriter(tmp_path / "a.jsonl", run="a") as log:
        log.epoch(1, {"loss": 1.0, "per_class": [0.1, 0.2], "name": "x"})
        with pytest.raises(ValueError, match="unknown run log event"):
            log.marker("explode", 1)
    assert read_runlog(tmp_path / "a.jsonl").metric_names == ["loss"]


def test_unwritable_path_is_a_history_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(HistoryError, match="cannot write the run log"):
        RunLogWriter(tmp_path / "file" / "a.jsonl", run="a")


def test_writing_is_fast(tmp_path):
    with RunLogWriter(tmp_path / "a.jsonl", run="a") as log:
        logs = {"loss": 0.5, "val_loss": 0.6, "accuracy": 0.7, "val_accuracy": 0.65}
        start = time.perf_counter()
        for step in range(5000):
            log.batch(1, step, 5000, logs)
        batch_seconds = (time.perf_counter() - start) / 5000
        start = time.perf_counter()
        for epoch in range(1, 101):
            log.epoch(epoch, logs)
        epoch_seconds = (time.perf_counter() - start) / 100
    assert batch_seconds < 1e-3, batch_seconds
    assert epoch_seconds < 0.05, epoch_seconds
    start = time.perf_counter()
    assert len(read_runlog(tmp_path / "a.jsonl")) == 100
    assert time.perf_counter() - start < 1.0
