"""The store (SPEC §6): Alembic migrations, SQLite pragmas, cascades, transactions;
hidden SQL parameters, foreign databases refused untouched, an atomic first start."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from areaclienti_tui.clock import FakeClock, as_utc
from areaclienti_tui.services import demo
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store import db as store_db
from areaclienti_tui.store.db import (
    BUSY,
    NOT_A_DATABASE,
    READ_ONLY,
    Database,
    ForeignDatabaseError,
    alembic_config,
    database_problem,
)
from areaclienti_tui.store.models import Account, Contact, Customer, Operator, Policy


def _customer(ctx, cf: str = "RSSMRA75C14H501L") -> Customer:
    now = ctx.clock.now()
    return Customer(
        codice_fiscale=cf, cf_base=cf, nome="Mario", cognome="Rossi", nome_norm="mario", cognome_norm="rossi",
        sesso="M", data_nascita=date(1975, 3, 14), created_at=now, updated_at=now,
    )


def _add_customer_with_records(ctx) -> int:
    with ctx.db.transaction() as session:
        customer = _customer(ctx)
        session.add(customer)
        session.flush()
        session.add(Contact(customer_id=customer.id, kind="email", value="mario.rossi@gmail.com", created_at=ctx.clock.now()))
        session.add(Contact(customer_id=customer.id, kind="mobile", value="+393471234567", created_at=ctx.clock.now()))
        session.add(Policy(customer_id=customer.id, numero="INA-1"))
        session.add(Account(customer_id=customer.id, username="mario.rossi@gmail.com", username_kind="email",
                            password_hash="x", created_at=ctx.clock.now()))
        return customer.id


def _count(ctx, model, **where) -> int:
    with ctx.db.session() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.exec(query).one()


# --- migrations ---------------------------------------------------------------------


def test_migrate_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'nuovo.db'}"
    db = Database(url)
    try:
        assert db.migrate() is True
        assert db.migrate() is False
    finally:
        db.dispose()
    again = Database(url)
    try:
        assert again.migrate() is False
        tables = set(inspect(again.engine).get_table_names())
    finally:
        again.dispose()
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_a_database_of_the_previous_version_gets_the_diagnosis_keys(tmp_path):
    """Migration 0003 fills the phonetic surname of the customers already there, then indexes it."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'vecchio.db'}"
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            connection.execute(text(
                "INSERT INTO customers (codice_fiscale, cf_base, nome, cognome, nome_norm, cognome_norm, sesso,"
                " data_nascita, luogo_nascita, inarcassa, created_at, updated_at) VALUES ('RSSMRA75C14H501L',"
                " 'RSSMRA75C14H501L', 'Mario', 'Rossi', 'mario', 'rossi', 'M', '1975-03-14', 'Roma', 1,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        assert db.migrate() is False
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT cognome_fon FROM customers")).scalar_one() == "RS"
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("customers")}
        assert {"ix_customers_data_nascita", "ix_customers_cognome_fon_nome_norm"} <= indexes
    finally:
        db.dispose()


def test_migrated_to_head(ctx):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with ctx.db.engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [head]


def test_schema_matches_models(ctx):
    inspector = inspect(ctx.db.engine)
    for name, table in SQLModel.metadata.tables.items():
        columns = {column["name"] for column in inspector.get_columns(name)}
        assert columns == {column.name for column in table.columns}, name


def test_creates_missing_folder(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a' / 'b' / 'c.db'}")
    try:
        assert db.migrate() is True
    finally:
        db.dispose()
    assert (tmp_path / "a" / "b" / "c.db").is_file()


# --- SQLite pragmas ---------------------------------------------------------------------


def test_sqlite_pragmas(ctx):
    assert ctx.db.is_sqlite
    with ctx.db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_foreign_keys_enforced(ctx):
    with pytest.raises(IntegrityError):
        with ctx.db.transaction() as session:
            session.add(Contact(customer_id=999, kind="email", value="x@y.it", created_at=ctx.clock.now()))
    assert _count(ctx, Contact) == 0


# --- cascades and constraints ---------------------------------------------------------------


def test_deleting_customer_cascades(ctx):
    customer_id = _add_customer_with_records(ctx)
    assert _count(ctx, Contact, customer_id=customer_id) == 2
    with ctx.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM customers WHERE id = :id"), {"id": customer_id})
    assert _count(ctx, Contact) == 0
    assert _count(ctx, Policy) == 0
    assert _count(ctx, Account) == 0


def test_one_account_per_customer_and_per_username(ctx):
    customer_id = _add_customer_with_records(ctx)
    with pytest.raises(IntegrityError):
        with ctx.db.transaction() as session:
            session.add(Account(customer_id=customer_id, username="altro@gmail.com", username_kind="email",
                                password_hash="x", created_at=ctx.clock.now()))
    with ctx.db.transaction() as session:
        other = _customer(ctx, "MRNGLI82L62F205C")
        session.add(other)
        session.flush()
        other_id = other.id
    with pytest.raises(IntegrityError):
        with ctx.db.transaction() as session:
            session.add(Account(customer_id=other_id, username="mario.rossi@gmail.com", username_kind="email",
                                password_hash="x", created_at=ctx.clock.now()))
    assert _count(ctx, Account) == 1


def test_unique_codice_fiscale(ctx):
    _add_customer_with_records(ctx)
    with pytest.raises(IntegrityError):
        with ctx.db.transaction() as session:
            session.add(_customer(ctx))


# --- transactions and timestamps -------------------------------------------------------------


def test_transaction_rolls_back_on_error(ctx):
    with pytest.raises(RuntimeError):
        with ctx.db.transaction() as session:
            session.add(_customer(ctx))
            session.flush()
            raise RuntimeError("boom")
    assert _count(ctx, Customer) == 0


def test_transaction_commits(ctx):
    with ctx.db.transaction() as session:
        session.add(_customer(ctx))
    assert _count(ctx, Customer) == 1


def test_timestamps_read_back_as_utc(ctx, clock):
    clock.advance(hours=5, microseconds=123)
    _add_customer_with_records(ctx)
    with ctx.db.session() as session:
        customer = session.exec(select(Customer)).one()
    assert as_utc(customer.created_at) == clock.now()


# --- safety: hidden parameters, foreign databases, atomic first start, busy/read-only ----------


def _digest(folder: Path) -> dict[str, str]:
    """Every file of the folder and its SHA-256: a byte-for-byte snapshot."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_bound_parameters_never_appear_in_errors(ctx):
    secret = "$2b$12$SEGRETOsegretoSEGRETOsegretoSEGRETOsegretoSEGRETOsegr"
    assert ctx.db.engine.hide_parameters
    with pytest.raises(IntegrityError) as caught:
        with ctx.db.transaction() as session:
            session.add(Operator(username="x", display_name="x", password_hash=secret, created_at=ctx.clock.now()))
            session.add(Operator(username="x", display_name="y", password_hash=secret, created_at=ctx.clock.now()))
    assert secret not in str(caught.value) and "SEGRETO" not in repr(caught.value)
    assert "parameters hidden" in str(caught.value)


def _foreign_file(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE fatture (numero TEXT, importo REAL)")
    connection.execute("INSERT INTO fatture VALUES ('F-1', 120.5)")
    connection.commit()
    connection.close()


def _unknown_revision_file(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    connection.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("make", "words"),
    [(_foreign_file, ["manca la tabella alembic_version", "fatture"]), (_unknown_revision_file, ["ae1027a6acf"])],
    ids=["senza-alembic", "revisione-sconosciuta"],
)
def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path, make, words):
    folder = tmp_path / "altrui"
    folder.mkdir()
    path = folder / "gestionale.db"
    make(path)
    before = _digest(folder)
    settings = Settings(data_dir=tmp_path / "dati", db=f"sqlite:///{path}", bcrypt_rounds=4, demo=True)
    with pytest.raises(ForeignDatabaseError) as caught:
        open_context(settings, FakeClock())
    for word in words:
        assert word in caught.value.message
    assert "non è stato modificato" in caught.value.message
    assert _digest(folder) == before  # same files, same bytes: no -wal, no alembic_version, no audit_events
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "audit_events" not in tables and "customers" not in tables


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    folder = tmp_path / "altrui"
    folder.mkdir()
    path = folder / "appunti.db"
    path.write_text("non sono un database SQLite\n" * 200, encoding="utf-8")
    before = _digest(folder)
    database = Database(f"sqlite:///{path}")
    try:
        with pytest.raises(Exception) as caught:
            database.migrate()
    finally:
        database.dispose()
    assert database_problem(caught.value) == NOT_A_DATABASE
    assert _digest(folder) == before


def test_an_empty_file_is_created_and_migrated(tmp_path):
    path = tmp_path / "vuoto.db"
    path.write_bytes(b"")
    database = Database(f"sqlite:///{path}")
    try:
        assert database.migrate() is True
        assert "customers" in inspect(database.engine).get_table_names()
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        database.dispose()


def _seeded(settings: Settings) -> tuple[int, bool, bool]:
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            customers = session.exec(select(func.count()).select_from(Customer)).one()
            account = session.exec(select(Account).where(Account.username == demo.REGISTERED_USERNAME)).first()
            operator = session.exec(select(Operator).where(Operator.username == demo.OPERATOR_USERNAME)).first()
        return customers, account is not None, operator is not None
    finally:
        database.dispose()


def test_a_first_start_failing_after_the_personas_leaves_nothing_and_is_redone(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'primo.db'}", bcrypt_rounds=4, demo=True)
    original = demo.importer.import_file

    def import_then_fail(*args, **kwargs):
        report = original(*args, **kwargs)
        assert report.inserted == 19
        raise RuntimeError("interrotto dopo le personas")

    monkeypatch.setattr(demo.importer, "import_file", import_then_fail)
    with pytest.raises(RuntimeError):
        open_context(settings, FakeClock())
    connection = sqlite3.connect(tmp_path / "primo.db")
    assert connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == []
    connection.close()

    monkeypatch.setattr(demo.importer, "import_file", original)
    open_context(settings, FakeClock()).db.dispose()
    assert _seeded(settings) == (19, True, True)


SEED_THEN_HANG = """
import sys, time
from areaclienti_tui.clock import FakeClock
from areaclienti_tui.services import demo
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings

original = demo.importer.import_file

def import_then_hang(*args, **kwargs):
    report = original(*args, **kwargs)
    print("personas", report.inserted, flush=True)
    time.sleep(120)
    return report

demo.importer.import_file = import_then_hang
open_context(Settings(data_dir=sys.argv[1], db=sys.argv[2], bcrypt_rounds=4, demo=True), FakeClock())
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 needs POSIX signals")
def test_a_first_start_killed_while_seeding_is_seeded_again_at_the_next_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'ucciso.db'}"
    child = subprocess.Popen(
        [sys.executable, "-c", SEED_THEN_HANG, str(tmp_path), url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "personas 19", (line, child.stderr.read() if child.poll() is not None else "")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    settings = Settings(data_dir=tmp_path, db=url, bcrypt_rounds=4, demo=True)
    open_context(settings, FakeClock()).db.dispose()
    assert _seeded(settings) == (19, True, True)


def test_reset_demo_is_all_or_nothing(demo_ctx, monkeypatch):
    with demo_ctx.db.transaction() as session:
        session.add(Operator(username="mrossi", display_name="Mario", password_hash="x", created_at=demo_ctx.clock.now()))

    def broken(*args, **kwargs):
        raise RuntimeError("guasto durante il ripristino")

    monkeypatch.setattr(demo, "hash_password", broken)
    with pytest.raises(RuntimeError):
        demo.reset(demo_ctx, actor="test")
    assert _count(demo_ctx, Operator, username="mrossi") == 1
    assert _count(demo_ctx, Customer) == 19


def test_a_read_only_database_fails_the_write_probe(tmp_path):
    path = tmp_path / "sola-lettura.db"
    Database(f"sqlite:///{path}").migrate()
    read_only = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        assert read_only.migrate() is False  # reading works
        with pytest.raises(Exception) as caught:
            read_only.check_writable()
    finally:
        read_only.dispose()
    assert database_problem(caught.value) == READ_ONLY


def test_a_locked_database_is_busy(tmp_path, monkeypatch):
    path = tmp_path / "bloccato.db"
    Database(f"sqlite:///{path}").migrate()
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    database = Database(f"sqlite:///{path}")
    try:
        with pytest.raises(Exception) as caught:
            database.check_writable()
        assert database_problem(caught.value) == BUSY
        with pytest.raises(Exception) as caught:
            with database.transaction() as session:
                session.add(Operator(username="x", display_name="x", password_hash="$2b$SEGRETO", created_at=FakeClock().now()))
        assert database_problem(caught.value) == BUSY
        assert "SEGRETO" not in str(caught.value)
    finally:
        holder.rollback()
        holder.close()
        database.dispose()
