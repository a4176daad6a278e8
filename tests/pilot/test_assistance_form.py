"""The assistance form (11A app/desktop, 7B): every error at its field, uploads
checked as they are attached, and a sent request ends on the confirmation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlmodel import select
from textual.widgets import Input, RadioButton, Select, Static
from textual_fspicker.parts import DirectoryNavigation

from areaclienti_tui.services import assistance, documents, outbox
from areaclienti_tui.steps.assistance import CONFIRMATION, AssistanceFormScreen, DocumentPicker
from areaclienti_tui.store.models import AssistanceRequest, Customer, Document
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

TYPED = {
    "nome": "Stefano",
    "cognome": "Moretti",
    "luogo-nascita": "Bergamo",
    "data-nascita": "18/02/1972",
    "cellulare": "3471112222",
    "email": "stefano.moretti@tiscali.it",
    "indirizzo": "Via Roma 1",
    "citta": "Bergamo",
}
REQUIRED_7B = {
    "nome", "cognome", "luogo-nascita", "data-nascita", "sesso", "cellulare", "email", "indirizzo",
    "citta", "tipo-documento", "allega-fronte", "allega-retro", "privacy",
}  # fmt: skip


@pytest.fixture
def folder(tmp_path, settings) -> Path:
    """The uploads folder (the only one attachments come from): good documents and bad ones."""
    home = settings.uploads_dir
    home.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    with (home / "fronte.pdf").open("wb") as handle:
        writer.write(handle)
    Image.new("RGB", (640, 400), (30, 120, 60)).save(home / "retro.png", format="PNG")
    (home / "testo.pdf").write_text("Non sono un PDF", encoding="utf-8")
    with (home / "enorme.jpg").open("wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0")
        handle.truncate(documents.MAX_BYTES + 1)
    elsewhere = tmp_path / "altrove"
    elsewhere.mkdir()
    Image.new("RGB", (50, 50)).save(elsewhere / "privato.jpg", format="JPEG")
    (home / "collegamento.jpg").symlink_to(elsewhere / "privato.jpg")
    return home


async def open_form(app, d: Driver, origin: str = "7B", **kwargs) -> AssistanceFormScreen:
    await d.until(lambda: d.step is not None, "the first step")
    screen = AssistanceFormScreen(origin=origin, **kwargs)
    app.go(screen)
    await d.expect_step(origin)
    await d.settle()
    return screen


async def fill_fields(d: Driver, *, keys: bool = False, **changes: str) -> None:
    """Fill every visible field; typed key by key with `keys`, else set at once (faster)."""
    screen = d.app.screen
    for widget_id, text in (TYPED | changes).items():
        if not screen.query_one(f"#campo-{widget_id}").display:
            continue
        if keys:
            await d.type_keys(f"#{widget_id}", text)
        else:
            screen.query_one(f"#{widget_id}", Input).value = text
    if keys:
        await d.choose_option("#sesso", "Maschio")
        await d.choose_option("#tipo-documento", "Carta")
    else:
        screen.query_one("#sesso", Select).value = "M"
        screen.query_one("#tipo-documento", Select).value = "Carta d'identità"
    await d.click("#privacy")


async def attach(d: Driver, screen: AssistanceFormScreen, widget_id: str, path: Path) -> None:
    screen.attach(widget_id, path)
    await d.settle()


async def pick(d: Driver, widget_id: str, path: Path | str) -> None:
    """Attach through the real file picker: open it, type the path (absolute, or
    relative to the folder it opens in), confirm."""
    await d.click(f"#{widget_id}")
    await d.until(lambda: isinstance(d.app.screen, DocumentPicker), "the file picker")
    await d.type_keys("Input", str(path))
    await d.key("enter")
    await d.until(lambda: not isinstance(d.app.screen, DocumentPicker), "the picker to close")
    await d.settle()


def file_line(d: Driver, widget_id: str) -> str:
    return str(d.app.screen.query_one(f"#{widget_id}-file", Static).render())


def requests(app) -> list[AssistanceRequest]:
    with app.ctx.db.session() as session:
        return list(session.exec(select(AssistanceRequest)).all())


async def test_empty_submit_shows_every_required_error(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        await d.click("#invia-richiesta")
        assert d.step == "7B"
        assert set(d.errors()) == REQUIRED_7B, d.errors()
        assert d.error("allega-fronte") == "Allega il fronte del documento"
        assert d.error("allega-retro") == "Allega il retro del documento"
        assert d.error("privacy") == "Per inviare la richiesta devi accettare l'informativa privacy"
        for widget_id in REQUIRED_7B:
            assert app.screen.query_one(f"#{widget_id}-errore").display
        assert requests(app) == []


async def test_filled_form_is_sent_and_confirmed(make_app, folder):
    app = make_app()  # the picker opens in the uploads folder
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        text = d.text()
        assert "senza punti e senza +39" in text
        assert "Verifica che i dati corrispondano a quelli presenti nel tuo documento d'identità" in text
        await fill_fields(d, keys=True)
        await pick(d, "allega-fronte", "fronte.pdf")
        assert "fronte.pdf" in file_line(d, "allega-fronte") and "2 pagine" in file_line(d, "allega-fronte")
        await attach(d, screen, "allega-retro", folder / "retro.png")
        assert "640×400 pixel" in file_line(d, "allega-retro")
        assert d.errors() == {}
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        assert d.step == "7B"
        assert str(app.screen.query_one("#passo", Static).render()) == "Passo 7B · Richiesta inviata"
        [row] = requests(app)
        assert f"n. {row.id}" in d.text()
        assert CONFIRMATION in d.text()
        assert (row.contact_value, row.origin, row.variant, row.status) == ("+393471112222", "7B", "desktop", "aperta")
        with app.ctx.db.session() as session:
            docs = session.exec(select(Document).where(Document.request_id == row.id)).all()
            stefano = session.exec(select(Customer.id).where(Customer.codice_fiscale == "MRTSFN72B18A794L")).one()
        assert row.customer_id == stefano
        assert sorted(doc.original_name for doc in docs) == ["fronte.pdf", "retro.png"]
        assert all((app.settings.documents_dir / doc.stored_name).is_file() for doc in docs)
        mail = outbox.latest(app.ctx, limit=1)[0]
        assert mail.to == "stefano.moretti@tiscali.it" and f"n. {row.id}" in mail.body
        await d.click("#inizio")
        await d.expect_step("1A")


async def test_picker_starts_in_the_last_folder_used(make_app, folder):
    (folder / "scansioni").mkdir()
    (folder / "fronte.pdf").rename(folder / "scansioni" / "fronte.pdf")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        await d.click("#allega-fronte")
        await d.until(lambda: isinstance(app.screen, DocumentPicker), "the file picker")
        assert app.screen.query_one(DirectoryNavigation).location == folder
        await d.key("escape")
        await pick(d, "allega-fronte", "scansioni/fronte.pdf")
        assert "2 pagine" in file_line(d, "allega-fronte")
        await d.click("#allega-retro")
        await d.until(lambda: isinstance(app.screen, DocumentPicker), "the file picker")
        assert app.screen.query_one(DirectoryNavigation).location == folder / "scansioni"
        await d.key("escape")
        assert d.step == "7B"
        assert "Nessun file allegato" in file_line(d, "allega-retro")


REFUSED = [
    ("testo.pdf", "Il file non è un PDF, JPEG o PNG"),
    ("enorme.jpg", "10,1 MB, più dei 10 MB consentiti"),
    ("collegamento.jpg", "Il file è un collegamento a un'altra cartella"),
    ("mancante.pdf", "non esiste"),
]


async def test_uploads_refused_at_their_field(make_app, folder):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        await fill_fields(d)
        await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
        for name, message in REFUSED:
            await attach(d, screen, "allega-retro", folder / name)
            assert message in (d.error("allega-retro") or ""), (name, d.errors())
            assert set(d.errors()) == {"allega-retro"}
            assert screen.attachment("allega-retro") is None
            assert "✘" in file_line(d, "allega-retro")
            # Sending anyway keeps the refusal at the field, stores nothing, loses nothing.
            await d.click("#invia-richiesta")
            assert d.step == "7B" and set(d.errors()) == {"allega-retro"}
            assert message in d.error("allega-retro")
            assert requests(app) == []
            for widget_id, text in TYPED.items():
                assert app.screen.query_one(f"#{widget_id}", Input).value == text
        # A good file replaces the bad one and clears the message.
        await attach(d, screen, "allega-retro", folder / "retro.png")
        assert d.errors() == {}
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        assert len(os.listdir(app.settings.documents_dir)) == 2


async def test_picker_refuses_a_link_out_of_the_chosen_folder(make_app, folder):
    """The picker itself resolves links: the form still sees the link and refuses it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        await pick(d, "allega-retro", "collegamento.jpg")
        assert d.error("allega-retro") == documents.SYMLINK_OUTSIDE
        assert "collegamento.jpg" in file_line(d, "allega-retro")
        await pick(d, "allega-fronte", folder / "testo.pdf")
        assert d.error("allega-fronte").startswith("Il file non è un PDF, JPEG o PNG")


async def test_missing_back_side(make_app, folder):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        await fill_fields(d)
        await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
        await d.click("#invia-richiesta")
        assert d.errors() == {"allega-retro": "Allega il retro del documento"}
        assert requests(app) == []


async def test_mobile_as_the_guide_asks(make_app, folder):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        await fill_fields(d)
        await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
        await attach(d, screen, "allega-retro", folder / "retro.png")
        for mobile, message in [("+393471112222", "senza +39"), ("347.111.2222", "senza punti")]:
            await d.type_keys("#cellulare", mobile)
            await d.click("#invia-richiesta")
            assert set(d.errors()) == {"cellulare"}, d.errors()
            assert message in d.error("cellulare")
            assert app.screen.query_one("#cellulare", Input).value == mobile
            assert app.screen.query_one("#email", Input).value == TYPED["email"]
            assert "fronte.pdf" in file_line(d, "allega-fronte")
        await d.type_keys("#cellulare", "3471112222")
        assert d.error("cellulare") is None
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        assert requests(app)[0].contact_value == "+393471112222"


async def test_variant_switch_shows_and_hides_address_fields(make_app, folder):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "11A")
        visible = lambda widget_id: app.screen.query_one(f"#campo-{widget_id}").display  # noqa: E731
        assert app.screen.query_one("#variante-desktop", RadioButton).value is True
        assert visible("indirizzo") and visible("citta")
        assert "Per aggiungere un recapito alla tua Area Clienti" in d.text()
        label = app.screen.query_one("#campo-luogo-nascita .field-label", Static)
        assert str(label.render()) == "Città di nascita"

        await d.click("#variante-app")
        assert not visible("indirizzo") and not visible("citta")
        assert str(label.render()) == "Luogo di nascita"
        shown = [str(w.render()) for w in app.screen.query("Static") if w.display]
        assert any("Per inserire un nuovo numero di cellulare" in s for s in shown)
        assert not any("Per aggiungere un recapito" in s for s in shown)
        await d.click("#invia-richiesta")
        assert "indirizzo" not in d.errors() and "citta" not in d.errors()
        assert "cellulare" in d.errors()

        await d.click("#variante-desktop")
        assert visible("indirizzo") and visible("citta")
        await d.click("#invia-richiesta")
        assert {"indirizzo", "citta"} <= set(d.errors())

        # The app version is sent without the address.
        await d.click("#variante-app")
        await fill_fields(d)
        await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
        await attach(d, screen, "allega-retro", folder / "retro.png")
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "the confirmation")
        assert d.step == "11A"
        [row] = requests(app)
        assert (row.origin, row.variant, row.indirizzo, row.citta) == ("11A", "app", "", "")


async def test_7b_has_no_variant_switch(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        assert not app.screen.query("#variante")
        assert app.screen.query_one("#campo-indirizzo").display


async def test_prefilled_for_a_logged_in_customer(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        with app.ctx.db.session() as session:
            anna = session.exec(select(Customer.id).where(Customer.codice_fiscale == "CNTNNA79P70L219K")).one()
        await open_form(app, d, "11A", customer_id=anna)
        await d.until(lambda: app.screen.query_one("#nome", Input).value == "Anna", "the prefill")
        values = {w: app.screen.query_one(f"#{w}", Input).value for w in ("cognome", "luogo-nascita", "data-nascita")}
        assert values == {"cognome": "Conti", "luogo-nascita": "Torino", "data-nascita": "30/09/1979"}
        assert app.screen.query_one("#sesso", Select).value == "F"
        assert app.screen.query_one("#email", Input).value == "anna.conti@outlook.it"


async def test_prefilled_from_3a_and_kept_across_back(make_app, folder):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        await d.personal_data("Stefano", "Moretti", "18/02/1972", "Maschio")
        await d.click("#continua")
        await d.expect_step("4A")
        await d.type_keys("#username", "stefano.moretti@tiscali.it")
        await d.click("#continua")
        await d.expect_step("5A")
        screen = await open_form(app, d, "7B")
        assert app.screen.query_one("#nome", Input).value == "Stefano"
        assert app.screen.query_one("#data-nascita", Input).value == "18/02/1972"
        assert app.screen.query_one("#sesso", Select).value == "M"
        assert app.screen.query_one("#email", Input).value == "stefano.moretti@tiscali.it"
        await d.type_keys("#cellulare", "3471112222")
        await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
        await d.key("escape")
        await d.expect_step("5A")
        await open_form(app, d, "7B")
        assert app.screen.query_one("#cellulare", Input).value == "3471112222"
        await d.settle()
        assert "fronte.pdf" in file_line(d, "allega-fronte")


async def test_broken_storage_is_reported_not_a_traceback(make_app, folder, monkeypatch):
    """A document changed between attaching and sending is refused at its field."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        await fill_fields(d)
        await attach(d, screen, "allega-fronte", folder / "fronte.pdf")
        await attach(d, screen, "allega-retro", folder / "retro.png")
        real_store = documents.store_document

        def swapped(info, documents_dir):  # noqa: ANN001
            if info.original_name == "retro.png":
                Image.new("RGB", (10, 10)).save(info.path, format="PNG")
            return real_store(info, documents_dir)

        monkeypatch.setattr(assistance.documents, "store_document", swapped)
        await d.click("#invia-richiesta")
        assert d.step == "7B"
        assert "Il file retro.png è cambiato" in (d.error("allega-retro") or ""), d.errors()
        assert requests(app) == []
        assert os.listdir(app.settings.documents_dir) == []
