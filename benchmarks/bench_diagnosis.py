"""Benchmark 4: the diagnosis' cost per call, and the Diagnoser's share of a fast, long run."""

from __future__ import annotations

import time

from bench_common import Row, ms, synthetic_history


def _per_call(history, repeats: int) -> float:
    from epochwatch.engine.diagnosis import diagnose

    diagnose(history)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        diagnose(history)
        best = min(best, time.perf_counter() - started)
    return best


def simulate_fast_run(epochs: int, epoch_seconds: float = 0.001, every_epoch: bool = False) -> tuple[float, float]:
    """A run at 1/epoch_seconds epochs per second growing to ``epochs``, diagnosed after each epoch.

    The Diagnoser reads a simulated clock: training time advances ``epoch_seconds`` per epoch,
    diagnosing advances it by the real time the call took. Returns (share of the time spent
    diagnosing, epochs per second achieved).
    """
    from epochwatch.engine.diagnosis import Diagnoser, diagnose
    from epochwatch.engine.history import History

    from bench_common import synthetic_metrics

    metrics = synthetic_metrics(epochs, seed=3)
    history = History()
    trained = 0.0  # simulated seconds of training so far
    spent = 0.0  # real seconds spent diagnosing so far
    call_started = [None]

    def simulated_clock() -> float:
        inside = time.perf_counter() - call_started[0] if call_started[0] is not None else 0.0
        return trained + spent + inside

    diagnoser = Diagnoser()
    diagnoser._clock = simulated_clock
    for i in range(epochs):
        history.append({"loss": float(metrics["loss"][i]), "val_loss": float(metrics["val_loss"][i])})
        trained += epoch_seconds
        call_started[0] = time.perf_counter()
        if every_epoch:
            diagnose(history)
        else:
            diagnoser(history)
        spent += time.perf_counter() - call_started[0]
        call_started[0] = None
    total = trained + spent
    return spent / total, epochs / total


def run(quick: bool) -> list[Row]:
    rows = []
    sizes = (1_000, 100_000) if quick else (1_000, 100_000, 1_000_000)
    for n in sizes:
        per_call = _per_call(synthetic_history(n), 3 if quick else 7)
        target, met = ("< 5 ms", per_call < 0.005) if n == 1_000 else ("", None)
        rows.append(Row(f"4 diagnosis per call, {n:,} epochs", "-", ms(per_call), "-", target, met))
    grow = 20_000 if quick else 100_000
    # diagnosing every epoch is the baseline, on a shorter run (it cannot keep up on a long one)
    base_epochs = grow // 10
    base_share, base_rate = simulate_fast_run(base_epochs, every_epoch=True)
    share, rate = simulate_fast_run(grow)
    rows.append(Row(f"4 diagnosis share of a 1,000 epoch/s run to {grow:,}",
                    f"every epoch (to {base_epochs:,}): {base_share:.0%}, {base_rate:.0f} ep/s",
                    f"Diagnoser: {share:.1%}, {rate:.0f} ep/s", f"{share / base_share:.2f}x",
                    "<= 10 % budget", share <= 0.10 + 0.005))
    return rows
