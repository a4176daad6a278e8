"""The simulated phone and mailbox: every SMS and email the system sends.

Messages are always kept in the outbox table; when SMTP is configured, emails
are also delivered to that server and the outcome is recorded beside them.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.services.context import Context, publish_after_commit
from areaclienti_tui.services.events import OutboxChanged
from areaclienti_tui.store.models import OneTimeCode, OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxView:
    id: int
    channel: str
    to: str
    subject: str | None
    body: str
    code: str | None
    sent_at: datetime
    delivery: str

    def as_json(self) -> dict:
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat()
        del data["id"], data["delivery"]
        return data


def send(
    ctx: Context,
    session: Session,
    *,
    channel: str,
    to: str,
    body: str,
    subject: str | None = None,
    code: str | None = None,
    code_id: int | None = None,
) -> OutboxMessage:
    """Queue a message in the session's transaction (and deliver by SMTP if set)."""
    message = OutboxMessage(
        channel=channel,
        recipient=to,
        subject=subject if channel == "email" else None,
        body=body,
        code=code,
        code_id=code_id,
        sent_at=ctx.clock.now(),
    )
    if channel == "email" and ctx.settings.smtp_host:
        message.delivery = _deliver_smtp(ctx, to, subject or "", body)
    session.add(message)
    session.flush()
    publish_after_commit(ctx, session, OutboxChanged(message.id or 0, channel, to))
    return message


def _deliver_smtp(ctx: Context, to: str, subject: str, body: str) -> str:
    settings = ctx.settings
    mail = EmailMessage()
    mail["From"] = settings.smtp_sender
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("SMTP delivery to %s failed: %s", to, error)
        return "smtp non riuscito"
    return "smtp"


CODE_MASK = "••••••"


def scrub_codes(session: Session, code_ids: list[int | None]) -> None:
    """The codes were used or voided: their messages no longer show them."""
    ids = [i for i in code_ids if i is not None]
    if not ids:
        return
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.code_id.in_(ids), table.c.code.is_not(None))
        .values(body=func.replace(table.c.body, table.c.code, CODE_MASK), code=None)
    )


def _view(row: OutboxMessage, expires_at: datetime | None = None, now: datetime | None = None) -> OutboxView:
    body, code = row.body, row.code
    if code and expires_at is not None and now is not None and as_utc(expires_at) <= now:
        body, code = body.replace(code, CODE_MASK), None  # expired: shown masked, like a used code
    return OutboxView(
        id=row.id or 0,
        channel=row.channel,
        to=row.recipient,
        subject=row.subject,
        body=body,
        code=code,
        sent_at=as_utc(row.sent_at),
        delivery=row.delivery,
    )


def recipient_key(text: str) -> str:
    """What a recipient is compared by: any way of writing a mobile gives its E.164 form,
    an email its lowercase form (as the login reads a username)."""
    from areaclienti_tui.services.auth import login_key

    return (login_key(text) or text.strip()).casefold()


def latest(
    ctx: Context,
    *,
    limit: int | None = 100,
    after_id: int = 0,
    recipients: Collection[str] | None = None,
    since: datetime | None = None,
) -> list[OutboxView]:
    """Messages newest first; `after_id` keeps only those newer than a known one.

    `recipients` keeps only messages to those contacts (compared with
    `recipient_key`; an empty collection gives none), `since` only those sent
    from that moment on. A code is shown only while it is live: used, voided or
    expired codes are masked.
    """
    now = ctx.clock.now()
    keys = sorted({recipient_key(r) for r in recipients if r.strip()}) if recipients is not None else None
    if keys is not None and not keys:
        return []
    with ctx.db.session() as session:
        query = (
            select(OutboxMessage, OneTimeCode.expires_at)
            .outerjoin(OneTimeCode, col(OutboxMessage.code_id) == col(OneTimeCode.id))
            .where(OutboxMessage.id > after_id)
            .order_by(col(OutboxMessage.id).desc())
        )
        if keys is not None:
            query = query.where(func.lower(col(OutboxMessage.recipient)).in_(keys))
        if since is not None:
            query = query.where(col(OutboxMessage.sent_at) >= since)
        if limit:
            query = query.limit(limit)
        return [_view(row, expires_at, now) for row, expires_at in session.exec(query).all()]


def newest_id(ctx: Context) -> int:
    """The id of the newest message (0 when the outbox is empty): what "from now on" starts after."""
    with ctx.db.session() as session:
        return session.exec(select(func.max(OutboxMessage.id))).first() or 0


def newest_code(ctx: Context, to: str | None = None) -> str | None:
    """The code carried by the newest message (to one recipient, if given)."""
    with ctx.db.session() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.code).is_not(None))
        if to:
            query = query.where(OutboxMessage.recipient == to)
        row = session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(1)).first()
    return row.code if row else None


def to_json(messages: list[OutboxView]) -> str:
    return json.dumps([m.as_json() for m in messages], ensure_ascii=False, indent=2)
