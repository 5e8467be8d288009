"""End to end in a real terminal: tmux runs ``epochwatch demo``, we read the screen and press keys."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def capture(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for_screen(session: str, predicate, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        try:
            screen = capture(session)
        except subprocess.CalledProcessError:
            break  # the session ended
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last screen:\n{screen}")


def session_alive(session: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0


def test_demo_in_a_real_terminal(tmp_path: Path):
    session = f"epochwatch-e2e-{uuid.uuid4().hex[:8]}"
    status_file = tmp_path / "status"
    command = (
        f"cd {tmp_path} && {sys.executable} -m epochwatch.tui.cli demo seed-underfit --epochs 8; "
        f"echo $? > {status_file}"
    )
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
    try:
        screen = wait_for_screen(session, lambda s: "finished" in s, 120, "the demo to finish")
        assert "seed-underfit" in screen
        assert "Epoch 8/8" in screen
        words = ("UNDERFITTING", "GOOD FIT", "OVERFITTING", "DIVERGED", "NOT ENOUGH DATA")
        assert any(word in screen for word in words), screen
        assert "bias" in screen and "variance" in screen
        # TensorFlow's C++ logging goes to a file beside the run logs, not over the screen
        for chatter in ("I0000", "cuda", "oneDNN", "absl"):
            assert chatter not in screen, screen
        tmux("send-keys", "-t", session, "e")  # extend: the target rises and training goes on
        screen = wait_for_screen(session, lambda s: re.search(r"Epoch \d+/(?!8\b)\d+", s) is not None, 60,
                                 "the extension")
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while not status_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status_file.exists(), "the app did not exit within 10 s of q"
        assert status_file.read_text().strip() == "0"
    finally:
        if session_alive(session):
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    runs = list((tmp_path / "epochwatch-runs").glob("*seed-underfit*.jsonl"))
    assert len(runs) == 1
    assert (tmp_path / "epochwatch-runs" / "native-stderr.log").is_file()
