"""Operator tab "Verifica dati": why a customer is not recognised, and what to correct.

The operator types what the customer wrote at 3A/4A (and the codice fiscale of
2B, if any), or picks one of the latest journeys that ended in 1B, 6B, "già
registrato" or "senza polizza" ("Ultimi esiti"); the tab shows the outcome the
journey would give and the nearest registry customers, each with a table of the
fields that differ (services/diagnosis.py). Every diagnosis is an audit event
("diagnosi") in the operator's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Select, Static

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.personal import format_date, read_date
from areaclienti_tui.services import diagnosis
from areaclienti_tui.services.diagnosis import Candidate, Diagnosis, Difference, Outcome, Typed
from areaclienti_tui.steps.base import SEX_OPTIONS, actions
from areaclienti_tui.steps.operator.common import OperatorTab, RequestTable, column_widths, highlighted_key, when
from areaclienti_tui.widgets.date_input import DateInput
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import Plain, PlainTable, TextInput, shown, template
from areaclienti_tui.widgets.quick_select import quick_select

FIELD_WORDS = {
    "nome": "Nome",
    "cognome": "Cognome",
    "data_nascita": "Data di nascita",
    "sesso": "Sesso",
    "recapito": "Recapito",
    "codice_fiscale": "Codice fiscale",
}
BLOCKING_MARK = "✗"  # a difference to correct: recognition does not tolerate it
TOLERATED_MARK = "≈"  # recognition already tolerates it: shown for information
NO_CANDIDATES = "Nessun cliente dell'anagrafe è vicino a questi dati."
ALL_MATCH = "Tutti i dati coincidono."
LEGEND = (f"{BLOCKING_MARK} differenza da correggere · "
          f"{TOLERATED_MARK} differenza già tollerata dal riconoscimento (solo informativa)")
CELL_PADDING = 2  # a DataTable column is its width plus one space either side
SCROLLBAR = 2  # room kept for the vertical scrollbar of a list that may grow past its height
MAX_TEXT = 254  # the longest value a field takes (as the CLI's arguments)


def shown_contact(text: str) -> str:
    """A contact as the list shows it: masked when it reads as an email or mobile, else as typed."""
    key = diagnosis.contact_key(text)
    return text if key is None else mask_contact(*key)  # type: ignore[arg-type]


Stages = Sequence[dict[int, int]]


def fit_widths(natural: Sequence[int], stages: Stages, room: int) -> list[int]:
    """Column widths that fit `room` cells (padding included); the cells of a narrowed column wrap.

    `stages` say who gives way first: at each stage the columns it names (index: narrowest
    width) are narrowed, the one with the most to spare first, until the table fits. What
    is still too wide after the last stage scrolls sideways.
    """
    widths = list(natural)
    budget = room - CELL_PADDING * len(widths)
    for stage in stages:
        while sum(widths) > budget:
            index = max(stage, key=lambda i: widths[i] - stage[i])
            if widths[index] <= stage[index]:
                break
            widths[index] -= 1
    return widths


def fill_fitted(table: DataTable, headings: Sequence[str], stages: Stages,
                rows: Sequence[tuple[str | None, Sequence[Text | str]]], room: int) -> None:
    """Replace a table's columns and rows, the columns fitted to `room` cells (`fit_widths`),
    each row as tall as its wrapped cells."""

    widths = fit_widths(column_widths(headings, (cells for _key, cells in rows)), stages, room)
    table.clear(columns=True)
    for label, size in zip(headings, widths, strict=True):
        table.add_column(label, width=size)
    for key, cells in rows:
        table.add_row(*cells, key=key, height=None)


class DifferenceTable(PlainTable):
    """One candidate's differences: Campo | Scritto | In anagrafe | Suggerimento.

    A blocking difference is bold in the warning colour and marked ✗; a tolerated one is
    muted and marked ≈: the mark says it without colour."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"differenza--bloccante", "differenza--tollerata"}
    DEFAULT_CSS = """
    DifferenceTable { height: auto; max-height: 60; margin-bottom: 1; }
    DifferenceTable > .differenza--bloccante { color: $warning; text-style: bold; }
    DifferenceTable > .differenza--tollerata { color: $text-muted; }
    """
    COLUMNS: ClassVar[tuple[str, ...]] = ("Campo", "Scritto", "In anagrafe", "Suggerimento")
    # The hint matters most: what was typed and what the registry holds wrap first.
    STAGES: ClassVar[list[dict[int, int]]] = [{1: 14, 2: 16}, {3: 20}, {1: 8, 2: 11, 3: 12}, {0: 9}]

    def __init__(self, candidate: Candidate, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        kwargs.setdefault("show_cursor", False)
        super().__init__(**kwargs)
        self.candidate = candidate
        self.fitted_to = 0

    def fit(self, room: int) -> None:
        if room == self.fitted_to:
            return
        self.fitted_to = room
        rows = [(str(index), self._cells(difference)) for index, difference in enumerate(self.candidate.differenze)]
        fill_fitted(self, self.COLUMNS, self.STAGES, rows, room)

    # The cursor row shows only while the table has the focus (arrows move it to read on).
    def on_focus(self) -> None:
        self.show_cursor = True

    def on_blur(self) -> None:
        self.show_cursor = False

    def _cells(self, difference: Difference) -> list[Text]:
        kind = "differenza--bloccante" if difference.blocking else "differenza--tollerata"
        style = self.get_component_rich_style(kind, partial=True)
        mark = BLOCKING_MARK if difference.blocking else TOLERATED_MARK
        label = f"{mark} {FIELD_WORDS.get(difference.campo, difference.campo)}"
        values = (label, difference.digitato or "—", difference.anagrafe or "—", difference.suggerimento)
        # Text, not markup: what was typed comes from a person (literal.cell would do the same).
        return [Text(shown(value), style=style if index == 0 else Style(bold=style.bold), end="")
                for index, value in enumerate(values)]


class DiagnosisTab(OperatorTab):
    """Tab "Verifica dati": the form, the outcome with the nearest customers, "Ultimi esiti"."""

    LIVE = True  # a journey that ends in 1B, 6B… shows up in "Ultimi esiti" at once
    DEFAULT_CSS = """
    DiagnosisTab #diagnosi-modulo {
        layout: grid; grid-size: 2; grid-columns: 1fr 1fr; grid-rows: auto; grid-gutter: 0 2; height: auto;
    }
    DiagnosisTab #diagnosi-modulo Field { margin: 0; }
    DiagnosisTab #diagnosi-risultato { height: auto; margin-top: 1; }
    DiagnosisTab #diagnosi-esito { text-style: bold; }
    DiagnosisTab #diagnosi-dati { color: $text-muted; margin-bottom: 1; }
    DiagnosisTab #diagnosi-legenda { color: $text-muted; margin-bottom: 1; }
    DiagnosisTab #diagnosi-candidati { height: auto; }
    DiagnosisTab .candidato { text-style: bold; }
    DiagnosisTab .coincidono { color: $success; margin-bottom: 1; }
    DiagnosisTab #ultimi-esiti-vuoto { color: $text-muted; }
    """

    INTRO = ("Scrivi i dati come li ha scritti il cliente o scegli un esito recente: la verifica "
             "mostra l'esito del percorso e i clienti più vicini.")
    OUTCOME_COLUMNS: ClassVar[tuple[str, ...]] = ("Quando", "Esito", "Chi", "Recapito")
    OUTCOME_STAGES: ClassVar[list[dict[int, int]]] = [{2: 16, 3: 18}, {1: 6, 2: 8, 3: 10}]
    SHOWN = 50  # outcomes listed

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.outcomes: dict[str, tuple[Outcome, str]] = {}  # by row key: the outcome and its masked contact
        self.result: Diagnosis | None = None
        self._fitted_to = 0
        self._focus_at_result: Widget | None = None  # where the focus was when the result came
        self.verifying = False

    def compose(self) -> ComposeResult:
        yield Static(self.INTRO, classes="nota")
        with Grid(id="diagnosi-modulo"):
            yield Field("Nome", self._text("diagnosi-nome", "es. Mario"))
            yield Field("Cognome", self._text("diagnosi-cognome", "es. Rossi"))
            yield Field("Data di nascita", DateInput(id="diagnosi-data-nascita", classes="diagnosi-campo"))
            yield Field("Sesso", quick_select(SEX_OPTIONS, None, prompt="Seleziona", id="diagnosi-sesso"))
            yield Field("Recapito (email o cellulare)", self._text("diagnosi-recapito", "es. mario.rossi@gmail.com"))
            yield Field("Codice fiscale (facoltativo)",
                        self._text("diagnosi-codice-fiscale", "16 caratteri", max_length=20))
        yield actions(Button("Verifica", id="diagnosi-verifica", variant="primary"))
        with Vertical(id="diagnosi-risultato"):
            yield Plain("", id="diagnosi-esito")
            yield Plain("", id="diagnosi-dati")
            yield Static(LEGEND, id="diagnosi-legenda")
            yield Vertical(id="diagnosi-candidati")
        yield Static("Ultimi esiti (1B, 6B, già registrato, senza polizza)", classes="sottotitolo")
        yield RequestTable(id="ultimi-esiti", cursor_type="row", zebra_stripes=True)
        yield Static("", id="ultimi-esiti-vuoto")

    @staticmethod
    def _text(widget_id: str, placeholder: str, *, max_length: int = MAX_TEXT) -> TextInput:
        return TextInput(placeholder=placeholder, id=widget_id, max_length=max_length, classes="diagnosi-campo")

    def on_mount(self) -> None:
        self.query_one("#diagnosi-risultato").display = False
        self.query_one("#ultimi-esiti").display = False

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        self.query_one("#diagnosi-nome", Input).focus()

    # -- room on screen ------------------------------------------------------------------

    def room(self) -> int:
        """Cells a table may take: the tab's width (the journey's while the tab is hidden)."""
        width = self.content_region.width
        if width <= 0:
            journey = self.screen.query("#journey")
            width = journey.first().scrollable_content_region.width if journey else self.app.size.width
        return max(width, 40)

    def on_resize(self, event: events.Resize) -> None:
        room = self.room()
        if room == self._fitted_to:
            return
        self._fitted_to = room
        if self.outcomes:
            self._fill_outcomes(list(self.outcomes.values()))
        for table in self.query(DifferenceTable):
            table.fit(room)

    # -- the latest outcomes -------------------------------------------------------------

    def reload(self) -> None:
        ctx, shown = self.app.ctx, self.SHOWN

        def load() -> list[tuple[Outcome, str]]:
            return [(outcome, shown_contact(outcome.typed.recapito))
                    for outcome in diagnosis.latest_outcomes(ctx, limit=shown)]

        self.run_job(load, self._show_outcomes, group="esiti")

    def _show_outcomes(self, loaded: list[tuple[Outcome, str]]) -> None:
        self.outcomes = {str(outcome.event_id): (outcome, masked) for outcome, masked in loaded}
        self._fill_outcomes(loaded)
        self.query_one("#ultimi-esiti-vuoto", Static).update(
            "" if loaded else "Nessun esito recente: qui compaiono i percorsi finiti in 1B, 6B, "
                              "già registrato o senza polizza.")

    def _fill_outcomes(self, loaded: list[tuple[Outcome, str]]) -> None:
        table = self.query_one("#ultimi-esiti", DataTable)
        previous = highlighted_key(table)  # the row the operator is on stays chosen
        rows = [(str(outcome.event_id), (when(outcome.at, "%d/%m %H:%M"), outcome.shown, outcome.who, masked))
                for outcome, masked in loaded]
        fill_fitted(table, self.OUTCOME_COLUMNS, self.OUTCOME_STAGES, rows, self.room() - SCROLLBAR)
        table.display = bool(loaded)
        if previous is not None and previous in table.rows:
            table.move_cursor(row=table.get_row_index(previous), animate=False)

    @on(DataTable.RowSelected, "#ultimi-esiti")
    def _outcome_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        chosen = self.outcomes.get(str(event.row_key.value))
        if chosen is None:
            return
        self.fill_form(chosen[0].typed)
        self.verify()

    def fill_form(self, typed: Typed) -> None:
        """Put an outcome's data in the form (without the field messages of a change)."""
        values = {
            "diagnosi-nome": typed.nome,
            "diagnosi-cognome": typed.cognome,
            "diagnosi-data-nascita": format_date(typed.data_nascita) if typed.data_nascita else "",
            "diagnosi-recapito": typed.recapito,
            "diagnosi-codice-fiscale": typed.codice_fiscale,
        }
        with self.prevent(Input.Changed, Select.Changed):
            for widget_id, value in values.items():
                field = self.query_one(f"#{widget_id}", Input)
                field.value = value
                field.cursor_position = len(field.value)
            sex = self.query_one("#diagnosi-sesso", Select)
            if typed.sesso in {value for _label, value in SEX_OPTIONS}:
                sex.value = typed.sesso
            else:
                sex.clear()
        self._clear_errors()

    # -- the diagnosis -------------------------------------------------------------------

    @on(Input.Submitted, ".diagnosi-campo")
    @on(Button.Pressed, "#diagnosi-verifica")
    def _submitted(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.verify()

    def verify(self) -> None:
        """Check the form; with every field readable, run the diagnosis in a worker."""
        typed = self.read_form()
        if typed is None:
            return
        ctx, operator = self.app.ctx, self.operator
        box = self.query_one("#diagnosi-risultato")
        box.display = True
        self.query_one("#diagnosi-esito", Plain).update("Verifica in corso…")
        self.query_one("#diagnosi-dati", Plain).update(self._typed_line(typed))
        self.verifying = True
        self.run_job(lambda: diagnosis.diagnose(ctx, typed, operator=operator), self._show_result, group="verifica")

    def read_form(self) -> Typed | None:
        """What the form holds, or None after a message next to each field that cannot be read."""
        self._clear_errors()
        born = self.query_one("#diagnosi-data-nascita", DateInput)
        with self.prevent(Input.Changed):  # its Changed would clear the message shown below
            born.normalize()
        problems: dict[str, str] = {}
        nome, cognome = (" ".join(self._value(f"diagnosi-{name}").split()) for name in ("nome", "cognome"))
        recapito = self._value("diagnosi-recapito").strip()
        if not nome:
            problems["diagnosi-nome"] = "Scrivi il nome come l'ha scritto il cliente."
        if not cognome:
            problems["diagnosi-cognome"] = "Scrivi il cognome come l'ha scritto il cliente."
        birth_date = None
        try:
            birth_date = read_date(born.value)
        except RuleError as error:
            problems["diagnosi-data-nascita"] = f"{error.message}."
        sex = self.query_one("#diagnosi-sesso", Select).value
        if sex is Select.NULL:
            problems["diagnosi-sesso"] = "Seleziona il sesso (scrivi M o F)."
        if not recapito:
            problems["diagnosi-recapito"] = "Scrivi l'email o il cellulare che il cliente ha usato."
        if problems:
            for index, (widget_id, message) in enumerate(problems.items()):
                self.query_one(f"#campo-{widget_id}", Field).set_error(message)
                if index == 0:
                    self.query_one(f"#{widget_id}").focus()
            return None
        return Typed(nome, cognome, birth_date, str(sex), recapito,
                     self._value("diagnosi-codice-fiscale").strip())

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def _clear_errors(self) -> None:
        for field in self.query("#diagnosi-modulo Field").results(Field):
            field.set_error(None)

    @staticmethod
    def _typed_line(typed: Typed) -> Content:
        parts = [f"{typed.nome} {typed.cognome}", format_date(typed.data_nascita) if typed.data_nascita else "—",
                 typed.sesso, typed.recapito]
        if typed.codice_fiscale:
            parts.append(typed.codice_fiscale)
        return template("Dati verificati: $data", data=" · ".join(parts))

    async def _show_result(self, result: Diagnosis) -> None:
        self.result = result
        self.verifying = False
        self.query_one("#diagnosi-esito", Plain).update(result.summary)
        self.query_one("#diagnosi-legenda").display = any(c.differenze for c in result.candidati)
        box = self.query_one("#diagnosi-candidati", Vertical)
        await box.remove_children()
        if not result.candidati:
            await box.mount(Static(NO_CANDIDATES, classes="nota", id="diagnosi-nessuno"))
        else:
            parts: list[Static | DataTable] = []
            for rank, candidate in enumerate(result.candidati, start=1):
                parts.append(Plain(template(
                    "$rank. $name · $cf · somiglianza $score%", rank=rank,
                    name=f"{candidate.nome} {candidate.cognome}", cf=candidate.codice_fiscale,
                    score=round(candidate.punteggio * 100),
                ), id=f"diagnosi-candidato-{rank}", classes="candidato"))
                if candidate.differenze:
                    parts.append(DifferenceTable(candidate, id=f"diagnosi-differenze-{rank}"))
                else:
                    parts.append(Static(ALL_MATCH, classes="coincidono"))
            await box.mount_all(parts)
            room = self.room()
            for table in box.query(DifferenceTable):
                table.fit(room)
        self._focus_at_result = self.app.focused
        self.call_after_refresh(self.show_result)

    def show_result(self, tries: int = 20, height: int = 0) -> None:
        """Bring the result into view once its layout has settled.

        The candidates and their tables are laid out over a few refreshes: until the
        result's height stays the same from one refresh to the next, scrolling would
        aim at where it is growing from. Should the operator move the focus meanwhile
        (a field to correct), the view stays with the focus.
        """
        if self.app.focused is not self._focus_at_result:
            return
        result = self.query_one("#diagnosi-risultato")
        now = result.size.height
        if (now and now == height) or not tries:
            result.scroll_visible(animate=False, immediate=True)
        else:
            self.call_after_refresh(self.show_result, tries - 1, now)

    def job_failed(self, error: BaseException | None) -> None:
        if self.verifying:  # else it was the list that did not load: the next event reloads it
            self.verifying = False
            self.query_one("#diagnosi-esito", Plain).update("La verifica non è riuscita: riprova.")
            self.query_one("#diagnosi-legenda").display = False
            self.query_one("#diagnosi-candidati").remove_children()  # they belonged to the data before
        super().job_failed(error)
