"""7A: wrong code, expired code, too many tries, resend after the cooldown."""

from __future__ import annotations

from sqlmodel import select

from areaclienti_tui.services import outbox
from areaclienti_tui.store.models import Account
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

EMAIL = "mario.rossi@gmail.com"


async def _to_7a(d: Driver) -> None:
    await d.register_until_code(
        nome="Mario", cognome="Rossi", data="14/03/1975", sesso="Maschio",
        username=EMAIL, password="Girasole#Verde7",
    )
    await d.expect_step("6A")
    await d.click("#continua")
    await d.expect_step("7A")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _accounts(app) -> int:
    with app.ctx.db.session() as session:
        return len(session.exec(select(Account).where(Account.username == EMAIL)).all())


async def test_wrong_code_counts_tries_then_voids_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_7a(d)
        code = d.code(EMAIL)
        for remaining in (4, 3, 2, 1):
            await d.type_keys("#otp", _wrong(code))
            await d.click("#continua")
            assert f"{remaining} tentativ" in d.error("otp"), d.errors()
        await d.type_keys("#otp", _wrong(code))
        await d.click("#continua")
        assert "Troppi tentativi" in d.error("otp")
        await d.type_keys("#otp", code)
        await d.click("#continua")
        assert "non è più valido" in d.error("otp") or "Nessun codice" in d.error("otp")
        assert d.step == "7A" and _accounts(app) == 0


async def test_code_format_checked_at_the_field(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_7a(d)
        await d.click("#continua")
        assert "Inserisci il codice" in d.error("otp")
        await d.type_keys("#otp", "123")
        await d.click("#continua")
        assert "6 cifre" in d.error("otp")


async def test_expired_code_is_refused(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_7a(d)
        code = d.code(EMAIL)
        clock.advance(300)
        await d.type_keys("#otp", code)
        await d.click("#continua")
        assert "scaduto" in d.error("otp")
        assert _accounts(app) == 0


async def test_resend_after_cooldown_voids_the_old_code(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_7a(d)
        first = d.code(EMAIL)
        resend = app.screen.query_one("#reinvia-codice")
        assert resend.disabled
        assert "tra 30 s" in str(app.screen.query_one("#reinvio-stato").render())
        clock.advance(30)
        await d.until(lambda: not resend.disabled, "resend enabled")
        await d.click("#reinvia-codice")
        await d.until(lambda: len(outbox.latest(app.ctx)) == 2, "second code")
        second = d.code(EMAIL)
        assert resend.disabled
        await d.type_keys("#otp", first)
        await d.click("#continua")
        assert d.error("otp") and _accounts(app) == 0
        await d.type_keys("#otp", second)
        await d.click("#continua")
        await d.until(lambda: "account è stato creato" in d.text(), "account created")
        assert _accounts(app) == 1


async def test_resends_are_limited_to_three(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await _to_7a(d)
        resend = app.screen.query_one("#reinvia-codice")
        for _ in range(3):
            clock.advance(30)
            await d.until(lambda: not resend.disabled, "resend enabled")
            await d.click("#reinvia-codice")
        clock.advance(30)
        await d.until(lambda: "numero massimo" in str(app.screen.query_one("#reinvio-stato").render()), "limit")
        assert resend.disabled
