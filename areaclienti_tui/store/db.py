"""Engine, sessions and schema migrations for SQLite and PostgreSQL.

Safety rules kept here, for every caller:

- engines never render bound parameters (``hide_parameters=True``): an error
  or a log line shows the SQL at most, never a password hash, a code or a
  customer's data;
- a database that is not ours (tables but no ``alembic_version``, or a
  revision we do not know) is refused before anything is written to it: the
  check only reads, and the SQLite WAL mode is switched on after it;
- a migration, and the demo data loaded into a new database, commit together
  in one transaction (`Database.atomic`): a start killed halfway leaves the
  database as it was, and the next start does it all again.

Alembic is imported only to migrate: the revisions we know, and the newest,
are read from the ``revision``/``down_revision`` of the files in
``migrations/versions`` (`known_revisions`), so a start on a current database
never loads it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
PG_MIGRATION_LOCK = 0x41524541  # pg_advisory_xact_lock key held while migrating
SQLITE_BUSY_TIMEOUT = 10.0  # seconds a SQLite write waits for another console's lock

# What a database error means for the person at the console.
READ_ONLY = "sola-lettura"
BUSY = "occupato"
NOT_A_DATABASE = "non-database"
UNREACHABLE = "irraggiungibile"

_SQLITE_PROBLEMS = (
    ("attempt to write a readonly database", READ_ONLY),
    ("readonly database", READ_ONLY),
    ("unable to open database file", READ_ONLY),
    ("database is locked", BUSY),
    ("database table is locked", BUSY),
    ("database is busy", BUSY),
    ("file is not a database", NOT_A_DATABASE),
    ("file is encrypted or is not a database", NOT_A_DATABASE),
    ("database disk image is malformed", NOT_A_DATABASE),
)
_PG_PROBLEMS = {
    "25006": READ_ONLY,  # read_only_sql_transaction
    "42501": READ_ONLY,  # insufficient_privilege
    "55P03": BUSY,  # lock_not_available
    "40P01": BUSY,  # deadlock_detected
    "40001": BUSY,  # serialization_failure
    "57014": BUSY,  # query_canceled (lock_timeout, statement_timeout)
    "57P03": UNREACHABLE,  # cannot_connect_now
    "08000": UNREACHABLE,
    "08001": UNREACHABLE,
    "08003": UNREACHABLE,
    "08006": UNREACHABLE,
}

PROBLEM_MESSAGES = {
    READ_ONLY: "il database è in sola lettura (o il file e la sua cartella non sono scrivibili): "
    "la console non può salvare nulla. Controlla i permessi o indica un altro database con --db",
    BUSY: "il database è occupato da un'altra console (o da un altro programma) che lo tiene bloccato: "
    "riprova fra qualche istante",
    NOT_A_DATABASE: "il file indicato non è un database SQLite (o è danneggiato): nulla è stato scritto",
    UNREACHABLE: "impossibile aprire il database: il server non risponde o rifiuta la connessione",
}


def database_problem(error: BaseException) -> str | None:
    """READ_ONLY, BUSY, NOT_A_DATABASE or UNREACHABLE for a known database error, else None.

    Looks at the driver's error (``error.orig`` for a SQLAlchemy error, the
    error itself otherwise, then its causes): the SQLite message, or the
    PostgreSQL SQLSTATE.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        original = getattr(current, "orig", None)
        for candidate in (original, current):
            if candidate is None:
                continue
            sqlstate = getattr(candidate, "sqlstate", None)
            if isinstance(sqlstate, str) and sqlstate in _PG_PROBLEMS:
                return _PG_PROBLEMS[sqlstate]
            module = type(candidate).__module__ or ""
            if module.startswith(("sqlite3", "_sqlite3")) or candidate is original:
                message = str(candidate).lower()
                for needle, problem in _SQLITE_PROBLEMS:
                    if needle in message:
                        return problem
            if module.startswith("psycopg") and "connection" in str(candidate).lower() and sqlstate is None:
                return UNREACHABLE
        current = current.__cause__ or current.__context__
    return None


class ForeignDatabaseError(Exception):
    """The database belongs to another program (or another version): it is left untouched."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Connection settings only: nothing here writes to the file. WAL mode,
    # which is stored in the file, is switched on by `Database.migrate`
    # once the file is known to be ours.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (plain path or ``file:`` URI), None for memory."""
    database = url.database or ""
    if url.query.get("uri") in ("true", "1", "True"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if url.query.get("mode") == "memory":
            return None
    if not database or database == ":memory:":
        return None
    return Path(database)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def _revision_ids(path: Path) -> tuple[str | None, tuple[str, ...]]:
    """The `revision` and the `down_revision`(s) a migration file assigns at its top level."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]  # revision = "…"
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target  # revision: str = "…"
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            values[target.id] = ast.literal_eval(node.value)
    revision, down = values.get("revision"), values.get("down_revision")
    downs = (down,) if isinstance(down, str) else tuple(down) if isinstance(down, (tuple, list)) else ()
    return (revision if isinstance(revision, str) else None), tuple(str(d) for d in downs)


@lru_cache(maxsize=1)
def known_revisions() -> tuple[frozenset[str], str | None]:
    """Every revision of our migrations, and the newest (read once per process).

    Read from the migration files themselves (their ``revision`` and
    ``down_revision``), without importing Alembic: the newest is the one no
    other revision follows. None when there is not exactly one (Alembic then
    decides, and says what is wrong). A test checks this agrees with Alembic.
    """
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in sorted(VERSIONS_DIR.glob("*.py")):
        revision, downs = _revision_ids(path)
        if revision is not None:
            revisions.add(revision)
            followed.update(downs)
    heads = revisions - followed
    return frozenset(revisions), (next(iter(heads)) if len(heads) == 1 else None)


def schema_state(connection: Connection) -> tuple[bool, set[str]]:
    """(the database has tables of its own, the revisions in alembic_version); reads only.

    Raises ForeignDatabaseError when the database is not one of ours.
    """
    inspector = inspect(connection)
    tables = {name for name in inspector.get_table_names() if not name.startswith("sqlite_")}
    if VERSION_TABLE not in tables:
        if tables:
            shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
            raise ForeignDatabaseError(
                "il database contiene già delle tabelle ma non è un database di Area Clienti "
                f"(manca la tabella {VERSION_TABLE}; tabelle trovate: {shown}). "
                "Per sicurezza non è stato modificato: indica un database nuovo o vuoto con --db"
            )
        return False, set()
    revisions = {str(row[0]) for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}
    known, _head = known_revisions()
    unknown = sorted(revisions - known)
    if unknown:
        raise ForeignDatabaseError(
            f"il database è di un altro programma o di una versione più recente di Area Clienti "
            f"(revisione dello schema sconosciuta: {', '.join(unknown)}). "
            "Per sicurezza non è stato modificato"
        )
    if not revisions and tables - {VERSION_TABLE}:
        raise ForeignDatabaseError(
            f"il database contiene già delle tabelle e una tabella {VERSION_TABLE} vuota: "
            "non è un database di Area Clienti. Per sicurezza non è stato modificato"
        )
    return bool(tables - {VERSION_TABLE}), revisions


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """The block's work in `session` committed at its end, or rolled back on any error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Database:
    """One database: its engine, its sessions and its schema version."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._bound: Connection | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def check_ours(self) -> set[str]:
        """The schema revisions of the database; ForeignDatabaseError if it is not ours. Reads only."""
        with self.engine.connect() as connection:
            try:
                return schema_state(connection)[1]
            finally:
                connection.rollback()

    def migrate(self, on_new: Callable[[], object] | None = None) -> bool:
        """Bring the schema to the newest revision; True when the database was new.

        A database that is not ours is refused first (ForeignDatabaseError),
        with nothing written to it. The migration and `on_new` (run only for a
        new database, e.g. loading the demo) are one transaction: both are
        committed, or neither.
        """
        _known, head = known_revisions()
        current = self.check_ours()
        if self.is_sqlite and sqlite_file(self.engine.url) is not None:
            # Ours (or new): WAL from now on. A no-op when already set.
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                connection.commit()
        if head is not None and current == {head}:
            return False  # current: Alembic is not even imported
        with self.atomic(lock="migrate") as connection:
            has_tables, revisions = schema_state(connection)
            was_new = not revisions and not has_tables
            if head is None or revisions != {head}:
                from alembic import command

                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            if was_new and on_new is not None:
                on_new()
        return was_new

    @contextmanager
    def atomic(self, *, lock: str | None = None) -> Iterator[Connection]:
        """One transaction for everything done inside, through this Database or not.

        Every `session()` and `transaction()` opened inside joins it: their
        commits only flush, and the whole is committed at the end, or rolled
        back on error. On SQLite the write lock is taken at once (BEGIN
        IMMEDIATE), so a busy database is found before any work is done; on
        PostgreSQL `lock` also takes a transaction-level advisory lock.
        """
        if self._bound is not None:
            yield self._bound
            return
        with self.engine.connect() as connection:
            if self.is_sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif lock is not None and self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            self._bound = connection
            try:
                yield connection
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                self._bound = None

    def check_writable(self) -> None:
        """Raise the database's own error if nothing could be written now (read-only, locked).

        Writes nothing: a no-op UPDATE of the schema version, rolled back.
        """
        with self.engine.connect() as connection:
            try:
                if self.is_sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = version_num"))
            finally:
                connection.rollback()

    def session(self) -> Session:
        if self._bound is not None:
            return Session(bind=self._bound, expire_on_commit=False, join_transaction_mode="rollback_only")
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on error."""
        with self.session() as session, committing(session):
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
