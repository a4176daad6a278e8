"""Start a journey at a step: each startable step reached by a persona through the real
screens (codes sent, audit written), and what happens when the persona's journey goes elsewhere."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Input

from areaclienti_tui import navigator, start_at
from areaclienti_tui.services import outbox
from areaclienti_tui.store.models import AuditEvent
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

# One persona for every step the drive can stop at (the test below checks none is missing).
STARTS = {
    "1A": "Mario Rossi", "2A": "Mario Rossi", "2A-azienda": "Mario Rossi", "3A": "Mario Rossi",
    "4A": "Mario Rossi", "5A": "Mario Rossi", "6A": "Mario Rossi", "7A": "Davide Ricci",
    "7A-fatto": "Mario Rossi", "8A": "Anna Conti", "8A-prodotti": "Giulia Marino", "9A": "Anna Conti",
    "10A": "Stefano Moretti", "11A": "Stefano Moretti", "1B": "Alessandro Greco", "2B": "Alessandro Greco",
    "3B": "Alessandro Greco", "4B": "Alessandro Greco", "4B-fatto": "Alessandro Greco", "5B": "Giorgio Fontana",
    "6B": "Roberto Villa", "7B": "Giorgio Fontana", "gia-registrato": "Anna Conti",
    "senza-polizza": "Paolo Esposito", "recupero-password": "Anna Conti",
}


def test_every_startable_step_has_a_persona_here() -> None:
    assert set(STARTS) == set(start_at.STARTABLE)


async def started(d: Driver, persona: str, step: str) -> bool:
    await d.expect_step("1A")
    accepted = d.app.start_at(persona, step)
    await d.settle()
    await d.until(lambda: not [w for w in d.app.workers if w.group == "avvio" and w.is_running], "the drive")
    return accepted


def here(d: Driver) -> str | None:
    return navigator.step_of(d.app.screen)


def field(d: Driver, screen_step: str, widget_id: str) -> str:
    """What a field of an earlier step of the stack holds (the customer can go back to it)."""
    for screen in d.app.screen_stack:
        if navigator.step_of(screen) == screen_step:
            return screen.query_one(f"#{widget_id}", Input).value
    raise AssertionError(f"no {screen_step} in the stack")


@pytest.mark.parametrize("step", list(STARTS))
async def test_a_persona_is_taken_to_the_step(make_app, step: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        assert await started(d, STARTS[step], step)
        assert here(d) == step, [n.message for n in app._notifications]
        assert d.app.screen.is_mounted


async def test_the_data_are_in_the_fields_as_if_typed_and_the_code_really_sent(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        assert await started(d, "Davide Ricci", "7A")
        assert here(d) == "7A"
        assert field(d, "3A", "nome") == "Davide" and field(d, "3A", "data-nascita") == "05/10/1983"
        assert field(d, "4A", "username") == "3661234567"
        [message] = outbox.latest(app.ctx)
        assert message.channel == "sms" and message.to.endswith("3661234567")
        sent = outbox.newest_code(app.ctx)
        assert sent is not None and len(sent) == 6
        # The person goes on from here: the code typed by hand creates the account.
        await d.type_keys("#otp", sent)
        await d.click("#continua")
        await d.until(lambda: here(d) == "7A-fatto", "7A-fatto")
        with app.ctx.db.session() as session:
            kinds = [e.kind for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert "avvio_lezione" in kinds
        assert kinds.index("avvio_lezione") < len(kinds) - 1  # the journey's own events follow it


async def test_the_forms_the_lesson_stops_at_hold_the_new_mobile(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        assert await started(d, "Giorgio Fontana", "7B")
        assert d.app.screen.query_one("#cellulare", Input).value == "3405550199"


async def test_path_b_keeps_the_codice_fiscale_typed_in_2b(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        assert await started(d, "Alessandro Greco", "3B")
        assert field(d, "2B", "codice-fiscale") == "GRCLSN85D12E506M"
        await d.key("escape")
        await d.until(lambda: here(d) == "2B", "back to 2B")


async def test_a_step_the_persona_never_reaches_is_told_and_the_console_stays_usable(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        d = Driver(pilot)
        assert await started(d, "Anna Conti", "3B")
        messages = [n.message for n in app._notifications]
        assert "il percorso di Anna Conti non passa dal passo 3B: si ferma a gia-registrato" in messages, messages
        assert here(d) == "gia-registrato"
        await d.click("#accedi")
        await d.until(lambda: here(d) == "8A", "8A")


@pytest.mark.parametrize(("persona", "step", "message"), [
    ("Mario Rosi", "3B", "Forse: Mario Rossi?"),
    ("Mario Rossi", "3Z", "non è un passo della mappa"),
])
async def test_an_unknown_persona_or_step_changes_nothing(make_app, persona: str, step: str, message: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        d = Driver(pilot)
        assert not await started(d, persona, step)
        assert any(message in n.message for n in app._notifications), list(app._notifications)
        assert here(d) == "1A"


# -- "Avvia" in the operator's Personas tab --------------------------------------------------


async def open_personas(d: Driver) -> None:
    await d.operator_home()
    await d.open_tab("personas")


@pytest.mark.long(9)
async def test_avvia_in_the_personas_tab_takes_the_persona_to_the_chosen_step(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_personas(d)
        assert app.focused is app.screen.query_one("#avvia-persona")
        await d.choose_option("#avvia-persona", "Giorgio Fontana")
        await d.choose_option("#avvia-passo", "5B")
        await d.click("#avvia")
        await d.until(lambda: here(d) == "5B", "5B")
        await d.until(lambda: not [w for w in app.workers if w.group == "avvio" and w.is_running], "the drive")
        assert here(d) == "5B"
        assert app.operator is not None  # still signed in: F9 goes back to the tools
        await d.key("f9")
        await d.until(lambda: here(d) == "operatore", "the operator's home again")


async def test_avvia_without_a_choice_says_what_is_missing_next_to_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_personas(d)
        await d.choose_option("#avvia-persona", "Mario Rossi")
        await d.click("#avvia")
        assert d.errors().get("avvia-passo") == "Scegli il passo."
        assert app.focused is app.screen.query_one("#avvia-passo")
        assert here(d) == "operatore"
