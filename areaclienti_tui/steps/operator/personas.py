"""Operator tab "Personas": the trainer's cheat-sheet of the demo personas (data/personas.md),
and "Avvia", which takes a persona to a step of the journey (start_at.py) for the lesson."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Button, Markdown, Select, Static

from areaclienti_tui import journey_map, start_at
from areaclienti_tui.steps.base import actions
from areaclienti_tui.steps.operator.common import OperatorTab, leave_operator_area
from areaclienti_tui.widgets.field import Field

log = logging.getLogger(__name__)


class PersonasTab(OperatorTab):
    """Tab "Personas": the trainer's cheat-sheet, data/personas.md."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loaded = False

    DEFAULT_CSS = """
    PersonasTab #avvio { grid-size: 2; grid-columns: 1fr 1fr; grid-gutter: 0 2; height: auto; }
    PersonasTab #avvio Field { margin: 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Avvia il percorso di una persona demo a un passo: la console digita i suoi dati "
                     "dall'1A, i codici partono davvero.", classes="nota")
        try:
            personas = [(p.persona, p.persona) for p in start_at.load_personas()]
        except start_at.StartError as error:
            log.warning("personas for start-at-step: %s", error.message)
            personas = []
        steps = [(f"{step} · {journey_map.step(step).title}", step) for step in start_at.STARTABLE]
        with Grid(id="avvio"):
            yield Field("Persona", Select(personas, prompt="Scegli la persona", id="avvia-persona"))
            yield Field("Passo", Select(steps, prompt="Scegli il passo", id="avvia-passo"))
        yield actions(Button("Avvia", id="avvia", variant="primary"))
        yield Static("Le personas demo e i rami del percorso che ciascuna mostra.", classes="nota")
        yield Markdown("Caricamento…", id="personas-testo")

    @on(Select.Changed, "#avvio Select")
    def _chosen(self, event: Select.Changed) -> None:
        field = event.select.parent
        if isinstance(field, Field):
            field.set_error(None)

    @on(Button.Pressed, "#avvia")
    def start(self, event: Button.Pressed) -> None:
        event.stop()
        persona = self.query_one("#avvia-persona", Select).value
        step = self.query_one("#avvia-passo", Select).value
        if persona is Select.NULL or step is Select.NULL:
            missing = "#avvia-persona" if persona is Select.NULL else "#avvia-passo"
            field = self.query_one(missing, Select).parent
            if isinstance(field, Field):
                field.set_error("Scegli la persona." if missing == "#avvia-persona" else "Scegli il passo.")
            self.query_one(missing, Select).focus()
            return
        app = self.app
        leave_operator_area(app)
        app.start_at(str(persona), str(step))

    @property
    def path(self) -> Path:
        return self.app.settings.personas_file.with_name("personas.md")

    def reload(self) -> None:
        if self.loaded:
            return
        path = self.path

        def read() -> str:
            try:
                return path.read_text(encoding="utf-8")
            except OSError as error:
                log.warning("personas cheat-sheet not readable: %s", error)
                return f"Il file delle personas (`{path}`) non è disponibile."

        self.run_job(read, self._show)

    async def _show(self, text: str) -> None:
        self.loaded = True
        await self.query_one("#personas-testo", Markdown).update(text)

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        self.reload()
        self.query_one("#avvia-persona", Select).focus()
