"""The header of every step: Textual's Header, whose title is never updated on parts it no longer has."""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class StepHeader(Header):
    """Textual's Header, drawn the same.

    Textual's own updates the title through a watcher queued on the header: run
    after the header's parts are gone (a screen closed right after it came, the
    console quitting), it fails to find its title and the error would reach the
    app. Here there is then nothing to update.
    """

    def _on_mount(self, _: Mount) -> None:
        async def set_title() -> None:
            try:
                self.query_one(HeaderTitle).update(self.format_title())
            except (NoScreen, NoMatches):  # no screen, or its parts not mounted or already removed
                pass

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
