"""epochwatch's themes as Textual ``Theme`` objects plus the one stylesheet that uses them.

Colours live here as data; ``epochwatch.tcss`` refers to them only through theme
variables (``$verdict-overfitting``, ``$curve-train``, ...), so a new theme is a new
``Theme`` and no CSS.
"""

from __future__ import annotations

from textual.theme import Theme

from . import THEME_NAMES

DARK = Theme(
    name="dark",
    primary="#5fafff",
    secondary="#af87ff",
    accent="#ffaf5f",
    warning="#ffd75f",
    error="#ff5f5f",
    success="#5fd787",
    foreground="#e4e4e4",
    background="#121417",
    surface="#1b1e23",
    panel="#262a31",
    dark=True,
    variables={
        "curve-train": "#5fafff",
        "curve-val": "#ffaf5f",
        "curve-previous": "#5c6370",
        "curve-best": "#5fd787",
        "verdict-underfitting": "#d7af00",
        "verdict-good-fit": "#00af5f",
        "verdict-overfitting": "#d75f00",
        "verdict-diverged": "#d70000",
        "verdict-waiting": "#4e5561",
        "verdict-text": "#101010",
        "gauge-bias": "#d7af00",
        "gauge-variance": "#d75f00",
        "footer-key-foreground": "#5fafff",
    },
)

LIGHT = Theme(
    name="light",
    primary="#0055aa",
    secondary="#6a3ab2",
    accent="#b35900",
    warning="#8a6d00",
    error="#c00000",
    success="#1e7b34",
    foreground="#1c1c1c",
    background="#fbfbf8",
    surface="#f0f0ea",
    panel="#e2e2da",
    dark=False,
    variables={
        "curve-train": "#0055aa",
        "curve-val": "#c25400",
        "curve-previous": "#a8a8a8",
        "curve-best": "#1e7b34",
        "verdict-underfitting": "#f0c419",
        "verdict-good-fit": "#5cb85c",
        "verdict-overfitting": "#f08a24",
        "verdict-diverged": "#d9302c",
        "verdict-waiting": "#c8c8c0",
        "verdict-text": "#101010",
        "gauge-bias": "#a67c00",
        "gauge-variance": "#c25400",
        "footer-key-foreground": "#0055aa",
    },
)

HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#00ffff",
    secondary="#ff00ff",
    accent="#ffff00",
    warning="#ffff00",
    error="#ff3030",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    dark=True,
    variables={
        "curve-train": "#00ffff",
        "curve-val": "#ffff00",
        "curve-previous": "#8a8a8a",
        "curve-best": "#00ff00",
        "verdict-underfitting": "#ffff00",
        "verdict-good-fit": "#00ff00",
        "verdict-overfitting": "#ff8c00",
        "verdict-diverged": "#ff3030",
        "verdict-waiting": "#ffffff",
        "verdict-text": "#000000",
        "gauge-bias": "#ffff00",
        "gauge-variance": "#ff8c00",
        "footer-key-foreground": "#ffff00",
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
    },
)

#: Themes in the order ``t`` cycles through them.
THEMES: dict[str, Theme] = {t.name: t for t in (DARK, LIGHT, HIGH_CONTRAST)}
assert tuple(THEMES) == THEME_NAMES


def theme_names() -> list[str]:
    return list(THEMES)
