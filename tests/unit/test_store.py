"""The store (SPEC §6): Alembic migrations, SQLite pragmas, cascades, transactions."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.store.db import Database, alembic_config
from areaclienti_tui.store.models import Account, Contact, Customer, Policy


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

