"""Issue 8: Esc means "back one step" or "close this dialog", everywhere.

Leaving a signed-in session asks first (Annulla has the focus); success pages never
go forward on Esc; 6B goes back one step instead of jumping to 1A.
"""

from __future__ import annotations

from textual.widgets import Button, Input

from areaclienti_tui.services import security
from areaclienti_tui.steps.assistance import AssistanceSentScreen
from areaclienti_tui.steps.login import ProductsScreen
from areaclienti_tui.steps.security import BiometricModal
from areaclienti_tui.steps.verification import AccountCreatedScreen
from areaclienti_tui.widgets.modals import ConfirmModal
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver
from tests.pilot.test_security import ANNA, ANNA_MOBILE, ANNA_PASSWORD


async def test_esc_on_the_products_asks_before_ending_the_session(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.login_with_code(ANNA, ANNA_PASSWORD, ANNA_MOBILE)
        assert isinstance(app.screen, ProductsScreen)
        # Esc asks; Enter by habit answers Annulla (it has the focus): still signed in.
        await d.key("escape")
        await d.until(lambda: isinstance(app.screen, ConfirmModal), "the question")
        assert "uscire dall'Area Clienti" in d.text()
        assert isinstance(app.focused, Button) and app.focused.id == "annulla"
        await d.key("enter")
        await d.until(lambda: isinstance(app.screen, ProductsScreen), "the products again")
        assert app.journey.login is not None
        # Esc on the question closes it: still signed in.
        await d.key("escape")
        await d.until(lambda: isinstance(app.screen, ConfirmModal), "the question")
        await d.key("escape")
        await d.until(lambda: isinstance(app.screen, ProductsScreen), "the products again")
        assert app.journey.login is not None
        # Confirmed: out, back at 1A.
        await d.key("escape")
        await d.until(lambda: isinstance(app.screen, ConfirmModal), "the question")
        await d.click("#conferma")
        await d.expect_step("1A")
        assert app.journey.login is None


async def test_esc_on_account_created_stays_there(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        app.push_screen(AccountCreatedScreen("mario.rossi@gmail.com"))
        await d.until(lambda: isinstance(app.screen, AccountCreatedScreen), "7A Fatto")
        screen = app.screen
        await d.key("escape")
        await d.key("escape")
        assert app.screen is screen and d.step == "7A"  # not 8A
        assert "escape" not in app.screen.active_bindings  # and the footer does not offer it
        assert app.focused is screen.query_one("#accedi")


async def test_esc_on_request_sent_stays_there(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        app.push_screen(AssistanceSentScreen(7, origin="11A", email="anna.conti@outlook.it"))
        await d.until(lambda: isinstance(app.screen, AssistanceSentScreen), "request sent")
        screen = app.screen
        await d.key("escape")
        assert app.screen is screen and d.step == "11A"


async def test_esc_on_6b_goes_back_to_2b_with_the_codice_fiscale(make_app):
    """Roberto Villa: recognised nowhere, his codice fiscale is valid but unknown → 6B."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        for widget_id, text in (("nome", "Roberto"), ("cognome", "Villa"), ("data-nascita", "01/01/1970")):
            app.screen.query_one(f"#{widget_id}", Input).value = text
        app.screen.query_one("#sesso").value = "M"
        await d.click("#continua")
        await d.expect_step("4A")
        await d.type_keys("#username", "roberto.villa@gmail.com")
        await d.click("#continua")
        await d.expect_step("5A")
        await d.type_keys("#password", "Girasole#Verde7")
        await d.type_keys("#conferma-password", "Girasole#Verde7")
        await d.click("#privacy")
        await d.click("#registrati")
        await d.expect_step("1B")
        await d.click("#continua")
        await d.expect_step("2B")
        await d.type_keys("#codice-fiscale", "VLLRRT70A01C933Q")
        await d.click("#continua")
        await d.expect_step("6B")
        await d.key("escape")
        await d.expect_step("2B")
        assert app.screen.query_one("#codice-fiscale", Input).value == "VLLRRT70A01C933Q"


async def test_esc_closes_the_biometric_dialog(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        chosen: list[object] = []
        app.push_screen(BiometricModal([security.Enrolment(1, ANNA, "a***i@outlook.it")]), chosen.append)
        await d.until(lambda: isinstance(app.screen, BiometricModal), "the dialog")
        await d.key("escape")
        await d.until(lambda: chosen == [None], "the dialog closed without a choice")
        assert d.step == "1A"
