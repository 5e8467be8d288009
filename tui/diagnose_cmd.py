"""`epochwatch diagnose FILE...`: the verdict on saved histories, as text or JSON lines.

Imports no TensorFlow and no Textual: it must answer in well under a second.
"""

from __future__ import annotations

import json
import math
import sys
from typing import TextIO

from ..engine import diagnose
from ..engine.diagnosis import Diagnosis
from ..engine.formats import HistoryError, read_history

EXIT_BAD_INPUT = 2


def _clean(value: object) -> object:
    """JSON has no NaN or Infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def diagnosis_record(path: str, epochs: int, d: Diagnosis) -> dict:
    record = {"file": path, "epochs": epochs}
    record.update(d.to_dict())
    return _clean(record)


VERDICT_STYLES = {
    "underfitting": "bold yellow",
    "good_fit": "bold green",
    "overfitting": "bold red",
    "diverged": "bold magenta",
    "insufficient_data": "bold",
}


def _summary_lines(path: str, epochs: int, d: Diagnosis) -> list[tuple[str, str]]:
    """(text, rich style) lines of the readable summary."""
    lines = [(f"{path}: {d.word}", VERDICT_STYLES[d.verdict])]
    facts = [f"{epochs} epochs", f"judged on {d.monitor}"]
    if d.best_epoch is not None:
        facts.append(f"best epoch {d.best_epoch}")
    if d.still_improving:
        facts.append("still improving")
    if d.suggested_total_epochs:
        facts.append(f"worth about {d.suggested_total_epochs} epochs in total")
    lines.append(("  " + ", ".join(facts), ""))
    if d.bias is not None:
        gauge = f"  bias {d.bias:.2f}"
        if d.variance is not None:
            gauge += f", variance {d.variance:.2f}"
        gauge += f" (baseline {d.baseline:.4g}: {d.baseline_source})"
        lines.append((gauge, "dim"))
    lines += [(f"  - {r}", "") for r in d.reasons]
    lines += [(f"  > {a}", "cyan") for a in d.advice]
    return lines


def run_diagnose(paths: list[str], *, as_json: bool = False, monitor: str = "val_loss",
                 out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    status = 0
    console = None
    if not as_json and out.isatty():
        from rich.console import Console

        console = Console(file=out, highlight=False)
    for i, path in enumerate(paths):
        try:
            history = read_history(path)
        except HistoryError as e:
            status = EXIT_BAD_INPUT
            print(f"epochwatch: {e}", file=err)
            if as_json:
                print(json.dumps({"file": path, "error": e.problem}), file=out)
            continue
        d = diagnose(history, monitor=monitor)
        if as_json:
            print(json.dumps(diagnosis_record(path, len(history), d)), file=out)
            continue
        if i:
            print(file=out)
        for text, style in _summary_lines(path, len(history), d):
            if console is not None:
                console.print(text, style=style or None, soft_wrap=False)
            else:
                print(text, file=out)
    out.flush()
    return status
