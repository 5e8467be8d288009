"""Exports: SVG of the final frame and the Markdown report, from real Keras files and a 1M-epoch history."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from epochwatch.engine import History, diagnose
from epochwatch.engine.formats import read_history, write_keras_json
from epochwatch.tui.export import export_runs, markdown_report

from keras_runs import fit_all_formats

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    return fit_all_formats(tmp_path_factory.mktemp("fit"))


def test_svg_export_from_the_command_line_needs_no_terminal(run_files, tmp_path: Path):
    out = tmp_path / "frame.svg"
    done = subprocess.run([sys.executable, "-m", "epochwatch.tui.cli", "replay", str(run_files["tensorboard"]),
                           "--export", str(out)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    svg = out.read_text()
    verdict = diagnose(read_history(run_files["tensorboard"])).word
    assert svg.startswith("<svg")
    assert verdict.replace(" ", "&#160;") in svg or verdict in svg
    assert "Epoch" in svg


def test_markdown_report_has_verdict_best_epoch_table_and_curve(run_files, tmp_path: Path):
    history = read_history(run_files["csv"])
    final = diagnose(history)
    path = export_runs([("log.csv", history)], tmp_path / "report.md")
    text = path.read_text()
    assert f"**Verdict: {final.word}**" in text
    if final.best_epoch is not None:
        assert f"**Best epoch: {final.best_epoch}**" in text
    assert "| epoch | loss | val_loss |" in text
    table = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert table[0].startswith("| 1 |") and table[-1].startswith(f"| {len(history)} |")
    assert "```" in text and "val_loss" in text.split("## Curve")[1]
    for reason in final.reasons:
        assert reason in text


def test_export_at_an_epoch_describes_that_prefix(tmp_path: Path):
    e = np.arange(1, 201, dtype=float)
    history = History({"loss": 1 / np.sqrt(e), "val_loss": 1 / np.sqrt(e) + 0.004 * np.maximum(0, e - 60)})
    text = markdown_report("x", history.prefix(50))
    assert f"**Verdict: {diagnose(history, 50).word}** after 50 epochs" in text


def test_a_million_epoch_export_completes(tmp_path: Path, capsys):
    n = 1_000_000
    e = np.arange(1, n + 1, dtype=float)
    rng = np.random.default_rng(0)
    history = History({"loss": 1 / np.sqrt(e) + 0.01 * rng.random(n),
                       "val_loss": 1 / np.sqrt(e) + 3e-7 * e + 0.01 * rng.random(n)})
    source = write_keras_json(history, tmp_path / "million.json")
    timings = {}
    for suffix in ("md", "svg"):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "epochwatch.tui.cli", "replay", str(source), "--export",
                               str(tmp_path / f"million.{suffix}")], capture_output=True, text=True, timeout=240,
                              stdin=subprocess.DEVNULL)
        timings[suffix] = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
    assert "OVERFITTING" in (tmp_path / "million.md").read_text()
    assert "Epoch" in (tmp_path / "million.svg").read_text()
    with capsys.disabled():
        print("\n1M-epoch export (whole command incl. reading the JSON): "
              + ", ".join(f".{k} {v:.1f} s" for k, v in timings.items()))


def test_unknown_export_suffix_is_refused(tmp_path: Path):
    from epochwatch.tui.cli import main

    history = History({"loss": [1.0, 0.5, 0.4]})
    source = write_keras_json(history, tmp_path / "h.json")
    assert main(["replay", str(source), "--export", str(tmp_path / "out.png")]) == 2
