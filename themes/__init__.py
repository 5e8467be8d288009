"""epochwatch's themes: names here, Textual ``Theme`` objects in :mod:`.textual_themes`.

The names are importable without Textual, so the command line can list them without
paying for the UI; ``THEMES`` and the ``Theme`` objects load Textual on first use.
"""

from __future__ import annotations

from pathlib import Path

#: Themes in the order ``t`` cycles through them.
THEME_NAMES = ("dark", "light", "high-contrast")
DEFAULT_THEME = "dark"
#: The stylesheet shipped beside this module (package data).
TCSS_PATH = Path(__file__).with_name("epochwatch.tcss")

_LAZY = {"THEMES", "DARK", "LIGHT", "HIGH_CONTRAST", "theme_names"}


def __getattr__(name: str):
    if name in _LAZY:
        from . import textual_themes

        return getattr(textual_themes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
