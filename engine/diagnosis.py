"""The verdict: a pure, causal function of a History up to epoch t.

(Interface settled; the implementation is being written.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    baseline_source: str  # how L0 was found ("Var(y) of the training targets", "first epoch's loss", ...)
    expected_gain: float | None = None  # fraction the best val loss would drop from doubling the run
    noise: float | None = None  # robust noise scale of the monitored series (absolute)
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


def diagnose(history: History, t: int | None = None, *, monitor: str = "val_loss") -> Diagnosis:
    """Diagnose ``history`` as known at the end of epoch ``t`` (default: its last epoch)."""
    n = len(history) if t is None else max(0, min(int(t), len(history)))
    has_val = history.has_values(monitor)
    return Diagnosis(
        verdict="insufficient_data", epoch=n, monitor=monitor if has_val else "loss",
        has_validation=has_val, still_improving=False, best_epoch=None,
        suggested_total_epochs=None, bias=None, variance=None, baseline=None,
        baseline_source="unknown",
    )
