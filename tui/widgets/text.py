"""Updating a ``Static`` only when what it shows changes.

``Static.update`` always refreshes (and by default re-lays-out the screen), so a
panel fed the same text every epoch would be repainted, and its bytes sent to the
terminal, for nothing: over SSH that is most of the traffic.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


def update_if_changed(static: Static, content: VisualType, *, layout: bool = True) -> bool:
    """``static.update(content)`` unless it already shows ``content``; True when it changed.

    Pass ``layout=False`` only when the new content cannot change the widget's size.
    """
    if static.content == content:
        return False
    static.update(content, layout=layout)
    return True
