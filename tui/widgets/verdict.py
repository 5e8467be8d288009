"""The verdict panel: the verdict word as plain text, coloured, with its reasons and advice."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.reactive import var
from textual.widgets import Static

from epochwatch.engine.diagnosis import VERDICTS, Diagnosis

from .text import update_if_changed

#: Shown before the first epoch has been diagnosed.
WAITING_WORD = "WAITING FOR DATA"


def verdict_word(diagnosis: Diagnosis | None) -> str:
    """The engine's word for the verdict; before the first diagnosis, ``WAITING_WORD``."""
    return WAITING_WORD if diagnosis is None else diagnosis.word


def verdict_class(verdict: str) -> str:
    return "-" + verdict.replace("_", "-")


class VerdictPanel(VerticalScroll):
    """Verdict word, then what to do (advice), then why (reasons with their numbers)."""

    diagnosis: var[Diagnosis | None] = var(None, always_update=True)
    """The diagnosis shown; None before the first epoch (a ``var``: only the parts whose text changed repaint)."""

    def compose(self) -> ComposeResult:
        yield Static(WAITING_WORD, id="verdict-word", classes="-insufficient-data")
        yield Static(id="verdict-advice")
        yield Static(id="verdict-reasons")

    def watch_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        word = self.query_one("#verdict-word", Static)
        update_if_changed(word, verdict_word(diagnosis), layout=False)  # fixed height in the stylesheet
        current = diagnosis.verdict if diagnosis else "insufficient_data"
        for verdict in VERDICTS:
            word.set_class(verdict == current, verdict_class(verdict))
        reasons = self.query_one("#verdict-reasons", Static)
        advice = self.query_one("#verdict-advice", Static)
        if diagnosis is None:
            update_if_changed(reasons, "[dim]The verdict appears after the first epochs.[/]")
            update_if_changed(advice, "")
            return
        reason_lines = [f"• {escape(r)}" for r in diagnosis.reasons]
        if not reason_lines:
            if diagnosis.verdict == "insufficient_data":
                reason_lines = [f"[dim]{diagnosis.epoch} epoch(s) so far: too few to judge.[/]"]
            else:
                reason_lines = ["[dim]no reasons given[/]"]
        if diagnosis.best_epoch is not None:
            reason_lines.append(f"[dim]best epoch {diagnosis.best_epoch} by {escape(diagnosis.monitor)}[/]")
        update_if_changed(reasons, "[b]Why[/]\n" + "\n".join(reason_lines))
        advice_text = "\n".join(f"[b]→[/] {escape(a)}" for a in diagnosis.advice)
        update_if_changed(advice, advice_text)
