"""Train small real Keras runs and record their learning curves with a ground truth.

Every run records the curves Keras would log (``loss``, ``val_loss``, accuracy,
``learning_rate``) and, after every epoch, the loss on a large held-out test set
drawn from the same distribution as the validation set. That test curve is the
nearly noise-free truth the verdict is scored against (see labels.py).

Keras' ``fit`` costs ~50 ms of fixed overhead per epoch on this machine, which
would make hundreds of 500-epoch runs take far too long, so each epoch is run by
a compiled per-batch step that does what ``fit`` does: shuffle, mini-batches,
``model(x, training=True)``, compiled loss plus regularization losses, the
optimizer's ``apply``; the logged training loss is the batch-size-weighted mean
over the epoch (as Keras' loss tracker), validation and test losses are
computed in inference mode with regularization added (as ``evaluate``).
``ReduceLROnPlateau`` is the real Keras callback, attached to the model.

    nice -n 10 python benchmarks/verdict_eval/generate.py            # all missing runs
    python benchmarks/verdict_eval/generate.py --list
    nice -n 10 python benchmarks/verdict_eval/generate.py --only NAME [--force]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

RUNS_DIR = Path(__file__).resolve().parent / "runs"


# -- data -------------------------------------------------------------------
def _regression(kind: str, n: int, rng: np.random.Generator, p: dict) -> tuple[np.ndarray, np.ndarray]:
    d = p.get("dim", 1)
    x = rng.uniform(-1.0, 1.0, size=(n, d))
    if kind == "linear":
        w = np.linspace(2.0, -1.0, d) if d > 1 else np.array([2.0])
        f = x @ w + 0.5
    elif kind == "sin":
        f = np.sin(p.get("freq", 3.0) * x[:, 0])
        if d > 1:
            f = f + 0.5 * np.cos(2.0 * x[:, 1])
    elif kind == "poly":
        f = 3.0 * x[:, 0] ** 3 - 2.0 * x[:, 0] + 0.5 * x[:, 0] ** 2
    elif kind == "friedman":  # only the first four of d features matter
        f = np.sin(np.pi * x[:, 0] * x[:, 1]) + 2.0 * (x[:, 2] - 0.3) ** 2 + x[:, 3]
    else:
        raise ValueError(kind)
    y = f + p.get("noise", 0.1) * rng.standard_normal(n)
    return x.astype("float32"), y.reshape(-1, 1).astype("float32")


def _classification(kind: str, n: int, rng: np.random.Generator, p: dict, centers: np.ndarray | None):
    c = p.get("classes", 2)
    d = p.get("dim", 2)
    if kind == "blobs":
        y = rng.integers(0, c, n)
        x = centers[y] + p.get("spread", 1.0) * rng.standard_normal((n, d))
    elif kind == "moons":
        y = rng.integers(0, 2, n)
        a = rng.uniform(0, np.pi, n)
        x = np.where(y[:, None] == 0, np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(a), 0.5 - np.sin(a)])
        x = x + p.get("noise", 0.2) * rng.standard_normal((n, 2))
    elif kind == "spirals":
        y = rng.integers(0, c, n)
        r = rng.uniform(0.05, 1.0, n)
        theta = y * 2 * np.pi / c + r * p.get("turns", 1.5) * 2 * np.pi
        x = np.c_[r * np.cos(theta), r * np.sin(theta)] + p.get("noise", 0.05) * rng.standard_normal((n, 2))
    elif kind == "circles":
        y = rng.integers(0, 2, n)
        a = rng.uniform(0, 2 * np.pi, n)
        r = np.where(y == 0, 1.0, 0.5)
        x = np.c_[r * np.cos(a), r * np.sin(a)] + p.get("noise", 0.1) * rng.standard_normal((n, 2))
    elif kind == "random":  # labels independent of the inputs: nothing to learn
        y = rng.integers(0, c, n)
        x = rng.standard_normal((n, d))
    else:
        raise ValueError(kind)
    flip = p.get("flip", 0.0)
    if flip:
        hit = rng.random(n) < flip
        y = np.where(hit, (y + rng.integers(1, c, n)) % c, y)
    if d > x.shape[1]:  # pad with useless noise features
        x = np.c_[x, rng.standard_normal((n, d - x.shape[1]))]
    return x.astype("float32"), y.astype("int32")


def make_data(spec: dict) -> dict[str, np.ndarray]:
    p = spec["data"]
    rng = np.random.default_rng(spec.get("seed", 0) + 1000)
    sizes = {"train": p["n_train"], "val": p["n_val"], "test": p.get("n_test", 8000)}
    out: dict[str, np.ndarray] = {}
    centers = None
    if p["kind"] == "blobs":
        centers = p.get("separation", 3.0) * rng.standard_normal((p.get("classes", 2), p.get("dim", 2)))
    for part, n in sizes.items():
        if spec["task"] == "regression":
            x, y = _regression(p["kind"], n, rng, p)
        else:
            x, y = _classification(p["kind"], n, rng, p, centers)
            if spec["task"] == "binary":
                y = y.reshape(-1, 1).astype("float32")
        out["x_" + part], out["y_" + part] = x, y
    return out


def baseline_of(spec: dict, y_train: np.ndarray) -> tuple[float, str]:
    if spec["task"] == "regression":
        return float(np.var(y_train)), "Var(y) of the training targets"
    counts = np.bincount(y_train.ravel().astype(int))
    q = counts[counts > 0] / counts.sum()
    return float(-(q * np.log(q)).sum()), "entropy of the training label distribution (nats)"


# -- model and training -------------------------------------------------------
def build_model(spec: dict, input_dim: int):
    import keras

    m = spec["model"]
    reg = keras.regularizers.L2(m["l2"]) if m.get("l2") else None
    layers = [keras.Input((input_dim,))]
    for width in m.get("hidden", []):
        layers.append(keras.layers.Dense(width, activation=m.get("activation", "relu"), kernel_regularizer=reg))
        if m.get("dropout"):
            layers.append(keras.layers.Dropout(m["dropout"]))
    if spec["task"] == "regression":
        layers.append(keras.layers.Dense(1, kernel_regularizer=reg))
        loss = keras.losses.MeanSquaredError()
    elif spec["task"] == "binary":
        layers.append(keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=reg))
        loss = keras.losses.BinaryCrossentropy()
    else:
        layers.append(keras.layers.Dense(spec["data"]["classes"], activation="softmax", kernel_regularizer=reg))
        loss = keras.losses.SparseCategoricalCrossentropy()
    model = keras.Sequential(layers)
    opt_cls = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
    kwargs = {"learning_rate": spec["lr"]}
    if spec["optimizer"] == "sgd" and spec.get("momentum"):
        kwargs["momentum"] = spec["momentum"]
    model.compile(optimizer=opt_cls[spec["optimizer"]](**kwargs), loss=loss)
    return model, loss


def _accuracy(task: str, pred: np.ndarray, y: np.ndarray) -> float:
    if task == "binary":
        return float(np.mean((pred.ravel() > 0.5) == (y.ravel() > 0.5)))
    return float(np.mean(np.argmax(pred, axis=1) == y.ravel()))


def train(spec: dict) -> dict:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(spec.get("seed", 0))
    data = make_data(spec)
    model, loss_fn = build_model(spec, data["x_train"].shape[1])
    opt = model.optimizer
    weights = model.trainable_variables

    def total_loss(y, pred):
        loss = loss_fn(y, pred)
        return loss + tf.add_n(model.losses) if model.losses else loss

    @tf.function(reduce_retracing=True)
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            loss = total_loss(yb, pred)
        opt.apply(tape.gradient(loss, weights), weights)
        return loss, pred

    @tf.function(reduce_retracing=True)
    def evaluate(x, y):
        pred = model(x, training=False)
        return total_loss(y, pred), pred

    reduce_lr = None
    if spec.get("reduce_lr"):
        reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **spec["reduce_lr"])
        reduce_lr.set_model(model)
        reduce_lr.on_train_begin()

    task = spec["task"]
    classify = task != "regression"
    n = len(data["x_train"])
    bs = spec.get("batch_size", 32)
    rng = np.random.default_rng(spec.get("seed", 0))
    keys = ["loss", "val_loss", "test_loss"] + (["accuracy", "val_accuracy", "test_accuracy"] if classify else [])
    logs_all: dict[str, list] = {k: [] for k in keys}
    if reduce_lr:
        logs_all["learning_rate"] = []
    x_val, y_val = tf.constant(data["x_val"]), tf.constant(data["y_val"])
    x_te, y_te = tf.constant(data["x_test"]), tf.constant(data["y_test"])
    for epoch in range(spec["epochs"]):
        order = rng.permutation(n)
        loss_sum, hits, seen = 0.0, 0.0, 0
        for s in range(0, n, bs):
            idx = order[s : s + bs]
            xb, yb = data["x_train"][idx], data["y_train"][idx]
            loss, pred = train_step(tf.constant(xb), tf.constant(yb))
            loss_sum += float(loss) * len(idx)
            if classify:
                hits += _accuracy(task, pred.numpy(), yb) * len(idx)
            seen += len(idx)
        logs = {"loss": loss_sum / seen}
        vl, vp = evaluate(x_val, y_val)
        tl, tp = evaluate(x_te, y_te)
        logs["val_loss"], logs["test_loss"] = float(vl), float(tl)
        if classify:
            logs["accuracy"] = hits / seen
            logs["val_accuracy"] = _accuracy(task, vp.numpy(), data["y_val"])
            logs["test_accuracy"] = _accuracy(task, tp.numpy(), data["y_test"])
        if reduce_lr:
            reduce_lr.on_epoch_end(epoch, logs)
        for k in logs_all:
            logs_all[k].append(logs[k])
    baseline, source = baseline_of(spec, data["y_train"])
    config = {k: v for k, v in spec.items() if k not in ("name", "task", "description", "expect")}
    record = {
        "name": spec["name"],
        "task": task,
        "description": spec["description"],
        "expect": spec.get("expect", ""),
        "config": config,
        "baseline": _round(baseline),
        "baseline_source": source,
        "epochs": spec["epochs"],
    }
    for k, values in logs_all.items():
        record[k] = [_round(v) for v in values]
    return record


def _round(v: float) -> float | None:
    v = float(v)
    return float(f"{v:.6g}") if math.isfinite(v) else None


# -- the run list -------------------------------------------------------------
def _run(name, task, description, data, model=None, optimizer="adam", lr=1e-3, epochs=300, batch_size=32,
         expect="", **extra) -> dict:
    spec = {
        "name": name, "task": task, "description": description, "expect": expect, "data": data,
        "model": model or {}, "optimizer": optimizer, "lr": lr, "epochs": epochs, "batch_size": batch_size,
        "seed": extra.pop("seed", 0),
    }
    spec.update(extra)
    return spec


def run_specs() -> list[dict]:
    """The data set: each run is chosen to show one character (or a passage between two)."""
    R = []
    mlp = lambda *h, **kw: {"hidden": list(h), **kw}  # noqa: E731
    # --- regression -----------------------------------------------------
    R.append(_run("textbook_linear", "regression",
                  "Dense(1) on y = 2x + 0.5 + 0.1*noise, 100 train / 20 val, Adam default lr",
                  {"kind": "linear", "noise": 0.1, "n_train": 100, "n_val": 20, "n_test": 10000},
                  epochs=500, expect="slow convergence, then good fit"))
    R.append(_run("linear_sgd_fast", "regression", "Dense(1) linear target, SGD lr 0.1: converges in a few epochs",
                  {"kind": "linear", "noise": 0.1, "n_train": 200, "n_val": 50, "n_test": 10000},
                  optimizer="sgd", lr=0.1, epochs=150, expect="good fit early"))
    R.append(_run("linear_adam_lr1e-5", "regression", "Dense(1), Adam lr 1e-5: far too slow",
                  {"kind": "linear", "noise": 0.1, "n_train": 100, "n_val": 20, "n_test": 10000},
                  lr=1e-5, epochs=300, expect="barely moves: nothing learned"))
    R.append(_run("linear_10d_big_mlp_small_data", "regression",
                  "10-d linear target with noise 0.5, 40 train points, 3x256 MLP",
                  {"kind": "linear", "dim": 10, "noise": 0.5, "n_train": 40, "n_val": 30, "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=400, expect="overfitting"))
    R.append(_run("linear_sgd_lr5", "regression", "2x64 MLP, SGD lr 5.0: explodes",
                  {"kind": "linear", "dim": 3, "noise": 0.1, "n_train": 500, "n_val": 100},
                  model=mlp(64, 64), optimizer="sgd", lr=5.0, epochs=100, expect="diverged (NaN)"))
    R.append(_run("sin_mlp_good", "regression", "sin(3x) + 0.1 noise, 1000 train, 2x64 MLP, Adam 1e-3",
                  {"kind": "sin", "noise": 0.1, "n_train": 1000, "n_val": 200},
                  model=mlp(64, 64), epochs=200, batch_size=64, expect="underfit then good fit"))
    R.append(_run("sin_small_noisy_overfit", "regression", "sin(3x) + 0.3 noise, 30 train / 20 val, 3x256 MLP",
                  {"kind": "sin", "noise": 0.3, "n_train": 30, "n_val": 20, "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=600, expect="overfitting"))
    R.append(_run("sin_small_noisy_l2", "regression", "as sin_small_noisy_overfit with L2 1e-3",
                  {"kind": "sin", "noise": 0.3, "n_train": 30, "n_val": 20, "n_test": 5000},
                  model=mlp(256, 256, 256, l2=1e-3), epochs=600, expect="less overfitting"))
    R.append(_run("sin_small_noisy_dropout", "regression", "as sin_small_noisy_overfit with dropout 0.3",
                  {"kind": "sin", "noise": 0.3, "n_train": 30, "n_val": 20, "n_test": 5000},
                  model=mlp(256, 256, 256, dropout=0.3), epochs=600, expect="noisy train loss, milder overfitting"))
    R.append(_run("sin_hifreq_tiny_model", "regression", "sin(6x) with a 1x4 tanh MLP: high bias",
                  {"kind": "sin", "freq": 6.0, "noise": 0.1, "n_train": 500, "n_val": 100},
                  model=mlp(4, activation="tanh"), epochs=300, expect="high-bias plateau"))
    R.append(_run("sin_hifreq_wide_long", "regression", "sin(6x), 2x128 MLP, 500 train: slow to learn the wiggles",
                  {"kind": "sin", "freq": 6.0, "noise": 0.1, "n_train": 500, "n_val": 100},
                  model=mlp(128, 128), epochs=400, expect="long underfitting then good fit"))
    R.append(_run("sin_sgd_lr1e-3", "regression", "sin(3x), 2x64 MLP, SGD lr 1e-3: slow",
                  {"kind": "sin", "noise": 0.1, "n_train": 300, "n_val": 50},
                  model=mlp(64, 64), optimizer="sgd", lr=1e-3, epochs=400, expect="slow progress"))
    R.append(_run("poly_small_overfit", "regression", "cubic, noise 0.5, 40 train / 25 val, 2x128 MLP",
                  {"kind": "poly", "noise": 0.5, "n_train": 40, "n_val": 25, "n_test": 8000},
                  model=mlp(128, 128), epochs=600, expect="overfitting late"))
    R.append(_run("poly_rmsprop_good", "regression", "cubic, noise 0.2, 800 train, 2x32 MLP, RMSprop 1e-3",
                  {"kind": "poly", "noise": 0.2, "n_train": 800, "n_val": 200},
                  model=mlp(32, 32), optimizer="rmsprop", lr=1e-3, epochs=200, batch_size=64, expect="good fit"))
    R.append(_run("poly_adam_lr1", "regression", "cubic, 2x64 MLP, Adam lr 1.0: far too high",
                  {"kind": "poly", "noise": 0.2, "n_train": 400, "n_val": 100},
                  model=mlp(64, 64), lr=1.0, epochs=150, expect="unstable / stuck"))
    R.append(_run("poly_reduce_lr", "regression", "cubic, 2x64 MLP, Adam 1e-2 with ReduceLROnPlateau",
                  {"kind": "poly", "noise": 0.2, "n_train": 400, "n_val": 50},
                  model=mlp(64, 64), lr=1e-2, epochs=300,
                  reduce_lr={"factor": 0.5, "patience": 10, "min_lr": 1e-5}, expect="steps down, good fit"))
    R.append(_run("friedman_small_overfit", "regression", "Friedman-like 10-d target, 60 train / 30 val, 2x256",
                  {"kind": "friedman", "dim": 10, "noise": 0.3, "n_train": 60, "n_val": 30, "n_test": 5000},
                  model=mlp(256, 256), epochs=500, expect="overfitting"))
    R.append(_run("friedman_large_good", "regression", "Friedman-like 10-d target, 2000 train, 2x64",
                  {"kind": "friedman", "dim": 10, "noise": 0.3, "n_train": 2000, "n_val": 300},
                  model=mlp(64, 64), epochs=150, batch_size=64, expect="good fit"))
    R.append(_run("friedman_dropout_reduce_lr", "regression",
                  "Friedman-like, 200 train, 2x128 dropout 0.2, ReduceLROnPlateau",
                  {"kind": "friedman", "dim": 10, "noise": 0.3, "n_train": 200, "n_val": 40, "n_test": 5000},
                  model=mlp(128, 128, dropout=0.2), epochs=400,
                  reduce_lr={"factor": 0.3, "patience": 15, "min_lr": 1e-6}, expect="mild overfit, damped"))
    R.append(_run("friedman_sgd_momentum", "regression", "Friedman-like, 500 train, 2x64, SGD 0.01 momentum 0.9",
                  {"kind": "friedman", "dim": 10, "noise": 0.3, "n_train": 500, "n_val": 100},
                  model=mlp(64, 64), optimizer="sgd", lr=0.01, momentum=0.9, epochs=300, expect="overfit slowly"))
    R.append(_run("linear_rmsprop_lr0.5", "regression", "Dense(1)... 1x16 MLP, RMSprop lr 0.5: noisy, poor",
                  {"kind": "linear", "noise": 0.1, "n_train": 200, "n_val": 40},
                  model=mlp(16), optimizer="rmsprop", lr=0.5, epochs=150, expect="bouncing around"))
    # --- multiclass ------------------------------------------------------
    R.append(_run("blobs3_easy", "classification", "3 well separated Gaussian blobs, 1x16 MLP",
                  {"kind": "blobs", "classes": 3, "dim": 2, "separation": 4.0, "n_train": 600, "n_val": 150},
                  model=mlp(16), epochs=150, expect="fast good fit"))
    R.append(_run("blobs10_overlap_small", "classification",
                  "10 overlapping blobs in 5-d, 100 train / 40 val, 3x256 MLP",
                  {"kind": "blobs", "classes": 10, "dim": 5, "separation": 1.5, "n_train": 100, "n_val": 40,
                   "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=400, expect="strong overfitting"))
    R.append(_run("blobs10_overlap_large", "classification", "10 overlapping blobs in 5-d, 3000 train, 2x64",
                  {"kind": "blobs", "classes": 10, "dim": 5, "separation": 1.5, "n_train": 3000, "n_val": 500},
                  model=mlp(64, 64), epochs=120, batch_size=64, expect="good fit"))
    R.append(_run("blobs5_adam_lr1e-5", "classification", "5 blobs, 2x64, Adam 1e-5: stuck near chance",
                  {"kind": "blobs", "classes": 5, "dim": 4, "separation": 2.0, "n_train": 300, "n_val": 60},
                  model=mlp(64, 64), lr=1e-5, epochs=200, expect="nothing learned yet"))
    R.append(_run("blobs5_adam_lr1", "classification", "5 blobs, 2x128, Adam lr 1.0: stuck at chance",
                  {"kind": "blobs", "classes": 5, "dim": 4, "separation": 2.0, "n_train": 300, "n_val": 60},
                  model=mlp(128, 128), lr=1.0, epochs=150, expect="diverged / chance"))
    R.append(_run("blobs4_sgd_lr5", "classification", "4 blobs, 2x64, SGD lr 5.0",
                  {"kind": "blobs", "classes": 4, "dim": 3, "separation": 2.0, "n_train": 400, "n_val": 80},
                  model=mlp(64, 64), optimizer="sgd", lr=5.0, epochs=120, expect="diverged"))
    R.append(_run("blobs4_flip30_big", "classification", "4 blobs, 30% flipped labels, 150 train, 3x256",
                  {"kind": "blobs", "classes": 4, "dim": 3, "separation": 2.5, "flip": 0.3, "n_train": 150,
                   "n_val": 50, "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=400, expect="memorizes the noise: overfitting"))
    R.append(_run("blobs4_flip30_l2_dropout", "classification", "as blobs4_flip30_big with L2 1e-3 and dropout 0.3",
                  {"kind": "blobs", "classes": 4, "dim": 3, "separation": 2.5, "flip": 0.3, "n_train": 150,
                   "n_val": 50, "n_test": 5000},
                  model=mlp(256, 256, 256, l2=1e-3, dropout=0.3), epochs=400, expect="regularized"))
    R.append(_run("blobs6_rmsprop_reduce_lr", "classification", "6 blobs, 2x64, RMSprop 1e-2 with ReduceLROnPlateau",
                  {"kind": "blobs", "classes": 6, "dim": 4, "separation": 1.8, "n_train": 500, "n_val": 100},
                  model=mlp(64, 64), optimizer="rmsprop", lr=1e-2, epochs=200,
                  reduce_lr={"factor": 0.5, "patience": 8, "min_lr": 1e-5}, expect="good fit after steps"))
    R.append(_run("blobs8_sgd_slow", "classification", "8 blobs, 2x32, SGD lr 1e-3",
                  {"kind": "blobs", "classes": 8, "dim": 6, "separation": 2.0, "n_train": 800, "n_val": 150},
                  model=mlp(32, 32), optimizer="sgd", lr=1e-3, epochs=300, batch_size=64, expect="slow underfit"))
    R.append(_run("spirals3_long", "classification", "3 spirals, 1500 train, 3x128, Adam 1e-3",
                  {"kind": "spirals", "classes": 3, "noise": 0.05, "n_train": 1500, "n_val": 300},
                  model=mlp(128, 128, 128), epochs=250, batch_size=64, expect="long underfitting, then good fit"))
    R.append(_run("spirals3_small_data", "classification", "3 spirals, 120 train / 40 val, 3x256",
                  {"kind": "spirals", "classes": 3, "noise": 0.08, "n_train": 120, "n_val": 40, "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=500, expect="overfitting late"))
    R.append(_run("spirals3_tiny_model", "classification", "3 spirals, 1x8 MLP: high bias",
                  {"kind": "spirals", "classes": 3, "noise": 0.05, "n_train": 1000, "n_val": 200},
                  model=mlp(8), epochs=200, batch_size=64, expect="high-bias plateau"))
    R.append(_run("spirals2_lr1e-4", "classification", "2-class spirals (sparse CE), 2x128, Adam 1e-4",
                  {"kind": "spirals", "classes": 2, "noise": 0.05, "n_train": 800, "n_val": 100},
                  model=mlp(128, 128), lr=1e-4, epochs=400, expect="slow but steady"))
    R.append(_run("spirals5_flip20", "classification", "5 spirals, 20% flipped labels, 400 train, 3x128",
                  {"kind": "spirals", "classes": 5, "noise": 0.05, "flip": 0.2, "n_train": 400, "n_val": 80,
                   "n_test": 5000},
                  model=mlp(128, 128, 128), epochs=500, expect="learns, then memorizes the noise"))
    R.append(_run("random_labels_4", "classification", "4 classes with labels independent of x, 200 train, 2x256",
                  {"kind": "random", "classes": 4, "dim": 8, "n_train": 200, "n_val": 50, "n_test": 5000},
                  model=mlp(256, 256), epochs=300, expect="nothing to learn: val rises above chance"))
    R.append(_run("blobs3_sgd_lr0.05", "classification", "3 blobs, 2x32, SGD 0.05, small val set",
                  {"kind": "blobs", "classes": 3, "dim": 2, "separation": 1.5, "n_train": 300, "n_val": 20},
                  model=mlp(32, 32), optimizer="sgd", lr=0.05, epochs=300, expect="good fit, noisy val"))
    R.append(_run("blobs10_flip40_medium", "classification", "10 blobs, 40% flipped labels, 400 train, 2x128",
                  {"kind": "blobs", "classes": 10, "dim": 6, "separation": 2.0, "flip": 0.4, "n_train": 400,
                   "n_val": 100, "n_test": 5000},
                  model=mlp(128, 128), epochs=300, expect="overfitting"))
    R.append(_run("blobs7_dropout_good", "classification", "7 blobs, 1000 train, 2x128 dropout 0.5",
                  {"kind": "blobs", "classes": 7, "dim": 5, "separation": 1.8, "n_train": 1000, "n_val": 200},
                  model=mlp(128, 128, dropout=0.5), epochs=200, batch_size=64, expect="good fit, train above val"))
    R.append(_run("spirals3_rmsprop_lr0.1", "classification", "3 spirals, 2x64, RMSprop lr 0.1: too high",
                  {"kind": "spirals", "classes": 3, "noise": 0.05, "n_train": 600, "n_val": 100},
                  model=mlp(64, 64), optimizer="rmsprop", lr=0.1, epochs=200, expect="unstable"))
    # --- binary ----------------------------------------------------------
    R.append(_run("moons_good", "binary", "two moons, noise 0.2, 1000 train, 2x32 MLP, BCE",
                  {"kind": "moons", "noise": 0.2, "n_train": 1000, "n_val": 200},
                  model=mlp(32, 32), epochs=150, batch_size=64, expect="good fit"))
    R.append(_run("moons_logistic", "binary", "two moons, logistic regression (Dense(1) sigmoid)",
                  {"kind": "moons", "noise": 0.2, "n_train": 500, "n_val": 100},
                  epochs=300, expect="high-bias plateau"))
    R.append(_run("moons_small_noisy_big", "binary", "two moons, noise 0.35, 60 train / 30 val, 3x256",
                  {"kind": "moons", "noise": 0.35, "n_train": 60, "n_val": 30, "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=500, expect="overfitting"))
    R.append(_run("moons_flip25_big", "binary", "two moons, 25% flipped labels, 150 train, 3x128",
                  {"kind": "moons", "noise": 0.15, "flip": 0.25, "n_train": 150, "n_val": 40, "n_test": 5000},
                  model=mlp(128, 128, 128), epochs=500, expect="overfitting"))
    R.append(_run("moons_sgd_lr1e-5", "binary", "two moons, 2x32, SGD lr 1e-5: nothing happens",
                  {"kind": "moons", "noise": 0.2, "n_train": 400, "n_val": 80},
                  model=mlp(32, 32), optimizer="sgd", lr=1e-5, epochs=150, expect="stuck at chance"))
    R.append(_run("circles_sgd_lr5", "binary", "circles, 2x64, SGD lr 5.0",
                  {"kind": "circles", "noise": 0.1, "n_train": 500, "n_val": 100},
                  model=mlp(64, 64), optimizer="sgd", lr=5.0, epochs=100, expect="diverged / stuck"))
    R.append(_run("circles_good", "binary", "circles, noise 0.1, 800 train, 2x16 tanh",
                  {"kind": "circles", "noise": 0.1, "n_train": 800, "n_val": 150},
                  model=mlp(16, 16, activation="tanh"), epochs=250, batch_size=64, expect="underfit then good fit"))
    R.append(_run("circles_reduce_lr_sgd", "binary", "circles, 2x32, SGD 0.1 with ReduceLROnPlateau",
                  {"kind": "circles", "noise": 0.15, "n_train": 400, "n_val": 50},
                  model=mlp(32, 32), optimizer="sgd", lr=0.1, epochs=300,
                  reduce_lr={"factor": 0.5, "patience": 10, "min_lr": 1e-4}, expect="good fit"))
    R.append(_run("circles_small_data_l2", "binary", "circles, noise 0.2, 50 train / 25 val, 3x256 with L2 1e-4",
                  {"kind": "circles", "noise": 0.2, "n_train": 50, "n_val": 25, "n_test": 5000},
                  model=mlp(256, 256, 256, l2=1e-4), epochs=500, expect="overfitting, damped"))
    R.append(_run("moons_adam_lr1e-4_tiny", "binary", "two moons, 1x2 MLP, Adam 1e-4",
                  {"kind": "moons", "noise": 0.2, "n_train": 300, "n_val": 60},
                  model=mlp(2), lr=1e-4, epochs=400, expect="slow"))
    # --- added later: stronger regression overfitting, one long run --------
    R.append(_run("textbook_linear_long", "regression", "the textbook example trained for 1200 epochs",
                  {"kind": "linear", "noise": 0.1, "n_train": 100, "n_val": 20, "n_test": 10000},
                  epochs=1200, expect="underfitting for hundreds of epochs, then good fit"))
    R.append(_run("linear_adam_lr0.05", "regression", "Dense(1) linear target, Adam lr 0.05",
                  {"kind": "linear", "noise": 0.1, "n_train": 100, "n_val": 20, "n_test": 10000},
                  lr=0.05, epochs=200, expect="good fit after ~30 epochs"))
    R.append(_run("poly_tiny_noisy_overfit", "regression", "cubic, noise 0.5, 20 train / 20 val, 3x256, Adam 3e-3",
                  {"kind": "poly", "noise": 0.5, "n_train": 20, "n_val": 20, "n_test": 5000},
                  model=mlp(256, 256, 256), lr=3e-3, epochs=600, expect="overfitting"))
    R.append(_run("sin_tiny_noisy_rmsprop", "regression", "sin(3x), noise 0.4, 25 train / 25 val, 4x128, RMSprop",
                  {"kind": "sin", "noise": 0.4, "n_train": 25, "n_val": 25, "n_test": 5000},
                  model=mlp(128, 128, 128, 128), optimizer="rmsprop", lr=1e-3, epochs=500, expect="overfitting"))
    R.append(_run("friedman_tiny_big", "regression", "Friedman-like 10-d, noise 0.5, 30 train / 20 val, 3x256",
                  {"kind": "friedman", "dim": 10, "noise": 0.5, "n_train": 30, "n_val": 20, "n_test": 5000},
                  model=mlp(256, 256, 256), epochs=500, expect="overfitting"))
    R.append(_run("sin2d_small_reduce_lr", "regression",
                  "2-d sin/cos target, noise 0.3, 50 train / 25 val, 2x256, Adam 3e-3 with ReduceLROnPlateau",
                  {"kind": "sin", "dim": 2, "noise": 0.3, "n_train": 50, "n_val": 25, "n_test": 5000},
                  model=mlp(256, 256), lr=3e-3, epochs=500,
                  reduce_lr={"factor": 0.5, "patience": 20, "min_lr": 1e-5}, expect="overfitting with lr steps"))
    return R


# -- command line -------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="list the runs and whether each exists")
    ap.add_argument("--only", action="append", help="generate only this run (repeatable)")
    ap.add_argument("--force", action="store_true", help="regenerate runs whose file exists")
    args = ap.parse_args(argv)
    specs = run_specs()
    names = [s["name"] for s in specs]
    if len(set(names)) != len(names):
        raise SystemExit("duplicate run names")
    if args.list:
        for s in specs:
            mark = "done" if (RUNS_DIR / f"{s['name']}.json").exists() else "todo"
            print(f"{mark}  {s['name']:<34} {s['task']:<14} {s['epochs']:>4} ep  {s['expect']}")
        return 0
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            print(f"generate.py: unknown run(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        specs = [s for s in specs if s["name"] in args.only]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    for s in specs:
        path = RUNS_DIR / f"{s['name']}.json"
        if path.exists() and not args.force:
            continue
        t0 = time.perf_counter()
        record = train(s)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, separators=(",", ":")) + "\n")
        tmp.replace(path)
        test = [v for v in record["test_loss"] if v is not None]
        print(f"{s['name']:<34} {time.perf_counter() - t0:6.1f}s  L0={record['baseline']:.4g} "
              f"minT={min(test) if test else float('nan'):.4g} endT={record['test_loss'][-1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
