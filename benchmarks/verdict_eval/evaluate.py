"""Score epochwatch's verdict against the labelled real runs.

    python benchmarks/verdict_eval/evaluate.py            # tables
    python benchmarks/verdict_eval/evaluate.py --json     # the same numbers as JSON
    python benchmarks/verdict_eval/evaluate.py --wrong    # also list every wrong case

The diagnosis only ever sees ``loss``, ``val_loss``, accuracy and
``learning_rate`` (never the test curve) and is asked about epoch ``t`` of the
full run; ``--check-causal`` verifies it gives the same answer on the prefix.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labels import TRUE_CLASSES, Case, cases, character, load_runs  # noqa: E402

from epochwatch.engine.diagnosis import VERDICTS, diagnose  # noqa: E402
from epochwatch.engine.history import History  # noqa: E402

#: Curves the diagnosis may see; the test curve is the hidden truth.
VISIBLE = ("loss", "val_loss", "accuracy", "val_accuracy", "learning_rate")
STOP_VERDICTS = ("overfitting", "diverged")

__all__ = ["cases", "load_runs", "history_of", "keras_early_stopping", "score_verdicts", "simulate_online"]


def history_of(run: dict) -> History:
    """The run as a user's History: visible curves only, the chance level in meta."""
    metrics = {k: run[k] for k in VISIBLE if k in run}
    return History(metrics, meta={"baseline": run.get("baseline"), "baseline_source": run.get("baseline_source"),
                                  "name": run["name"]})


def keras_early_stopping(val: np.ndarray, patience: int = 10, min_delta: float = 0.0) -> tuple[int, int]:
    """Keras 3.15 ``EarlyStopping(patience, min_delta, restore_best_weights=True)`` on a val curve.

    Mirrors keras/src/callbacks/early_stopping.py: ``wait`` grows every epoch and is
    reset by an improvement (``current - |min_delta| < best``; NaN never improves
    but a first NaN becomes ``best``); training stops once ``wait >= patience``;
    ``on_train_end`` restores the best epoch's weights whether or not it stopped.
    Returns (restored epoch, epochs trained), both 1-based.
    """
    best: float | None = None
    best_epoch = 0
    wait = 0
    for epoch, current in enumerate(np.asarray(val, dtype=np.float64)):
        wait += 1
        if best is None or current - abs(min_delta) < best:
            best, best_epoch, wait = float(current), epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return best_epoch + 1, epoch + 1
    return best_epoch + 1, len(val)


def _regret(test: np.ndarray, epoch: int | None) -> float:
    finite = test[np.isfinite(test)]
    if epoch is None or not len(finite) or not 1 <= epoch <= len(test):
        return math.inf
    value = test[epoch - 1]
    low = float(finite.min())
    if not math.isfinite(value):
        return math.inf
    return float(value) / low - 1.0 if low > 0 else (0.0 if value <= low else math.inf)


def score_verdicts(case_list: list[Case], histories: dict[str, History], show_wrong: bool = False) -> dict:
    """Verdict accuracy, per true class, confusion matrix and still_improving agreement."""
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusion: dict[str, Counter] = defaultdict(Counter)
    improving = [0, 0]
    wrong = []
    right = 0
    for case in case_list:
        d = diagnose(histories[case.run], case.t)
        ok = d.verdict in case.acceptable
        right += ok
        per_class[case.label][0] += ok
        per_class[case.label][1] += 1
        confusion[case.label][d.verdict] += 1
        if case.label != "borderline":
            improving[0] += bool(d.still_improving) == (case.label == "underfitting")
            improving[1] += 1
        if not ok:
            wrong.append({"run": case.run, "t": case.t, "truth": sorted(case.acceptable), "verdict": d.verdict,
                          "why_truth": case.info.get("why", ""), "reasons": list(d.reasons)})
    n = len(case_list)
    out = {
        "cases": n,
        "accuracy": right / n if n else math.nan,
        "per_class": {c: {"n": per_class[c][1], "accuracy": per_class[c][0] / per_class[c][1]}
                      for c in TRUE_CLASSES if per_class[c][1]},
        "confusion": {c: dict(confusion[c]) for c in TRUE_CLASSES if c in confusion},
        "still_improving_agreement": improving[0] / improving[1] if improving[1] else math.nan,
        "still_improving_cases": improving[1],
    }
    if show_wrong:
        out["wrong"] = wrong
    return out


def simulate_online(run: dict, history: History, stride: int = 1) -> dict:
    """Train epoch by epoch, stop at the first overfitting/diverged verdict, keep its best epoch."""
    n = len(history)
    stop, best = n, None
    checks = sorted(set(range(stride, n + 1, stride)) | {n})
    for t in checks:
        d = diagnose(history, t)
        best = d.best_epoch
        if d.verdict in STOP_VERDICTS:
            stop = t
            break
    return {"epochs": stop, "best_epoch": best if best is not None else stop}


def score_stopping(runs: list[dict], histories: dict[str, History], stride: int = 1) -> dict:
    """Regret of the epoch each method keeps, against the test minimum of the whole run."""
    results: dict[str, dict[str, list[float]]] = {
        m: {"regret": [], "epochs": []} for m in ("epochwatch", "keras_early_stopping", "val_minimum")
    }
    per_run = []
    for run in runs:
        test, val = run["test_loss"], run["val_loss"]
        h = histories[run["name"]]
        online = simulate_online(run, h, stride)
        es_best, es_epochs = keras_early_stopping(val)
        finite_val = np.where(np.isfinite(val), val, np.inf)
        vmin = int(np.argmin(finite_val)) + 1
        picks = {
            "epochwatch": (online["best_epoch"], online["epochs"]),
            "keras_early_stopping": (es_best, es_epochs),
            "val_minimum": (vmin, len(val)),
        }
        row = {"run": run["name"]}
        for method, (epoch, trained) in picks.items():
            r = _regret(test, epoch)
            results[method]["regret"].append(r)
            results[method]["epochs"].append(trained)
            row[method] = {"best_epoch": epoch, "epochs": trained, "regret": r}
        per_run.append(row)
    summary = {}
    for method, v in results.items():
        reg = v["regret"]
        finite = [x for x in reg if math.isfinite(x)]
        summary[method] = {
            "median_regret": statistics.median(reg) if reg else math.nan,
            "mean_regret": statistics.fmean(finite) if finite else math.nan,
            "non_finite": len(reg) - len(finite),
            "under_1pct": sum(x < 0.01 for x in reg) / len(reg) if reg else math.nan,
            "under_5pct": sum(x < 0.05 for x in reg) / len(reg) if reg else math.nan,
            "mean_epochs": statistics.fmean(v["epochs"]) if v["epochs"] else math.nan,
        }
    return {"summary": summary, "per_run": per_run}


def time_diagnose(runs: list[dict], histories: dict[str, History], repeats: int = 30) -> dict | None:
    """Median milliseconds of one diagnose call at the longest t available (ideally ~1000)."""
    longest = max(runs, key=lambda r: len(r["val_loss"]), default=None)
    if longest is None:
        return None
    h = histories[longest["name"]]
    t = min(len(h), 1000)
    if t < 1000:
        return {"run": longest["name"], "t": t, "median_ms": None, "note": "no run reaches 1000 epochs"}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        diagnose(h, t)
        times.append((time.perf_counter() - t0) * 1000)
    return {"run": longest["name"], "t": t, "median_ms": statistics.median(times)}


def check_causal(case_list: list[Case], histories: dict[str, History]) -> list[str]:
    """Cases where diagnosing the full run at t differs from diagnosing its prefix."""
    def same(a, b):
        return all((x == y) or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
                   for x, y in zip(a.values(), b.values()))
    bad = []
    for case in case_list:
        h = histories[case.run]
        full = diagnose(h, case.t).to_dict()
        prefix = diagnose(h.prefix(case.t), case.t).to_dict()
        if not same(full, prefix):
            bad.append(f"{case.run}@{case.t}")
    return bad


def evaluate(stride: int = 1, show_wrong: bool = False, causal: bool = False) -> dict:
    runs = load_runs()
    if not runs:
        raise SystemExit("evaluate.py: no runs in benchmarks/verdict_eval/runs (run generate.py first)")
    histories = {r["name"]: history_of(r) for r in runs}
    case_list = cases(runs)
    t0 = time.perf_counter()
    report = {
        "runs": len(runs),
        "verdicts": score_verdicts(case_list, histories, show_wrong),
        "stopping": score_stopping(runs, histories, stride),
        "speed": time_diagnose(runs, histories),
        "truth_classes": dict(Counter(c.label for c in case_list)),
    }
    if causal:
        report["causality_violations"] = check_causal(case_list, histories)
    report["seconds"] = time.perf_counter() - t0
    return report


def _pct(x: float) -> str:
    return "   -  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f}%"


def print_report(r: dict) -> None:
    v = r["verdicts"]
    print(f"{r['runs']} runs, {v['cases']} labelled cases  ({r['seconds']:.1f} s)")
    print(f"\nVerdict accuracy: {_pct(v['accuracy'])}")
    for c, s in v["per_class"].items():
        print(f"  {c:<13} {_pct(s['accuracy'])}  of {s['n']}")
    print(f"  still_improving agrees with the underfitting truth: {_pct(v['still_improving_agreement'])}"
          f" of {v['still_improving_cases']} clear cases")
    print("\nConfusion (rows: truth, columns: verdict)")
    print(" " * 14 + "".join(f"{p[:11]:>12}" for p in VERDICTS))
    for c, row in v["confusion"].items():
        print(f"  {c:<12}" + "".join(f"{row.get(p, 0):>12}" for p in VERDICTS))
    print("\nBest epoch kept (regret = T[best] / min T - 1)")
    print(f"  {'method':<22}{'median':>9}{'mean':>9}{'<1%':>8}{'<5%':>8}{'epochs':>9}")
    for m, s in r["stopping"]["summary"].items():
        print(f"  {m:<22}{_pct(s['median_regret']):>9}{_pct(s['mean_regret']):>9}"
              f"{_pct(s['under_1pct']):>8}{_pct(s['under_5pct']):>8}{s['mean_epochs']:>9.1f}")
    sp = r["speed"]
    if sp and sp.get("median_ms") is not None:
        print(f"\nSpeed: {sp['median_ms']:.2f} ms per diagnose at t={sp['t']} ({sp['run']})")
    elif sp:
        print(f"\nSpeed: skipped ({sp['note']})")
    if "causality_violations" in r:
        bad = r["causality_violations"]
        print(f"\nCausality: {len(bad)} case(s) differ between full history and prefix" +
              (f": {', '.join(bad[:10])}" if bad else ""))
    if "wrong" in v:
        print("\nWrong cases")
        for w in v["wrong"]:
            print(f"  {w['run']:<34} t={w['t']:<4} truth={'/'.join(w['truth']):<24} got={w['verdict']:<18}"
                  f" ({w['why_truth']})")


def print_table() -> None:
    """The data set as the markdown table in README.md."""
    print("| run | task | what it is | epochs | truth over t (grid epochs) |")
    print("|---|---|---|---:|---|")
    for run in load_runs():
        print(f"| `{run['name']}` | {run['task']} | {run['description']} | {run['epochs']} | {character(run)} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the epochwatch verdict on the labelled runs.")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--wrong", action="store_true", help="list every case the verdict got wrong")
    ap.add_argument("--stride", type=int, default=1, help="diagnose every N epochs in the online simulation")
    ap.add_argument("--check-causal", action="store_true", help="compare diagnose(full, t) with diagnose(prefix)")
    ap.add_argument("--table", action="store_true", help="print the data set as a markdown table and exit")
    args = ap.parse_args(argv)
    if args.table:
        print_table()
        return 0
    report = evaluate(max(1, args.stride), args.wrong, args.check_causal)
    if args.json:
        print(json.dumps(report, indent=1, default=lambda o: None))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
