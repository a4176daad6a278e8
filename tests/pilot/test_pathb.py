"""Path B: 1B → 2B (codice fiscale) → 3B (contacts, masked) → 4B, 5B → 7B, 6B."""

from __future__ import annotations

from datetime import date

import pytest
from PIL import Image
from sqlmodel import select
from textual.widgets import OptionList

from areaclienti_tui.services import assistance
from areaclienti_tui.services.diagnosis import Typed, diagnose, latest_outcomes
from areaclienti_tui.store.models import Account, PrivacyConsent
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

PASSWORD = "Girasole#Verde7"


async def to_2b(d: Driver) -> None:
    await d.to_1b("Alessandro", "Greco", "21/04/1985", "Maschio", "alessandro.greco@gmail.com")
    await d.click("#continua")
    await d.expect_step("2B")


def options(app) -> list[str]:
    option_list = app.screen.query_one("#recapiti", OptionList)
    return [str(option_list.get_option_at_index(i).prompt) for i in range(option_list.option_count)]


async def test_1b_2b_3b_4b_creates_the_account_with_the_5a_password(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_2b(d)
        await d.type_keys("#codice-fiscale", "grclsn85d12e506m")
        await d.click("#continua")
        await d.expect_step("3B")
        shown = options(app)
        assert shown == ["Email a***o@studiogrieco.it", "Cellulare +39 *** *** 4321"], shown
        option_list = app.screen.query_one("#recapiti", OptionList)
        option_list.focus()
        option_list.highlighted = 0
        await d.click("#continua")
        await d.expect_step("4B")
        await d.type_keys("#otp", d.code("a.grieco@studiogrieco.it"))
        await d.click("#continua")
        await d.until(lambda: "account è stato creato" in d.text(), "account created")
        assert d.step == "4B"
        await d.click("#accedi")
        await d.login("a.grieco@studiogrieco.it", PASSWORD)
        await d.expect_step("9A")
    with app.ctx.db.session() as session:
        account = session.exec(select(Account).where(Account.username == "a.grieco@studiogrieco.it")).one()
        assert session.exec(select(PrivacyConsent).where(PrivacyConsent.account_id == account.id)).one()


async def test_back_from_1b_finds_3a_as_typed(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_1b("Alessandro", "Greco", "21/04/1985", "Maschio", "alessandro.greco@gmail.com")
        await d.click("#indietro")
        await d.expect_step("3A")
        assert app.screen.query_one("#cognome").value == "Greco"
        assert app.screen.query_one("#data-nascita").value == "21/04/1985"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Inserisci il codice fiscale"),
        ("GRCLSN85D12E506", "16 caratteri"),
        ("GRC1SN85D12E506M", "non è scritto correttamente"),
        ("GRCLSN85D12E5L6M", "omocodia"),
        ("GRCLSN85D12E506A", "carattere di controllo"),
        ("GRCLSN85D32E506M", "data di nascita"),
        ("GRCLSN85D12Z999M", "luogo di nascita"),
    ],
)
async def test_2b_each_invalid_codice_fiscale_has_its_message(make_app, typed, message):
    from codicefiscale import codicefiscale

    if len(typed) == 16 and message not in ("carattere di controllo", "omocodia", "non è scritto correttamente"):
        typed = typed[:15] + codicefiscale.encode_cin(typed[:15])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_2b(d)
        if typed:
            await d.type_keys("#codice-fiscale", typed)
        await d.click("#continua")
        assert d.step == "2B"
        assert message.lower() in (d.error("codice-fiscale") or "").lower(), d.errors()


async def test_2b_unknown_codice_fiscale_leads_to_6b(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_2b(d)
        await d.type_keys("#codice-fiscale", "VLLRRT70A01C933Q")
        await d.click("#continua")
        await d.expect_step("6B")
        text = d.text()
        assert "generali.it/assistenza/area-employee-benefits-salute-e-assistenza" in text
        assert "Sono un assicurato Inarcassa e ho problemi con la registrazione" in text
    # Both ends of the journey are there for the operator's diagnosis, with what was typed.
    six_b, one_b = latest_outcomes(app.ctx)[:2]
    assert (six_b.shown, one_b.shown) == ("6B", "1B")
    assert six_b.typed == Typed("Alessandro", "Greco", date(1985, 4, 21), "M", "alessandro.greco@gmail.com",
                                "VLLRRT70A01C933Q")
    assert one_b.typed == Typed("Alessandro", "Greco", date(1985, 4, 21), "M", "alessandro.greco@gmail.com")
    best = diagnose(app.ctx, one_b.typed).candidati[0]
    assert best.cognome == "Grieco"


async def test_2b_customer_without_active_policy_leads_to_6b(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_2b(d)
        await d.type_keys("#codice-fiscale", "RMNFNC87B59A662P")
        await d.click("#continua")
        await d.expect_step("6B")


async def test_omocode_form_finds_the_customer(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_1b("Giovanni", "Russo", "25/08/1977", "Maschio", "giovanni.russo@libero.it")
        await d.click("#continua")
        await d.type_keys("#codice-fiscale", "RSSGNN77M25G273D")  # the base form of the omocode on file
        await d.click("#continua")
        await d.expect_step("3B")


async def test_5b_to_7b_submitted(make_app, settings):
    uploads = settings.uploads_dir  # attachments come only from the uploads folder
    uploads.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 200), (10, 10, 10)).save(uploads / "fronte.png")
    Image.new("RGB", (300, 200), (90, 90, 90)).save(uploads / "retro.png")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_1b("Giorgio", "Fontana", "27/04/1958", "Maschio", "giorgio.fontana@gmail.com")
        await d.click("#continua")
        await d.type_keys("#codice-fiscale", "FNTGRG58D27L781N")
        await d.click("#continua")
        await d.expect_step("3B")
        assert "Non risultano recapiti" in d.text()
        await d.click("#nessun-recapito")
        await d.expect_step("5B")
        await d.click("#contatta-assistenza")
        await d.expect_step("7B")
        form = app.screen
        assert form.query_one("#nome").value == "Giorgio"
        await d.type_keys("#luogo-nascita", "Verona")
        await d.type_keys("#cellulare", "3405550199")
        await d.type_keys("#email", "giorgio.fontana@gmail.com")
        await d.type_keys("#indirizzo", "Corso Porta Nuova 10")
        await d.type_keys("#citta", "Verona")
        await d.choose_option("#tipo-documento", "Carta")
        form.attach("allega-fronte", uploads / "fronte.png")
        form.attach("allega-retro", uploads / "retro.png")
        await d.settle()
        await d.click("#privacy")
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "confirmation")
        assert d.step == "7B"
    [request] = assistance.list_requests(app.ctx)
    assert request.origin == "7B" and request.contact_value == "+393405550199"
    assert request.customer_id is not None
