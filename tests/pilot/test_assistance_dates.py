"""The assistance form (11A, 7B) takes the birth date and the sex as 3A does: ``14031975``
shows as ``14/03/1975`` while typed, other usual forms are sent as ``GG/MM/AAAA``, a date
that does not exist keeps its Italian message at the field, ``M`` or ``F`` chooses the sex.
Checked at 80×24, the smallest supported terminal."""

from __future__ import annotations

import datetime

import pytest
from PIL import Image
from pypdf import PdfWriter
from textual.widgets import Input, Select

from areaclienti_tui.widgets.date_input import DateInput
from areaclienti_tui.widgets.quick_select import QuickSelect
from tests.pilot.driver import Driver
from tests.pilot.test_assistance_form import attach, open_form, requests

NARROW = (80, 24)
MARIO = {  # Mario Rossi of the demo registry, born 14/03/1975 in Roma
    "nome": "Mario",
    "cognome": "Rossi",
    "luogo-nascita": "Roma",
    "cellulare": "3471234567",
    "email": "mario.rossi@libero.it",
    "indirizzo": "Via Roma 1",
    "citta": "Roma",
}


@pytest.fixture
def documents_folder(settings):
    home = settings.uploads_dir
    home.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with (home / "fronte.pdf").open("wb") as handle:
        writer.write(handle)
    Image.new("RGB", (640, 400), (30, 120, 60)).save(home / "retro.png", format="PNG")
    return home


async def fill_the_rest(d: Driver, screen, folder) -> None:
    """Every field but the birth date and the sex, the document and the privacy consent."""
    for widget_id, text in MARIO.items():
        if screen.query_one(f"#campo-{widget_id}").display:
            screen.query_one(f"#{widget_id}", Input).value = text
    screen.query_one("#tipo-documento", Select).value = "Carta d'identità"
    await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
    await attach(d, screen, "allega-retro", folder / "retro.png")
    await d.click("#privacy")


async def type_sex(d: Driver, letter: str) -> None:
    """Focus the sex choice and type its letter, as on 3A."""
    select = d.app.screen.query_one("#sesso", Select)
    select.focus()
    await d.settle()
    await d.key(letter)


async def test_11a_date_typed_without_slashes_is_shown_and_sent(make_app, documents_folder):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "11A")
        assert isinstance(screen.query_one("#data-nascita"), DateInput)
        assert isinstance(screen.query_one("#sesso"), QuickSelect)
        assert screen.query_one("#data-nascita", Input).placeholder == "GG/MM/AAAA"
        await d.type_keys("#data-nascita", "1403")
        assert screen.query_one("#data-nascita", Input).value == "14/03/"  # the slashes come while typing
        await d.type_keys("#data-nascita", "14031975")
        assert screen.query_one("#data-nascita", Input).value == "14/03/1975"
        await type_sex(d, "m")
        assert screen.query_one("#sesso", Select).value == "M"
        await fill_the_rest(d, screen, documents_folder)
        assert d.errors() == {}
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        assert d.step == "11A"
        [row] = requests(app)
        assert (row.data_nascita, row.sesso, row.origin) == (datetime.date(1975, 3, 14), "M", "11A")


@pytest.mark.parametrize("typed", ["14.03.1975", "14-03-1975", "14/3/1975"])
async def test_7b_other_usual_forms_are_shown_as_gg_mm_aaaa_and_sent(make_app, documents_folder, typed):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        await d.type_keys("#data-nascita", typed)
        await type_sex(d, "f")
        assert screen.query_one("#sesso", Select).value == "F"
        await type_sex(d, "m")
        await fill_the_rest(d, screen, documents_folder)
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        [row] = requests(app)
        assert row.data_nascita == datetime.date(1975, 3, 14)


async def test_pasted_date_is_normalized_on_submit(make_app, documents_folder):
    """A value set at once (a paste, a recalled value) is sent the way 3A reads it and shown as GG/MM/AAAA."""
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "11A")
        await fill_the_rest(d, screen, documents_folder)
        screen.query_one("#data-nascita", Input).value = "14 03 1975"
        await type_sex(d, "m")
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        assert requests(app)[0].data_nascita == datetime.date(1975, 3, 14)


async def test_a_date_that_does_not_exist_keeps_its_message_at_the_field(make_app, documents_folder):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "11A")
        await fill_the_rest(d, screen, documents_folder)
        await type_sex(d, "m")
        await d.type_keys("#data-nascita", "31021975")
        assert screen.query_one("#data-nascita", Input).value == "31/02/1975"
        await d.click("#invia-richiesta")
        assert d.step == "11A"
        assert d.errors() == {"data-nascita": "La data 31/02/1975 non esiste"}
        assert requests(app) == []
        await d.type_keys("#data-nascita", "140")
        assert d.error("data-nascita") is None  # typing again clears it, as on 3A
        await d.click("#invia-richiesta")
        assert d.errors() == {"data-nascita": "Scrivi la data nel formato GG/MM/AAAA"}
