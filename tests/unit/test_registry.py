"""The operator's registry search and customer file, and account unlocking (SPEC §3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from codicefiscale import codicefiscale
from sqlmodel import select

from areaclienti_tui.services import accounts, auth, demo, importer, registry
from areaclienti_tui.services.accounts import AccountError
from areaclienti_tui.services.registry import RegistryError
from areaclienti_tui.store.models import (
    Account,
    AssistanceRequest,
    AuditEvent,
    Contact,
    Customer,
    TrustedDevice,
)
from tests.test_postgres import pg_admin_url, pg_ctx, pg_url  # noqa: F401 - fixtures of the PostgreSQL test

MARIO_CF = "RSSMRA75C14H501L"
RUSSO_CF = "RSSGNN77M25G27PZ"  # stored omocode
RUSSO_BASE = "RSSGNN77M25G273D"
ANNA = demo.REGISTERED_USERNAME
OPERATOR = demo.OPERATOR_USERNAME


def names(results: list[registry.CustomerSummary]) -> list[str]:
    return [r.full_name for r in results]


def customer_id(ctx, codice_fiscale: str) -> int:
    with ctx.db.session() as session:
        return session.exec(select(Customer.id).where(Customer.codice_fiscale == codice_fiscale)).one()


def anna_account(ctx) -> Account:
    with ctx.db.session() as session:
        return session.exec(select(Account).where(Account.username == ANNA)).one()


def lock_anna(ctx) -> None:
    for _ in range(5):
        with pytest.raises(auth.LoginError):
            auth.customer_login(ctx, ANNA, "Sbagliata#123")


def audit_rows(ctx, kind: str) -> list[AuditEvent]:
    with ctx.db.session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.kind == kind)).all())


# -- search by name ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Mario Rossi", "rossi mario", "ROSSI  MARIO", " mario   rossi ", "Rossi, Mario"])
def test_name_in_either_order_finds_mario_first(demo_ctx, text):
    results = registry.search(demo_ctx, text)
    assert names(results)[0] == "Mario Rossi"
    assert results[0].codice_fiscale == MARIO_CF
    assert registry.BY_NAME in results[0].matched_by


def test_a_surname_finds_every_customer_who_has_it(demo_ctx):
    assert set(names(registry.search(demo_ctx, "rossi"))) == {"Mario Rossi", "Lucia De Luca Rossi"}


@pytest.mark.parametrize(
    "text", ["Niccolò Dell'Acqua", "niccolo dell acqua", "DELLACQUA", "dell’acqua niccolò", "Dell'Àcqua"]
)
def test_accents_apostrophes_and_spacing_are_ignored(demo_ctx, text):
    assert names(registry.search(demo_ctx, text)) == ["Niccolò Dell'Acqua"]


def test_double_names_and_hyphens(demo_ctx):
    assert names(registry.search(demo_ctx, "maria grazia d'angelo")) == ["Maria Grazia D'Angelo"]
    assert names(registry.search(demo_ctx, "DeLuca Rossi")) == ["Lucia De Luca Rossi"]
    assert names(registry.search(demo_ctx, "bianchi ferrari")) == ["Andrea Bianchi-Ferrari"]


def test_homonyms_are_both_listed(demo_ctx):
    results = registry.search(demo_ctx, "Luca Ferrari")
    assert sorted(r.luogo_nascita for r in results) == ["Bologna", "Modena"]


@pytest.mark.parametrize("text", ["", " ", "x", "%", "zzz qqq", "%%", "__"])
def test_nothing_or_too_little_finds_nobody(demo_ctx, text):
    assert registry.search(demo_ctx, text) == []


def test_like_wildcards_are_taken_literally(demo_ctx):
    assert registry.search(demo_ctx, "mario%rossi") == []
    assert registry.search(demo_ctx, "m_rio.rossi@gmail.com") == []


def test_limit(demo_ctx):
    assert len(registry.search(demo_ctx, "gmail.com")) > 3
    assert len(registry.search(demo_ctx, "gmail.com", limit=3)) == 3


# -- search by codice fiscale -----------------------------------------------------------


@pytest.mark.parametrize("text", [MARIO_CF, MARIO_CF.lower(), "RSSMRA 75C14 H501L", "RSSMRA75", "rssmra75c14h"])
def test_codice_fiscale_whole_or_beginning(demo_ctx, text):
    results = registry.search(demo_ctx, text)
    assert names(results) == ["Mario Rossi"]
    assert results[0].matched_by == (registry.BY_CF,)


@pytest.mark.parametrize("text", [RUSSO_CF, RUSSO_BASE, "RSSGNN77M25G27P", "RSSGNN77M25G273", "RSSGNN77M25G2"])
def test_omocode_codice_fiscale_in_either_form(demo_ctx, text):
    assert names(registry.search(demo_ctx, text)) == ["Giovanni Russo"]


def test_an_omocode_variant_finds_a_customer_stored_in_the_base_form(demo_ctx):
    body = MARIO_CF[:14] + "M"  # the last digit, 1, written as its omocodia letter
    variant = body + codicefiscale.encode_cin(body)
    assert variant != MARIO_CF
    assert names(registry.search(demo_ctx, variant)) == ["Mario Rossi"]
    assert names(registry.search(demo_ctx, body)) == ["Mario Rossi"]


def test_an_unknown_codice_fiscale_finds_nobody(demo_ctx):
    assert registry.search(demo_ctx, "VLLRRT70A01C933Q") == []


# -- search by contact --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["mario.rossi@gmail.com", "MARIO.ROSSI@GMAIL.COM", "mario.rossi@", "mario.rossi"])
def test_email_or_part_of_it(demo_ctx, text):
    results = registry.search(demo_ctx, text)
    assert names(results) == ["Mario Rossi"]
    assert registry.BY_CONTACT in results[0].matched_by


def test_email_domain_finds_the_customer_with_that_second_address(demo_ctx):
    assert names(registry.search(demo_ctx, "costaprogetti")) == ["Simone Costa"]


@pytest.mark.parametrize(
    "text",
    ["3471234567", "+39 347 123 4567", "+393471234567", "347.123.4567", "347 1234567", "0039 347 123 4567",
     "393471234567", "(347) 123-4567"],
)
def test_mobile_typed_in_any_form(demo_ctx, text):
    results = registry.search(demo_ctx, text)
    assert names(results) == ["Mario Rossi"]
    assert results[0].matched_by == (registry.BY_CONTACT,)


def test_last_digits_of_a_mobile(demo_ctx):
    assert names(registry.search(demo_ctx, "4321")) == ["Alessandro Grieco"]
    assert set(names(registry.search(demo_ctx, "1234567"))) == {"Mario Rossi", "Anna Conti", "Davide Ricci"}
    assert registry.search(demo_ctx, "567") == []  # too few digits to mean anything


def test_a_mobile_added_by_assistance_is_found_too(demo_ctx):
    russo = customer_id(demo_ctx, RUSSO_CF)
    with demo_ctx.db.transaction() as session:
        session.add(Contact(customer_id=russo, kind="mobile", value="+393405550123", source="assistenza",
                            created_at=demo_ctx.clock.now()))
    assert names(registry.search(demo_ctx, "340 555 0123")) == ["Giovanni Russo"]


def test_search_results_tell_the_account_and_its_lock(demo_ctx):
    [anna] = registry.search(demo_ctx, "Anna Conti")
    assert (anna.username, anna.locked) == (ANNA, False)
    [mario] = registry.search(demo_ctx, "Mario Rossi")
    assert (mario.username, mario.locked) == (None, False)
    lock_anna(demo_ctx)
    [anna] = registry.search(demo_ctx, "conti")
    assert anna.locked is True


def test_an_operators_search_is_audited_and_a_plain_one_is_not(demo_ctx):
    registry.search(demo_ctx, "mario rossi")
    assert audit_rows(demo_ctx, "ricerca_anagrafe") == []
    registry.search(demo_ctx, "mario rossi", operator=OPERATOR)
    registry.search(demo_ctx, "nessuno qui", operator=OPERATOR)
    rows = audit_rows(demo_ctx, "ricerca_anagrafe")
    assert [(r.actor, r.subject) for r in rows] == [(OPERATOR, "mario rossi"), (OPERATOR, "nessuno qui")]
    assert '"risultati": 1' in rows[0].details and '"risultati": 0' in rows[1].details


# -- one customer's file --------------------------------------------------------------


def test_detail_of_a_customer_without_account(demo_ctx):
    detail = registry.customer_detail(demo_ctx, customer_id(demo_ctx, MARIO_CF))
    assert (detail.nome, detail.cognome, detail.codice_fiscale, detail.sesso) == ("Mario", "Rossi", MARIO_CF, "M")
    assert (detail.data_nascita.isoformat(), detail.luogo_nascita, detail.inarcassa) == ("1975-03-14", "Roma", True)
    assert [(c.kind, c.value, c.source) for c in detail.contacts] == [
        ("email", "mario.rossi@gmail.com", "registro"),
        ("mobile", "+393471234567", "registro"),
    ]
    assert [(p.numero, p.prodotto, p.stato) for p in detail.policies] == [
        ("INA-2024-000101", "Polizza sanitaria INARCASSA", "attiva")
    ]
    assert detail.has_active_policy
    assert detail.account is None
    assert detail.open_requests == 0


def test_detail_policies_active_first(demo_ctx):
    detail = registry.customer_detail(demo_ctx, customer_id(demo_ctx, "GLLLSS86C49L378O"))
    assert [(p.numero, p.stato) for p in detail.policies] == [
        ("GEN-2024-008810", "attiva"), ("GEN-2020-002215", "scaduta")
    ]
    assert detail.inarcassa is False
    esposito = registry.customer_detail(demo_ctx, customer_id(demo_ctx, "SPSPLA68S02F839Q"))
    assert not esposito.has_active_policy


def test_detail_account_state_devices_and_open_requests(demo_ctx, clock):
    anna_id = customer_id(demo_ctx, "CNTNNA79P70L219K")
    account = anna_account(demo_ctx)
    with demo_ctx.db.transaction() as session:
        for device, kind in (("console-1", "mfa"), ("console-2", "mfa"), ("console-1", "biometric")):
            session.add(TrustedDevice(account_id=account.id, device_id=device, kind=kind, created_at=clock.now()))
        for status in ("aperta", "aperta", "respinta"):
            session.add(AssistanceRequest(
                created_at=clock.now(), origin="11A", variant="app", status=status, nome="Anna", cognome="Conti",
                luogo_nascita="Torino", data_nascita=clock.now().date(), sesso="F", contact_kind="mobile",
                contact_value="+393405550123", customer_id=anna_id,
            ))
    login = auth.customer_login(demo_ctx, ANNA, demo.REGISTERED_PASSWORD)
    clock.advance(30)
    auth.complete_customer_login(demo_ctx, login)
    detail = registry.customer_detail(demo_ctx, anna_id)
    state = detail.account
    assert state is not None
    assert (state.username, state.username_kind, state.failed_logins, state.locked) == (ANNA, "email", 0, False)
    assert state.created_at == clock.now() - timedelta(seconds=30)  # seeded at the fixture's start time
    assert state.last_login_at == clock.now()
    assert (state.trusted_devices, state.biometric_devices) == (2, 1)
    assert detail.open_requests == 2


def test_detail_of_a_locked_account(demo_ctx, clock):
    lock_anna(demo_ctx)
    state = registry.customer_detail(demo_ctx, customer_id(demo_ctx, "CNTNNA79P70L219K")).account
    assert state is not None
    assert (state.failed_logins, state.locked) == (5, True)
    assert state.locked_until == clock.now() + timedelta(seconds=60)
    clock.advance(61)
    state = registry.customer_detail(demo_ctx, customer_id(demo_ctx, "CNTNNA79P70L219K")).account
    assert state is not None and state.locked is False


def test_detail_of_a_missing_customer(demo_ctx):
    with pytest.raises(RegistryError):
        registry.customer_detail(demo_ctx, 999_999)


# -- accounts -----------------------------------------------------------------------------


def test_list_accounts_and_filters(demo_ctx):
    [anna] = accounts.list_accounts(demo_ctx)
    assert (anna.username, anna.full_name, anna.codice_fiscale, anna.locked) == (
        ANNA, "Anna Conti", "CNTNNA79P70L219K", False
    )
    for text in ("conti", "ANNA.CONTI", "cntnna", "Anna Conti", "outlook"):
        assert [a.username for a in accounts.list_accounts(demo_ctx, text=text)] == [ANNA], text
    assert accounts.list_accounts(demo_ctx, text="rossi") == []
    assert accounts.list_accounts(demo_ctx, text="%") == []
    assert accounts.list_accounts(demo_ctx, only_locked=True) == []


def test_a_lockout_shows_in_the_list_until_it_expires(demo_ctx, clock):
    lock_anna(demo_ctx)
    [locked] = accounts.list_accounts(demo_ctx, only_locked=True)
    assert (locked.username, locked.locked, locked.failed_logins) == (ANNA, True, 5)
    assert locked.locked_until == clock.now() + timedelta(seconds=60)
    clock.advance(61)
    assert accounts.list_accounts(demo_ctx, only_locked=True) == []
    [expired] = accounts.list_accounts(demo_ctx)
    assert (expired.locked, expired.failed_logins) == (False, 5)


def test_unlock_resets_the_lock_and_is_audited_with_the_operator(demo_ctx, clock):
    lock_anna(demo_ctx)
    account_id = anna_account(demo_ctx).id
    summary = accounts.unlock(demo_ctx, account_id, OPERATOR)
    assert (summary.locked, summary.failed_logins, summary.locked_until) == (False, 0, None)
    stored = anna_account(demo_ctx)
    assert (stored.failed_logins, stored.locked_until) == (0, None)
    [event] = audit_rows(demo_ctx, "account_sbloccato")
    assert (event.actor, event.subject, event.outcome) == (OPERATOR, ANNA, "ok")
    assert '"tentativi_falliti": 5' in event.details and '"era_bloccato": true' in event.details
    # The customer can log in again at once.
    assert auth.customer_login(demo_ctx, ANNA, demo.REGISTERED_PASSWORD).username == ANNA


def test_unlock_refusals(demo_ctx):
    with pytest.raises(AccountError) as missing:
        accounts.unlock(demo_ctx, 999_999, OPERATOR)
    assert missing.value.code == "missing"
    with pytest.raises(AccountError) as nobody:
        accounts.unlock(demo_ctx, anna_account(demo_ctx).id, "")
    assert nobody.value.code == "operator"
    assert audit_rows(demo_ctx, "account_sbloccato") == []


def test_lockouts_come_from_the_audit_log_newest_first(demo_ctx, clock):
    assert accounts.lockouts(demo_ctx, 10) == []
    lock_anna(demo_ctx)
    clock.advance(10)
    with pytest.raises(auth.LoginError):  # tried again while locked
        auth.customer_login(demo_ctx, ANNA, demo.REGISTERED_PASSWORD)
    for _ in range(5):
        with pytest.raises(auth.LoginError):
            auth.operator_login(demo_ctx, OPERATOR, "Sbagliata#123")
    newest, while_locked, first = accounts.lockouts(demo_ctx, 10)
    assert (newest.who, newest.who_kind, newest.failures, newest.lock_seconds) == (OPERATOR, "operatore", 5, 60)
    assert (while_locked.who, while_locked.who_kind, while_locked.failures) == (ANNA, "cliente", None)
    assert (first.who, first.failures, first.lock_seconds, first.at) == (ANNA, 5, 60, clock.now() - timedelta(seconds=10))
    assert len(accounts.lockouts(demo_ctx, 1)) == 1


# -- PostgreSQL -------------------------------------------------------------------------


@pytest.mark.postgres
def test_search_and_unlock_on_postgresql(pg_ctx):  # noqa: F811
    """The same queries on PostgreSQL (skipped without the server of scripts/pg-test-server)."""
    ctx = pg_ctx
    assert importer.import_file(ctx, ctx.settings.personas_file).errors == []
    demo.seed(ctx)
    assert names(registry.search(ctx, "rossi mario"))[0] == "Mario Rossi"
    assert names(registry.search(ctx, "dell acqua")) == ["Niccolò Dell'Acqua"]
    assert names(registry.search(ctx, RUSSO_BASE)) == ["Giovanni Russo"]
    assert names(registry.search(ctx, "RSSGNN77M25G27P")) == ["Giovanni Russo"]
    assert names(registry.search(ctx, "MARIO.ROSSI@gmail")) == ["Mario Rossi"]
    assert names(registry.search(ctx, "+39 347 123 4567")) == ["Mario Rossi"]
    assert names(registry.search(ctx, "4321")) == ["Alessandro Grieco"]
    assert registry.search(ctx, "m_rio%") == []
    lock_anna(ctx)
    [locked] = accounts.list_accounts(ctx, only_locked=True, text="conti")
    detail = registry.customer_detail(ctx, locked.customer_id)
    assert detail.account is not None and detail.account.locked
    accounts.unlock(ctx, locked.id, OPERATOR)
    assert accounts.list_accounts(ctx, only_locked=True) == []
    assert [lock.who for lock in accounts.lockouts(ctx, 5)] == [ANNA]
    registry.search(ctx, "rossi", operator=OPERATOR)
    assert [e.actor for e in audit_rows(ctx, "ricerca_anagrafe")] == [OPERATOR]
