"""One-time codes (SPEC §4): 6 digits from HOTP over a fresh secret, kept only
as a salted hash, single use, short-lived, with limited tries and resends.

A *flow* is one thing being confirmed (a registration, a login, a password
change); it may receive a first code and up to `max_resends` more.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import update
from sqlmodel import Session, col, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.services import audit, outbox
from areaclienti_tui.services.context import Context
from areaclienti_tui.store.models import OneTimeCode

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
        self.kind = kind  # wrong | expired | exhausted | missing | cooldown | resends
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
        ready_at = self.sent_at + timedelta(seconds=cooldown_seconds)
        return max(0, int((ready_at - now).total_seconds() + 0.999))


def new_flow_id() -> str:
    return str(uuid.uuid4())


def _hash(salt: str, code: str) -> str:
    digest = hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()
    return f"{salt}${digest}"


def _matches(stored: str, code: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(stored, _hash(salt, code))


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
    wait = max(0, int((ready_at - ctx.clock.now()).total_seconds() + 0.999))
    return wait, left


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
) -> IssuedCode:
    """Send a new code for the flow, voiding any earlier one; enforces resend rules."""
    settings = ctx.settings
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        previous = _flow_codes(session, flow_id)
        if previous:
            resends = len(previous) - 1
            if resends >= settings.max_resends:
                audit.record(ctx, session, "codice_reinvio", actor=actor, subject=destination, outcome="limite")
                raise CodeError("resends", "Hai già richiesto il numero massimo di nuovi codici. Ricomincia la procedura.")
            ready_at = as_utc(previous[-1].created_at) + timedelta(seconds=settings.resend_cooldown_seconds)
            if now < ready_at:
                wait = int((ready_at - now).total_seconds() + 0.999)
                raise CodeError("cooldown", f"Potrai chiedere un nuovo codice tra {wait} secondi.", wait_seconds=wait)
            session.exec(
                update(OneTimeCode)
                .where(col(OneTimeCode.flow_id) == flow_id, col(OneTimeCode.voided_at).is_(None))
                .values(voided_at=now)
            )
        code = _generate()
        ttl = min(settings.code_ttl_seconds, 600)
        row = OneTimeCode(
            flow_id=flow_id,
            purpose=purpose,
            channel=channel,
            destination=destination,
            code_hash=_hash(secrets.token_hex(8), code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            customer_id=customer_id,
            account_id=account_id,
        )
        session.add(row)
        subject, body = _message(purpose, code, ttl // 60)
        outbox.send(ctx, session, channel=channel, to=destination, subject=subject, body=body, code=code)
        audit.record(
            ctx,
            session,
            "codice_inviato" if not previous else "codice_reinviato",
            actor=actor,
            subject=mask_contact("email" if channel == "email" else "mobile", destination),
            purpose=purpose,
            channel=channel,
        )
        left = settings.max_resends - len(previous)
    return IssuedCode(
        flow_id=flow_id,
        channel=channel,
        destination=destination,
        masked=mask_contact("email" if channel == "email" else "mobile", destination),
        sent_at=now,
        expires_at=row.expires_at,
        resends_left=left,
    )


def verify_in(ctx: Context, session: Session, flow_id: str, code: str, *, actor: str) -> OneTimeCode:
    """Check `code` against the flow's live code inside `session`; consumes it on success.

    It raises CodeError after counting the failed try on the row, so the
    caller commits even when it fails (as `verify` does).
    """
    now = ctx.clock.now()
    settings = ctx.settings
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
    if not _matches(row.code_hash, code.strip()):
        row.attempts += 1
        session.add(row)
        remaining = settings.code_max_attempts - row.attempts
        if remaining <= 0:
            row.voided_at = now
            audit.record(ctx, session, "codice_verifica", actor=actor, outcome="esaurito", purpose=row.purpose)
            raise CodeError("exhausted", "Troppi tentativi errati: il codice non è più valido. Richiedine uno nuovo.")
        audit.record(ctx, session, "codice_verifica", actor=actor, outcome="errato", purpose=row.purpose)
        left = "Ti resta 1 tentativo." if remaining == 1 else f"Ti restano {remaining} tentativi."
        raise CodeError("wrong", f"Codice non corretto. {left}", remaining=remaining)
    row.consumed_at = now
    session.add(row)
    audit.record(ctx, session, "codice_verifica", actor=actor, outcome="ok", purpose=row.purpose)
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
