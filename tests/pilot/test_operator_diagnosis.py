"""The operator tab "Verifica dati": why a customer is not recognised, and the latest outcomes."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import Button, DataTable, Input, Select, TabbedContent

from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import demo, registration
from areaclienti_tui.steps.operator import OperatorHomeScreen
from areaclienti_tui.steps.operator.diagnosis import DiagnosisTab
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver
from tests.pilot.test_operator_views import audit_events, rows, text_of

OPERATOR = demo.OPERATOR_USERNAME
PAOLO = {"nome": "Paolo", "cognome": "Esposito", "data": "11/02/1968", "sesso": "M",
         "recapito": "paolo.esposito@libero.it"}


# -- helpers ---------------------------------------------------------------------------------


async def to_tab(d: Driver) -> DiagnosisTab:
    """Sign in and open the tab with its key, 7; the focus lands on the first field."""
    home = await d.operator_home()
    assert not isinstance(d.app.focused, Input), "a field would take the 7 as text"
    await d.key("7")
    await d.until(lambda: home.query_one("#schede", TabbedContent).active == "verifica-dati", "tab Verifica dati")
    await d.until(lambda: d.app.focused is home.query_one("#diagnosi-nome"), "focus on #diagnosi-nome")
    return home.query_one(DiagnosisTab)


async def fill(d: Driver, *, nome: str, cognome: str, data: str, sesso: str, recapito: str,
               codice_fiscale: str = "") -> None:
    await d.type_keys("#diagnosi-nome", nome)
    await d.type_keys("#diagnosi-cognome", cognome)
    await d.type_keys("#diagnosi-data-nascita", data)
    select = d.app.screen.query_one("#diagnosi-sesso", Select)
    select.focus()
    await d.key(sesso)  # M or F chooses at once, as on 3A
    assert select.value == sesso
    await d.type_keys("#diagnosi-recapito", recapito)
    await d.type_keys("#diagnosi-codice-fiscale", codice_fiscale)


async def verified(d: Driver, tab: DiagnosisTab) -> None:
    await d.until(lambda: tab.result is not None and not tab.verifying, "the diagnosis")
    await d.settle()


def difference_rows(d: Driver, rank: int = 1) -> list[list[str]]:
    return rows(d.app.screen.query_one(f"#diagnosi-differenze-{rank}", DataTable))


def value(d: Driver, widget_id: str) -> str:
    return d.app.screen.query_one(f"#{widget_id}", Input).value


# -- (a) a diagnosis typed by the operator ------------------------------------------------------


async def test_day_and_month_swapped_is_shown_with_its_hint(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        await fill(d, **PAOLO)
        await d.click("#diagnosi-verifica")
        await verified(d, tab)
        assert text_of(d, "#diagnosi-esito").startswith("Non riconosciuto")
        heading = text_of(d, "#diagnosi-candidato-1")
        assert heading.startswith("1. Paolo Esposito · SPSPLA68S02F839Q · somiglianza ")
        assert heading.endswith("%")
        [date_row] = [row for row in difference_rows(d) if "Data di nascita" in row[0]]
        assert date_row == ["✗ Data di nascita", "11/02/1968", "02/11/1968", "giorno e mese invertiti"]
        assert "✗" in text_of(d, "#diagnosi-legenda") and "≈" in text_of(d, "#diagnosi-legenda")
        # Enter in a field runs it too; the right data: recognised, no polizza (Paolo's is expired).
        await d.type_keys("#diagnosi-data-nascita", "02/11/1968")
        await d.key("enter")
        await d.until(lambda: text_of(d, "#diagnosi-esito").startswith("Senza polizza"), "the new outcome")
        assert "Tutti i dati coincidono" in d.text()


async def test_tolerated_differences_are_marked_and_no_candidate_is_said(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        await fill(d, nome="niccolo", cognome="dell acqua", data="07/01/1988", sesso="M",
                   recapito="niccolo.dellacqua@gmail.com")
        await d.click("#diagnosi-verifica")
        await verified(d, tab)
        assert text_of(d, "#diagnosi-esito").startswith("Riconosciuto")
        marks = [row[0] for row in difference_rows(d)]
        assert marks == ["≈ Nome", "≈ Cognome"]
        await fill(d, nome="Zeno", cognome="Quaglio", data="01/01/1931", sesso="F", recapito="zq@example.org")
        await d.key("enter")
        await d.until(lambda: bool(app.screen.query("#diagnosi-nessuno")), "no candidate")
        assert text_of(d, "#diagnosi-nessuno") == "Nessun cliente dell'anagrafe è vicino a questi dati."
        assert not app.screen.query_one("#diagnosi-legenda").display


# -- (b) the latest outcomes ------------------------------------------------------------------


async def test_a_journey_ending_in_1b_is_listed_and_chosen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_1b("Paolo", "Esposito", "11/02/1968", "Maschio", "paolo.esposito@libero.it")
        await d.open_operator_login()
        await d.operator_sign_in()
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen), "operator home")
        await d.settle()
        await d.key("7")
        tab = app.screen.query_one(DiagnosisTab)
        table = app.screen.query_one("#ultimi-esiti", DataTable)
        await d.until(lambda: table.row_count == 1, "the 1B outcome")
        [row] = rows(table)
        assert row[1:] == ["1B", "Paolo Esposito", "p***o@libero.it"]
        assert row[0].count("/") == 1 and row[0].count(":") == 1  # dd/mm HH:MM
        table.focus()
        await d.key("enter")
        await verified(d, tab)
        assert [value(d, f"diagnosi-{name}") for name in ("nome", "cognome", "data-nascita", "recapito")] == [
            "Paolo", "Esposito", "11/02/1968", "paolo.esposito@libero.it"]
        assert app.screen.query_one("#diagnosi-sesso", Select).value == "M"
        assert text_of(d, "#diagnosi-esito").startswith("Non riconosciuto")
        assert any(row[3] == "giorno e mese invertiti" for row in difference_rows(d))


async def test_the_list_is_live_and_a_click_chooses_a_row(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        table = app.screen.query_one("#ultimi-esiti", DataTable)
        assert table.row_count == 0 and "Nessun esito recente" in text_of(d, "#ultimi-esiti-vuoto")
        registration.recognise(demo_ctx, registration.PersonalData("Anna", "Conti", date(1979, 9, 30), "F"),
                               Username("email", "anna.conti@outlook.it"))
        registration.recognise(demo_ctx, registration.PersonalData("Lucia", "De Luca", date(1990, 10, 15), "F"),
                               Username("mobile", "+393331112233"))
        await d.until(lambda: table.row_count == 2, "the new outcomes, without reloading by hand")
        await d.settle()  # the table is laid out with its rows, as a person sees it before clicking one
        assert [row[1:] for row in rows(table)] == [
            ["1B", "Lucia De Luca", "+39 *** *** 2233"], ["già registrato", "Anna Conti", "a***i@outlook.it"]]
        await pilot.click("#ultimi-esiti", offset=(3, 2))  # the second row (the first line is the heading)
        await verified(d, tab)
        assert value(d, "diagnosi-nome") == "Anna"
        assert text_of(d, "#diagnosi-esito").startswith("Già registrato")


# -- (c) the audit ----------------------------------------------------------------------------


async def test_the_diagnosis_is_audited_in_the_operators_name(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        await fill(d, **PAOLO)
        await d.click("#diagnosi-verifica")
        await verified(d, tab)
    [event] = audit_events(demo_ctx, "diagnosi")
    assert (event.actor, event.subject, event.outcome) == (OPERATOR, "Paolo Esposito", "non_riconosciuto")


# -- (d) field errors -------------------------------------------------------------------------


async def test_field_errors_are_shown_next_to_the_field_and_nothing_typed_is_lost(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        await fill(d, **{**PAOLO, "cognome": ""})
        await d.click("#diagnosi-verifica")
        assert d.errors() == {"diagnosi-cognome": "Scrivi il cognome come l'ha scritto il cliente."}
        assert app.focused is app.screen.query_one("#diagnosi-cognome")
        assert [value(d, f"diagnosi-{name}") for name in ("nome", "data-nascita", "recapito")] == [
            "Paolo", "11/02/1968", "paolo.esposito@libero.it"]
        assert app.screen.query_one("#diagnosi-sesso", Select).value == "M"
        assert tab.result is None and not audit_events(demo_ctx, "diagnosi")
        # Typing in the field takes its message away.
        await d.type_keys("#diagnosi-cognome", "E")
        assert d.errors() == {}
        # An unreadable date, an empty contact and no sex: one message each, the first field focused.
        await d.type_keys("#diagnosi-data-nascita", "31/02/1968")
        await d.type_keys("#diagnosi-recapito", "")
        app.screen.query_one("#diagnosi-sesso", Select).clear()
        await d.click("#diagnosi-verifica")
        assert d.errors() == {
            "diagnosi-data-nascita": "La data 31/02/1968 non esiste.",
            "diagnosi-sesso": "Seleziona il sesso (scrivi M o F).",
            "diagnosi-recapito": "Scrivi l'email o il cellulare che il cliente ha usato.",
        }
        assert app.focused is app.screen.query_one("#diagnosi-data-nascita")
        assert value(d, "diagnosi-data-nascita") == "31/02/1968" and value(d, "diagnosi-nome") == "Paolo"


# -- (e) hostile text ---------------------------------------------------------------------------


async def test_markup_in_the_fields_is_shown_as_typed(make_app, demo_ctx):
    registration.recognise(demo_ctx, registration.PersonalData("[b]x[/b]", "[@click=app.quit]", date(1975, 3, 14), "M"),
                           Username("email", "mario.rossi@gmail.com"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        table = app.screen.query_one("#ultimi-esiti", DataTable)
        await d.until(lambda: table.row_count == 1, "the outcome")
        assert rows(table)[0][2] == "[b]x[/b] [@click=app.quit]"
        await fill(d, nome="[b]x[/b]", cognome="[@click=app.quit]", data="14/03/1975", sesso="M",
                   recapito="mario.rossi@gmail.com")
        await d.click("#diagnosi-verifica")
        await verified(d, tab)
        assert "[b]x[/b] [@click=app.quit]" in text_of(d, "#diagnosi-dati")
        cells = {row[0]: row[1] for row in difference_rows(d)}
        assert cells["✗ Nome"] == "[b]x[/b]" and cells["✗ Cognome"] == "[@click=app.quit]"
        await d.click("#diagnosi-differenze-1")  # a click on the cells runs nothing
        assert app.is_running and app.return_code is None
    [event] = audit_events(demo_ctx, "diagnosi")
    assert event.subject == "[b]x[/b] [@click=app.quit]"


# -- (f) the supported sizes --------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_control_fits_the_screen_once_focused(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        d = Driver(pilot)
        tab = await to_tab(d)
        await fill(d, **PAOLO)
        await d.click("#diagnosi-verifica")
        await verified(d, tab)
        screen = app.screen
        buttons = [b for b in tab.query(Button) if b.display]
        assert [b.id for b in buttons] == ["diagnosi-verifica"]
        for control in [*buttons, *tab.query(Input), *tab.query(Select)]:
            control.focus()
            await d.settle()
            assert app.focused is control
            assert screen.region.contains_region(control.region), f"#{control.id} at {control.region}"
        for button in buttons:
            assert button.label.cell_length <= button.content_region.width, f"#{button.id}: label cut"
        for table in tab.query(DataTable):
            if not table.display:
                continue
            assert table.region.right <= screen.region.right, f"#{table.id} sticks out"
            assert table.virtual_size.width <= table.size.width, f"#{table.id} scrolls sideways"
