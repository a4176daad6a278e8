"""A screen's breakpoint classes (``-stretto``/``-largo``) from its first frame (issue 12).

Textual gives a screen the classes of its breakpoints on the screen's first Resize,
after the screen has been composed and styled: the whole screen is then restyled a
second time. Screens that know the app's size when they are built take the classes
then (`take_breakpoint_classes`), and check them again on that Resize
(`breakpoint_classes`). Textual alone: the early 1A uses it before the store loads.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.screen import Screen


def breakpoint_classes(screen: Screen, size: Size) -> dict[str, bool]:
    """The breakpoint classes `screen` has at `size`, as Textual's Resize gives them."""
    app: Any = screen.app
    classes: dict[str, bool] = {}
    for dimension, own, default in ((size.width, screen.HORIZONTAL_BREAKPOINTS, app.HORIZONTAL_BREAKPOINTS),
                                    (size.height, screen.VERTICAL_BREAKPOINTS, app.VERTICAL_BREAKPOINTS)):
        points = (default if own is None else own) or []
        reached = next((name for limit, name in sorted(points, reverse=True) if dimension >= limit), None)
        classes.update({name: name == reached for _limit, name in points})
    return classes


def take_breakpoint_classes(screen: Screen) -> None:
    """Give `screen` its breakpoint classes now, if the app's size is known (else its first Resize will)."""
    try:
        size = screen.app.size
    except Exception:  # noqa: BLE001 - built outside a running app: the first Resize gives them
        return
    if not size.width:
        return
    for name, wanted in breakpoint_classes(screen, size).items():
        screen.set_class(wanted, name, update=False)
