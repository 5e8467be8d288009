"""Benchmarks 5, 6 and 7: cold start-up, peak memory and bytes sent to the terminal; all in fresh processes."""

from __future__ import annotations

import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import Row, synthetic_history

CLI = [sys.executable, "-m", "epochwatch.tui.cli"]
HERE = Path(__file__).resolve().parent


def _write_csv(epochs: int, folder: Path) -> Path:
    from epochwatch.engine.formats import write_csvlogger

    return write_csvlogger(synthetic_history(epochs), folder / f"history-{epochs}.csv")


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    try:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(command[2:4])} did not finish in 120 s") from None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed: {done.stderr.strip()[-200:]}")
    return elapsed


def _export_available() -> bool:
    try:
        import epochwatch.tui.export  # noqa: F401
    except ImportError:
        return False
    return True


def run_startup(quick: bool) -> list[Row]:
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="epochwatch-bench-") as tmp:
        folder = Path(tmp)
        history = _write_csv(10_000, folder)
        commands = {
            "import tensorflow": [sys.executable, "-c", "import tensorflow"],
            "diagnose": [*CLI, "diagnose", str(history)],
        }
        if _export_available():
            commands["replay --export"] = [*CLI, "replay", str(history), "--export", str(folder / "out.svg")]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                times[name].append(_timed(command))
    tf = statistics.median(times["import tensorflow"])
    rows = []
    for name in ("diagnose", "replay --export"):
        if name not in times:
            rows.append(Row(f"5 start-up: {name}, 10,000 epochs", "-", "not available", "-", ">= 3x faster", None))
            continue
        ours = statistics.median(times[name])
        speedup = statistics.median(t / o for t, o in zip(times["import tensorflow"], times[name]))
        rows.append(Row(f"5 start-up: {name}, 10,000 epochs", f"import tensorflow {tf:.2f} s", f"{ours:.2f} s",
                        f"{speedup:.1f}x faster", ">= 3x faster", speedup >= 3))
    return rows


# VmHWM, not ru_maxrss: a forked child inherits its parent's ru_maxrss (TensorFlow's, here)
_PEAK = ("import runpy, sys\n"
         "sys.argv = ['epochwatch'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('epochwatch.tui.cli', run_name='__main__')\n"
         "except SystemExit as exc:\n    code = exc.code\n"
         "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
         "print('PEAK_KB', hwm.split()[1], file=sys.stderr)\n")


def _peak_mb(args: list[str]) -> float:
    done = subprocess.run([sys.executable, "-c", _PEAK, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=600)
    for line in done.stderr.splitlines():
        if line.startswith("PEAK_KB"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no peak reported: {done.stderr.strip()[-200:]}")


def run_memory(quick: bool) -> list[Row]:
    if not _export_available():
        return [Row("6 memory: replay --export", "-", "not available", "-", "< 400 MB", None)]
    big = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="epochwatch-bench-") as tmp:
        folder = Path(tmp)
        small_file, big_file = _write_csv(1_000, folder), _write_csv(big, folder)
        base = _peak_mb(["replay", str(small_file), "--export", str(folder / "small.svg")])
        ours = _peak_mb(["replay", str(big_file), "--export", str(folder / "big.svg")])
    return [Row(f"6 memory: peak RSS, replay --export of {big:,} epochs", f"1,000 epochs {base:.0f} MB",
                f"{ours:.0f} MB", f"{ours / base:.2f}x", "< 400 MB", ours < 400)]


def _pty_bytes(seconds: float, rate: float, columns: int = 120, lines: int = 40) -> tuple[float, int, float]:
    """Bytes per second the app writes to a columns x lines terminal while fed ``rate`` epochs/s."""
    import fcntl
    import termios

    with tempfile.TemporaryDirectory(prefix="epochwatch-bench-") as tmp:
        marks = Path(tmp) / "marks"
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(columns), LINES=str(lines), LANG="C.UTF-8")
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(sys.executable, [sys.executable, str(HERE / "bench_pty_child.py"), str(marks),
                                       str(seconds), str(rate)], env)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        chunks: list[tuple[float, int]] = []
        deadline = time.time() + seconds + 60
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append((time.time(), len(data)))
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
        if not marks.exists():
            raise RuntimeError("the app in the pseudo-terminal did not finish its feed")
        start, end = map(float, marks.read_text().split())
    sent = sum(n for t, n in chunks if start <= t <= end)
    return sent / (end - start), sum(n for _, n in chunks), end - start


def run_ssh(quick: bool) -> list[Row]:
    seconds = 5.0 if quick else 20.0
    rate, total, span = _pty_bytes(seconds, 10.0)
    return [Row("7 over SSH: bytes to a 120x40 terminal at 10 epochs/s", f"{span:.0f} s of training",
                f"{rate / 1024:.1f} KB/s", "-", "< 50 KB/s", rate < 50 * 1024)]
