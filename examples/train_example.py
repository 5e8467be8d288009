"""An epochwatch training script: classify points of two interleaved spirals.

Run it with ``epochwatch run examples/train_example.py`` (add ``--epochs N`` or
``--batch-size B`` to override). A script for ``epochwatch run`` defines:

``build_model()``
    Returns a *compiled* Keras model. epochwatch calls it again on every restart
    (``r``), so it must build fresh weights each time: create the layers inside it.
``load_data()``
    Returns a dict of keyword arguments for ``model.fit``: ``x`` and ``y`` (or a
    ``tf.data.Dataset`` as ``x``), ``validation_data`` or ``validation_split``,
    ``batch_size``, ``class_weight``, ``callbacks`` ... epochwatch sets ``epochs``,
    ``initial_epoch`` and ``verbose`` itself. Without validation data the verdict is
    judged on the training loss alone.
``EPOCHS`` (optional)
    How many epochs to train unless ``--epochs`` says otherwise (default 20).

The file is imported like a module (its folder on ``sys.path``), so keep slow work inside
the two functions, not at the top level; code under ``if __name__ == "__main__":`` does
not run. Only Keras 3 APIs are used, so ``KERAS_BACKEND=jax`` or ``torch`` work as well.
"""

import numpy as np

import keras

EPOCHS = 60


def _spirals(n_per_class: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    turns = np.sqrt(rng.uniform(0.0, 1.0, size=n_per_class)) * 3.0 * np.pi
    points, labels = [], []
    for label, phase in enumerate((0.0, np.pi)):
        xy = np.stack([turns * np.cos(turns + phase), turns * np.sin(turns + phase)], axis=1) / (3.0 * np.pi)
        points.append(xy + noise * rng.standard_normal(xy.shape))
        labels.append(np.full(n_per_class, label))
    x = np.concatenate(points).astype("float32")
    y = np.concatenate(labels).astype("float32")
    order = rng.permutation(len(x))
    return x[order], y[order]


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def load_data() -> dict:
    x, y = _spirals(n_per_class=300, noise=0.03, seed=0)
    x_val, y_val = _spirals(n_per_class=100, noise=0.03, seed=1)
    return {"x": x, "y": y, "validation_data": (x_val, y_val), "batch_size": 32}


if __name__ == "__main__":
    # Plain Keras still works without epochwatch.
    build_model().fit(epochs=EPOCHS, **load_data())
