"""Attempt counters that hold across flows, consoles and processes (SPEC §4).

Every change is one atomic statement — an upsert or an UPDATE … RETURNING —
so attempts made at the same instant from many processes are all counted, on
SQLite and on PostgreSQL alike. Nothing here reads a counter, changes it in
Python and writes it back.

Scopes:
- ``accesso`` / ``operatore``: password failures of a typed name that has no
  account, so that a "lock" looks the same for known and unknown names;
- ``codici``: wrong codes per subject (a customer, or a typed name without
  account) in a sliding hour, across every flow;
- ``invii``: codes sent to one destination in a window, whatever the purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from areaclienti_tui.clock import as_utc, seconds_until
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.keys import keyed_digest
from areaclienti_tui.store.models import SecurityCounter

LOGIN = "accesso"
OPERATOR = "operatore"
WRONG_CODES = "codici"
SENDS = "invii"

_table = SecurityCounter.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Count:
    count: int
    window_start: datetime
    locked_until: datetime | None

    def lock_wait(self, now: datetime) -> int:
        """Whole seconds the subject stays locked (0 when it is not)."""
        return 0 if self.locked_until is None else seconds_until(self.locked_until, now)


def minutes_words(seconds: int) -> str:
    """A wait in whole minutes, rounded up, at least one: "1 minuto", "15 minuti"."""
    minutes = max(1, (seconds + 59) // 60)
    return "1 minuto" if minutes == 1 else f"{minutes} minuti"


def subject_key(ctx: Context, scope: str, subject: str) -> str:
    """The stored key of a subject: an HMAC, so names and contacts are not kept in clear."""
    return keyed_digest(ctx.secret, scope, subject.strip().casefold())


def _insert(session: Session):  # noqa: ANN202
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_table)


def bump(ctx: Context, session: Session, scope: str, key: str, *, window_seconds: int | None = None) -> Count:
    """Add one to a counter and return it as counted; a window that has passed starts again at 1."""
    now = ctx.clock.now()
    column = _table.c
    if window_seconds is None:
        values = {"count": column.count + 1, "updated_at": now}
    else:
        expired = column.window_start <= now - timedelta(seconds=window_seconds)
        values = {
            "count": case((expired, 1), else_=column.count + 1),
            "window_start": case((expired, now), else_=column.window_start),
            "locked_until": case((expired, None), else_=column.locked_until),
            "updated_at": now,
        }
    statement = (
        _insert(session)
        .values(scope=scope, key=key, count=1, window_start=now, updated_at=now)
        .on_conflict_do_update(index_elements=[column.scope, column.key], set_=values)
        .returning(column.count, column.window_start, column.locked_until)
    )
    row = session.execute(statement).one()
    return Count(row.count, as_utc(row.window_start), row.locked_until)


def refund(session: Session, scope: str, key: str) -> None:
    """Give back one attempt counted in advance (it turned out to be right)."""
    column = _table.c
    session.execute(
        update(_table)
        .where(column.scope == scope, column.key == key)
        .values(count=case((column.count > 0, column.count - 1), else_=0))
    )


def lock(session: Session, scope: str, key: str, until: datetime) -> None:
    """Lock a counted subject until `until` (never shortens a longer lock)."""
    column = _table.c
    session.execute(
        update(_table)
        .where(column.scope == scope, column.key == key)
        .where((column.locked_until.is_(None)) | (column.locked_until < until))
        .values(locked_until=until)
    )


def current(ctx: Context, session: Session, scope: str, key: str, *, window_seconds: int | None = None) -> Count | None:
    """The counter as stored, or None (also when its window has passed)."""
    column = _table.c
    row = session.execute(
        select(column.count, column.window_start, column.locked_until).where(column.scope == scope, column.key == key)
    ).first()
    if row is None:
        return None
    start = as_utc(row.window_start)
    if window_seconds is not None and start <= ctx.clock.now() - timedelta(seconds=window_seconds):
        return None
    return Count(row.count, start, row.locked_until)


def clear(session: Session, scope: str, key: str) -> None:
    """Forget a counter (an operator unlocked the subject)."""
    column = _table.c
    session.execute(
        update(_table)
        .where(column.scope == scope, column.key == key)
        .values(count=0, locked_until=None)
    )
