"""Recovery and lockout look the same for known and unknown usernames (SPEC §4, no enumeration)."""

from __future__ import annotations

import pytest

from areaclienti_tui.services import codes, limits, security
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

ANNA = "anna.conti@outlook.it"
UNKNOWN = "nessuno.qui@outlook.it"


def _customer_text(app) -> str:
    """What the customer's side shows: the step screen without the messages pane (the simulated phone)."""
    shown = []
    for widget in app.screen.query("Static, Label, Button"):
        if any(type(a).__name__ == "OutboxPane" for a in widget.ancestors):
            continue
        shown.append(str(widget.render()))
    return " ".join(shown)


async def ask_for_recovery(d: Driver, username: str) -> None:
    """From 1A: Accedi, the username, "Password dimenticata?", then "Invia il codice"."""
    await d.click("#accedi")
    await d.type_keys("#username", username)
    await d.click("#password-dimenticata")
    await d.expect_step("recupero-password")
    await d.click("#continua")


def _toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _recovery_transcript(make_app, clock, username: str) -> list[str]:
    """What the person sees: after asking for the code, after two wrong codes, after a resend."""
    app = make_app()
    seen: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await ask_for_recovery(d, username)
        await d.until(lambda: app.screen.query("#otp"), "the code screen")
        seen.append(_customer_text(app))
        for _ in range(2):
            await d.type_keys("#otp", "000000")
            await d.click("#continua")
            await d.until(lambda: d.error("otp") is not None, "the code's error")
            seen.append(d.error("otp") or "")
        clock.advance(30)
        await pilot.pause()
        await d.until(lambda: not app.screen.query_one("#reinvia-codice").disabled, "resend enabled")
        seen.append(_customer_text(app))
        await d.click("#reinvia-codice")
        await d.until(lambda: len(_toasts(app)) > 0, "the resend notice")
        seen.extend(_toasts(app))
        seen.append(_customer_text(app))
    return seen


@pytest.mark.long(21)
async def test_recovery_screens_are_identical_for_known_and_unknown_names(make_app, clock, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "123456")
    known = await _recovery_transcript(make_app, clock, ANNA)
    unknown = await _recovery_transcript(make_app, clock, UNKNOWN)
    assert known == unknown
    assert "Ti restano 4 tentativi" in known[1] and "Ti restano 3 tentativi" in known[2]
    assert "o***i@outlook.it" not in " ".join(known) and "a***i@outlook.it" not in " ".join(known)


@pytest.mark.parametrize("username", [ANNA, UNKNOWN])
async def test_fifth_wrong_password_locks_known_and_unknown_names_alike(make_app, username):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        for _ in range(4):
            await d.login(username, "Sbagliata#123")
            assert d.error("password") == "Nome utente o password non corretti."
        await d.login(username, "Sbagliata#123")
        assert d.error("password") == "Troppi tentativi non riusciti: accesso bloccato. Riprova tra 1 minuto."


async def test_too_many_codes_to_one_contact_is_said_next_to_the_field(make_app, demo_ctx):
    demo_ctx.settings.codes_per_destination = 1
    security.start_recovery(demo_ctx, UNKNOWN)  # the one code this name may receive in the window
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await ask_for_recovery(d, UNKNOWN)
        await d.until(lambda: d.error("username") is not None, "the limit message")
        assert "troppi codici per questo recapito" in (d.error("username") or "")
        assert app.current_step == "recupero-password" and app.screen.query_one("#username").value == UNKNOWN


async def test_registration_when_the_contact_got_too_many_codes_keeps_the_form(make_app, demo_ctx):
    demo_ctx.settings.codes_per_destination = 1
    with demo_ctx.db.transaction() as session:  # one code already went to this contact
        limits.bump(demo_ctx, session, limits.SENDS, limits.subject_key(demo_ctx, limits.SENDS, "mario.rossi@gmail.com"),
                    window_seconds=900)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.register_until_code(
            nome="Mario", cognome="Rossi", data="14/03/1975", sesso="Maschio",
            username="mario.rossi@gmail.com", password="Girasole#Verde7",
        )
        await d.until(lambda: any("troppi codici" in str(n.message) for n in app._notifications), "the notice")
        assert app.current_step == "5A"
        assert app.screen.query_one("#password").value == "Girasole#Verde7"
