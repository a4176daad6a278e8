"""Kiosk mode (SPEC §3, §4): only the customer journey, no way out without an operator,
and a journey left idle for 5 minutes is cleared back to 1A."""

from __future__ import annotations

from sqlmodel import select
from textual.command import CommandPalette

from areaclienti_tui.journey import Journey
from areaclienti_tui.services import demo
from areaclienti_tui.services.auth import INVALID_CREDENTIALS
from areaclienti_tui.steps.operator import (
    KioskUnlockModal,
    OperatorHomeScreen,
    OperatorScreen,
)
from areaclienti_tui.store.models import AuditEvent
from areaclienti_tui.widgets.outbox_pane import OutboxPane
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

OPERATOR = demo.OPERATOR_USERNAME
IDLE = 300


def kiosk_app(make_app, demo_ctx, *, check_every: float | None = None):
    demo_ctx.settings.kiosk = True
    app = make_app()
    if check_every is not None:
        app.idle_check_seconds = check_every
    else:
        app.idle_check_seconds = 3600  # the tests call check_kiosk_idle() themselves
    return app


def audit_kinds(ctx) -> list[tuple[str, str]]:
    with ctx.db.session() as session:
        return [(e.kind, e.actor) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


async def ask_to_quit(d: Driver) -> KioskUnlockModal:
    await d.key("ctrl+q")
    await d.until(lambda: isinstance(d.app.screen, KioskUnlockModal), "the operator login of the kiosk")
    await d.settle()
    return d.app.screen  # type: ignore[return-value]


async def operator_unlocks(d: Driver, password: str = demo.OPERATOR_PASSWORD) -> None:
    await d.type_keys("#kiosk-operatore", OPERATOR)
    await d.type_keys("#kiosk-password", password)
    await d.click("#kiosk-accedi")


async def to_personal_data(d: Driver) -> None:
    await d.to_3a()
    await d.type_keys("#nome", "Mario")


# -- no way out -------------------------------------------------------------------------------


async def test_kiosk_has_no_operator_key_no_palette_and_no_outbox(make_app, demo_ctx):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.key("f9")
        assert d.step == "1A" and not any(isinstance(s, OperatorScreen) for s in app.screen_stack)
        await d.key("ctrl+p")
        assert not CommandPalette.is_open(app)
        assert app.check_action("command_palette", ()) is False
        # Codes reach the customer by `outbox --follow` elsewhere, never on the kiosk's screen.
        assert not app.screen.query_one(OutboxPane).display
        await d.key("f2")
        assert not app.screen.query_one(OutboxPane).display
        shown = {binding.action for (_, binding, enabled, _) in app.active_bindings.values() if enabled}
        assert not shown & {"operator", "command_palette", "toggle_outbox"}
        assert app.is_running


async def test_quit_key_asks_an_operator_and_a_wrong_password_keeps_the_kiosk(make_app, demo_ctx):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_personal_data(d)
        modal = await ask_to_quit(d)
        await d.click("#kiosk-accedi")
        assert modal.errors() == {"kiosk-operatore": "Inserisci il nome utente dell'operatore."}
        await operator_unlocks(d, password="Sbagliata#2026")
        await d.until(lambda: modal.errors().get("kiosk-password") == INVALID_CREDENTIALS, "the refusal")
        assert app.screen.query_one("#kiosk-password").value == ""
        assert app.is_running and app.operator is None
        await d.key("ctrl+q")  # asking again does not stack a second window
        assert sum(isinstance(s, KioskUnlockModal) for s in app.screen_stack) == 1
        await d.click("#kiosk-annulla")
        await d.expect_step("3A")
        assert not isinstance(app.screen, KioskUnlockModal)
        assert app.screen.query_one("#nome").value == "Mario"  # the customer's journey is untouched
        assert app.is_running
    assert ("accesso_operatore", OPERATOR) in audit_kinds(demo_ctx)


async def test_right_operator_opens_the_operator_area_and_leaving_signs_out(make_app, demo_ctx):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await ask_to_quit(d)
        await operator_unlocks(d)
        await d.until(lambda: app.screen.query_one("#kiosk-scelta").display, "the operator's choice")
        await d.click("#kiosk-area-operatore")
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen), "operator home")
        assert app.operator == OPERATOR
        await d.settle()
        await d.key("escape")
        await d.expect_step("1A")
        assert app.operator is None  # a kiosk never keeps the area open for the next customer
        assert app.is_running
    assert ("uscita_operatore", OPERATOR) in audit_kinds(demo_ctx)


async def test_right_operator_may_go_back_to_the_kiosk(make_app, demo_ctx):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await ask_to_quit(d)
        await operator_unlocks(d)
        await d.until(lambda: app.screen.query_one("#kiosk-scelta").display, "the operator's choice")
        await d.click("#kiosk-resta")
        await d.expect_step("1A")
        assert not isinstance(app.screen, KioskUnlockModal)
        assert app.operator is None and app.is_running


async def test_right_operator_closes_the_kiosk(make_app, demo_ctx):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await ask_to_quit(d)
        await operator_unlocks(d)
        await d.until(lambda: app.screen.query_one("#kiosk-scelta").display, "the operator's choice")
        await pilot.click("#kiosk-esci")
        for _ in range(200):
            if app.return_code is not None:
                break
            await pilot.pause(0.01)
    assert app.return_code == 0
    assert ("chiosco_chiuso", OPERATOR) in audit_kinds(demo_ctx)


async def test_outside_kiosk_the_quit_key_quits(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await pilot.press("ctrl+q")
        for _ in range(200):
            if app.return_code is not None:
                break
            await pilot.pause(0.01)
    assert app.return_code == 0


# -- idle timeout -------------------------------------------------------------------------------


async def test_idle_journey_is_cleared_after_five_minutes_not_before(make_app, demo_ctx, clock):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_personal_data(d)
        assert app.journey != Journey()
        clock.advance(IDLE - 1)
        assert app.check_kiosk_idle() is False
        assert d.step == "3A" and app.screen.query_one("#nome").value == "Mario"
        clock.advance(1)
        assert app.check_kiosk_idle() is True
        await d.expect_step("1A")
        assert app.journey == Journey()
        assert len(app.screen_stack) == 2
        # Back at 1A with nothing typed, time passing changes nothing.
        clock.advance(IDLE * 3)
        assert app.check_kiosk_idle() is False
        # A new journey starts empty.
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        assert app.screen.query_one("#nome").value == ""


async def test_the_periodic_check_clears_the_journey_by_itself(make_app, demo_ctx, clock):
    app = kiosk_app(make_app, demo_ctx, check_every=0.02)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_personal_data(d)
        clock.advance(IDLE)
        for _ in range(250):  # the timer fires every 20 ms: wait for it, not for a fixed time
            if d.step == "1A":
                break
            await pilot.pause(0.02)
        assert d.step == "1A"
        assert app.journey == Journey()


async def test_activity_restarts_the_idle_time(make_app, demo_ctx, clock):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_personal_data(d)
        clock.advance(200)
        await d.type_keys("#cognome", "Rossi")  # keys
        clock.advance(200)
        assert app.check_kiosk_idle() is False
        await d.click("#data-nascita")  # the mouse
        clock.advance(IDLE - 1)
        assert app.check_kiosk_idle() is False
        assert d.step == "3A" and app.screen.query_one("#cognome").value == "Rossi"
        clock.advance(1)
        assert app.check_kiosk_idle() is True
        await d.expect_step("1A")


async def test_idle_also_closes_an_operator_area_left_open(make_app, demo_ctx, clock):
    app = kiosk_app(make_app, demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await ask_to_quit(d)
        await operator_unlocks(d)
        await d.until(lambda: app.screen.query_one("#kiosk-scelta").display, "the operator's choice")
        await d.click("#kiosk-area-operatore")
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen), "operator home")
        await d.settle()
        clock.advance(IDLE)
        assert app.check_kiosk_idle() is True
        await d.expect_step("1A")
        assert app.operator is None


async def test_without_kiosk_nothing_is_cleared(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await to_personal_data(d)
        clock.advance(IDLE * 10)
        assert app.check_kiosk_idle() is False
        assert d.step == "3A"
