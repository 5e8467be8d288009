"""Run in a pseudo-terminal by bench_cli.run_ssh: the real app fed ~10 epochs/s by a synthetic trainer.

Writes the wall-clock start and end of the feed to the file named by argv[1], so the parent
counts only the bytes written while training.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    marks, seconds, rate = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    from epochwatch.engine.diagnosis import Diagnoser
    from epochwatch.engine.events import BatchProgress, EpochBegin, EpochEnd, TrainBegin
    from epochwatch.engine.history import History
    from epochwatch.tui.app import EpochwatchApp, TrainingOptions

    from bench_common import synthetic_metrics

    release = threading.Event()

    def loader():
        release.wait()
        raise RuntimeError("benchmark over")

    app = EpochwatchApp(loader=loader, options=TrainingOptions(log_dir=None))

    def feed() -> None:
        while app.monitor is None or not app.monitor.is_mounted:
            time.sleep(0.05)
        time.sleep(1.0)  # the first full paint is not part of the steady rate
        screen = app.monitor
        total = int(seconds * rate) + 1
        metrics = synthetic_metrics(max(total, 10), seed=7)
        history, diagnoser = History(), Diagnoser()
        emit = screen._on_engine_event
        emit(TrainBegin(attempt=1, initial_epoch=0, target_epochs=total, steps_per_epoch=100, kind="initial"))
        started = time.time()
        for epoch in range(1, total + 1):
            emit(EpochBegin(attempt=1, epoch=epoch, target_epochs=total))
            for tick in range(1, 2):  # the trainer sends batch progress at most 10 times a second
                emit(BatchProgress(attempt=1, epoch=epoch, step=50 * tick, steps=100,
                                   logs={"loss": float(metrics["loss"][epoch - 1])}))
            time.sleep(max(0.0, started + epoch / rate - time.time()))
            logs = {"loss": float(metrics["loss"][epoch - 1]), "val_loss": float(metrics["val_loss"][epoch - 1])}
            history.append(logs)
            emit(EpochEnd(attempt=1, epoch=epoch, logs=logs, wall_time=time.time(), seconds=1 / rate,
                          diagnosis=diagnoser(history)))
        marks.write_text(f"{started} {time.time()}")
        release.set()
        app.call_from_thread(app.exit, 0)

    threading.Thread(target=feed, daemon=True).start()
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
