"""A row of buttons that wraps onto new lines instead of clipping them.

Textual has no wrapping layout: `FlowLayout` places the children left to right,
each at its own width, and starts a new line when the next one would not fit.
`Actions` uses it as its default layout (no `layout` rule in its styles), so a
step's buttons stay whole at 80 columns as at 120.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from textual.geometry import NULL_OFFSET, Region, Size
from textual.layout import ArrangeResult, Layout, WidgetPlacement
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.widget import Widget as _Widget


class FlowLayout(Layout):
    """Left to right, wrapping: a child never sticks out of the container's width."""

    name = "flusso"  # not registered with Textual: only a widget's default layout

    def arrange(self, parent: _Widget, children: list[_Widget], size: Size, greedy: bool = True) -> ArrangeResult:
        parent.pre_layout(self)
        viewport = parent.app.viewport_size
        width = size.width
        fraction = Fraction(max(width, 1))
        placements: list[WidgetPlacement] = []
        x = y = row_height = 0
        previous_margin = 0
        for child in children:
            box = child._get_box_model(size, viewport, fraction, Fraction(max(size.height, 1)),
                                       constrain_width=True, greedy=greedy)
            margin = box.margin
            child_width = int(box.width)
            child_height = int(box.height)
            gap = max(previous_margin, margin.left) if x else margin.left
            if x and width and x + gap + child_width > width:
                y += row_height
                x, row_height, gap = 0, 0, margin.left
            if width:
                child_width = max(1, min(child_width, width - gap))
            left = x + gap
            region = Region(left, y + margin.top, child_width, child_height)
            placements.append(WidgetPlacement(region, NULL_OFFSET, margin, child, 0, False, False, False))
            x = left + child_width
            previous_margin = margin.right
            row_height = max(row_height, margin.top + child_height + margin.bottom)
        return placements


class Actions(Widget):
    """The buttons at the bottom of a step (class `azioni`), wrapping at narrow widths."""

    DEFAULT_CSS = """
    Actions {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, *children: Widget, name: str | None = None, id: str | None = None,  # noqa: A002
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(*children, name=name, id=id, classes=classes, disabled=disabled)
        self._default_layout = FlowLayout()
