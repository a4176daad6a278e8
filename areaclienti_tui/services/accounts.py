"""Customer accounts as operators manage them (SPEC §3): list, unlock, recent lockouts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.text import normalize_name
from areaclienti_tui.services import audit, auth
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.registry import LIKE_ESCAPE, is_locked, like_literal
from areaclienti_tui.store.models import Account, AuditEvent, Customer

UNLOCK_AUDIT_KIND = "account_sbloccato"
LOCKED_OUTCOME = "bloccato"
LOGIN_KINDS = {"accesso": "cliente", "accesso_operatore": "operatore"}


class AccountError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # missing | operator
        self.message = message


@dataclass(frozen=True)
class AccountSummary:
    id: int
    username: str
    username_kind: str
    customer_id: int
    nome: str
    cognome: str
    codice_fiscale: str
    created_at: datetime
    last_login_at: datetime | None
    failed_logins: int
    locked_until: datetime | None
    locked: bool

    @property
    def full_name(self) -> str:
        return f"{self.nome} {self.cognome}"


@dataclass(frozen=True)
class Lockout:
    """One refused login because of the lockout: the one that locked, or one tried while locked."""

    at: datetime
    who: str
    who_kind: str  # cliente | operatore
    failures: int | None  # failures in a row when the lock started (None: a try while locked)
    lock_seconds: int | None


def _summary(account: Account, customer: Customer | None, now: datetime) -> AccountSummary:
    return AccountSummary(
        id=account.id or 0,
        username=account.username,
        username_kind=account.username_kind,
        customer_id=account.customer_id,
        nome=customer.nome if customer else "",
        cognome=customer.cognome if customer else "",
        codice_fiscale=customer.codice_fiscale if customer else "",
        created_at=as_utc(account.created_at),
        last_login_at=as_utc(account.last_login_at) if account.last_login_at else None,
        failed_logins=account.failed_logins,
        locked_until=as_utc(account.locked_until) if account.locked_until else None,
        locked=is_locked(account.locked_until, now),
    )


def list_accounts(ctx: Context, only_locked: bool = False, text: str = "", *, limit: int = 500) -> list[AccountSummary]:
    """Accounts with their lock state, locked ones first, then by username.

    `text` filters on the username, the customer's name or the codice fiscale.
    """
    query = select(Account, Customer).join(Customer, col(Customer.id) == col(Account.customer_id))
    if only_locked:
        # The lock's end is compared in Python: stored times differ between backends.
        query = query.where(col(Account.locked_until).is_not(None))
    words = text.split()
    for word in words:
        literal = like_literal(word.lower())
        folded = like_literal(normalize_name(word))
        conditions = [
            col(Account.username).like(f"%{literal}%", escape=LIKE_ESCAPE),
            col(Customer.codice_fiscale).like(f"{like_literal(word.upper())}%", escape=LIKE_ESCAPE),
        ]
        if folded:
            conditions += [
                col(Customer.nome_norm).like(f"%{folded}%", escape=LIKE_ESCAPE),
                col(Customer.cognome_norm).like(f"%{folded}%", escape=LIKE_ESCAPE),
            ]
        query = query.where(or_(*conditions))
    query = query.order_by(col(Account.username)).limit(limit)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        rows = session.exec(query).all()
    summaries = [_summary(account, customer, now) for account, customer in rows]
    if only_locked:
        summaries = [s for s in summaries if s.locked]
    return sorted(summaries, key=lambda s: (not s.locked, s.username))


def get_account(ctx: Context, account_id: int) -> AccountSummary:
    with ctx.db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise AccountError("missing", "L'account non esiste più.")
        customer = session.get(Customer, account.customer_id)
    return _summary(account, customer, ctx.clock.now())


def unlock(ctx: Context, account_id: int, operator: str) -> AccountSummary:
    """Clear the failures and the lock of an account; audited with the operator's name."""
    if not operator:
        raise AccountError("operator", "Serve un operatore per sbloccare un account.")
    with ctx.db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise AccountError("missing", "L'account non esiste più.")
        failures = account.failed_logins
        until = as_utc(account.locked_until).isoformat() if account.locked_until else None
        was_locked = is_locked(account.locked_until, ctx.clock.now())
        auth.unlock_account(ctx, session, account)
        audit.record(
            ctx,
            session,
            UNLOCK_AUDIT_KIND,
            actor=operator,
            subject=account.username,
            tentativi_falliti=failures,
            bloccato_fino=until,
            era_bloccato=was_locked,
        )
        customer = session.get(Customer, account.customer_id)
        summary = _summary(account, customer, ctx.clock.now())
    return summary


def lockouts(ctx: Context, limit: int = 50) -> list[Lockout]:
    """Recent refused logins due to the lockout (customers and operators), newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.outcome == LOCKED_OUTCOME, col(AuditEvent.kind).in_(list(LOGIN_KINDS)))
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    with ctx.db.session() as session:
        rows = session.exec(query).all()
    result = []
    for row in rows:
        details = json.loads(row.details or "{}")
        failures = details.get("failures")
        seconds = details.get("lock_seconds")
        if seconds is None and failures is not None:
            seconds = auth.lock_seconds(ctx.settings, int(failures))
        result.append(
            Lockout(
                at=as_utc(row.at),
                who=row.subject or row.actor,
                who_kind=LOGIN_KINDS.get(row.kind, row.kind),
                failures=int(failures) if failures is not None else None,
                lock_seconds=int(seconds) if seconds is not None else None,
            )
        )
    return result
