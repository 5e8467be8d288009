"""One tiny real Keras fit writing every format epochwatch reads: History JSON, CSVLogger, TensorBoard, run log."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

EPOCHS = 12


def tiny_data(samples: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(samples, 1)).astype("float32")
    y = (2 * x + 0.5 + 0.1 * rng.standard_normal((samples, 1))).astype("float32")
    split = samples * 3 // 4
    return x[:split], y[:split], x[split:], y[split:]


def tiny_model():
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def fit_all_formats(folder: Path, epochs: int = EPOCHS) -> dict[str, Path]:
    """Train once with all four writers attached; returns their paths."""
    import keras

    from epochwatch.engine import RunLogger

    keras.utils.set_random_seed(0)
    x, y, xv, yv = tiny_data()
    paths = {"json": folder / "history.json", "csv": folder / "log.csv", "tensorboard": folder / "tb",
             "runlog": folder / "run.jsonl"}
    logger = RunLogger(paths["runlog"])
    history = tiny_model().fit(
        x, y, validation_data=(xv, yv), epochs=epochs, batch_size=16, verbose=0,
        callbacks=[keras.callbacks.CSVLogger(str(paths["csv"])),
                   keras.callbacks.TensorBoard(log_dir=str(paths["tensorboard"])), logger])
    logger.close()
    paths["json"].write_text(json.dumps(history.history))
    return paths
