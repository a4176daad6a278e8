"""One-time codes (SPEC §4): 6 digits from HOTP over a fresh secret, kept only
as a salted hash, single use, short-lived, with limited tries and resends.

A *flow* is one thing being confirmed (a registration, a login, a password
change); it may receive a first code and up to `max_resends` more.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import update
from sqlmodel import Session, col, select

from areaclienti_tui.clock import as_utc, seconds_until
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.services import audit, limits, outbox
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.keys import keyed_digest
from areaclienti_tui.store.models import Account, OneTimeCode

CODE_DIGITS = 6

PURPOSES = {
    "registrazione": "completare la registrazione",
    "accesso": "accedere all'Area Clienti",
    "operazione": "confermare l'operazione richiesta",
    "recupero": "reimpostare la password",
}


class CodeError(Exception):
    """Why a code could not be issued or accepted; `message` is for the customer."""

    def __init__(self, kind: str, message: str, *, remaining: int = 0, wait_seconds: int = 0) -> None:
        super().__init__(message)
        self.kind = kind  # wrong | expired | exhausted | missing | cooldown | resends | limit | locked | format
        self.message = message
        self.remaining = remaining
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class IssuedCode:
    flow_id: str
    channel: str
    destination: str
    masked: str
    sent_at: datetime
    expires_at: datetime
    resends_left: int

    def resend_wait(self, now: datetime, cooldown_seconds: int) -> int:
        """Whole seconds until another code may be asked for."""
        return seconds_until(self.sent_at + timedelta(seconds=cooldown_seconds), now)


def new_flow_id() -> str:
    return str(uuid.uuid4())


_KEYED = "k1"
UNKNOWN_PREFIX = "sconosciuto:"


def _hash(key: bytes, salt: str, code: str) -> str:
    """The stored form of a code: HMAC keyed with the secret outside the database."""
    return f"{_KEYED}${salt}${keyed_digest(key, salt, code)}"


def _matches(key: bytes, stored: str, code: str) -> bool:
    kind, _, rest = stored.partition("$")
    salt, _, _ = rest.partition("$")
    if kind != _KEYED or not salt:
        return False  # a code that can never match (a recovery for an unknown name)
    return hmac.compare_digest(stored, _hash(key, salt, code))


def _generate() -> str:
    return pyotp.HOTP(pyotp.random_base32(), digits=CODE_DIGITS).at(0)


def _message(purpose: str, code: str, minutes: int) -> tuple[str, str]:
    reason = PURPOSES.get(purpose, "proseguire")
    body = (
        f"Generali Area Clienti: il tuo codice di verifica temporaneo è {code}. "
        f"Serve per {reason}; vale {minutes} minuti. Non comunicarlo a nessuno."
    )
    return "Il tuo codice di verifica temporaneo", body


def _flow_codes(session: Session, flow_id: str) -> list[OneTimeCode]:
    query = select(OneTimeCode).where(OneTimeCode.flow_id == flow_id).order_by(col(OneTimeCode.id))
    return list(session.exec(query).all())


def resend_status(ctx: Context, flow_id: str) -> tuple[int, int]:
    """(seconds until a resend is allowed, resends left) for a flow."""
    with ctx.db.session() as session:
        codes = _flow_codes(session, flow_id)
    if not codes:
        return 0, ctx.settings.max_resends
    left = max(0, ctx.settings.max_resends - (len(codes) - 1))
    ready_at = as_utc(codes[-1].created_at) + timedelta(seconds=ctx.settings.resend_cooldown_seconds)
    wait = seconds_until(ready_at, ctx.clock.now())
    return wait, left


def destination_limited_message(wait_seconds: int) -> str:
    return (
        "Hai chiesto troppi codici per questo recapito: per sicurezza potrai chiederne "
        f"un altro tra {limits.minutes_words(wait_seconds)}."
    )


def codes_locked_message(wait_seconds: int) -> str:
    return (
        "Troppi codici errati: per sicurezza l'account è bloccato. "
        f"Riprova tra {limits.minutes_words(wait_seconds)} o contatta l'Assistenza."
    )


def _count_send(ctx: Context, session: Session, destination: str) -> None:
    """Count one code sent to `destination`; CodeError("limit") past the window's limit."""
    settings = ctx.settings
    window = settings.codes_destination_window_seconds
    sent = limits.bump(ctx, session, limits.SENDS, limits.subject_key(ctx, limits.SENDS, destination),
                       window_seconds=window)
    if sent.count > settings.codes_per_destination:
        ready_at = sent.window_start + timedelta(seconds=window)
        wait = max(1, seconds_until(ready_at, ctx.clock.now()))
        raise CodeError("limit", destination_limited_message(wait), wait_seconds=wait)


def issue(
    ctx: Context,
    *,
    flow_id: str,
    purpose: str,
    channel: str,
    destination: str,
    actor: str,
    customer_id: int | None = None,
    account_id: int | None = None,
    deliver: bool = True,
) -> IssuedCode:
    """Send a new code for the flow, voiding any earlier one; enforces resend rules.

    With ``deliver=False`` (a recovery for a name without account) the flow,
    its counters and its limits behave exactly the same, but no message leaves
    and the stored code can never match.
    """
    settings = ctx.settings
    now = ctx.clock.now()
    refused: CodeError | None = None
    try:
        with ctx.db.transaction() as session:
            previous = _flow_codes(session, flow_id)
            if previous:
                resends = len(previous) - 1
                if resends >= settings.max_resends:
                    raise CodeError(
                        "resends", "Hai già richiesto il numero massimo di nuovi codici. Ricomincia la procedura."
                    )
                ready_at = as_utc(previous[-1].created_at) + timedelta(seconds=settings.resend_cooldown_seconds)
                if now < ready_at:
                    wait = seconds_until(ready_at, now)
                    raise CodeError("cooldown", f"Potrai chiedere un nuovo codice tra {wait} secondi.", wait_seconds=wait)
            _count_send(ctx, session, destination)
            if previous:
                live = [p.id for p in previous if p.voided_at is None and p.consumed_at is None]
                session.exec(
                    update(OneTimeCode)
                    .where(col(OneTimeCode.flow_id) == flow_id, col(OneTimeCode.voided_at).is_(None))
                    .values(voided_at=now)
                )
                outbox.scrub_codes(session, live)
            code = _generate()
            ttl = min(settings.code_ttl_seconds, 600)
            row = OneTimeCode(
                flow_id=flow_id,
                purpose=purpose,
                channel=channel,
                destination=destination,
                code_hash=_hash(ctx.secret, secrets.token_hex(8), code) if deliver else "",
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
                customer_id=customer_id,
                account_id=account_id,
            )
            session.add(row)
            session.flush()
            masked = _masked(channel, destination)
            if deliver:
                subject, body = _message(purpose, code, ttl // 60)
                outbox.send(ctx, session, channel=channel, to=destination, subject=subject, body=body, code=code,
                            code_id=row.id)
            audit.record(
                ctx,
                session,
                "codice_inviato" if not previous else "codice_reinviato",
                actor=actor,
                subject=masked,
                purpose=purpose,
                channel=channel,
                **({} if deliver else {"consegna": "nessuna (nome utente sconosciuto)"}),
            )
            left = settings.max_resends - len(previous)
    except CodeError as error:
        if error.kind not in ("resends", "limit"):
            raise
        refused = error
    if refused is not None:
        with ctx.db.transaction() as session:
            audit.record(ctx, session, "codice_reinvio" if refused.kind == "resends" else "codice_inviato",
                         actor=actor, subject=_masked(channel, destination), outcome="limite", purpose=purpose)
        raise refused
    return IssuedCode(
        flow_id=flow_id,
        channel=channel,
        destination=destination,
        masked=masked,
        sent_at=now,
        expires_at=row.expires_at,
        resends_left=left,
    )


def _masked(channel: str, destination: str) -> str:
    if destination.startswith(UNKNOWN_PREFIX):
        return "(nome utente sconosciuto)"
    return mask_contact("email" if channel == "email" else "mobile", destination)


def _subject(row: OneTimeCode) -> str:
    """Whose wrong codes a code counts toward: its customer, else its destination."""
    if row.customer_id is not None:
        return f"cliente:{row.customer_id}"
    return f"recapito:{row.destination}"


def _lock_holder(ctx: Context, session: Session, row: OneTimeCode, until: datetime) -> None:
    """Too many wrong codes: lock the account (as for passwords) or the unknown name's login."""
    table = Account.__table__  # type: ignore[attr-defined]
    if row.customer_id is not None:
        session.execute(
            update(table)
            .where(table.c.customer_id == row.customer_id)
            .where(table.c.locked_until.is_(None) | (table.c.locked_until < until))
            .values(locked_until=until)
        )
    elif row.destination.startswith(UNKNOWN_PREFIX):
        login_key = row.destination.removeprefix(UNKNOWN_PREFIX)
        limits.bump(ctx, session, limits.LOGIN, login_key)
        limits.lock(session, limits.LOGIN, login_key, until)


def _void(session: Session, row: OneTimeCode, now: datetime) -> None:
    table = OneTimeCode.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == row.id, table.c.voided_at.is_(None)).values(voided_at=now))
    outbox.scrub_codes(session, [row.id])


def verify_in(ctx: Context, session: Session, flow_id: str, code: str, *, actor: str) -> OneTimeCode:
    """Check `code` against the flow's live code inside `session`; consumes it on success.

    Every try is counted before the code is compared, by atomic statements: on
    the code (5 tries) and on its subject across all flows (wrong codes in an
    hour); tries made at the same instant from many consoles are all counted.
    It raises CodeError after counting, so the caller commits even when it
    fails (as `verify` does).
    """
    now = ctx.clock.now()
    settings = ctx.settings
    table = OneTimeCode.__table__  # type: ignore[attr-defined]
    # The newest code of the flow, voided or not: a code voided by too many
    # wrong tries must keep answering "exhausted", not "missing".
    row = session.exec(
        select(OneTimeCode)
        .where(OneTimeCode.flow_id == flow_id)
        .order_by(col(OneTimeCode.id).desc())
        .limit(1)
    ).first()
    if row is None or row.consumed_at is not None:
        raise CodeError("missing", "Nessun codice valido: richiedine uno nuovo.")
    if row.attempts >= settings.code_max_attempts:
        raise CodeError("exhausted", "Troppi tentativi errati: il codice non è più valido. Richiedine uno nuovo.")
    if row.voided_at is not None:
        raise CodeError("missing", "Nessun codice valido: richiedine uno nuovo.")
    if now >= as_utc(row.expires_at):
        audit.record(ctx, session, "codice_verifica", actor=actor, outcome="scaduto", purpose=row.purpose)
        raise CodeError("expired", "Il codice è scaduto. Richiedine uno nuovo.")
    window = 3600
    subject = limits.subject_key(ctx, limits.WRONG_CODES, _subject(row))
    held = limits.current(ctx, session, limits.WRONG_CODES, subject, window_seconds=window)
    held_wait = held.lock_wait(now) if held is not None else 0
    if held_wait:
        audit.record(ctx, session, "codice_verifica", actor=actor, outcome="bloccato", purpose=row.purpose)
        raise CodeError("locked", codes_locked_message(held_wait), wait_seconds=held_wait)
    # Reserve one try on this code: only `code_max_attempts` tries ever reach the comparison.
    tried = session.execute(
        update(table)
        .where(table.c.id == row.id, table.c.attempts < settings.code_max_attempts,
               table.c.consumed_at.is_(None), table.c.voided_at.is_(None))
        .values(attempts=table.c.attempts + 1)
        .returning(table.c.attempts)
    ).first()
    if tried is None:
        raise CodeError("exhausted", "Troppi tentativi errati: il codice non è più valido. Richiedine uno nuovo.")
    attempts = tried.attempts
    # Reserve one wrong code on the subject; given back if the code is right.
    counted = limits.bump(ctx, session, limits.WRONG_CODES, subject, window_seconds=window)
    limit = settings.code_failures_per_hour
    right = counted.count <= limit and _matches(ctx.secret, row.code_hash, code.strip())
    if not right:
        if counted.count >= limit:
            until = counted.window_start + timedelta(seconds=window)
            limits.lock(session, limits.WRONG_CODES, subject, until)
            _lock_holder(ctx, session, row, until)
            _void(session, row, now)
            wait = max(1, seconds_until(until, now))
            audit.record(ctx, session, "codice_verifica", actor=actor, outcome="bloccato", purpose=row.purpose,
                         codici_errati=counted.count)
            raise CodeError("locked", codes_locked_message(wait), wait_seconds=wait)
        remaining = settings.code_max_attempts - attempts
        if remaining <= 0:
            _void(session, row, now)
            audit.record(ctx, session, "codice_verifica", actor=actor, outcome="esaurito", purpose=row.purpose)
            raise CodeError("exhausted", "Troppi tentativi errati: il codice non è più valido. Richiedine uno nuovo.")
        audit.record(ctx, session, "codice_verifica", actor=actor, outcome="errato", purpose=row.purpose)
        left = "Ti resta 1 tentativo." if remaining == 1 else f"Ti restano {remaining} tentativi."
        raise CodeError("wrong", f"Codice non corretto. {left}", remaining=remaining)
    limits.refund(session, limits.WRONG_CODES, subject)
    consumed = session.execute(
        update(table)
        .where(table.c.id == row.id, table.c.consumed_at.is_(None), table.c.voided_at.is_(None))
        .values(consumed_at=now)
    )
    if consumed.rowcount != 1:
        raise CodeError("missing", "Nessun codice valido: richiedine uno nuovo.")
    outbox.scrub_codes(session, [row.id])
    audit.record(ctx, session, "codice_verifica", actor=actor, outcome="ok", purpose=row.purpose)
    session.refresh(row)
    return row


def verify(ctx: Context, flow_id: str, code: str, *, actor: str) -> OneTimeCode:
    """Verify a code on its own transaction; failed tries are stored even when it raises."""
    with ctx.db.session() as session:
        try:
            row = verify_in(ctx, session, flow_id, code, actor=actor)
        except CodeError:
            session.commit()
            raise
        session.commit()
        return row


def validate_code_format(text: str) -> str:
    """The code field's own check, before any lookup."""
    value = text.strip()
    if not value:
        raise CodeError("format", "Inserisci il codice di verifica che hai ricevuto.")
    if not value.isdigit() or len(value) != CODE_DIGITS:
        raise CodeError("format", "Il codice è composto da 6 cifre.")
    return value
