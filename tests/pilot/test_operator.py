"""The operator area: operator login with lockout, the assistance queue, a request's
detail with its documents, approval and rejection (SPEC §3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject
from sqlmodel import select
from textual.widgets import Button, DataTable, Static

from areaclienti_tui.rules.username import load_pec_domains
from areaclienti_tui.services import assistance, audit, outbox
from areaclienti_tui.services.auth import INVALID_CREDENTIALS
from areaclienti_tui.services.demo import OPERATOR_USERNAME
from areaclienti_tui.steps.operator import (
    OperatorHomeScreen,
    OperatorLoginScreen,
    ReasonModal,
    RequestDetailScreen,
)
from areaclienti_tui.store.models import AssistanceRequest, AuditEvent, Contact, Customer
from areaclienti_tui.widgets.modals import ConfirmModal
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

PDF_TEXT = "REPUBBLICA ITALIANA CARTA DI IDENTITA"
MORETTI_CF = "MRTSFN72B18A794L"  # demo persona without a mobile on file
FONTANA_CF = "FNTGRG58D27L781N"  # demo persona without any contact


# -- data ----------------------------------------------------------------------------------


def make_png(path: Path, size: tuple[int, int] = (64, 40)) -> Path:
    image = Image.new("RGB", size, (30, 60, 160))
    for x in range(size[0] // 2):
        for y in range(size[1]):
            image.putpixel((x, y), (220, 40, 40))
    image.save(path, format="PNG")
    return path


def make_pdf(path: Path, pages: int = 2, text: str = PDF_TEXT) -> Path:
    """A PDF whose pages carry a line of real text (so pypdf can extract it)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for _ in range(pages):
        page = writer.add_blank_page(width=300, height=200)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def submit_request(ctx, tmp_path: Path, *, nome: str, cognome: str, data: str, sesso: str, luogo: str,
                   cellulare: str, email: str, origin: str = "7B") -> int:
    """An assistance request as the customer's form would send it (front PNG, back PDF)."""
    folder = ctx.settings.uploads_dir / f"upload-{nome.lower()}"  # attachments come only from there
    folder.mkdir(parents=True, exist_ok=True)
    form = assistance.AssistanceForm(
        origin=origin,
        variant="desktop",
        nome=nome,
        cognome=cognome,
        luogo_nascita=luogo,
        data_nascita=data,
        sesso=sesso,
        cellulare=cellulare,
        email=email,
        indirizzo="Via Roma 1",
        citta=luogo,
        tipo_documento="Carta d'identità",
        fronte=make_png(folder / "carta-fronte.png"),
        retro=make_pdf(folder / "carta-retro.pdf"),
        privacy=True,
    )
    today = ctx.clock.now().date()
    request_id = assistance.submit(ctx, form, today=today, pec_domains=load_pec_domains(ctx.settings.pec_domains_file))
    ctx.clock.advance(60)
    return request_id


def moretti(ctx, tmp_path: Path) -> int:
    """Recognised: Stefano Moretti asks to add a mobile."""
    return submit_request(ctx, tmp_path, nome="Stefano", cognome="Moretti", data="18/02/1972", sesso="M",
                          luogo="Bergamo", cellulare="3401234567", email="stefano.moretti@tiscali.it")


def stranger(ctx, tmp_path: Path) -> int:
    """Not recognised: no registry customer has these data."""
    return submit_request(ctx, tmp_path, nome="Carla", cognome="Verdi", data="01/01/1990", sesso="F",
                          luogo="Verona", cellulare="3409876543", email="carla.verdi@example.com", origin="11A")


# -- driving -----------------------------------------------------------------------------


async def to_queue(d: Driver) -> DataTable:
    await d.operator_home()
    assert d.app.operator == OPERATOR_USERNAME
    return d.app.screen.query_one("#richieste", DataTable)


def queue_ids(table: DataTable) -> list[int]:
    return [int(row.value) for row in table.rows]


async def open_request(d: Driver, request_id: int) -> RequestDetailScreen:
    table = d.app.screen.query_one("#richieste", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(str(request_id)), animate=False)
    await d.key("enter")
    await d.until(
        lambda: isinstance(d.app.screen, RequestDetailScreen) and d.app.screen.detail is not None, "request detail"
    )
    return d.app.screen  # type: ignore[return-value]


async def answer(d: Driver, button: str = "#conferma") -> None:
    """Approve and reject ask for confirmation; Annulla has the focus."""
    await d.until(lambda: isinstance(d.app.screen, ConfirmModal), "confirmation")
    assert d.app.focused is d.app.screen.query_one("#annulla")
    await d.answer_confirmation(button)


async def back_to_queue(d: Driver) -> DataTable:
    await d.until(lambda: isinstance(d.app.screen, OperatorHomeScreen), "back to the queue")
    await d.settle()
    return d.app.screen.query_one("#richieste", DataTable)


# -- login -------------------------------------------------------------------------------


async def test_f9_without_login_shows_the_login_not_the_queue(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.open_operator_login()
        assert d.step == "operatore"
        assert not app.screen.query("#richieste")
        assert app.operator is None
        # Even pushed directly, the home gives way to the login.
        await d.key("escape")
        await d.expect_step("1A")
        app.push_screen(OperatorHomeScreen())
        await d.until(lambda: isinstance(app.screen, OperatorLoginScreen), "redirect to login")
        await d.settle()  # let the new screen finish starting before the app closes
        assert not app.screen.query("#richieste")
        assert len(app.screen_stack) == 3  # the login took the home's place


async def test_wrong_password_or_unknown_operator_give_one_generic_message(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.open_operator_login()
        await d.click("#operatore-accedi")
        assert d.error("operatore-username") == "Inserisci il nome utente dell'operatore."
        await d.operator_sign_in(password="Sbagliata#2026")
        assert d.errors() == {"operatore-password": INVALID_CREDENTIALS}
        assert app.screen.query_one("#operatore-password").value == ""
        await d.operator_sign_in(username="nessuno", password="Sbagliata#2026")
        assert d.errors() == {"operatore-password": INVALID_CREDENTIALS}
        assert isinstance(app.screen, OperatorLoginScreen)
        assert app.operator is None


async def test_five_failures_lock_the_operator_for_a_minute(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.open_operator_login()
        for _ in range(4):
            await d.operator_sign_in(password="Sbagliata#2026")
            assert d.error("operatore-password") == INVALID_CREDENTIALS
        await d.operator_sign_in(password="Sbagliata#2026")
        assert "bloccato" in (d.error("operatore-password") or "")
        assert "1 minuto" in (d.error("operatore-password") or "")
        # The right password does not help while locked...
        await d.operator_sign_in()
        assert "bloccato" in (d.error("operatore-password") or "")
        assert app.operator is None
        # ...and works once the minute has passed.
        clock.advance(61)
        await d.operator_sign_in()
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen), "operator home")


async def test_sign_out_is_audited_and_f9_asks_the_login_again(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        # Leaving the area keeps the operator signed in: f9 brings back the home.
        await d.key("escape")
        await d.expect_step("1A")
        await d.key("f9")
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen), "operator home again")
        await d.click("#operatore-esci")
        await d.expect_step("1A")
        assert app.operator is None
        await d.open_operator_login()
    with demo_ctx.db.session() as session:
        kinds = [(e.kind, e.actor, e.outcome) for e in session.exec(select(AuditEvent)).all()]
    assert ("accesso_operatore", OPERATOR_USERNAME, "ok") in kinds
    assert ("uscita_operatore", OPERATOR_USERNAME, "ok") in kinds


async def test_kiosk_has_no_operator_key(make_app, demo_ctx):
    demo_ctx.settings.kiosk = True
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        assert app.check_action("operator", ()) is False
        assert "operator" not in {binding.action for (_, binding, enabled, _) in app.active_bindings.values()
                                  if enabled}
        await d.key("f9")
        assert d.step == "1A"


# -- the queue ---------------------------------------------------------------------------


async def test_queue_lists_the_open_requests(make_app, demo_ctx, tmp_path):
    first, second = moretti(demo_ctx, tmp_path), stranger(demo_ctx, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        table = await to_queue(d)
        await d.until(lambda: table.row_count == 2, "two open requests")
        assert queue_ids(table) == [first, second]  # oldest first
        row = table.get_row(str(first))
        # N., Ricevuta, Passo, Nome e cognome, Cliente (recognised), Recapito, Nascita
        assert table.get_row(str(first)) == [
            str(first), "02/03 10:00", "7B", "Stefano Moretti", "sì", "+39 340 123 4567", "18/02/1972"
        ]
        row = table.get_row(str(second))
        assert row[2:5] == ["11A", "Carla Verdi", "no"]
        assert "2 richieste aperte" in d.text()


async def test_click_on_a_row_opens_the_request(make_app, demo_ctx, tmp_path):
    moretti(demo_ctx, tmp_path)
    second = stranger(demo_ctx, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        table = await to_queue(d)
        await d.until(lambda: table.row_count == 2, "two open requests")
        await pilot.click("#richieste", offset=(4, 2))  # the second row (the first is the header)
        await d.until(lambda: isinstance(app.screen, RequestDetailScreen), "request detail")
        assert app.screen.request_id == second
        assert d.step == "operatore"


# -- a request ---------------------------------------------------------------------------


async def test_detail_shows_the_data_and_the_documents(make_app, demo_ctx, tmp_path):
    request_id = moretti(demo_ctx, tmp_path)
    detail = assistance.get_request(demo_ctx, request_id)
    front, back = detail.documents
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        screen = await open_request(d, request_id)
        text = d.text()
        for expected in ("Stefano", "Moretti", "18/02/1972", "Maschio", "Bergamo", "+39 340 123 4567",
                         "stefano.moretti@tiscali.it", "Via Roma 1", "Carta d'identità", "passo 7B",
                         "Cliente riconosciuto", MORETTI_CF):
            assert expected in text, expected
        # Front: a PNG with its pixel size and a half-block preview.
        facts = str(screen.query_one(f"#documento-dati-{front.id}", Static).render())
        assert "Fronte" in facts and "immagine PNG" in facts and "64×40 pixel" in facts
        assert front.sha256[:12] in facts and "carta-fronte.png" in facts
        preview = str(screen.query_one(f"#anteprima-{front.id}", Static).render())
        assert preview.count("▀") == 48 * 15  # 64×40 pixels fit 48 columns × 15 rows (two pixel rows each)
        # Back: a PDF with its page count and the text of its first page.
        facts = str(screen.query_one(f"#documento-dati-{back.id}", Static).render())
        assert "Retro" in facts and "PDF" in facts and "2 pagine" in facts and "carta-retro.pdf" in facts
        excerpt = str(screen.query_one(f"#estratto-{back.id}", Static).render())
        assert PDF_TEXT in excerpt
        assert screen.query_one("#approva").display and screen.query_one("#respingi").display


async def test_approve_adds_the_contact_and_tells_the_customer(make_app, demo_ctx, tmp_path):
    request_id = moretti(demo_ctx, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        screen = await open_request(d, request_id)
        assert not screen.query_one("#campo-codice-fiscale-cliente").display
        await d.click("#approva")
        await answer(d)
        table = await back_to_queue(d)
        assert request_id not in queue_ids(table)
        assert "Nessuna richiesta aperta." in d.text()
        # All requests: it is there, approved.
        await d.choose_option("#filtro-stato", "Tutte")
        await d.until(lambda: table.row_count == 1, "the decided request")
        assert table.get_row(str(request_id))[-1] == "Approvata"
    with demo_ctx.db.session() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == MORETTI_CF)).one()
        contact = session.exec(
            select(Contact).where(Contact.customer_id == customer.id, Contact.value == "+393401234567")
        ).one()
        assert (contact.kind, contact.source) == ("mobile", "assistenza")
        request = session.get(AssistanceRequest, request_id)
        assert (request.status, request.decided_by) == ("approvata", OPERATOR_USERNAME)
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "assistenza_approvata")).one()
        assert event.actor == OPERATOR_USERNAME and event.subject == f"richiesta {request_id}"
    mail = outbox.latest(demo_ctx, limit=1)[0]
    assert (mail.channel, mail.to) == ("email", "stefano.moretti@tiscali.it")
    assert "accolta" in (mail.subject or "") and "+39 340 123 4567" in mail.body


async def test_unrecognised_request_needs_the_codice_fiscale(make_app, demo_ctx, tmp_path):
    request_id = stranger(demo_ctx, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        screen = await open_request(d, request_id)
        assert "Nessun cliente riconosciuto" in d.text()
        assert screen.query_one("#campo-codice-fiscale-cliente").display
        await d.click("#approva")
        assert "codice fiscale" in (d.error("codice-fiscale-cliente") or "")
        await d.type_keys("#codice-fiscale-cliente", "ABCDEF12G34H567X")
        await d.click("#approva")  # a wrong code is refused before any question
        await d.until(lambda: d.error("codice-fiscale-cliente") is not None, "codice fiscale refused")
        assert isinstance(app.screen, RequestDetailScreen)
        await d.type_keys("#codice-fiscale-cliente", FONTANA_CF.lower())
        await d.click("#approva")
        # Giorgio Fontana is not Carla Verdi: the question lists the differences and asks about the document.
        await d.until(lambda: isinstance(app.screen, ConfirmModal), "confirmation")
        question = " ".join(d.text().split())
        assert "non coincidono con l'anagrafe" in question and "«Carla» nella richiesta, «Giorgio» in anagrafe" in question
        assert str(app.screen.query_one("#conferma", Button).label) == "Ho controllato il documento: approva"
        await answer(d)
        table = await back_to_queue(d)
        assert table.row_count == 0
    with demo_ctx.db.session() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == FONTANA_CF)).one()
        contact = session.exec(select(Contact).where(Contact.customer_id == customer.id)).one()
        assert (contact.value, contact.source) == ("+393409876543", "assistenza")


async def test_request_beside_the_registry_and_approval_after_checking_the_document(make_app, demo_ctx, tmp_path):
    """Recognised by name, surname, date and sex, but the form says born in Verona: the registry says Roma."""
    request_id = submit_request(demo_ctx, tmp_path, nome="Mario", cognome="Rossi", data="14/03/1975", sesso="M",
                                luogo="Verona", cellulare="3409876543", email="mario.rossi@gmail.com", origin="11A")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        await open_request(d, request_id)
        await d.until(lambda: app.screen.query_one("#confronto").display, "comparison")
        app.screen.query_one("#confronto").scroll_visible(animate=False, immediate=True)
        await d.settle()
        lines = [" ".join(line.split()) for line in d.screen_lines()]
        assert any("Richiesta e anagrafe a confronto (RSSMRA75C14H501L)" in line for line in lines), lines
        assert any("Luogo di nascita" in line and "Verona" in line and "Roma" in line and "✗ DIVERSO" in line
                   for line in lines), lines
        assert any("Data di nascita" in line and "✓ uguale" in line for line in lines)
        # Enter on the question keeps Annulla: nothing is approved.
        await d.key("a")
        await d.until(lambda: isinstance(app.screen, ConfirmModal), "confirmation")
        assert "Luogo di nascita: «Verona» nella richiesta, «Roma» in anagrafe" in " ".join(d.text().split())
        await d.key("enter")
        await d.until(lambda: isinstance(app.screen, RequestDetailScreen), "question closed")
        assert assistance.get_request(demo_ctx, request_id).summary.status == "aperta"
        await d.key("a")
        await answer(d)
        await back_to_queue(d)
    event = audit.latest(demo_ctx, kind="assistenza_approvata")[0]
    assert event.details["differenze"] == ["Luogo di nascita"] and event.details["documento_verificato"] is True
    assert event.actor == OPERATOR_USERNAME


async def test_reject_asks_the_reason_and_emails_it(make_app, demo_ctx, tmp_path):
    request_id = stranger(demo_ctx, tmp_path)
    reason = "Il documento allegato non è leggibile"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        await open_request(d, request_id)
        await d.click("#respingi")
        await d.until(lambda: isinstance(app.screen, ReasonModal), "the reason modal")
        await d.click("#conferma-rifiuto")
        assert isinstance(app.screen, ReasonModal)
        assert "motivo" in (d.error("motivo") or "")
        # Cancelling leaves the request as it was.
        await d.click("#annulla-rifiuto")
        assert isinstance(app.screen, RequestDetailScreen)
        await d.click("#respingi")
        await d.type_keys("#motivo", reason)
        assert d.error("motivo") is None
        await d.click("#conferma-rifiuto")
        await answer(d)
        table = await back_to_queue(d)
        assert request_id not in queue_ids(table)
    with demo_ctx.db.session() as session:
        request = session.get(AssistanceRequest, request_id)
        assert (request.status, request.reason, request.decided_by) == ("respinta", reason, OPERATOR_USERNAME)
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "assistenza_respinta")).one()
        assert event.actor == OPERATOR_USERNAME
        assert session.exec(select(Contact).where(Contact.source == "assistenza")).first() is None
    mail = outbox.latest(demo_ctx, limit=1)[0]
    assert (mail.channel, mail.to) == ("email", "carla.verdi@example.com")
    assert reason in mail.body


async def test_request_opens_at_the_top_without_focus_on_approve(make_app, demo_ctx, tmp_path):
    request_id = moretti(demo_ctx, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        screen = await open_request(d, request_id)
        await d.settle()
        journey = screen.query_one("#journey")
        assert journey.scroll_y == 0
        assert journey.region.contains_region(screen.query_one("#dati-richiesta").region)
        assert app.focused is not screen.query_one("#approva")
        shown = {binding.action for _, binding, enabled, _ in screen.active_bindings.values() if enabled}
        assert {"approve", "reject"} <= shown


async def test_approve_with_the_key_and_annulla_by_default(make_app, demo_ctx, tmp_path):
    request_id = moretti(demo_ctx, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        await open_request(d, request_id)
        await d.key("a")
        await d.until(lambda: isinstance(app.screen, ConfirmModal), "confirmation")
        assert app.focused is app.screen.query_one("#annulla")
        assert "+39 340 123 4567" in d.text() and "Approvare la richiesta" in d.text()
        await d.key("enter")  # Enter on the default button: Annulla
        await d.until(lambda: isinstance(app.screen, RequestDetailScreen), "back on the request")
        assert assistance.get_request(demo_ctx, request_id).summary.status == "aperta"
        await d.key("a")
        await answer(d)
        await back_to_queue(d)
    assert assistance.get_request(demo_ctx, request_id).summary.status == "approvata"


async def test_reject_with_the_key_keeps_the_reason_when_cancelled(make_app, demo_ctx, tmp_path):
    request_id = stranger(demo_ctx, tmp_path)
    reason = "Il documento allegato non è leggibile"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        await open_request(d, request_id)
        await d.key("r")
        await d.until(lambda: isinstance(app.screen, ReasonModal), "the reason modal")
        await d.type_keys("#motivo", reason)
        await d.key("enter")
        await answer(d, "#annulla")
        assert isinstance(app.screen, RequestDetailScreen)
        assert assistance.get_request(demo_ctx, request_id).summary.status == "aperta"
        await d.key("r")
        await d.until(lambda: isinstance(app.screen, ReasonModal), "the reason modal again")
        assert app.screen.query_one("#motivo").value == reason
        await d.click("#conferma-rifiuto")
        await answer(d)
        await back_to_queue(d)
    assert assistance.get_request(demo_ctx, request_id).summary.status == "respinta"


async def test_keys_1_to_7_switch_the_operator_tabs(make_app):
    from textual.widgets import TabbedContent, Tabs

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_queue(d)
        tabs = app.screen.query_one("#schede", TabbedContent)
        for key, tab_id in [("3", "account"), ("4", "registro-audit"), ("5", "personas"),
                            ("6", "formatore"), ("7", "verifica-dati"), ("1", "coda")]:
            tabs.query_one(Tabs).focus()  # a tab may focus its filter field: the keys work outside fields
            await d.key(key)
            await d.until(lambda: tabs.active == tab_id, f"tab {tab_id}")
        await d.key("2")
        await d.until(lambda: tabs.active == "anagrafe", "tab anagrafe")
        search = app.screen.query_one("#ricerca-anagrafe")
        await d.until(lambda: app.focused is search, "focus on the search")
        await d.key("4")  # in a field a digit is text, not a tab key
        assert tabs.active == "anagrafe" and search.value == "4"
        grouped = {binding.key for _, binding, _, _ in app.screen.active_bindings.values()
                   if binding.group is not None and binding.group.description == "Schede"}
        assert not grouped  # in a field the footer does not offer the digits
        tabs.query_one(Tabs).focus()
        await d.settle()
        grouped = {binding.key for _, binding, _, _ in app.screen.active_bindings.values()
                   if binding.group is not None and binding.group.description == "Schede"}
        assert grouped == set("1234567")  # outside fields the footer shows them, as "Schede"


async def test_a_decided_request_shows_the_decision_without_buttons(make_app, demo_ctx, tmp_path):
    request_id = stranger(demo_ctx, tmp_path)
    assistance.reject(demo_ctx, request_id, operator="collega", reason="Dati incompleti")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        table = await to_queue(d)
        assert table.row_count == 0
        await d.choose_option("#filtro-stato", "Tutte")
        await d.until(lambda: table.row_count == 1, "the decided request")
        screen = await open_request(d, request_id)
        text = d.text()
        assert "Respinta" in text and "collega" in text and "Dati incompleti" in text
        assert not screen.query_one("#approva").display and not screen.query_one("#respingi").display
        await d.key("escape")
        await back_to_queue(d)


@pytest.mark.parametrize("size", [(64, 40), (40, 90)])
def test_half_block_preview_keeps_the_proportions(tmp_path, size):
    from areaclienti_tui.steps.operator import PREVIEW_COLUMNS, PREVIEW_ROWS, half_block_preview

    picture = half_block_preview(make_png(tmp_path / "p.png", size))
    lines = picture.plain.split("\n")
    assert len(lines) <= PREVIEW_ROWS and all(len(line) <= PREVIEW_COLUMNS for line in lines)
    width, height = len(lines[0]), len(lines) * 2
    assert abs(width / height - size[0] / size[1]) < 0.15
