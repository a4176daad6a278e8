"""Issue 12: the schema version is checked without Alembic; Alembic runs only to migrate.

The revisions and the newest one are read from the migration files (store.db.known_revisions);
these tests hold that reading to Alembic's own, and check in fresh processes which starts
import Alembic at all.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from alembic.script import ScriptDirectory

from areaclienti_tui.store import db as store_db
from areaclienti_tui.store.db import Database, _revision_ids, alembic_config, known_revisions


def test_the_revisions_read_from_the_files_are_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    known, head = known_revisions()
    assert known == {revision.revision for revision in script.walk_revisions()}
    assert head is not None and head == script.get_current_head()


def test_revision_ids_as_alembic_writes_them(tmp_path: Path) -> None:
    """Plain and annotated assignments (Alembic's newer template), a merge's tuple, the first's None."""
    merge = tmp_path / "0009_merge.py"
    merge.write_text(textwrap.dedent('''
        """merge

        Revision ID: 0009
        Revises: 0007, 0008
        """
        from typing import Sequence, Union

        revision: str = "0009"
        down_revision: Union[str, Sequence[str], None] = ("0007", "0008")
        branch_labels = None
    '''), encoding="utf-8")
    first = tmp_path / "0001_first.py"
    first.write_text("revision = '0001'\ndown_revision = None\n", encoding="utf-8")
    assert _revision_ids(merge) == ("0009", ("0007", "0008"))
    assert _revision_ids(first) == ("0001", ())


def test_two_heads_leave_the_decision_to_alembic(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.py").write_text("revision = 'a'\ndown_revision = None\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("revision = 'b'\ndown_revision = 'a'\n", encoding="utf-8")
    (tmp_path / "c.py").write_text("revision = 'c'\ndown_revision = 'a'\n", encoding="utf-8")
    monkeypatch.setattr(store_db, "VERSIONS_DIR", tmp_path)
    known_revisions.cache_clear()
    try:
        assert known_revisions() == (frozenset({"a", "b", "c"}), None)
    finally:
        known_revisions.cache_clear()


def _modules_after(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter; it prints a JSON object (sys.modules checked there)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


OPEN = """
import json, sys
from areaclienti_tui.store.db import Database, ForeignDatabaseError
db = Database({url!r})
try:
    new = db.migrate()
    outcome = "nuovo" if new else "corrente"
except ForeignDatabaseError as error:
    outcome = error.message
finally:
    db.dispose()
print(json.dumps({{"esito": outcome, "alembic": any(m == "alembic" or m.startswith("alembic.") for m in sys.modules)}}))
"""


def test_a_current_database_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'corrente.db'}"
    assert _modules_after(OPEN.format(url=url)) == {"esito": "nuovo", "alembic": True}  # created: migrated
    assert _modules_after(OPEN.format(url=url)) == {"esito": "corrente", "alembic": False}


def test_a_database_behind_is_migrated_with_alembic(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'vecchio.db'}"
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
    finally:
        db.dispose()
    assert _modules_after(OPEN.format(url=url)) == {"esito": "corrente", "alembic": True}
    with sqlite3.connect(tmp_path / "vecchio.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(known_revisions()[1],)]


def test_a_newer_schema_is_refused_without_importing_alembic(tmp_path: Path) -> None:
    path = tmp_path / "futuro.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
    finally:
        db.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    result = _modules_after(OPEN.format(url=f"sqlite:///{path}"))
    assert "versione più recente" in str(result["esito"]) and "9999" in str(result["esito"])
    assert result["alembic"] is False
