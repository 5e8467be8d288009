"""The textbook's 'underfit at 5, ideal at 100' examples, trained for real: both still underfitting."""

import numpy as np

from epochwatch.engine import History, diagnose


def test_textbook_dense1_is_still_underfitting_at_5_and_100_epochs():
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 120).astype("float32")
    y = (2 * x + 0.5 + 0.1 * rng.normal(size=120)).astype("float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    fit = model.fit(x[:100], y[:100], validation_data=(x[100:], y[100:]), epochs=100, verbose=0)
    history = History(fit.history, meta={"baseline": float(np.var(y[:100])), "baseline_source": "Var(y)"})
    noise_floor = 0.01
    for t in (5, 100):
        d = diagnose(history, t)
        assert history["val_loss"][t - 1] > 10 * noise_floor
        assert d.verdict == "underfitting", (t, d.reasons)
        assert d.still_improving, (t, d.reasons)
        assert d.suggested_total_epochs > t
        assert any("higher learning rate" in a for a in d.advice), d.advice
