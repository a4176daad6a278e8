"""Registration by email and by mobile end to end (1A → 8A), then login."""

from __future__ import annotations

from sqlmodel import select

from areaclienti_tui.services import outbox
from areaclienti_tui.store.models import Account, PrivacyConsent
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

PASSWORD = "Girasole#Verde7"


async def test_register_by_email_then_login_and_see_policies(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.register_until_code(
            nome="Mario", cognome="Rossi", data="14/03/1975", sesso="Maschio",
            username="mario.rossi@gmail.com", password=PASSWORD,
        )
        await d.expect_step("6A")
        assert "m***i@gmail.com" in d.text()
        message = outbox.latest(app.ctx)[0]
        assert message.channel == "email" and message.to == "mario.rossi@gmail.com" and message.subject
        await d.click("#continua")
        await d.expect_step("7A")
        await d.type_keys("#otp", d.code("mario.rossi@gmail.com"))
        await d.click("#continua")
        await d.until(lambda: "account è stato creato" in d.text(), "account created")
        await d.click("#accedi")
        await d.expect_step("8A")
        assert app.screen.query_one("#username").value == "mario.rossi@gmail.com"
        await d.type_keys("#password", PASSWORD)
        await d.click("#accedi")
        # First login from this console: the 9A code by SMS to the mobile on file.
        await d.expect_step("9A")
        await d.type_keys("#otp", d.code("+393471234567"))
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
        table = app.screen.query_one("#prodotti")
        assert table.row_count >= 1
        await d.click("#esci")
        await d.expect_step("1A")

    with app.ctx.db.session() as session:
        account = session.exec(select(Account).where(Account.username == "mario.rossi@gmail.com")).one()
        assert account.password_hash.startswith("$2") and PASSWORD not in account.password_hash
        consent = session.exec(select(PrivacyConsent).where(PrivacyConsent.account_id == account.id)).one()
        assert consent.notice_version == "2026-01"


async def test_register_by_mobile_then_login(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.register_until_code(
            nome="giulia", cognome="MARINO", data="22/07/1982", sesso="Femmina",
            username="3289876543", password=PASSWORD,
        )
        await d.expect_step("6A")
        assert "+39 *** *** 6543" in d.text()
        await d.click("#continua")
        await d.type_keys("#otp", d.code("+393289876543"))
        await d.click("#continua")
        await d.until(lambda: "account è stato creato" in d.text(), "account created")
        await d.click("#accedi")
        await d.login("3289876543", PASSWORD)
        await d.expect_step("9A")
        await d.type_keys("#otp", d.code("+393289876543"))
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
        assert "Giulia" in d.text()


async def test_create_app_on_a_new_database_with_own_customers(tmp_path):
    """What an outside test suite does: a fresh database, its own customers, the SPEC ids."""
    from areaclienti_tui import create_app
    from areaclienti_tui.services import importer

    app = create_app(db=f"sqlite:///{tmp_path / 'own.db'}")
    app.raise_unexpected = True
    assert outbox.latest(app.ctx) == []
    csv = tmp_path / "clienti.csv"
    csv.write_text(
        "codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa\n"
        "BNCLRA90A41H501F,Laura,Bianchi,F,1990-01-01,Roma,laura.b@example.org,,POL-1,1\n",
        encoding="utf-8",
    )
    report = importer.import_file(app.ctx, csv)
    assert report.inserted == 1 and not report.errors
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.register_until_code(
            nome="Laura", cognome="Bianchi", data="01/01/1990", sesso="Femmina",
            username="laura.b@example.org", password="Pioggia#Lenta42",
        )
        await d.expect_step("6A")
        await d.click("#continua")
        await d.type_keys("#otp", d.code("laura.b@example.org"))
        await d.click("#continua")
        await d.until(lambda: "account è stato creato" in d.text(), "account created")
