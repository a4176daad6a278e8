"""9A at login and before sensitive operations, password recovery, biometrics."""

from __future__ import annotations

import pytest
from sqlmodel import select

from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.store.models import Account, Customer
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

ANNA = "anna.conti@outlook.it"
ANNA_PASSWORD = "Tramonto#Blu42"
ANNA_MOBILE = "+393381234567"


def add_account(ctx, codice_fiscale: str, username: str, password: str, kind: str = "email") -> None:
    with ctx.db.transaction() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == codice_fiscale)).one()
        session.add(Account(customer_id=customer.id, username=username, username_kind=kind,
                            password_hash=hash_password(password, 4), created_at=ctx.clock.now()))


async def test_9a_wrong_code_then_right_one_and_console_remembered(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        await d.login(ANNA, ANNA_PASSWORD)
        await d.expect_step("9A")
        code = d.code(ANNA_MOBILE)
        await d.type_keys("#otp", f"{(int(code) + 1) % 1_000_000:06d}")
        await d.click("#continua")
        assert "Codice non corretto" in d.error("otp")
        await d.type_keys("#otp", code)
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
        await d.click("#esci")
        # Same console, policy "new_device": no code the second time.
        await d.click("#accedi")
        await d.login(ANNA, ANNA_PASSWORD)
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products without 9A")


@pytest.mark.parametrize(("policy", "asks_twice"), [("always", True), ("never", False)])
async def test_9a_policy_always_and_never(make_app, demo_ctx, policy, asks_twice):
    demo_ctx.settings.mfa_policy = policy
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        for _ in range(2):
            await d.click("#accedi")
            await d.login(ANNA, ANNA_PASSWORD)
            if asks_twice:
                await d.expect_step("9A")
                await d.type_keys("#otp", d.code(ANNA_MOBILE))
                await d.click("#continua")
            await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
            await d.click("#esci")


async def test_9a_before_change_of_password(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.login_with_code(ANNA, ANNA_PASSWORD, ANNA_MOBILE)
        await d.click("#cambia-password")
        await d.expect_step("9A")
        await d.type_keys("#otp", d.code(ANNA_MOBILE))
        await d.click("#continua")
        await d.expect_step("cambio-password")
        await d.type_keys("#password", "Conti#Nuova42")
        await d.type_keys("#conferma-password", "Conti#Nuova42")
        await d.click("#continua")
        assert "cognome" in d.error("password")
        await d.type_keys("#password", "Lavanda#Mare88")
        await d.type_keys("#conferma-password", "Lavanda#Mare88")
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "back to products")
        await d.click("#esci")
        await d.click("#accedi")
        await d.login(ANNA, ANNA_PASSWORD)
        assert "non corretti" in d.error("password")
        await d.login(ANNA, "Lavanda#Mare88")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products with the new password")


async def test_change_of_username_needs_9a_and_the_new_contact_code(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.login_with_code(ANNA, ANNA_PASSWORD, ANNA_MOBILE)
        await d.click("#cambia-username")
        await d.expect_step("9A")
        await d.type_keys("#otp", d.code(ANNA_MOBILE))
        await d.click("#continua")
        await d.expect_step("cambio-username")
        await d.type_keys("#username", "anna@studio.pec.it")
        await d.click("#continua")
        assert "PEC" in d.error("username")
        await d.type_keys("#username", "mario.rossi@gmail.com")  # free: Mario has no account
        await d.click("#continua")
        await d.type_keys("#otp", d.code("mario.rossi@gmail.com"))
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "back to products")
        assert "mario.rossi@gmail.com" in d.text()
    with app.ctx.db.session() as session:
        assert session.exec(select(Account).where(Account.username == "mario.rossi@gmail.com")).one()


async def test_password_recovery_resets_the_lockout(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        for _ in range(5):
            await d.login(ANNA, "Sbagliata#123")
        assert "bloccato" in d.error("password")
        await d.click("#password-dimenticata")
        await d.expect_step("recupero-password")
        assert app.screen.query_one("#username").value == ANNA
        await d.click("#continua")
        await d.type_keys("#otp", d.code(ANNA))
        await d.click("#continua")
        await d.type_keys("#password", "Lavanda#Mare88")
        await d.type_keys("#conferma-password", "Lavanda#Mare88")
        await d.click("#continua")
        await d.expect_step("8A")
        await d.login(ANNA, "Lavanda#Mare88")
        await d.expect_step("9A")
    with app.ctx.db.session() as session:
        account = session.exec(select(Account).where(Account.username == ANNA)).one()
        assert account.failed_logins == 0 and account.locked_until is None


async def test_password_recovery_for_an_unknown_username_looks_the_same(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        await d.type_keys("#username", "nessuno@example.org")
        await d.click("#password-dimenticata")
        await d.click("#continua")
        await d.expect_step("recupero-password")
        assert "Se esiste un account" in d.text()
        await d.type_keys("#otp", "123456")
        await d.click("#continua")
        assert "Codice non corretto" in d.error("otp")


async def test_biometric_login_on_and_off(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.login_with_code(ANNA, ANNA_PASSWORD, ANNA_MOBILE)
        await d.click("#biometrico")
        assert "attivo su questa console" in d.text()
        await d.click("#esci")
        await d.click("#accedi")
        button = app.screen.query_one("#accesso-biometrico")
        await d.until(lambda: button.display, "biometric button")
        assert "simulato" in str(button.label)
        await d.click("#accesso-biometrico")
        assert "SIMULATO" in " ".join(str(s.render()) for s in app.screen.query("Static"))
        await d.click("#conferma-biometrico")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products by biometrics")
        await d.click("#biometrico")
        assert "non attivo" in d.text()
        await d.click("#esci")
        await d.click("#accedi")
        await d.settle()
        assert not app.screen.query_one("#accesso-biometrico").display


async def test_10a_to_11a_then_approval_sends_next_9a_to_the_new_mobile(make_app, demo_ctx):
    """Stefano Moretti has no mobile: 10A → 11A form → operator approves → 9A on the new mobile."""
    from PIL import Image

    from areaclienti_tui.services import assistance, outbox

    add_account(demo_ctx, "MRTSFN72B18A794L", "stefano.moretti@tiscali.it", "Girasole#Verde7")
    uploads = demo_ctx.settings.uploads_dir  # attachments come only from the uploads folder
    uploads.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 200), (200, 30, 30)).save(uploads / "fronte.png")
    Image.new("RGB", (320, 200), (30, 30, 200)).save(uploads / "retro.jpg", format="JPEG")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        await d.login("stefano.moretti@tiscali.it", "Girasole#Verde7")
        await d.expect_step("10A")
        assert "Richiedi assistenza" in d.text()
        await d.click("#richiedi-assistenza")
        await d.expect_step("11A")
        form = app.screen
        await d.until(lambda: form.query_one("#cognome").value == "Moretti", "prefilled form")
        await d.type_keys("#cellulare", "+393405550123")
        await d.type_keys("#indirizzo", "Via Borfuro 4")
        await d.type_keys("#citta", "Bergamo")
        await d.choose_option("#tipo-documento", "Patente")
        form.attach("allega-fronte", uploads / "fronte.png")
        form.attach("allega-retro", uploads / "retro.jpg")
        await d.settle()
        await d.click("#privacy")
        await d.click("#invia-richiesta")
        assert "senza +39" in d.error("cellulare")
        await d.type_keys("#cellulare", "3405550123")
        await d.click("#invia-richiesta")
        await d.until(lambda: "Richiesta inviata" in d.text(), "confirmation")
        assert "sarai avvisato sulla email" in d.text()

        [request] = assistance.list_requests(app.ctx)
        assistance.approve(app.ctx, request.id, operator="operatore")
        mail = outbox.latest(app.ctx, limit=1)[0]
        assert mail.to == "stefano.moretti@tiscali.it" and mail.channel == "email"

        await d.click("#inizio")
        await d.click("#accedi")
        await d.login("stefano.moretti@tiscali.it", "Girasole#Verde7")
        await d.expect_step("9A")
        sms = outbox.latest(app.ctx, limit=1)[0]
        assert sms.channel == "sms" and sms.to == "+393405550123" and sms.code
        await d.type_keys("#otp", sms.code)
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
