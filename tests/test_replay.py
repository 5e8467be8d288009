"""Replay: the causal verdict strip against diagnose on prefixes, and the replay screen through Pilot."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import epochwatch.engine
from epochwatch.engine import History, diagnose
from epochwatch.engine.formats import read_history
from epochwatch.engine.replay import ReplayModel
from epochwatch.tui.cli import main
from epochwatch.tui.screens.replay import ReplayScreen
from epochwatch.tui.viewer_app import create_viewer_app
from epochwatch.tui.widgets.strip import VerdictStrip
from epochwatch.tui.widgets.verdict import VerdictPanel

from keras_runs import fit_all_formats
from pilot_helpers import wait_for

pytestmark = pytest.mark.timeout(300)
TEXTBOOK = Path(epochwatch.engine.__path__[0]) / "examples" / "textbook-500-epochs.json"


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    return fit_all_formats(tmp_path_factory.mktemp("fit"), epochs=20)


def overfitting_history(n: int = 120) -> History:
    e = np.arange(1, n + 1, dtype=float)
    rng = np.random.default_rng(1)
    loss = 2.0 / np.sqrt(e) + 0.005 * rng.standard_normal(n)
    val = 2.0 / np.sqrt(e) + 0.002 * np.maximum(0, e - 40) ** 1.2 + 0.005 * rng.standard_normal(n)
    return History({"loss": loss, "val_loss": val})


@pytest.mark.parametrize("which", ["csv", "tensorboard", "runlog", "json"])
def test_strip_is_diagnose_on_every_prefix(run_files, which):
    history = read_history(run_files[which])
    model = ReplayModel(history)
    expected = [diagnose(history, t).verdict for t in range(1, len(history) + 1)]
    assert [v for _, v in model.strip(200)] == expected
    assert [v for _, v in model.strip(200, upto=7)] == expected[:7] + [None] * (len(history) - 7)


def test_next_change_is_the_first_differing_prefix():
    history = overfitting_history()
    model = ReplayModel(history)
    verdicts = [diagnose(history, t).verdict for t in range(1, len(history) + 1)]
    assert len(set(verdicts)) >= 3, verdicts
    for t in (1, 5, 30, 60):
        brute = next((e for e in range(t + 1, len(history) + 1) if verdicts[e - 1] != verdicts[t - 1]), None)
        assert model.next_change(t) == brute


def test_long_runs_are_judged_at_bounded_points_and_memory_is_printed(capsys):
    n = 1_000_000
    tracemalloc.start()
    e = np.arange(1, n + 1, dtype=float)
    history = History({"loss": 1 / np.sqrt(e), "val_loss": 1 / np.sqrt(e) + 3e-7 * e})
    model = ReplayModel(history)
    started = time.perf_counter()
    strip = model.strip(100)
    change = model.next_change(1)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(strip) == 100 and strip[-1] == (n, diagnose(history).verdict)
    assert change is not None and diagnose(history, change).verdict != diagnose(history, change - 1).verdict
    with capsys.disabled():
        print(f"\n1M-epoch replay model: strip of 100 cells + next change in {elapsed:.2f} s, "
              f"peak traced memory {peak / 2**20:.0f} MiB")


async def test_replay_screen_shows_what_was_known_at_each_epoch():
    history = overfitting_history()
    screen = ReplayScreen([("synthetic", history)], at=10)
    app = create_viewer_app(lambda: screen)
    async with app.run_test(size=(110, 32)) as pilot:
        await wait_for(pilot, lambda: screen.frames_shown > 0, what="the first frame")
        assert screen.position == 10 and not screen.playing
        assert len(screen.curves.history) == 10
        await pilot.press("right")
        assert screen.position == 11
        assert screen.query_one(VerdictPanel).diagnosis == diagnose(history, 11)
        await pilot.press("shift+right")
        assert screen.position == 21
        await pilot.press("g")
        change = ReplayModel(history).next_change(21)
        assert screen.position == change
        assert screen.query_one(VerdictPanel).diagnosis.verdict == diagnose(history, change).verdict
        await wait_for(pilot, lambda: screen.query_one(VerdictStrip).cells, what="the strip")
        cells = screen.query_one(VerdictStrip).cells
        shown = [(end, v) for end, v in cells if v is not None]
        assert shown and all(v == diagnose(history, end).verdict for end, v in shown)
        assert max(end for end, _ in shown) <= change
        await pilot.press("home")
        assert screen.position == 0
        await pilot.press("plus", "plus", "plus")
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.position == len(history), what="the replay to reach the end")
        assert not screen.playing
        assert screen.query_one(VerdictPanel).diagnosis == diagnose(history)
        await pilot.press("end", "q")
    assert app.return_code == 0


async def test_several_runs_overlaid_and_n_cycles_the_described_run(run_files, tmp_path: Path):
    first = read_history(run_files["csv"])
    second = overfitting_history(30)
    second.source = str(tmp_path / "synthetic.json")  # x saves next to it
    screen = ReplayScreen([("keras.csv", first), ("synthetic", second)], at=15)
    app = create_viewer_app(lambda: screen)
    async with app.run_test(size=(120, 32)) as pilot:
        await wait_for(pilot, lambda: screen.frames_shown > 0, what="the first frame")
        assert screen.total == 30
        assert len(screen.curves.plot.previous_attempts) == 1
        legend = str(screen.query_one("#curves-legend").content)
        assert "keras.csv" in legend and "synthetic" in legend
        assert screen.query_one(VerdictPanel).diagnosis == diagnose(first, 15)
        await pilot.press("n")
        assert screen.query_one(VerdictPanel).diagnosis == diagnose(second, 15)
        await pilot.press("x")
        assert screen.last_export is not None and screen.last_export.parent == tmp_path
        assert "Epoch" in screen.last_export.read_text()


def test_unreadable_file_is_one_line_and_status_2(tmp_path: Path, capsys):
    bad = tmp_path / "broken.csv"
    bad.write_text("epoch,loss\n0,abc\n")
    assert main(["replay", str(TEXTBOOK), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and "abc" in err
    assert main(["watch", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err


async def test_next_change_on_a_long_run_is_searched_without_freezing_the_screen():
    history = overfitting_history(3000)  # past EXACT_EPOCHS: searched a slice at a time
    screen = ReplayScreen([("long", history)], at=20)
    app = create_viewer_app(lambda: screen)
    async with app.run_test(size=(110, 32)) as pilot:
        await wait_for(pilot, lambda: screen.frames_shown > 0, what="the first frame")
        await pilot.press("g", "l")  # the screen takes keys while the search goes on
        assert screen.curves.log_scale
        await wait_for(pilot, lambda: screen.position != 20, timeout=120, what="the jump to the next change")
        expected = ReplayModel(history).next_change(20)
        assert screen.position == expected
        assert diagnose(history, expected).verdict != diagnose(history, 20).verdict
        await pilot.press("q")
