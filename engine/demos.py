"""Built-in demo scenarios: tiny models that reach each verdict for real, fast on a laptop CPU.

``SCENARIOS`` lists them without importing Keras; each scenario's ``build_model`` and
``load_data`` import Keras only when they run. Data and initial weights come from fixed
seeds, so a scenario trains the same way every time (a restart redraws the same curve).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .scripts import TrainingSource

#: name -> one-line description, in display order.
SCENARIOS: dict[str, str] = {
    "seed-underfit": "Textbook example, 5 epochs: a Dense(1) on y = 2x + 0.5 + noise, Adam",
    "seed-ideal": "Textbook example, 100 epochs (the book calls it ideal)",
    "seed-overfit": "Textbook example, 500 epochs (the book calls it overfitting)",
    "underfit": "A small network on a wavy curve, stopped while it is still learning fast",
    "goodfit": "A small network with plenty of data: settles with training and validation close",
    "overfit": "A 2x256 network on 48 noisy points: it memorises them and the validation loss turns up",
    "diverge": "Plain SGD with a learning rate too high to be stable: the loss explodes to infinity",
}


def _textbook_data() -> dict:
    """y = 2x + 0.5 + 0.1 * noise: 100 training and 20 validation points, x ~ U(0, 1).

    x from [0, 1) (``np.random.rand``), not [-1, 1]: with it this model reproduces the
    textbook's reported validation losses (about 2.2, 1.0 and 0.06-0.25 after 5, 100 and
    500 epochs); with x in [-1, 1] no starting weight gives all three.
    """
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 1.0, size=(120, 1)).astype("float32")
    y = (2.0 * x + 0.5 + 0.1 * rng.standard_normal((120, 1))).astype("float32")
    return {"x": x[:100], "y": y[:100], "validation_data": (x[100:], y[100:]), "batch_size": 32}


def _textbook_model():
    import keras

    keras.utils.set_random_seed(0)  # a starting kernel near 0 (0.05), bias 0
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _wave_data(n_train: int, n_val: int, noise: float, seed: int, batch_size: int, inputs: int = 1) -> dict:
    """y = sin(3 x0) + noise on x ~ U(-1, 1)^inputs; only x0 matters, noise**2 is the best reachable MSE."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    x = rng.uniform(-1.0, 1.0, size=(n, inputs)).astype("float32")
    y = (np.sin(3.0 * x[:, :1]) + noise * rng.standard_normal((n, 1))).astype("float32")
    return {"x": x[:n_train], "y": y[:n_train], "validation_data": (x[n_train:], y[n_train:]),
            "batch_size": batch_size}


def _line_data(n_train: int, n_val: int, seed: int, batch_size: int) -> dict:
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    x = rng.uniform(-1.0, 1.0, size=(n, 1)).astype("float32")
    y = (2.0 * x + 0.5 + 0.1 * rng.standard_normal((n, 1))).astype("float32")
    return {"x": x[:n_train], "y": y[:n_train], "validation_data": (x[n_train:], y[n_train:]),
            "batch_size": batch_size}


def _mlp(widths: tuple[int, ...], optimizer: Callable[[], object], seed: int, activation: str = "relu",
         inputs: int = 1):
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input((inputs,))]
    layers += [keras.layers.Dense(w, activation=activation) for w in widths]
    layers.append(keras.layers.Dense(1))
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer(), loss="mse")
    return model


def _sgd(learning_rate: float, momentum: float = 0.0) -> Callable[[], object]:
    def make():
        import keras

        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)

    return make


def _adam(learning_rate: float) -> Callable[[], object]:
    def make():
        import keras

        return keras.optimizers.Adam(learning_rate=learning_rate)

    return make


@dataclass(frozen=True)
class _Recipe:
    build_model: Callable[[], object]
    load_data: Callable[[], dict]
    epochs: int


_RECIPES: dict[str, _Recipe] = {
    "seed-underfit": _Recipe(_textbook_model, _textbook_data, 5),
    "seed-ideal": _Recipe(_textbook_model, _textbook_data, 100),
    "seed-overfit": _Recipe(_textbook_model, _textbook_data, 500),
    # Adam at its default rate on a 64x64 network: at epoch 40 the loss is still halving every
    # ten epochs, about twice the noise floor (0.01).
    "underfit": _Recipe(
        lambda: _mlp((64, 64), _adam(1e-3), seed=3),
        lambda: _wave_data(256, 64, noise=0.1, seed=3, batch_size=32),
        40,
    ),
    # Reaches the noise floor (0.09) by epoch ~40, then barely moves; train and val agree.
    "goodfit": _Recipe(
        lambda: _mlp((32, 32), _adam(0.02), seed=4, activation="tanh"),
        lambda: _wave_data(512, 128, noise=0.3, seed=4, batch_size=128),
        80,
    ),
    # 48 points, 10 inputs of which one matters: the network memorises the noise through the
    # other nine. Val loss bottoms out around epoch 9 and has doubled by epoch 40, when the
    # training loss reaches zero and both curves freeze.
    "overfit": _Recipe(
        lambda: _mlp((256, 256), _adam(1e-3), seed=5, inputs=10),
        lambda: _wave_data(48, 100, noise=0.5, seed=5, batch_size=48, inputs=10),
        150,
    ),
    # SGD above the stability limit (lr 1.0 for this problem): the error grows ~15x an epoch
    # until the loss overflows to inf around epoch 19.
    "diverge": _Recipe(
        lambda: _mlp((), _sgd(1.2), seed=6),
        lambda: _line_data(256, 64, seed=6, batch_size=32),
        40,
    ),
}


def load_scenario(name: str) -> TrainingSource:
    """The named demo scenario; ValueError listing the names if there is none such."""
    recipe = _RECIPES.get(name)
    if recipe is None:
        raise ValueError(f"unknown demo scenario {name!r} (choose one of: {', '.join(SCENARIOS)})")
    return TrainingSource(
        name=name,
        build_model=recipe.build_model,
        load_data=recipe.load_data,
        epochs=recipe.epochs,
        description=SCENARIOS[name],
        origin={"scenario": name},
    )
