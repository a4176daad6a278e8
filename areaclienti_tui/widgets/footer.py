"""The keys at the bottom of a step: Textual's Footer, rebuilt only when they change (issue 12).

Textual's Footer throws its keys away and builds them again every time the screen's
bindings are refreshed: on every focus change, so three or four times while a step
arrives (the screen's own focus, the field focused on mount, the footer's first
bindings), each rebuild queued on its own. Every new key then restyles itself twice
(its ``compact`` starts True and the footer's False reaches it a moment later). On a
step with seven keys that was about a third of the restyling a step change did.

`StepFooter` draws the same keys: it rebuilds them once per refresh however many
refreshes were asked, only when the keys the screen offers have changed, and builds
each key with the footer's ``compact`` already set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.screen import Screen

_NOT_YET = object()  # no keys composed yet


class StepFooter(Footer):
    """Footer that keeps its keys while the bindings they show stay the same."""

    def __init__(self, **kwargs: Any) -> None:  # noqa: ANN401 - Footer's own arguments
        super().__init__(**kwargs)
        self._shown: object = _NOT_YET  # the bindings the keys on screen were built from
        self._rebuild_asked = False

    def keys_shown(self) -> object:
        """What the keys are built from, as Footer.compose reads it: the screen's active
        bindings that are shown, and the command palette's."""
        if not self._bindings_ready:
            return _NOT_YET
        active = self.screen.active_bindings
        shown = tuple(
            (key, binding, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in active.items() if binding.show
        )
        palette_key = self.app.COMMAND_PALETTE_BINDING
        palette = active[palette_key][1:] if palette_key in active else None
        return shown, palette, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE

    def compose(self) -> ComposeResult:
        self._shown = self.keys_shown()
        compact = self.compact
        for widget in super().compose():
            # A key bound to the footer's `compact` is born with its value, so the binding
            # changes nothing (the command palette's key is not bound: it stays as Textual makes it).
            if isinstance(widget, FooterKey) and "compact" in (getattr(widget, "_reactive_connect", None) or {}):
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_asked:
            self._rebuild_asked = self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_asked = False
        if self.is_attached and self.keys_shown() != self._shown:
            await self.recompose()
