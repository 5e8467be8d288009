#!/usr/bin/env python
"""Every performance benchmark of epochwatch, each a ratio measured side by side in one run.

    python benchmarks/run.py            # all of them (several minutes)
    python benchmarks/run.py --quick    # a smoke run: fewer repeats, smaller sizes
    python benchmarks/run.py --only diagnosis --only drawing

Prints one table (benchmark, baseline, ours, ratio, target, met?) and exits 1 when a
target is missed. The machine is shared and noisy: variants are interleaved and
repeated, and ratios are medians of ratios paired within a round.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench_common import Row  # noqa: E402

BENCHMARKS = ("training", "keeping_up", "drawing", "diagnosis", "startup", "memory", "ssh")


def _load(name: str):
    if name == "training":
        from bench_training import run
    elif name == "keeping_up":
        from bench_ui import run_keeping_up as run
    elif name == "drawing":
        from bench_ui import run_drawing as run
    elif name == "diagnosis":
        from bench_diagnosis import run
    elif name == "startup":
        from bench_cli import run_startup as run
    elif name == "memory":
        from bench_cli import run_memory as run
    else:
        from bench_cli import run_ssh as run
    return run


def format_table(rows: list[Row]) -> str:
    header = ("benchmark", "baseline", "ours", "ratio", "target", "met?")
    cells = [header] + [(r.name, r.baseline, r.ours, r.ratio, r.target,
                         "-" if r.met is None else ("yes" if r.met else "NO")) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: fewer repeats, smaller sizes")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name in args.only or BENCHMARKS:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(_load(name)(args.quick))
        except Exception as exc:  # a broken benchmark is a missed target, not a traceback mid-table
            rows.append(Row(name, "-", f"error: {type(exc).__name__}: {exc}"[:120], "-", "runs", False))
        print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(format_table(rows))
    missed = [r.name for r in rows if r.met is False]
    if missed:
        print(f"\nmissed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
