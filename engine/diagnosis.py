"""The verdict: a pure, causal function of a History up to epoch t.

Grounded in shared/docs/verdict-research.md:

- noise: robust scale from second differences of the (log) monitored loss,
  1.4826 * MAD / sqrt(6), over a recent window that grows with the run;
- smoothing for decisions: a centred Savitzky-Golay fit over the epochs seen so far
  (non-lagging; at the right edge it is a local quadratic fit, so still causal);
- best epoch: the earliest epoch of the smoothed minimum's basin whose smoothed value
  is within one standard error of that minimum (the raw minimum is biased low by noise);
- trend: Theil-Sen slope of the recent window with its 90 % interval;
- "how much longer": a power law L(t) = c + a*t^-alpha through three points of the
  smoothed curve at t/4, t/2 and t of the segment since the last learning-rate change,
  which gives the drop expected from doubling the run; never extrapolated further than
  the observed length;
- gauge: bias = (L_tr - L*) / (L0 - L*), variance = (L_va - L_tr) / (L0 - L*), against a
  chance-level baseline L0 (L* = 0 unless known).

The promises the words make are those of the research notes: *underfitting, still
improving* means doubling the run is expected to beat the best validation loss by
about 10 % or more; *overfitting* means the validation loss is, beyond its noise,
about 15 % above its best and not coming back; *diverged* means non-finite values,
an explosion, or nothing learned; *good fit* is the rest, with the loss well below
chance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .history import History

VERDICTS = ("underfitting", "good_fit", "overfitting", "diverged", "insufficient_data")
#: The words the screens show for each verdict.
VERDICT_WORDS = {
    "underfitting": "UNDERFITTING",
    "good_fit": "GOOD FIT",
    "overfitting": "OVERFITTING",
    "diverged": "DIVERGED",
    "insufficient_data": "NOT ENOUGH DATA",
}

#: Fewest epochs with a monitored value before any verdict other than diverged.
MIN_EPOCHS = 5
#: Doubling the run must be expected to beat the best loss by this fraction to be "worth more epochs".
WORTH_GAIN = 0.10
#: Below this expected gain from doubling, the run is done.
DONE_GAIN = 0.03
#: The validation loss this far above its best (beyond noise) is overfitting.
OVERFIT_RISE = 0.15
#: ... and this far above it, rising, is overfitting beginning.
EARLY_RISE = 0.05
#: Log-space noise of the training loss above this (jumps of about 50 %) is unstable training.
UNSTABLE_NOISE = 0.4
#: Epochs to wait before calling a run that sits at the chance level "nothing learned" (spirals sit there a while).
PATIENCE_NOTHING_LEARNED = 30
#: Training loss still at this fraction of the chance level or more: nothing was learned.
NOTHING_LEARNED = 0.9
#: Bias above this on a plateau is a high-bias plateau (noisy labels alone can hold it near 0.7).
HIGH_BIAS = 0.8
#: A loss still this close to chance and falling steadily has not shown where it will settle.
NEAR_CHANCE = 0.5
#: The best epoch is the earliest whose smoothed loss is within this many standard errors of the minimum.
BEST_TOLERANCE = 0.0
#: The best epoch is the lowest measured within this fraction of a half smoothing window of the smoothed minimum.
BEST_NEIGHBOURS = 0.5
#: A run this long still expected to gain this much from doubling is learning slowly (rate too low?).
SLOW_RUN_EPOCHS = 100
SLOW_RUN_GAIN = 0.25
#: Points the decision curves are computed on; longer runs are averaged into this many bins.
MAX_POINTS = 2000


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    epoch: int  # the t this diagnosis describes
    monitor: str  # the series judged ("val_loss", or "loss" without validation data)
    has_validation: bool
    still_improving: bool
    best_epoch: int | None
    suggested_total_epochs: int | None
    bias: float | None
    variance: float | None
    baseline: float | None  # chance-level loss L0 the gauge is measured against
    baseline_source: str  # how L0 was found
    expected_gain: float | None = None  # fraction the best loss would drop from doubling the run
    noise: float | None = None  # robust relative noise of the monitored loss (per epoch)
    reasons: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()

    @property
    def word(self) -> str:
        return VERDICT_WORDS[self.verdict]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["reasons"] = list(self.reasons)
        d["advice"] = list(self.advice)
        return d


# ---------------------------------------------------------------------------
# numeric helpers


def robust_noise(z: np.ndarray) -> float:
    """Per-point noise scale of ``z`` from its second differences (trend-insensitive)."""
    if len(z) < 4:
        return 0.0
    d2 = np.diff(z, 2)
    mad = np.median(np.abs(d2 - np.median(d2)))
    return float(1.4826 * mad / math.sqrt(6.0))


def smooth(z: np.ndarray, window: int) -> np.ndarray:
    """Centred Savitzky-Golay smoothing (quadratic); a local fit at the edges, never a lag.

    Equal to ``scipy.signal.savgol_filter(z, window, 2, mode="interp")`` (a test checks it);
    written with numpy because importing scipy.signal costs most of a second, and
    `epochwatch diagnose` must answer in well under one.
    """
    n = len(z)
    w = min(window, n if n % 2 else n - 1)
    if w < 5:
        return z.astype(float, copy=True)
    half = w // 2
    x = np.arange(-half, half + 1, dtype=float)
    A = np.vander(x, 3, increasing=True)
    centre = np.linalg.pinv(A)[0]  # weights giving the fitted value at the window's centre
    out = np.empty(n)
    out[half : n - half] = np.convolve(z, centre[::-1], mode="valid")
    xe = np.arange(w, dtype=float)
    Ae = np.vander(xe, 3, increasing=True)
    proj = Ae @ np.linalg.pinv(Ae)  # fitted values at every point of an edge window
    out[:half] = proj[:half] @ z[:w]
    out[n - half :] = proj[w - half :] @ z[n - w :]
    return out


def smoothing_window(n: int, noise_ratio: float) -> int:
    """Window grows with the run and with how noisy the curve is relative to its trend."""
    base = n / 8.0 * (1.0 + min(3.0, noise_ratio))
    w = int(np.clip(base, 5, 61))
    return w if w % 2 else w + 1


#: The standard normal quantile for a two-sided 90 % interval.
_Z90 = 1.6448536269514722


def theil_sen(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """Theil-Sen slope with Sen's 90 % interval: (slope, low, high).

    Matches ``scipy.stats.theilslopes(y, x, alpha=0.90)`` (a test checks it); numpy only,
    for the same import-time reason as :func:`smooth`.
    """
    n = len(y)
    if n < 3:
        return 0.0, -math.inf, math.inf
    i, j = np.triu_indices(n, 1)
    dx = x[j] - x[i]
    keep = dx != 0
    slopes = np.sort((y[j] - y[i])[keep] / dx[keep])
    m = len(slopes)
    if m == 0:
        return 0.0, -math.inf, math.inf
    slope = float(np.median(slopes))

    def ties(a: np.ndarray) -> float:
        _, counts = np.unique(a, return_counts=True)
        k = counts[counts > 1].astype(float)
        return float(np.sum(k * (k - 1) * (2 * k + 5)))

    sigma = math.sqrt(max(0.0, (n * (n - 1) * (2 * n + 5) - ties(x) - ties(y)) / 18.0))
    upper = min(int(round((m + _Z90 * sigma) / 2.0)), m - 1)
    lower = max(int(round((m - _Z90 * sigma) / 2.0)) - 1, 0)
    return slope, float(slopes[lower]), float(slopes[upper])


def _binned(epochs: np.ndarray, values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Average long series into at most ``max_points`` bins (keeps the last epoch exact)."""
    n = len(values)
    if n <= max_points:
        return epochs, values
    edges = np.linspace(0, n, max_points + 1).astype(int)
    counts = np.diff(edges)
    sums = np.add.reduceat(values, edges[:-1])
    esum = np.add.reduceat(epochs.astype(float), edges[:-1])
    return esum / counts, sums / counts


@dataclass
class _Curve:
    """One loss series prepared for decisions."""

    epochs: np.ndarray  # epoch numbers with finite values
    raw: np.ndarray  # finite values
    log: bool  # decisions in log space (all values positive)
    z: np.ndarray  # values in decision space (maybe binned)
    ze: np.ndarray  # epochs of z
    s: np.ndarray  # smoothed z
    noise: float  # per-point noise of z
    window: int

    def level(self, zval: float) -> float:
        return math.exp(zval) if self.log else zval

    @property
    def now(self) -> float:
        return self.level(self.s[-1])


def _prepare(epochs: np.ndarray, values: np.ndarray) -> _Curve | None:
    ok = np.isfinite(values)
    e, v = epochs[ok], values[ok]
    if len(v) == 0:
        return None
    log = bool(np.all(v > 0))
    z = np.log(v) if log else v.astype(float)
    ze, zb = _binned(e, z, MAX_POINTS)
    tail = zb[-max(8, min(60, len(zb) // 2)) :]
    noise = robust_noise(tail)
    trend = abs(np.median(np.diff(tail))) if len(tail) > 1 else 0.0
    ratio = noise / trend if trend > 0 else 3.0
    w = smoothing_window(len(zb), ratio)
    s = smooth(zb, w)
    return _Curve(e, v, log, zb, ze, s, noise, w)


def _rel(a: float, b: float, log: bool) -> float:
    """Relative change from b to a."""
    if b == 0:
        return 0.0
    return a / b - 1.0 if log or b > 0 else (a - b) / abs(b)


def _pct(x: float) -> str:
    x *= 100
    return f"{x:.0f} %" if abs(x) >= 10 else f"{x:.1f} %"


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1000 or a < 0.001:
        return f"{x:.3g}"
    return f"{x:.4g}"


# ---------------------------------------------------------------------------
# the parts of a diagnosis


def higher_is_better(metric: str) -> bool:
    """Accuracy-like metrics (accuracy, AUC, precision, recall, F1, IoU, R²): more is better."""
    name = metric.lower().removeprefix("val_")
    return any(key in name for key in ("acc", "auc", "precision", "recall", "f1", "iou", "r2"))


def _baseline(history: History, tr: np.ndarray, va: np.ndarray | None, given: float | None,
              recorded: bool = True) -> tuple[float | None, str]:
    """The chance-level L0: given, recorded with the run (for the loss), else the first epoch's value."""
    if given is not None and math.isfinite(given) and given > 0:
        return float(given), "given"
    meta = history.meta or {}
    b = meta.get("baseline") if recorded else None
    if isinstance(b, (int, float)) and math.isfinite(b) and b > 0:
        return float(b), str(meta.get("baseline_source") or "recorded with the run")
    firsts = [x[np.isfinite(x)][0] for x in (tr, va) if x is not None and np.isfinite(x).any()]
    if firsts:
        f = max(firsts)
        if f > 0:
            return float(f), "first epoch's loss (chance level unknown)"
    return None, "unknown"


def _best_epoch(c: _Curve) -> tuple[int, int]:
    """(best epoch, index of the smoothed minimum in c.s)."""
    i_min = int(np.argmin(c.s))
    se = BEST_TOLERANCE * c.noise * 1.2 / math.sqrt(c.window)
    j = int(np.argmax(c.s[: i_min + 1] <= c.s[i_min] + se))
    e = c.ze[j]
    # among the epochs next to it, the one that measured lowest: the smoothed curve says where
    # the minimum is, the raw values which weights actually got there
    half = BEST_NEIGHBOURS * (c.window // 2) * (c.ze[1] - c.ze[0] if len(c.ze) > 1 else 1.0)
    lo = int(np.searchsorted(c.epochs, e - half - 0.5))
    hi = int(np.searchsorted(c.epochs, e + half + 0.5))
    if hi > lo:
        return int(c.epochs[lo + int(np.argmin(c.raw[lo:hi]))]), i_min
    return int(round(e)), i_min


def _segment_start(history: History, t: int) -> int:
    """First epoch of the current regime: after the last learning-rate change, if logged."""
    for name in ("learning_rate", "lr"):
        lr = history.get(name)
        if lr is None:
            continue
        lr = lr[:t]
        ok = np.isfinite(lr)
        if ok.sum() < 2:
            continue
        idx = np.flatnonzero(ok)
        vals = lr[idx]
        changed = np.flatnonzero(np.abs(np.diff(vals)) > 1e-9 * np.maximum(np.abs(vals[:-1]), 1e-30))
        if len(changed):
            return int(idx[changed[-1] + 1]) + 1
    return 1


def _forecast(c: _Curve, seg_start: int, t: int) -> tuple[float, float, float, float] | None:
    """Expected drop of the smoothed loss from doubling the run: (drop, r, raw r, level now).

    Three points of the smoothed curve at tau/4, tau/2 and tau (tau counted from the
    start of the current regime) fix a power law c + a*tau^-alpha; r = 2^-alpha is the
    ratio of successive drops per doubling, capped at 1 (no acceleration is assumed;
    the raw ratio is returned too: 1 or more means no sign of levelling off yet). A
    positive loss is not predicted to fall by a larger factor than in the last doubling.
    """
    sel = c.ze >= seg_start
    if sel.sum() < 4:
        return None
    tau = c.ze[sel] - seg_start + 1
    lv = np.exp(c.s[sel]) if c.log else c.s[sel]
    T = float(tau[-1])
    if T < 4:
        return None

    def at(x: float) -> float:
        return float(np.interp(x, tau, lv))

    l4, l2, l1 = at(T / 4), at(T / 2), at(T)
    d1, d2 = l4 - l2, l2 - l1
    if d2 <= 0:
        return 0.0, 0.0, 0.0, l1
    r_raw = math.inf if d1 <= 0 else d2 / d1
    r = min(1.0, r_raw)
    drop = d2 * r
    if c.log and l2 > 0:
        drop = min(drop, l1 - l1 * l1 / l2)
    return drop, r, r_raw, l1


def _suggest_total(t: int, seg_start: int, r: float) -> int:
    """Total epochs that capture about 90 % of the gain the power law expects by 2t."""
    tau = t - seg_start + 1
    if r >= 0.999:
        total = tau * 2 ** 0.9
    elif r <= 1e-6:
        total = tau * 1.1
    else:
        alpha = -math.log2(r)
        frac = 1.0 - 0.9 * (1.0 - r)
        total = tau * frac ** (-1.0 / alpha)
    total = min(2 * tau, max(tau + 1, total))
    return int(math.ceil(seg_start - 1 + total))


# ---------------------------------------------------------------------------


def diagnose(
    history: History,
    t: int | None = None,
    *,
    monitor: str = "val_loss",
    baseline: float | None = None,
) -> Diagnosis:
    """Diagnose ``history`` as known at the end of epoch ``t`` (default: its last epoch).

    Uses only epochs 1..t. ``baseline`` overrides the chance-level loss; otherwise the
    one recorded in ``history.meta["baseline"]`` is used, else the first epoch's loss.
    """
    n = len(history) if t is None else max(0, min(int(t), len(history)))
    train_name = "loss"
    if monitor.startswith("val_") and monitor[4:] in history:
        train_name = monitor[4:]
    tr_full = history.get(train_name)
    tr = tr_full[:n] if tr_full is not None else np.full(n, np.nan)
    va_full = history.get(monitor)
    va = va_full[:n] if va_full is not None else None
    has_val = va is not None and bool(np.isfinite(va).any())
    judged = monitor if has_val else train_name
    if higher_is_better(monitor):
        # judge the error rate 1 - accuracy like a loss; its chance level is unknown here
        tr, va = 1.0 - tr, (1.0 - va if va is not None else None)
        judged = f"1 - {judged}"
    L0, base_src = _baseline(history, tr, va if has_val else None, baseline,
                             recorded=not higher_is_better(monitor))

    def result(verdict: str, **kw) -> Diagnosis:
        fields = dict(
            verdict=verdict, epoch=n, monitor=judged, has_validation=has_val,
            still_improving=False, best_epoch=None, suggested_total_epochs=None,
            bias=None, variance=None, baseline=L0, baseline_source=base_src,
        )
        fields.update(kw)
        return Diagnosis(**fields)

    reasons: list[str] = []
    if not has_val and n:
        reasons.append(
            f"No validation data ({monitor} not logged): judging from the training loss alone, "
            "so overfitting cannot be seen."
        )
        advice_noval = "Add validation data (validation_split or validation_data) to see overfitting."
    else:
        advice_noval = None

    # -- non-finite values: diverged, whatever else is true
    bad = _first_nonfinite(tr, va if has_val else None)
    if bad is not None:
        epoch_bad = bad
        reasons.insert(0, _nonfinite_reason(tr, va if has_val else None, epoch_bad))
        good = _finite_best(va if has_val else tr, epoch_bad)
        adv = ["The learning rate looks too high: lower it (by 3-10x) or clip gradients, then restart."]
        if good is not None:
            adv.insert(0, f"Restore the weights of epoch {good} (the last good ones) or restart.")
        return result("diverged", best_epoch=good, reasons=tuple(reasons), advice=tuple(adv))

    epochs = np.arange(1, n + 1)
    series = va if has_val else tr
    c = _prepare(epochs, series)
    if c is None or len(c.raw) < MIN_EPOCHS:
        have = 0 if c is None else len(c.raw)
        reasons.append(f"{have} epoch{'s' if have != 1 else ''} with {judged} so far; a verdict needs {MIN_EPOCHS}.")
        return result("insufficient_data", reasons=tuple(reasons), advice=("Keep training.",))
    ctr = _prepare(epochs, tr) if has_val else c

    # -- best epoch, levels
    best, i_min = _best_epoch(c)
    # a quadratic smoother undershoots right after a steep fall; never below the lowest value seen
    z_best = max(float(c.s[i_min]), float(np.min(c.z)))
    best_level = c.level(z_best)
    now_level = c.now
    raw_best = float(np.min(c.raw))
    rel_noise = c.noise if c.log else c.noise / max(abs(best_level), 1e-12)

    # -- gauge
    bias = variance = None
    tr_now = ctr.now if ctr is not None else None
    if L0 is not None and tr_now is not None and L0 > 0:
        bias = float(np.clip(tr_now / L0, 0.0, 1.0))
        if has_val:
            variance = float(np.clip((now_level - tr_now) / L0, 0.0, 1.0))

    # -- trend of the recent window
    W = int(np.clip(len(c.z) // 2, MIN_EPOCHS, 200))
    slope, lo, hi = theil_sen(c.z[-W:], c.ze[-W:])
    falling = hi < 0
    rising = lo > 0

    # -- forecast from doubling the run
    seg_start = _segment_start(history, n)
    fc = _forecast(c, seg_start, n)
    gain = 0.0
    r = r_raw = 0.0
    if fc is not None:
        drop, r, r_raw, level_now = fc
        predicted = level_now - drop
        ref = min(best_level, level_now)
        if c.log:
            predicted = max(predicted, 1e-12)
            gain = max(0.0, 1.0 - predicted / ref) if ref > 0 else 0.0
        else:
            gain = max(0.0, (ref - predicted) / max(abs(ref), 1e-12))
        # a predicted drop inside the noise of the smoothed curve is no drop
        noise_abs = c.noise * (ref if c.log else 1.0) * 3.0 / math.sqrt(c.window)
        if drop <= noise_abs:
            gain = min(gain, DONE_GAIN * 0.99) if not falling else gain
    # a curve still near its start and falling without any sign of levelling off has not
    # shown where it will settle: doubling a short run says nothing about that
    steady_fall = bool(
        falling and r_raw >= 0.9 and bias is not None and bias >= NEAR_CHANCE and gain < WORTH_GAIN
    )
    still_improving = bool(falling and (gain >= WORTH_GAIN or steady_fall))
    suggested = _suggest_total(n, seg_start, r) if still_improving else None

    rise = _rel(now_level, best_level, c.log)
    # the smoothed end point and the smoothed minimum each carry noise/sqrt(window)-ish error
    rise_z = float(c.s[-1] - z_best)
    rise_se = c.noise * math.sqrt(9.0 / c.window + 1.44 / c.window)
    beyond_noise = rise_z > 2.0 * rise_se
    # more epochs bring it back only if, at its current rate, as many epochs again would undo the rise
    recovering = falling and slope * n < -rise_z
    trend_pct = (math.expm1(slope) if c.log else slope / max(abs(best_level), 1e-12))
    trend_txt = f"trend {trend_pct * 100:+.2g} %/epoch, 90 % interval {'excludes' if (falling or rising) else 'includes'} 0"

    def conclude(verdict: str, advice, **kw) -> Diagnosis:
        """A verdict with everything measured so far and the reasons gathered."""
        return result(verdict, best_epoch=best, bias=bias, variance=variance, noise=rel_noise,
                      expected_gain=gain, reasons=tuple(reasons), advice=tuple(advice), **kw)

    def unstable(why: str) -> Diagnosis:
        """Diverged without non-finite values: restore the best weights, lower the rate."""
        reasons.insert(0, why)
        return conclude("diverged", (f"Restore the weights of epoch {best} or restart.",
                                     "The learning rate looks too high: lower it by 3-10x or clip gradients."))

    # -- nothing learned (diverged without non-finite values)
    if L0 is not None and ctr is not None and n >= PATIENCE_NOTHING_LEARNED and not (still_improving or (falling and gain >= DONE_GAIN)):
        tr_min = float(np.min(ctr.raw))
        first = float(ctr.raw[0])
        known = not base_src.startswith("first epoch")
        if known and tr_min >= NOTHING_LEARNED * L0:
            reasons.insert(0, (
                f"The training loss never got meaningfully below the chance level: its best, {_fmt(tr_min)}, "
                f"is {_pct(tr_min / L0)} of the baseline {_fmt(L0)} ({base_src})."
            ))
            if rel_noise > 0.05:
                fix = "Nothing was learned and the loss jumps about: the learning rate looks far too high; " \
                      "lower it by 10x and restart."
            else:
                fix = "Nothing was learned: check that the inputs are scaled and the labels match them; " \
                      "then try a learning rate 10x higher and 10x lower."
            return conclude("diverged", (fix,))

    # -- exploded: the training loss itself blew up (a learning rate far too high)
    if ctr is not None and ctr.log and len(ctr.raw) >= MIN_EPOCHS:
        tr_min = float(np.min(ctr.raw))
        first = float(ctr.raw[0])
        tw = int(np.clip(len(ctr.z) // 4, MIN_EPOCHS, 40))
        tr_rising = theil_sen(ctr.z[-tw:], ctr.ze[-tw:])[1] > 0
        came_back = tr_min < 0.7 * first and ctr.now > max(first, 3.0 * tr_min)
        blowing_up = tr_rising and ctr.now > 2.0 * max(first, tr_min)
        # an epoch-averaged training loss is smooth; jumps of about half its size epoch to epoch are not
        erratic = ctr.noise > UNSTABLE_NOISE
        if erratic and not (came_back or blowing_up):
            return unstable(
                f"The training loss jumps by about {_pct(math.expm1(ctr.noise))} from epoch to epoch: "
                "training is unstable."
            )
        if came_back or blowing_up:
            return unstable(
                f"The training loss exploded: from {_fmt(first)} at epoch 1 (best {_fmt(tr_min)}) "
                f"it is now about {_fmt(ctr.now)}."
            )

    # -- overfitting
    tr_trend = None
    if has_val and ctr is not None and best <= n:
        tr_at_best = max(float(np.interp(best, ctr.ze, np.exp(ctr.s) if ctr.log else ctr.s)), float(np.min(ctr.raw)))
        tr_trend = _rel(ctr.now, tr_at_best, ctr.log)
    # overfitting is the validation loss rising while training still fits: a training loss that
    # rose as much is instability, not overfitting
    train_still_fits = tr_trend is None or tr_trend < 0.5 * rise
    if has_val and rise >= OVERFIT_RISE and beyond_noise and not recovering and not train_still_fits:
        return unstable(
            f"Both losses rose since epoch {best}: {judged} by {_pct(rise)} and {train_name} by {_pct(tr_trend)}; "
            "training is unstable."
        )
    if has_val and rise >= OVERFIT_RISE and beyond_noise and not recovering:
        why = (
            f"{judged} has risen {_pct(rise)} since its best at epoch {best} ({_fmt(best_level)} smoothed, "
            f"now {_fmt(now_level)}; {trend_txt})"
        )
        if tr_trend is not None and tr_trend < 0:
            why += f" while {train_name} kept falling ({_pct(-tr_trend)} lower)."
        else:
            why += "."
        reasons.insert(0, why)
        noise_txt = f"about ±{_pct(rel_noise)}" if rel_noise >= 0.001 else "under ±0.1 %"
        reasons.append(f"Noise: {noise_txt} per epoch; the rise is well beyond it.")
        adv = [f"Stop at epoch {best} and restore its weights (press b, or use EarlyStopping(restore_best_weights=True))."]
        adv.append("To do better: more training data, augmentation, dropout or weight decay, or a smaller model.")
        return conclude("overfitting", adv)

    # -- still improving
    if still_improving:
        extend = suggested - n if suggested else n
        if steady_fall:
            reasons.insert(0, (
                f"{judged} is still falling steadily ({trend_txt}) with no sign of levelling off, "
                f"and the training loss is still {_pct(tr_now / L0)} of the chance level {_fmt(L0)} ({base_src})."
            ))
        else:
            reasons.insert(0, (
                f"{judged} is still falling ({trend_txt}); doubling the run is expected to lower it by about "
                f"{_pct(gain)} below its best so far ({_fmt(min(best_level, raw_best))})."
            ))
        adv = [f"Extend by about {extend} epochs (to about {suggested} in total), then look again."]
        if steady_fall and c.log and slope < 0 and bias is not None and bias > 0.1:
            need = int(math.ceil(math.log(0.1 * L0 / tr_now) / slope))
            adv[0] = (
                f"Extend: at its current rate ({trend_pct * 100:+.2g} %/epoch) the loss needs about {need} more "
                f"epochs to fall to a tenth of the chance level; extend by at least {extend} and look again."
            )
        if r_raw >= 0.9 and (n >= 20 or steady_fall):
            adv.append(
                "The loss is falling at a steady rate with no sign of slowing after "
                f"{n} epochs: a higher learning rate would get there sooner."
            )
        elif n >= SLOW_RUN_EPOCHS and gain >= SLOW_RUN_GAIN:
            adv.append(
                f"After {n} epochs doubling the run would still gain about {_pct(gain)}: "
                "a higher learning rate would get there sooner."
            )
        if advice_noval:
            adv.append(advice_noval)
        return conclude("underfitting", adv, still_improving=True, suggested_total_epochs=suggested)

    # -- plateau: done, or done with high bias
    adv = []
    if has_val and rise >= EARLY_RISE and (rising or beyond_noise):
        reasons.insert(0, (
            f"{judged} is {_pct(rise)} above its best at epoch {best} ({trend_txt}): "
            "overfitting may be starting."
        ))
        adv.append(f"Stop soon; the weights to keep are those of epoch {best}.")
    if gain >= WORTH_GAIN:
        reasons.append(
            f"The smoothed curve says doubling the run would gain about {_pct(gain)}, but its recent "
            f"trend is not clear of the noise ({trend_txt}): it may still be improving."
        )
        adv.append(f"To find out, extend by about {max(10, n // 4)} epochs and look again.")
    elif gain >= DONE_GAIN:
        reasons.append(
            f"Improving slowly: doubling the run is expected to gain about {_pct(gain)} "
            f"(under the {_pct(WORTH_GAIN)} worth the time)."
        )
    elif not reasons or not reasons[0].startswith(judged):
        reasons.append(f"{judged} has levelled off ({trend_txt}); doubling the run would gain under {_pct(DONE_GAIN)}.")
    high_bias = bias is not None and bias >= HIGH_BIAS and not base_src.startswith("first epoch")
    if high_bias:
        reasons.insert(0, (
            f"It plateaued with high bias: the training loss is still {_pct(bias)} of the chance level "
            f"{_fmt(L0)} ({base_src})."
        ))
        adv.append("More capacity (a larger model) or a higher learning rate, not more epochs.")
        if advice_noval:
            adv.append(advice_noval)
        return conclude("underfitting", adv)
    if bias is not None and variance is not None:
        reasons.append(f"Bias {bias:.2f}, variance {variance:.2f} of the baseline {_fmt(L0)} ({base_src}).")
    if gain >= WORTH_GAIN:
        adv.append(f"The best weights so far are those of epoch {best}.")
    elif gain >= DONE_GAIN:
        adv.append(
            f"Optional: about {n} more epochs would gain about {_pct(gain)}; stop here unless that matters "
            f"(the best weights are those of epoch {best})."
        )
    elif best < n:
        adv.append(f"The best weights are those of epoch {best}; more epochs are not worth the time.")
    else:
        adv.append("Training is done: more epochs are not worth the time.")
    if advice_noval:
        adv.append(advice_noval)
    return conclude("good_fit", adv)


def _first_nonfinite(tr: np.ndarray, va: np.ndarray | None) -> int | None:
    """The epoch a training went non-finite: any infinite loss, or a NaN training loss that never recovered.

    A NaN validation value alone is a missing value (CSVLogger's NA), not a divergence.
    """
    firsts = [int(np.argmax(np.isinf(x))) + 1 for x in (tr, va) if x is not None and np.isinf(x).any()]
    if len(tr) and np.isnan(tr[-1]):
        finite = np.flatnonzero(np.isfinite(tr))
        firsts.append(int(finite[-1]) + 2 if len(finite) else 1)
    return min(firsts) if firsts else None


def _nonfinite_reason(tr: np.ndarray, va: np.ndarray | None, epoch: int) -> str:
    x = tr[epoch - 1] if epoch - 1 < len(tr) else math.nan
    what = "the training loss" if not np.isfinite(x) else "val_loss"
    value = tr[epoch - 1] if what == "the training loss" else (va[epoch - 1] if va is not None else math.nan)
    word = "NaN" if math.isnan(value) else "infinite"
    return f"Non-finite values: {what} became {word} at epoch {epoch}."


def _finite_best(x: np.ndarray, epoch_bad: int) -> int | None:
    head = x[: epoch_bad - 1]
    ok = np.isfinite(head)
    if not ok.any():
        return None
    return int(np.nanargmin(np.where(ok, head, np.nan))) + 1


class Diagnoser:
    """Diagnoses a growing history after each epoch, spending at most ``budget`` of the wall time on it.

    Short histories are diagnosed every epoch (a call costs well under a millisecond). On
    long, fast runs a call costs more (about 45 ms at a million epochs) and epochs may come
    faster than that; then the last diagnosis is returned until the budget allows a new
    one, so the diagnosis never limits how many epochs a second training can do. The
    ``epoch`` field of what it returns says which epoch the diagnosis describes.
    """

    def __init__(self, *, monitor: str = "val_loss", budget: float = 0.1) -> None:
        import time

        self._clock = time.perf_counter
        self.monitor = monitor
        self.budget = budget
        self.last: Diagnosis | None = None
        self._next_at = 0.0

    def __call__(self, history: History, *, force: bool = False) -> Diagnosis:
        now = self._clock()
        if force or self.last is None or now >= self._next_at or len(history) < self.last.epoch:
            self.last = diagnose(history, monitor=self.monitor)
            cost = self._clock() - now
            self._next_at = now + cost / self.budget
        return self.last
