"""Open a database for use: migrate it and, when new, fill it with the demo."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from areaclienti_tui.clock import Clock, SystemClock
from areaclienti_tui.services.context import Context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.db import Database

if TYPE_CHECKING:
    from areaclienti_tui.services.importer import ImportReport

log = logging.getLogger(__name__)


def open_context(settings: Settings, clock: Clock | None = None, *, seed_demo: bool | None = None) -> Context:
    """A context on `settings.database_url`, migrated; a new database also gets the demo.

    The migration of a new database and the demo data are one transaction
    (`Database.migrate(on_new=...)`): a first start interrupted while seeding
    (even by `kill -9`) leaves no half-filled database behind, and the next
    start creates and seeds it again. A database of another program is
    refused (`ForeignDatabaseError`) before anything is written to it.
    """
    db = Database(settings.database_url)
    ctx = Context(db=db, clock=clock or SystemClock(), settings=settings)
    seeded: list[ImportReport] = []

    def on_new() -> None:
        if settings.demo if seed_demo is None else seed_demo:
            from areaclienti_tui.services import demo  # only a new database needs it

            seeded.append(demo.seed(ctx))

    try:
        db.migrate(on_new)
    except BaseException:
        db.dispose()
        raise
    if seeded:
        log.info("demo data loaded: %s", seeded[0].summary())
    return ctx
