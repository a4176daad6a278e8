"""The customer import on PostgreSQL: checked by a pool of processes or here, the same (issue 12).

The import writes with statements compiled for the database in use and handed
to the driver (`importer._BulkInsert`, `importer._select_in`); this runs the
comparison of tests/test_import_pool.py on two PostgreSQL databases of the
server of scripts/pg-test-server (`AREACLIENTI_TEST_PG`, as tests/test_postgres.py:
skipped without it on a developer machine, failing under CI).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.services import importer
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from tests.test_import_pool import _run, known_customers, mixed_file
from tests.test_postgres import pg_admin_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_pg_contexts(pg_admin_url: str, worker_id: str, tmp_path: Path) -> Iterator[tuple[Context, Context]]:  # noqa: F811
    names = [f"areaclienti_imp_{re.sub(r'[^a-z0-9_]', '_', worker_id.lower())}_{side}" for side in ("a", "b")]
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    contexts: list[Context] = []
    try:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        for name in names:
            url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
            folder = tmp_path / name
            folder.mkdir()
            ctx = open_context(Settings(db=url, data_dir=folder, bcrypt_rounds=4, demo=False), FakeClock())
            importer.import_text(ctx, known_customers(), workers=0)
            ctx.clock.advance(3600)
            contexts.append(ctx)
        yield contexts[0], contexts[1]
    finally:
        for ctx in contexts:
            ctx.db.dispose()
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_pooled_import_is_the_in_process_import_on_postgresql(two_pg_contexts, tmp_path: Path) -> None:
    one, other = two_pg_contexts
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(400), encoding="utf-8")
    here = _run(one, path, chunk_size=7, workers=0)
    pooled = _run(other, path, chunk_size=7, workers=2, batch_size=5, pool_after=0)
    assert pooled == here
    _, rows, inserted, updated, unchanged, errors, _, _ = here["result"]
    assert min(inserted, updated, unchanged) > 5 and errors > 100
