"""Every wrong input in 3A, 4A and 5A gets its Italian message at its field,
and what was typed in the other fields stays."""

from __future__ import annotations

import pytest

from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nome", "", "Inserisci il nome"),
        ("nome", "Mario2", "nome"),
        ("cognome", "", "Inserisci il cognome"),
        ("data-nascita", "", "Inserisci la data di nascita"),
        ("data-nascita", "14/03/75", "GG/MM/AAAA"),  # typed key by key, an ISO date is read day first now
        ("data-nascita", "31/02/1980", "non esiste"),
        ("data-nascita", "01/01/2090", "futuro"),
        ("data-nascita", "01/01/2015", "18"),
    ],
)
async def test_3a_field_errors_keep_other_fields(make_app, field, value, message):
    app = make_app()
    good = {"nome": "Mario", "cognome": "Rossi", "data-nascita": "14/03/1975"}
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        for widget_id, text in good.items():
            await d.type_keys(f"#{widget_id}", value if widget_id == field else text)
        await d.choose_option("#sesso", "Maschio")
        await d.click("#continua")
        assert d.step == "3A"
        error = d.error(field)
        assert error and message.lower() in error.lower(), d.errors()
        assert set(d.errors()) == {field}
        for widget_id, text in good.items():
            if widget_id != field:
                assert app.screen.query_one(f"#{widget_id}").value == text
        # Correcting the field clears its message and lets the customer go on.
        await d.type_keys(f"#{field}", good[field])
        assert d.error(field) is None
        await d.click("#continua")
        await d.expect_step("4A")


async def test_3a_sex_required_and_all_errors_shown_together(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.type_keys("#nome", "Mario")
        await d.click("#continua")
        assert set(d.errors()) == {"cognome", "data-nascita", "sesso"}
        assert "sesso" in d.error("sesso").lower()
        assert app.screen.query_one("#nome").value == "Mario"


async def _to_4a(d: Driver) -> None:
    await d.to_3a()
    await d.personal_data("Mario", "Rossi", "14/03/1975", "Maschio")
    await d.click("#continua")
    await d.expect_step("4A")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Inserisci un indirizzo email o un numero di cellulare"),
        ("mario.rossi@", "email non valid"),
        ("mario.rossi@pec.it", "PEC"),
        ("mario@studio.pec.ordine.it", "PEC"),
        ("+393471234567", "senza +39"),
        ("347.123.4567", "senza punti"),
        ("347 1234567", "senza spazi"),
        ("0612345678", "cellulare italiano"),
        ("anna.conti@outlook.it", "già il nome utente"),
    ],
)
async def test_4a_username_errors(make_app, value, message):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_4a(d)
        await d.type_keys("#username", value)
        await d.click("#continua")
        assert d.step == "4A"
        assert message.lower() in (d.error("username") or "").lower(), d.errors()
        assert app.screen.query_one("#username").value == value
        # Back to 3A finds the data as typed.
        await d.click("#indietro")
        await d.expect_step("3A")
        assert app.screen.query_one("#cognome").value == "Rossi"
        assert app.screen.query_one("#sesso").value == "M"


async def _to_5a(d: Driver) -> None:
    await _to_4a(d)
    await d.type_keys("#username", "mario.rossi@gmail.com")
    await d.click("#continua")
    await d.expect_step("5A")


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("", "", "password", "Inserisci"),
        ("Ab1cdef", "Ab1cdef", "password", "8"),
        ("Abcd1234567890xyz", "Abcd1234567890xyz", "password", "16"),
        ("girasole#verde7", "girasole#verde7", "password", "maiuscola"),
        ("GIRASOLE#VERDE7", "GIRASOLE#VERDE7", "password", "minuscola"),
        ("Girasole#Verde", "Girasole#Verde", "password", "numero"),
        ("Password1", "Password1", "password", "comune"),
        ("Rossi#Verde77", "Rossi#Verde77", "password", "cognome"),
        ("Mario#Verde77", "Mario#Verde77", "password", "nome"),
        ("Girasole#Verde7", "", "conferma-password", "Ripeti"),
        ("Girasole#Verde7", "Girasole#Verde8", "conferma-password", "non coincidono"),
    ],
)
async def test_5a_password_errors(make_app, password, confirm, field, message):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_5a(d)
        await d.type_keys("#password", password)
        await d.type_keys("#conferma-password", confirm)
        await d.click("#privacy")
        await d.click("#registrati")
        assert d.step == "5A"
        assert message.lower() in (d.error(field) or "").lower(), d.errors()
        assert app.screen.query_one("#privacy").value is True


async def test_5a_consent_required_and_checklist_is_live(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_5a(d)
        await d.type_keys("#password", "girasole")
        assert "○" in str(app.screen.query_one("#requisito-upper").render())
        assert "✔" in str(app.screen.query_one("#requisito-length").render())
        await d.type_keys("#password", "Girasole#Verde7")
        assert "✔" in str(app.screen.query_one("#requisito-upper").render())
        assert "✔" in str(app.screen.query_one("#requisito-digit").render())
        await d.type_keys("#conferma-password", "Girasole#Verde7")
        await d.click("#registrati")
        assert "informativa" in (d.error("privacy") or "").lower()
        assert app.screen.query_one("#password").value == "Girasole#Verde7"


async def test_5a_privacy_notice_opens_in_a_modal(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_5a(d)
        await d.click("#informativa")
        assert "Versione: 2026-01" in app.screen.query_one("#testo-documento").query_one("Markdown").source
        assert d.step == "5A"
        await d.key("escape")
        assert app.screen.query_one("#password") is not None


async def test_back_and_forward_keep_what_was_typed(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_5a(d)
        await d.type_keys("#password", "Girasole#Verde7")
        await d.key("escape")
        await d.expect_step("4A")
        assert app.screen.query_one("#username").value == "mario.rossi@gmail.com"
        await d.click("#continua")
        await d.expect_step("5A")
        assert app.screen.query_one("#password").value == "Girasole#Verde7"
