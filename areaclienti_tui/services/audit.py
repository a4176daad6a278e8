"""Audit trail: one row for every security-relevant event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.services.context import Context, publish_after_commit
from areaclienti_tui.services.events import AuditRecorded
from areaclienti_tui.store.models import AuditEvent


def record(
    ctx: Context,
    session: Session,
    kind: str,
    *,
    actor: str,
    subject: str = "",
    outcome: str = "ok",
    **details: object,
) -> AuditEvent:
    """Add an audit event to the session's transaction and announce it."""
    event = AuditEvent(
        at=ctx.clock.now(),
        kind=kind,
        actor=actor or "anonimo",
        subject=subject,
        outcome=outcome,
        details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
    )
    session.add(event)
    publish_after_commit(ctx, session, AuditRecorded(kind=kind, actor=event.actor, outcome=outcome))
    return event


@dataclass(frozen=True)
class AuditView:
    at: datetime
    kind: str
    actor: str
    subject: str
    outcome: str
    details: dict


def latest(ctx: Context, *, limit: int = 200, kind: str | None = None, text: str = "") -> list[AuditView]:
    with ctx.db.session() as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
        if kind:
            query = query.where(AuditEvent.kind == kind)
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(
                col(AuditEvent.actor).ilike(pattern)
                | col(AuditEvent.subject).ilike(pattern)
                | col(AuditEvent.details).ilike(pattern)
            )
        rows = session.exec(query).all()
    return [
        AuditView(as_utc(r.at), r.kind, r.actor, r.subject, r.outcome, json.loads(r.details or "{}")) for r in rows
    ]
