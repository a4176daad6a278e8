"""Login (SPEC §4): one message for every wrong credential, lockout 1-2-4-8-15 min."""

from __future__ import annotations

import pytest
from sqlmodel import select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.services import audit, auth, demo
from areaclienti_tui.store.models import Account, Operator

USERNAME = demo.REGISTERED_USERNAME
PASSWORD = demo.REGISTERED_PASSWORD
WRONG = "Sbagliata#123"


def _account(ctx) -> Account:
    with ctx.db.session() as session:
        return session.exec(select(Account).where(Account.username == USERNAME)).one()


def _fail(ctx, password: str = WRONG) -> auth.LoginError:
    with pytest.raises(auth.LoginError) as error:
        auth.customer_login(ctx, USERNAME, password)
    return error.value


def _fail_until_locked(ctx) -> auth.LoginError:
    for _ in range(4):
        assert _fail(ctx).kind == "invalid"
    return _fail(ctx)


def test_correct_credentials(demo_ctx):
    login = auth.customer_login(demo_ctx, USERNAME, PASSWORD)
    assert (login.username, login.username_kind, login.nome, login.cognome) == (USERNAME, "email", "Anna", "Conti")
    assert login.account_id == _account(demo_ctx).id


def test_username_is_normalised(demo_ctx):
    login = auth.customer_login(demo_ctx, "  Anna.Conti@Outlook.it ", PASSWORD)
    assert login.username == USERNAME


@pytest.mark.parametrize("username", ["nessuno@example.com", "3471234567", "non-un-nome-utente", ""])
def test_unknown_user_and_wrong_password_give_the_same_message(demo_ctx, username):
    with pytest.raises(auth.LoginError) as unknown:
        auth.customer_login(demo_ctx, username, PASSWORD)
    wrong = _fail(demo_ctx)
    assert unknown.value.kind == wrong.kind == "invalid"
    assert unknown.value.message == wrong.message == auth.INVALID_CREDENTIALS
    assert str(unknown.value) == str(wrong)
    message = wrong.message.lower()
    assert "nome utente" in message and "password" in message  # names both, never which one


def test_five_failures_lock_for_one_minute(demo_ctx):
    locked = _fail_until_locked(demo_ctx)
    assert locked.kind == "locked"
    assert locked.wait_seconds == 60
    assert "1 minuto" in locked.message
    account = _account(demo_ctx)
    assert account.failed_logins == 5
    assert (as_utc(account.locked_until) - demo_ctx.clock.now()).total_seconds() == 60


def test_four_failures_do_not_lock(demo_ctx):
    for _ in range(4):
        _fail(demo_ctx)
    assert _account(demo_ctx).locked_until is None
    auth.customer_login(demo_ctx, USERNAME, PASSWORD)


def test_correct_password_refused_while_locked(demo_ctx, clock):
    _fail_until_locked(demo_ctx)
    clock.advance(59)
    error = _fail(demo_ctx, PASSWORD)
    assert error.kind == "locked"
    assert error.wait_seconds == 1
    clock.advance(1)
    assert auth.customer_login(demo_ctx, USERNAME, PASSWORD).username == USERNAME


def test_failures_during_a_lock_do_not_extend_it(demo_ctx, clock):
    _fail_until_locked(demo_ctx)
    clock.advance(30)
    assert _fail(demo_ctx).kind == "locked"
    assert _account(demo_ctx).failed_logins == 5
    clock.advance(30)
    auth.customer_login(demo_ctx, USERNAME, PASSWORD)


def test_lock_doubles_after_each_further_failure_up_to_fifteen_minutes(demo_ctx, clock):
    first = _fail_until_locked(demo_ctx)
    waits = [first.wait_seconds]
    for _ in range(5):
        clock.advance(waits[-1])
        error = _fail(demo_ctx)
        assert error.kind == "locked"
        waits.append(error.wait_seconds)
    assert waits == [60, 120, 240, 480, 900, 900]


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 60), (6, 120), (7, 240), (8, 480), (9, 900), (10, 900), (60, 900)],
)
def test_lock_seconds(settings, failures, seconds):
    assert auth.lock_seconds(settings, failures) == seconds


def test_success_resets_the_counter(demo_ctx, clock):
    _fail_until_locked(demo_ctx)
    clock.advance(60)
    login = auth.customer_login(demo_ctx, USERNAME, PASSWORD)
    auth.complete_customer_login(demo_ctx, login)
    account = _account(demo_ctx)
    assert account.failed_logins == 0
    assert account.locked_until is None
    assert as_utc(account.last_login_at) == clock.now()
    # Counting starts over: four failures are tolerated, the fifth locks for 1 minute again.
    for _ in range(4):
        assert _fail(demo_ctx).kind == "invalid"
    assert _fail(demo_ctx).wait_seconds == 60


def test_failures_in_a_row_only(demo_ctx):
    for _ in range(3):
        _fail(demo_ctx)
    auth.complete_customer_login(demo_ctx, auth.customer_login(demo_ctx, USERNAME, PASSWORD))
    for _ in range(3):
        assert _fail(demo_ctx).kind == "invalid"


def test_unlock_account(demo_ctx):
    _fail_until_locked(demo_ctx)
    with demo_ctx.db.transaction() as session:
        account = session.exec(select(Account).where(Account.username == USERNAME)).one()
        auth.unlock_account(demo_ctx, session, account)
    assert _account(demo_ctx).failed_logins == 0
    auth.customer_login(demo_ctx, USERNAME, PASSWORD)


def test_audit_events_for_each_outcome(demo_ctx, clock):
    with pytest.raises(auth.LoginError):
        auth.customer_login(demo_ctx, "nessuno@example.com", WRONG)
    _fail_until_locked(demo_ctx)
    _fail(demo_ctx, PASSWORD)  # refused: locked
    clock.advance(60)
    login = auth.customer_login(demo_ctx, USERNAME, PASSWORD)
    auth.complete_customer_login(demo_ctx, login)
    auth.logout(demo_ctx, login)

    events = list(reversed(audit.latest(demo_ctx, kind="accesso")))
    assert [e.outcome for e in events] == ["sconosciuto"] + ["password errata"] * 4 + ["bloccato", "bloccato", "ok"]
    assert events[0].actor == "anonimo"
    assert events[0].subject == "n***o@example.com"
    assert all(e.actor == USERNAME for e in events[1:])
    assert events[5].details["lock_seconds"] == 60 and events[5].details["failures"] == 5
    assert events[-1].details["method"] == "password"
    assert [e.kind for e in audit.latest(demo_ctx, limit=1)] == ["uscita"]


def test_operator_login_and_lockout(demo_ctx, clock):
    operator = auth.operator_login(demo_ctx, demo.OPERATOR_USERNAME.upper(), demo.OPERATOR_PASSWORD)
    assert operator.display_name == demo.OPERATOR_NAME
    with pytest.raises(auth.LoginError) as unknown:
        auth.operator_login(demo_ctx, "chi", demo.OPERATOR_PASSWORD)
    assert unknown.value.message == auth.INVALID_CREDENTIALS
    for _ in range(4):
        with pytest.raises(auth.LoginError) as error:
            auth.operator_login(demo_ctx, demo.OPERATOR_USERNAME, WRONG)
        assert error.value.message == auth.INVALID_CREDENTIALS
    with pytest.raises(auth.LoginError) as error:
        auth.operator_login(demo_ctx, demo.OPERATOR_USERNAME, WRONG)
    assert (error.value.kind, error.value.wait_seconds) == ("locked", 60)
    with pytest.raises(auth.LoginError) as error:
        auth.operator_login(demo_ctx, demo.OPERATOR_USERNAME, demo.OPERATOR_PASSWORD)
    assert error.value.kind == "locked"
    clock.advance(60)
    auth.operator_login(demo_ctx, demo.OPERATOR_USERNAME, demo.OPERATOR_PASSWORD)
    with demo_ctx.db.session() as session:
        stored = session.exec(select(Operator).where(Operator.username == demo.OPERATOR_USERNAME)).one()
    assert stored.failed_logins == 0 and stored.locked_until is None
    outcomes = [e.outcome for e in audit.latest(demo_ctx, kind="accesso_operatore")]
    assert outcomes[0] == "ok" and "bloccato" in outcomes and "sconosciuto" in outcomes
