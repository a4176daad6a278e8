"""What every service needs: the database, the clock, the settings, the event bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import event as sqlalchemy_event

from areaclienti_tui.clock import Clock
from areaclienti_tui.services.events import EventBus
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.db import Database


@dataclass
class Context:
    db: Database
    clock: Clock
    settings: Settings
    bus: EventBus = field(default_factory=EventBus)

    @cached_property
    def secret(self) -> bytes:
        """The key of code hashes and counter keys (a 0600 file in the data folder)."""
        from areaclienti_tui.services.keys import secret_key

        return secret_key(self.settings.secret_file)


def publish_after_commit(ctx: Context, session, event) -> None:  # noqa: ANN001
    """Announce `event` once the session's transaction has committed."""
    pending = session.info.setdefault("after_commit", [])
    if not pending:

        def _flush(sess) -> None:  # noqa: ANN001
            for item in sess.info.pop("after_commit", []):
                ctx.bus.publish(item)

        sqlalchemy_event.listen(session, "after_commit", _flush, once=True)
    pending.append(event)
