"""Time as a dependency: every rule that expires or waits reads a Clock."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Protocol

ROME_ZONE = "Europe/Rome"  # the console's time zone: the screens, the outbox, the CLI and "today"


@lru_cache(maxsize=1)
def rome() -> tzinfo:
    """Europe/Rome, read when first needed (the console draws 1A without zoneinfo)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(ROME_ZONE)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that only moves when told to; used by tests and scenarios."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds, **kwargs)
            return self._now


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, rounded up; 0 once it has passed."""
    return max(0, int((as_utc(moment) - now).total_seconds() + 0.999))


def as_utc(moment: datetime) -> datetime:
    """Databases may hand back naive datetimes: they are always UTC here."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
