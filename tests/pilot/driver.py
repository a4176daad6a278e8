"""Drive the console as a person would: click ids, type keys, wait for conditions."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input, Select
from textual.worker import WorkerCancelled, WorkerFailed

from areaclienti_tui.services import outbox


class Driver:
    def __init__(self, pilot: Pilot) -> None:
        self.pilot = pilot
        self.app = pilot.app

    async def settle(self) -> None:
        """Let workers finish and the screen catch up.

        A cancelled worker (an outbox reload replaced by a newer one) is not a
        failure; a failed one reaches the test through the app's own handler.
        """
        try:
            await self.app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            pass
        await self.pilot.pause()

    async def wait_for(self, condition: Callable[[], bool], what: str, *, rounds: int = 200) -> None:
        for _ in range(rounds):
            if condition():
                return
            await self.settle()
        raise AssertionError(f"still waiting for {what}; step {self.app.current_step}, errors {self.errors()}")

    async def click(self, selector: str) -> None:
        """Scroll the widget into view, as a person would, then click it."""
        screen = self.app.screen
        widget = screen.query_one(selector)
        viewport = screen.query_one("#journey").region if screen.query("#journey") else screen.region
        if not viewport.contains_region(widget.region):
            widget.scroll_visible(animate=False, immediate=True)
            await self.pilot.pause()
        region = widget.region
        assert region.area, f"{selector} is not on screen: there is nothing a person could click"
        under, _ = screen.get_widget_at(*region.center)
        assert under is widget or widget in under.ancestors, f"{selector} is covered by {under!r}"
        await self.pilot.click(selector)
        await self.settle()

    async def type(self, selector: str, text: str) -> None:
        """Focus the field, clear it with keys and type the text."""
        widget = self.app.screen.query_one(selector, Input)
        await self.click(selector)
        widget.focus()
        await self.wait_for(lambda: self.app.focused is widget, f"focus on {selector}")
        await self.pilot.press("end", *(["backspace"] * len(widget.value)))
        if text:
            await self.pilot.press(*text)
        await self.pilot.pause()
        assert widget.value == text, f"{selector} holds {widget.value!r}, not {text!r}"

    async def choose(self, selector: str, label: str) -> None:
        """Open a Select with the keyboard and pick the option whose label starts the text."""
        select = self.app.screen.query_one(selector, Select)
        select.focus()
        await self.pilot.press("enter")
        await self.pilot.press(*label)
        await self.pilot.press("enter")
        await self.settle()
        assert select.selection is not None, f"{selector}: nothing chosen for {label!r}"

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    def errors(self) -> dict[str, str]:
        screen = self.app.screen
        return screen.errors() if hasattr(screen, "errors") else {}

    def error(self, field_id: str) -> str | None:
        return self.errors().get(field_id)

    @property
    def step(self) -> str | None:
        return self.app.current_step

    def text(self) -> str:
        """Everything the current screen shows, as plain text."""
        return " ".join(str(w.render()) for w in self.app.screen.query("Static, Label, Button"))

    def screen_lines(self) -> list[str]:
        """What the terminal shows right now, line by line (the rendered screen, not widget state)."""
        return [strip.text for strip in self.app.screen._compositor.render_strips()]

    def newest_code(self, to: str | None = None) -> str:
        code = outbox.newest_code(self.app.ctx, to)
        assert code, "no code in the outbox"
        return code

    async def expect_step(self, step: str) -> None:
        await self.wait_for(lambda: self.step == step, f"step {step}")

    # -- whole steps -----------------------------------------------------------

    async def personal_data(self, nome: str, cognome: str, data: str, sesso: str) -> None:
        await self.type("#nome", nome)
        await self.type("#cognome", cognome)
        await self.type("#data-nascita", data)
        await self.choose("#sesso", sesso)

    async def register_until_code(
        self, *, nome: str, cognome: str, data: str, sesso: str, username: str, password: str
    ) -> None:
        await self.expect_step("1A")
        await self.click("#registrati")
        await self.expect_step("2A")
        await self.click("#persona")
        await self.expect_step("3A")
        await self.personal_data(nome, cognome, data, sesso)
        await self.click("#continua")
        await self.expect_step("4A")
        await self.type("#username", username)
        await self.click("#continua")
        await self.expect_step("5A")
        await self.type("#password", password)
        await self.type("#conferma-password", password)
        await self.click("#privacy")
        await self.click("#registrati")

    async def login(self, username: str, password: str) -> None:
        await self.type("#username", username)
        await self.type("#password", password)
        await self.click("#accedi")
