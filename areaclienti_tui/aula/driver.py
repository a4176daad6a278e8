"""The driver of a classroom seat's console: Textual's web driver, plus a full repaint.

A seat's console outlives its browser tab (a reload reconnects to the same console,
where the trainee was). The new tab's terminal is blank, so the server sends the tab's
size and then asks for a repaint (the meta packet ``{"type": "repaint"}``): the whole
screen is drawn again. The size is applied by the console a moment later (Textual
gathers resizes), so the screen is drawn whole again once that moment has passed.
"""

from __future__ import annotations

from textual.drivers.web_driver import WebDriver

REPAINT_AGAIN = (0.05, 0.3, 1.0)  # seconds: after the resize that came with the repaint request


class SeatDriver(WebDriver):
    def on_meta(self, packet_type: str, payload: dict[str, object]) -> None:
        if packet_type == "repaint":
            try:
                self._app.call_from_thread(self._repaint)
            except RuntimeError:  # not running yet, or closing: the first frame is whole anyway
                pass
            return
        super().on_meta(packet_type, payload)

    def _repaint(self) -> None:
        app = self._app

        def whole() -> None:
            if app.is_running and app.screen_stack:
                app.screen.refresh()

        whole()
        for delay in REPAINT_AGAIN:
            app.set_timer(delay, whole)
