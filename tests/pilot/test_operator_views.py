"""The operator's tools (SPEC §3): registry search, accounts and unlocking, the audit log,
the personas cheat-sheet, the trainer's demo reset, and all of it from the command palette."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.command import CommandPalette
from textual.widgets import DataTable, Markdown, Static, TabbedContent

from areaclienti_tui.services import auth, demo, registry
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.steps.operator import (
    OPERATOR_COMMANDS,
    OperatorHomeScreen,
    OperatorLoginScreen,
)
from areaclienti_tui.store.models import Account, AuditEvent, Customer
from areaclienti_tui.widgets.modals import ConfirmModal
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver, palette_titles
from tests.pilot.test_keys_in_order import burst

ANNA = demo.REGISTERED_USERNAME
OPERATOR = demo.OPERATOR_USERNAME
MARIO_CF = "RSSMRA75C14H501L"


# -- helpers ---------------------------------------------------------------------------------


def text_of(d: Driver, selector: str) -> str:
    return str(d.app.screen.query_one(selector, Static).render())


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row(key)] for key in table.rows]


def lock_anna(ctx) -> None:
    for _ in range(5):
        with pytest.raises(auth.LoginError):
            auth.customer_login(ctx, ANNA, "Sbagliata#123")


def anna(ctx) -> Account:
    with ctx.db.session() as session:
        return session.exec(select(Account).where(Account.username == ANNA)).one()


def audit_events(ctx, kind: str) -> list[AuditEvent]:
    with ctx.db.session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.kind == kind)).all())


def give_mario_an_account(ctx) -> None:
    with ctx.db.transaction() as session:
        mario = session.exec(select(Customer).where(Customer.codice_fiscale == MARIO_CF)).one()
        session.add(Account(customer_id=mario.id, username="mario.rossi@gmail.com", username_kind="email",
                            password_hash=hash_password("Girasole#Verde7", 4), created_at=ctx.clock.now()))


def mario_has_an_account(ctx) -> bool:
    with ctx.db.session() as session:
        return session.exec(select(Account).where(Account.username == "mario.rossi@gmail.com")).first() is not None


async def search(d: Driver, text: str) -> DataTable:
    await d.type_keys("#ricerca-anagrafe", text)
    await d.key("enter")
    table = d.app.screen.query_one("#risultati-anagrafe", DataTable)
    await d.until(lambda: f"«{text}»" in text_of(d, "#anagrafe-esito"), f"results for {text!r}")
    if table.row_count:
        await d.until(lambda: d.app.screen.query_one("#scheda-cliente").display, "customer file")
    return table


# -- registry -------------------------------------------------------------------------------


async def test_search_mario_rossi_shows_policies_contacts_and_account(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.open_tab("anagrafe")
        assert app.focused is not None
        table = await search(d, "rossi mario")
        assert rows(table)[0][:4] == ["Rossi Mario", MARIO_CF, "14/03/1975", "—"]
        assert "Mario Rossi" in text_of(d, "#cliente-dati") and MARIO_CF in text_of(d, "#cliente-dati")
        assert "INA-2024-000101" in text_of(d, "#cliente-polizze")
        assert "attiva" in text_of(d, "#cliente-polizze")
        contacts = text_of(d, "#cliente-recapiti")
        assert "mario.rossi@gmail.com" in contacts and "+39 347 123 4567" in contacts  # operators see it all
        assert "Nessun account" in text_of(d, "#cliente-account")
        assert not app.screen.query_one("#anagrafe-sblocca").display
        # A customer with an account, found by the mobile typed in another form.
        await search(d, "+39 338 123 4567")
        await d.until(lambda: "Anna Conti" in text_of(d, "#cliente-dati"), "Anna's file")
        account = text_of(d, "#cliente-account")
        assert ANNA in account and "Attivo" in account and "Ultimo accesso: mai" in account
    searches = audit_events(demo_ctx, "ricerca_anagrafe")
    assert [(e.actor, e.subject) for e in searches] == [(OPERATOR, "rossi mario"), (OPERATOR, "+39 338 123 4567")]


async def test_moving_through_the_results_shows_each_file(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.open_tab("anagrafe")
        table = await search(d, "rossi")
        assert [row[0] for row in rows(table)] == ["Rossi Mario", "De Luca Rossi Lucia"]
        table.focus()
        await d.key("down")
        await d.until(lambda: "Lucia De Luca Rossi" in text_of(d, "#cliente-dati"), "the second file")
        await search(d, "nessuno inesistente")
        assert "Nessun cliente trovato" in text_of(d, "#anagrafe-esito")
        assert not table.display and not app.screen.query_one("#scheda-cliente").display
        await d.type_keys("#ricerca-anagrafe", "x")
        await d.key("enter")
        assert "almeno 2 caratteri" in text_of(d, "#anagrafe-esito")


async def test_a_locked_account_is_unlocked_from_the_registry(make_app, demo_ctx, clock):
    lock_anna(demo_ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.open_tab("anagrafe")
        await search(d, "conti anna")
        assert "Bloccato fino alle" in text_of(d, "#cliente-account")
        assert app.screen.query_one("#risultati-anagrafe", DataTable).get_row_at(0)[3] == "bloccato"
        assert app.screen.query_one("#anagrafe-sblocca").display
        await d.click("#anagrafe-sblocca")
        await d.answer_confirmation("#conferma")
        await d.until(lambda: "Attivo" in text_of(d, "#cliente-account"), "unlocked file")
        assert not app.screen.query_one("#anagrafe-sblocca").display
    assert (anna(demo_ctx).failed_logins, anna(demo_ctx).locked_until) == (0, None)
    [event] = audit_events(demo_ctx, "account_sbloccato")
    assert (event.actor, event.subject) == (OPERATOR, ANNA)


# -- accounts ---------------------------------------------------------------------------------


async def test_locked_account_appears_and_is_unlocked_with_confirmation(make_app, demo_ctx, clock):
    lock_anna(demo_ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        table = await d.accounts_tab()
        [row] = rows(table)
        assert row[0] == ANNA and row[1] == "Anna Conti" and row[4] == "5"
        assert row[5].startswith("Bloccato")  # "Bloccato→HH:MM" when the full form does not fit
        blocks = app.screen.query_one("#blocchi", DataTable)
        assert rows(blocks)[0][1:] == [ANNA, "cliente", "5 errori di fila → 1 min"]
        await d.click("#solo-bloccati")
        await d.until(lambda: "1 account, 1 bloccato" in text_of(d, "#account-conteggio"), "only locked")
        # Cancelling changes nothing...
        table.focus()
        await d.click("#sblocca-account")
        await d.answer_confirmation("#annulla")
        assert anna(demo_ctx).failed_logins == 5
        assert audit_events(demo_ctx, "account_sbloccato") == []
        # ...confirming unlocks, and the list (only locked ones) empties.
        await d.click("#sblocca-account")
        await d.answer_confirmation("#conferma")
        await d.until(lambda: table.row_count == 0, "no locked account left")
        assert "Nessun account bloccato" in text_of(d, "#account-vuoto")
        await d.click("#solo-bloccati")
        await d.until(lambda: table.row_count == 1, "all accounts")
        assert rows(table)[0][4:] == ["0", "Attivo"]
    assert (anna(demo_ctx).failed_logins, anna(demo_ctx).locked_until) == (0, None)
    [event] = audit_events(demo_ctx, "account_sbloccato")
    assert (event.actor, event.subject, event.outcome) == (OPERATOR, ANNA, "ok")


async def test_accounts_filter_and_live_lockouts(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        table = await d.accounts_tab()
        assert "Nessun blocco registrato" in text_of(d, "#blocchi-vuoto")
        await d.type_keys("#filtro-account", "rossi")
        await d.until(lambda: table.row_count == 0, "filtered out")
        await d.type_keys("#filtro-account", "cntnna")
        await d.until(lambda: table.row_count == 1, "found by codice fiscale")
        # A lockout happening now shows up without reloading by hand.
        lock_anna(demo_ctx)
        await d.until(lambda: rows(table)[0][5].startswith("Bloccato"), "live lock state")
        await d.until(lambda: app.screen.query_one("#blocchi", DataTable).row_count == 1, "live lockout")
        # Nothing locked: the button says so instead of asking.
        await d.click("#sblocca-account")
        await d.answer_confirmation("#conferma")
        await d.until(lambda: rows(table)[0][5] == "Attivo", "unlocked")
        await d.click("#sblocca-account")
        await d.settle()
        assert not isinstance(app.screen, ConfirmModal)
        assert len(audit_events(demo_ctx, "account_sbloccato")) == 1


# -- audit log ---------------------------------------------------------------------------------


async def test_audit_log_newest_first_live_and_filtered(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.open_tab("registro-audit")
        table = app.screen.query_one("#audit", DataTable)
        await d.until(lambda: table.row_count > 0, "audit rows")
        assert rows(table)[0][1:5] == ["accesso_operatore", "ok", OPERATOR, OPERATOR]  # newest first
        # A new event appears by itself.
        registry.search(demo_ctx, "Mario Rossi", operator="altro.operatore")
        await d.until(lambda: rows(table)[0][1:5] == ["ricerca_anagrafe", "ok", "altro.operatore", "Mario Rossi"],
                      "live audit row")
        registry.search(demo_ctx, "Giulia Marino", operator=OPERATOR)
        await d.until(lambda: rows(table)[0][4] == "Giulia Marino", "second search")
        # By kind...
        await d.choose_option("#filtro-tipo", "Ricerca in anagrafe")
        await d.until(lambda: table.row_count == 2, "only searches")
        assert {row[1] for row in rows(table)} == {"ricerca_anagrafe"}
        assert "2 eventi" in text_of(d, "#audit-conteggio")
        # ...and by text, together.
        await d.type_keys("#filtro-audit", "altro")
        await d.until(lambda: table.row_count == 1, "search by altro.operatore")
        assert rows(table)[0][3] == "altro.operatore"
        await d.type_keys("#filtro-audit", "nessuna corrispondenza")
        await d.until(lambda: table.row_count == 0, "nothing")
        assert "Nessun evento" in text_of(d, "#audit-vuoto")


# -- personas ----------------------------------------------------------------------------------


async def test_personas_tab_shows_the_cheat_sheet(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.open_tab("personas")
        sheet = app.screen.query_one("#personas-testo", Markdown)
        await d.until(lambda: "Mario Rossi" in (sheet.source or ""), "the cheat-sheet")
        expected = demo_ctx.settings.personas_file.with_name("personas.md").read_text(encoding="utf-8")
        assert sheet.source == expected
        await d.until(lambda: bool(sheet.query("MarkdownTable")), "the personas table rendered")


# -- trainer tools --------------------------------------------------------------------------------


async def test_reset_demo_from_the_trainer_tab(make_app, demo_ctx):
    give_mario_an_account(demo_ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.open_tab("formatore")
        assert "outbox --follow" in (app.screen.query_one("#note-formatore", Markdown).source or "")
        await d.click("#ripristina-demo")
        await d.answer_confirmation("#annulla")
        assert mario_has_an_account(demo_ctx)
        assert "annullato" in text_of(d, "#ripristino-esito")
        await d.click("#ripristina-demo")
        await d.answer_confirmation("#conferma")
        await d.until(lambda: not mario_has_an_account(demo_ctx), "the data reset")
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen)
                      and "Dati demo ripristinati" in text_of(d, "#ripristino-esito"), "the summary")
        assert "19 righe lette" in text_of(d, "#ripristino-esito")
        assert app.screen.query_one("#schede", TabbedContent).active == "formatore"
        assert app.operator == OPERATOR  # the demo operator exists again: still signed in
        assert len(app.screen_stack) == 3  # 1A underneath, the journey started again
    assert anna(demo_ctx).failed_logins == 0
    [event] = audit_events(demo_ctx, "demo_ripristinata")
    assert event.actor == OPERATOR


# -- command palette --------------------------------------------------------------------------------


async def test_palette_lists_every_operator_action(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        commands = await d.open_palette()
        titles = [c.title for c in OPERATOR_COMMANDS]
        await d.until(lambda: set(titles) <= set(palette_titles(commands)), "operator commands listed")
        assert titles == [
            "Operatore: accedi", "Operatore: coda assistenza", "Operatore: cerca in anagrafe",
            "Operatore: account bloccati", "Operatore: registro audit", "Operatore: personas", "Operatore: verifica dati",
            "Operatore: ripristina dati demo", "Operatore: esci",
        ]
        await d.pilot.press(*"anagrafe")
        await d.until(lambda: palette_titles(commands)[:1] == ["Operatore: cerca in anagrafe"], "best match")


async def test_palette_queue_without_login_shows_the_login_then_the_queue(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.run_command("Operatore: coda assistenza")
        await d.until(lambda: isinstance(app.screen, OperatorLoginScreen), "operator login")
        assert app.operator is None and not app.screen.query("#richieste")
        await d.settle()
        await d.operator_sign_in()
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen)
                      and app.screen.query_one("#schede", TabbedContent).active == "coda", "the queue")
        # Signed in, the commands go straight to their tool.
        await d.run_command("Operatore: registro audit")
        await d.until(lambda: app.screen.query_one("#schede", TabbedContent).active == "registro-audit", "audit tab")
        await d.run_command("Operatore: account bloccati")
        await d.until(lambda: app.screen.query_one("#schede", TabbedContent).active == "account", "accounts")
        assert app.screen.query_one("#solo-bloccati").value is True
        await d.run_command("Operatore: esci")
        await d.expect_step("1A")
        assert app.operator is None


async def test_enter_typed_with_the_search_runs_the_entry_the_search_finds(make_app):
    """A person types the command and Enter in one breath: Enter waits for the search that is
    still running and runs what it puts first, not the first entry of the list shown before."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.open_operator_login()
        await d.operator_sign_in()
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen), "operator home")
        tabs = app.screen.query_one("#schede", TabbedContent)
        for _ in range(3):  # the same burst, a few times: the search is caught at different moments
            await d.open_palette()
            burst(app, *"registro audit", "enter")
            await d.until(lambda: not CommandPalette.is_open(app), "palette closed")
            await d.settle()
            assert isinstance(app.screen, OperatorHomeScreen) and tabs.active == "registro-audit"
            tabs.active = "coda"
            await d.settle()


async def test_palette_search_from_the_journey_after_login(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.run_command("Operatore: cerca in anagrafe")
        await d.until(lambda: isinstance(app.screen, OperatorLoginScreen), "operator login")
        await d.settle()
        await d.operator_sign_in()
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen)
                      and app.screen.query_one("#schede", TabbedContent).active == "anagrafe", "registry")
        await d.until(lambda: app.focused is app.screen.query_one("#ricerca-anagrafe"), "focus on the search")
        # Back to the journey: the operator stays signed in and the palette reopens the area.
        await d.key("escape")
        await d.expect_step("1A")
        await d.run_command("Operatore: personas")
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen)
                      and app.screen.query_one("#schede", TabbedContent).active == "personas", "personas")


async def test_palette_reset_demo_asks_confirmation(make_app, demo_ctx):
    give_mario_an_account(demo_ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.key("escape")  # back to the journey, still signed in
        await d.expect_step("1A")
        await d.run_command("Operatore: ripristina dati demo")
        await d.answer_confirmation("#annulla")
        assert mario_has_an_account(demo_ctx)
        await d.run_command("Operatore: ripristina dati demo")
        await d.answer_confirmation("#conferma")
        await d.until(lambda: not mario_has_an_account(demo_ctx), "the data reset")
        await d.until(lambda: isinstance(app.screen, OperatorHomeScreen)
                      and "Dati demo ripristinati" in text_of(d, "#ripristino-esito"), "the summary")
    assert [e.actor for e in audit_events(demo_ctx, "demo_ripristinata")] == [OPERATOR]


async def test_palette_reset_without_login_asks_the_login_first(make_app, demo_ctx):
    give_mario_an_account(demo_ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.run_command("Operatore: ripristina dati demo")
        await d.until(lambda: isinstance(app.screen, OperatorLoginScreen), "operator login")
        await d.settle()
        assert mario_has_an_account(demo_ctx)
        await d.operator_sign_in()
        await d.answer_confirmation("#annulla")
        assert mario_has_an_account(demo_ctx)
        assert isinstance(app.screen, OperatorHomeScreen)
