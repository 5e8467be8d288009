"""SVG screenshots of the monitor's main states at 100x30, checked for the texts a user reads.

The SVGs go to pytest's tmp_path (and to $EPOCHWATCH_SCREENSHOTS when set, e.g. for
the README). A real tiny training drives the screen; the verdict states are then
shown by setting the screen's diagnosis to hand-built ones, as the trainer would.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from epochwatch.engine.diagnosis import Diagnosis
from epochwatch.tui.app import create_app

from test_tui_app import SIZE, tiny_source, wait_for

pytestmark = pytest.mark.timeout(180)

WORDS = {"underfitting": "UNDERFITTING", "good_fit": "GOOD FIT", "overfitting": "OVERFITTING",
         "diverged": "DIVERGED"}


def svg_text(svg: str) -> str:
    """The characters an SVG screenshot shows, line pieces joined (enough for 'contains' checks)."""
    pieces = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return "".join(html.unescape(p) for p in pieces).replace("\xa0", " ")


def save(app, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.svg"
    app.save_screenshot(filename=path.name, path=str(tmp_path))
    target = os.environ.get("EPOCHWATCH_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
    return svg_text(path.read_text(encoding="utf-8"))


def hand_made(verdict: str, epoch: int) -> Diagnosis:
    return Diagnosis(
        verdict=verdict, epoch=epoch, monitor="val_loss", has_validation=True, still_improving=False,
        best_epoch=max(1, epoch - 2), suggested_total_epochs=epoch + 40, bias=0.42, variance=0.17,
        baseline=1.37, baseline_source="Var(y) of the training targets",
        reasons=(f"reason for {verdict}: val_loss 0.0123 at epoch {epoch}",),
        advice=(f"advice for {verdict}: extend by about 40 epochs",),
    )


async def test_screenshots_of_the_main_states(tmp_path: Path):
    app = create_app(tiny_source(epochs=8), log_dir=tmp_path / "runs", theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 1, what="the first epoch")
        await wait_for(pilot, lambda: monitor.state == "finished", what="state finished")
        await pilot.pause(0.2)  # the coalesced redraw (10 per second) has happened
        text = save(app, tmp_path, "finished")
        assert "Epoch 8/8" in text
        assert "finished" in text
        assert "tiny" in text
        assert monitor.diagnosis.word in text
        assert "best" in text  # the legend names the best epoch
        assert "sStop" in text.replace(" ", "") and "qQuit" in text.replace(" ", "")
        for verdict, word in WORDS.items():
            monitor.diagnosis = hand_made(verdict, 8)
            await pilot.pause()
            text = save(app, tmp_path, f"verdict-{verdict}")
            assert word in text
            assert f"reason for {verdict}" in text
            assert "0.42" in text and "bias dominates" in text
        for theme in ("light", "high-contrast"):
            app.theme = theme
            await pilot.pause()
            assert "DIVERGED" in save(app, tmp_path, f"theme-{theme}")
        await pilot.press("question_mark")
        text = save(app, tmp_path, "help")
        assert "Restart" in text and "fresh weights" in text
        await pilot.press("escape", "q")
        await wait_for(pilot, lambda: not app.is_running, timeout=10, what="the app to exit")


async def test_screenshot_while_running_and_at_80x24(tmp_path: Path):
    app = create_app(tiny_source(epochs=3000), log_dir=None)
    async with app.run_test(size=(80, 24)) as pilot:
        monitor = app.monitor
        await wait_for(pilot, lambda: len(monitor.history) >= 3 and monitor.state == "running",
                       what="training to run")
        text = save(app, tmp_path, "running-80x24")
        assert "running" in text
        assert re.search(r"Epoch +\d+/3000", text)
        assert "ETA" in text
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=10, what="the app to exit")


async def test_start_screen_lists_scenarios_and_recent_runs(tmp_path: Path, monkeypatch):
    from epochwatch.engine.demos import SCENARIOS

    runs = tmp_path / "epochwatch-runs"
    runs.mkdir()
    (runs / "20260101-120000-old.jsonl").write_text("{}\n")
    newer = runs / "20260102-120000-new.jsonl"
    newer.write_text("{}\n")
    os.utime(runs / "20260101-120000-old.jsonl", (time.time() - 100, time.time() - 100))
    monkeypatch.chdir(tmp_path)
    app = create_app(theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = save(app, tmp_path, "start")
        for name in SCENARIOS:
            assert name in text
        assert "epochwatch run train.py" in text
        assert text.index("20260102-120000-new.jsonl") < text.index("20260101-120000-old.jsonl")
        await pilot.press("q")


async def test_start_screen_replays_a_recent_run(tmp_path: Path, monkeypatch):
    from epochwatch.engine.formats import RunLogWriter
    from epochwatch.tui.screens.replay import ReplayScreen

    runs = tmp_path / "epochwatch-runs"
    with RunLogWriter(runs / "20260103-120000-tiny.jsonl", run="tiny") as log:
        for epoch in range(1, 21):
            log.epoch(epoch, {"loss": 1.0 / epoch, "val_loss": 1.1 / epoch})
    (runs / "20260101-120000-broken.jsonl").write_text("not a run log\n")
    os.utime(runs / "20260101-120000-broken.jsonl", (time.time() - 100, time.time() - 100))
    monkeypatch.chdir(tmp_path)
    app = create_app(theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        recent = app.screen.query_one("#start-recent")
        recent.focus()
        recent.highlighted = 1  # the unreadable one (older): a message, no replay
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ReplayScreen)
        recent.highlighted = 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), timeout=10, what="the replay screen")
        assert app.screen.total == 20
        await pilot.press("q")


async def test_start_screen_shows_the_verdict_a_finished_run_ended_with(tmp_path: Path, monkeypatch):
    from epochwatch.engine.events import TrainEnd
    from epochwatch.engine.trainer import Trainer

    ends = []
    trainer = Trainer(tiny_source(epochs=6), listener=lambda e: ends.append(e) if isinstance(e, TrainEnd) else None,
                      log_dir=tmp_path / "epochwatch-runs")
    thread = threading.Thread(target=trainer.run)
    thread.start()
    deadline = time.monotonic() + 120
    while not ends:
        assert time.monotonic() < deadline, "training did not end"
        time.sleep(0.05)
    trainer.quit()
    thread.join(30)
    word = trainer.last_diagnosis.verdict.replace("_", " ").upper()
    monkeypatch.chdir(tmp_path)
    app = create_app(theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = save(app, tmp_path, "start-verdict")
        assert trainer.run_log_path.name in text and word in text
        await pilot.press("q")
