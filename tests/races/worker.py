"""One console process of a race: waits for the start signal, makes one attempt, prints the outcome.

    python worker.py FOLDER NAME ACTION ARGS...

The database URL and the data folder come from AREACLIENTI_DB and
AREACLIENTI_DATA_DIR, like any console. The worker writes FOLDER/NAME.ready,
waits for FOLDER/go, then acts, so every worker starts at the same instant.
Actions: ``login USERNAME PASSWORD``, ``verify FLOW CODE``, ``recovery USERNAME``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from areaclienti_tui.clock import SystemClock
from areaclienti_tui.services import auth, codes, security
from areaclienti_tui.services.context import Context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.db import Database


def main() -> None:
    folder, name, action, *args = sys.argv[1:]
    settings = Settings()
    ctx = Context(db=Database(settings.database_url), clock=SystemClock(), settings=settings)
    ctx.secret  # noqa: B018 - read the key before the start, like a console that is already open
    with ctx.db.engine.connect() as connection:  # the pool is warm: the race is in the statements
        connection.exec_driver_sql("SELECT 1")
    Path(folder, f"{name}.ready").touch()
    go = Path(folder, "go")
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.001)
    outcome: dict[str, object] = {"kind": "ok"}
    try:
        if action == "login":
            auth.customer_login(ctx, args[0], args[1])
        elif action == "verify":
            codes.verify(ctx, args[0], args[1], actor="gara")
        elif action == "recovery":
            security.start_recovery(ctx, args[0])
        else:
            raise SystemExit(f"unknown action {action}")
    except (auth.LoginError, codes.CodeError) as error:
        outcome = {"kind": error.kind, "message": error.message}
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
