"""Open a database for use: migrate it and, when new, fill it with the demo."""

from __future__ import annotations

import logging

from areaclienti_tui.clock import Clock, SystemClock
from areaclienti_tui.services import demo
from areaclienti_tui.services.context import Context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.db import Database

log = logging.getLogger(__name__)


def open_context(settings: Settings, clock: Clock | None = None, *, seed_demo: bool | None = None) -> Context:
    db = Database(settings.database_url)
    was_new = db.migrate()
    ctx = Context(db=db, clock=clock or SystemClock(), settings=settings)
    if was_new and (settings.demo if seed_demo is None else seed_demo):
        report = demo.seed(ctx)
        log.info("demo data loaded: %s", report.summary())
    return ctx
