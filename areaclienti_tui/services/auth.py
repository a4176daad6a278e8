"""Login for customers and operators, with the lockout of SPEC §4."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from areaclienti_tui.clock import seconds_until
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.username import normalize_contact, parse_email
from areaclienti_tui.services import audit, limits
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.passwords import burn_check, check_password
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.models import Account, Customer, Operator

INVALID_CREDENTIALS = "Nome utente o password non corretti."


class LoginError(Exception):
    def __init__(self, kind: str, message: str, *, wait_seconds: int = 0) -> None:
        super().__init__(message)
        self.kind = kind  # invalid | locked
        self.message = message
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class CustomerLogin:
    account_id: int
    customer_id: int
    username: str
    username_kind: str
    nome: str
    cognome: str


def lock_seconds(settings: Settings, failures: int) -> int:
    """1 minute at the 5th failure in a row, doubling with each further one, up to 15."""
    if failures < settings.login_max_failures:
        return 0
    doubling = failures - settings.login_max_failures
    return min(settings.lockout_base_seconds * (2 ** min(doubling, 16)), settings.lockout_max_seconds)


def locked_message(wait_seconds: int) -> str:
    return f"Troppi tentativi non riusciti: accesso bloccato. Riprova tra {limits.minutes_words(wait_seconds)}."


def login_key(text: str) -> str | None:
    """The stored form of what was typed as username at 8A, or None if it can't be one."""
    value = text.strip()
    if not value:
        return None
    try:
        if "@" in value:
            return parse_email(value, ()).value
        # Login and recovery accept any way of writing a mobile (SPEC §4): +39, 0039, spaces, dots.
        return normalize_contact("mobile", value)
    except RuleError:
        return None


def check_lock(ctx: Context, holder: Account | Operator) -> None:
    if holder.locked_until is not None:
        wait = seconds_until(holder.locked_until, ctx.clock.now())
        if wait > 0:
            raise LoginError("locked", locked_message(wait), wait_seconds=wait)


def _register_failure(ctx: Context, session: Session, holder: Account | Operator) -> tuple[int, int]:
    """Count one failure with a single atomic UPDATE … RETURNING; lock when due.

    Returns (seconds locked, failures in a row).
    """
    table = type(holder).__table__  # type: ignore[attr-defined]
    failures = session.execute(
        update(table)
        .where(table.c.id == holder.id)
        .values(failed_logins=table.c.failed_logins + 1)
        .returning(table.c.failed_logins)
    ).scalar_one()
    seconds = lock_seconds(ctx.settings, failures)
    if seconds:
        until = ctx.clock.now() + timedelta(seconds=seconds)
        session.execute(
            update(table)
            .where(table.c.id == holder.id)
            .where(table.c.locked_until.is_(None) | (table.c.locked_until < until))
            .values(locked_until=until)
        )
    session.expire(holder)
    return seconds, failures


def _register_success(ctx: Context, holder: Account | Operator) -> None:
    holder.failed_logins = 0
    holder.locked_until = None


def typed_name(text: str) -> str:
    """What a failure of a name without account is counted under: its stored form when it has one."""
    return login_key(text) or " ".join(text.split()).casefold()[:254]


def _unknown_name(ctx: Context, session: Session, scope: str, name: str, password: str, *, kind: str,
                  subject: str) -> None:
    """A name without account answers as an account would: failures counted, and a "lock" at the 5th."""
    key = limits.subject_key(ctx, scope, name)
    held = limits.current(ctx, session, scope, key)
    wait = held.lock_wait(ctx.clock.now()) if held else 0
    if wait:
        audit.record(ctx, session, kind, actor="anonimo", subject=subject, outcome="bloccato")
        session.commit()
        raise LoginError("locked", locked_message(wait), wait_seconds=wait)
    burn_check(password, ctx.settings.bcrypt_rounds)
    counted = limits.bump(ctx, session, scope, key)
    seconds = lock_seconds(ctx.settings, counted.count)
    if seconds:
        limits.lock(session, scope, key, ctx.clock.now() + timedelta(seconds=seconds))
    audit.record(ctx, session, kind, actor="anonimo", subject=subject, outcome="sconosciuto",
                 failures=counted.count, lock_seconds=seconds)
    session.commit()
    if seconds:
        raise LoginError("locked", locked_message(seconds), wait_seconds=seconds)
    raise LoginError("invalid", INVALID_CREDENTIALS)


def _check_credentials(
    ctx: Context, session: Session, holder: Account | Operator | None, password: str, *, kind: str, subject: str,
    scope: str, name: str,
) -> None:
    """The shared part of every password login: unknown name, lock, wrong password.

    Raises LoginError after recording (and committing) the failure; on success
    it only returns, leaving the holder untouched for the caller. Failures are
    counted in the database atomically, so attempts made at the same instant
    from many consoles all count.
    """
    if holder is None:
        _unknown_name(ctx, session, scope, name, password, kind=kind, subject=subject)
        return
    actor = holder.username
    try:
        check_lock(ctx, holder)
    except LoginError:
        audit.record(ctx, session, kind, actor=actor, subject=actor, outcome="bloccato")
        session.commit()
        raise
    if not check_password(password, holder.password_hash):
        seconds, failures = _register_failure(ctx, session, holder)
        audit.record(ctx, session, kind, actor=actor, subject=actor, outcome="bloccato" if seconds else "password errata",
                     failures=failures, lock_seconds=seconds)
        session.commit()
        if seconds:
            raise LoginError("locked", locked_message(seconds), wait_seconds=seconds)
        raise LoginError("invalid", INVALID_CREDENTIALS)


def customer_login(ctx: Context, username_text: str, password: str) -> CustomerLogin:
    """Check a customer's credentials (slow: bcrypt). Raises LoginError.

    The failure counter is reset only by `complete_customer_login`, once the
    9A code (when required) has passed too.
    """
    key = login_key(username_text)
    with ctx.db.session() as session:
        account = session.exec(select(Account).where(Account.username == key)).first() if key else None
        _check_credentials(ctx, session, account, password, kind="accesso", subject=_masked(username_text),
                           scope=limits.LOGIN, name=typed_name(username_text))
        assert account is not None
        customer = session.get(Customer, account.customer_id)
        return CustomerLogin(
            account_id=account.id or 0,
            customer_id=account.customer_id,
            username=account.username,
            username_kind=account.username_kind,
            nome=customer.nome if customer else "",
            cognome=customer.cognome if customer else "",
        )


def complete_customer_login(ctx: Context, login: CustomerLogin, *, method: str = "password") -> None:
    """Record a successful login once every factor has passed."""
    with ctx.db.transaction() as session:
        account = session.get(Account, login.account_id)
        if account is not None:
            _register_success(ctx, account)
            account.last_login_at = ctx.clock.now()
            session.add(account)
        audit.record(ctx, session, "accesso", actor=login.username, subject=login.username, outcome="ok", method=method)


def logout(ctx: Context, login: CustomerLogin) -> None:
    with ctx.db.transaction() as session:
        audit.record(ctx, session, "uscita", actor=login.username, subject=login.username)


def unlock_account(ctx: Context, session: Session, account: Account) -> None:
    """An operator unlocks: password failures and the hour's wrong codes are forgotten."""
    _register_success(ctx, account)
    session.add(account)
    limits.clear(session, limits.WRONG_CODES, limits.subject_key(ctx, limits.WRONG_CODES, f"cliente:{account.customer_id}"))


def _masked(text: str) -> str:
    value = text.strip()
    if "@" in value:
        return mask_contact("email", value)
    key = login_key(value)
    return mask_contact("mobile", key) if key else "(non valido)"


def operator_login(ctx: Context, username: str, password: str) -> Operator:
    """Check an operator's credentials, with the same lockout as customers."""
    name = username.strip().lower()
    with ctx.db.session() as session:
        operator = session.exec(select(Operator).where(Operator.username == name)).first()
        _check_credentials(ctx, session, operator, password, kind="accesso_operatore", subject=name[:60],
                           scope=limits.OPERATOR, name=name[:254])
        assert operator is not None
        _register_success(ctx, operator)
        session.add(operator)
        audit.record(ctx, session, "accesso_operatore", actor=name, subject=name, outcome="ok")
        session.commit()
        session.refresh(operator)
        return operator
