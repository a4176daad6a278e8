"""The same services on PostgreSQL (SPEC §6), against the server of scripts/pg-test-server.

`AREACLIENTI_TEST_PG` is the URL of a database on that server (`make test`
always sets it). Without it these tests are skipped on a developer machine
but *fail* under CI (`CI` set): a test that needs the server must never
pass silently by not running.

Every test gets its own database, dropped and created again from the admin
connection and named after the xdist worker, so parallel workers never meet.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect
from sqlalchemy.engine import make_url
from sqlmodel import select

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.paths import data_file
from areaclienti_tui.rules.username import Username, load_pec_domains, parse_email, parse_mobile
from areaclienti_tui.services import codes, importer, outbox, registration
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.passwords import check_password, hash_password
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.db import Database
from areaclienti_tui.store.models import Account, Customer, PrivacyConsent

pytestmark = pytest.mark.postgres

PASSWORD = "Girasole#Verde7"
PERSONAS = data_file("personas.csv")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("AREACLIENTI_TEST_PG", "").strip()
    if not url:
        message = "AREACLIENTI_TEST_PG non impostata: avvia il server con scripts/pg-test-server (make test lo fa)"
        if os.environ.get("CI"):
            pytest.fail(message + " — in CI questi test non possono essere saltati", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def pg_url(pg_admin_url: str, worker_id: str) -> Iterator[str]:
    """A fresh, empty database for this test (per xdist worker), dropped afterwards."""
    name = "areaclienti_t_" + re.sub(r"[^a-z0-9_]", "_", worker_id.lower())
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def pg_ctx(pg_url: str, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(db=pg_url, data_dir=tmp_path, bcrypt_rounds=4, demo=False)
    ctx = open_context(settings, FakeClock())
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def personas(pg_ctx: Context) -> Context:
    report = importer.import_file(pg_ctx, PERSONAS)
    assert report.errors == []
    return pg_ctx


def _pending(ctx: Context, customer_id: int, username: Username) -> registration.PendingAccount:
    return registration.PendingAccount(
        customer_id=customer_id,
        username=username,
        password_hash=hash_password(PASSWORD, ctx.settings.bcrypt_rounds),
        notice_version="test",
    )


def test_migrate_empty_database(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        assert db.engine.dialect.name == "postgresql"
        assert db.migrate() is True
        tables = set(inspect(db.engine).get_table_names())
        assert {"alembic_version", "customers", "contacts", "policies", "accounts", "one_time_codes", "outbox",
                "audit_events", "operators", "assistance_requests", "documents", "privacy_consents"} <= tables
        account_uniques = {tuple(u["column_names"]) for u in inspect(db.engine).get_unique_constraints("accounts")}
        account_uniques |= {
            tuple(i["column_names"]) for i in inspect(db.engine).get_indexes("accounts") if i.get("unique")
        }
        assert ("customer_id",) in account_uniques
        assert ("username",) in account_uniques
        assert db.migrate() is False, "a second migration finds the schema up to date"
    finally:
        db.dispose()


def test_import_personas(pg_ctx: Context) -> None:
    report = importer.import_file(pg_ctx, PERSONAS)
    assert report.errors == []
    assert report.inserted == report.rows == 19
    with pg_ctx.db.session() as session:
        assert session.exec(select(func.count()).select_from(Customer)).one() == 19
    again = importer.import_file(pg_ctx, PERSONAS)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 19)


def test_registration_end_to_end(personas: Context) -> None:
    ctx = personas
    person = registration.PersonalData("Mario", "Rossi", date(1975, 3, 14), "M")
    username = parse_email("mario.rossi@gmail.com", load_pec_domains(ctx.settings.pec_domains_file))
    recognition = registration.recognise(ctx, person, username)
    assert recognition.outcome == registration.RECOGNISED
    assert recognition.customer_id is not None

    pending = _pending(ctx, recognition.customer_id, username)
    issued = registration.send_code(ctx, pending)
    assert issued.channel == "email"
    code = outbox.newest_code(ctx, to=username.value)
    assert code is not None and len(code) == 6

    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(codes.CodeError) as refused:
        registration.complete(ctx, issued.flow_id, wrong, pending)
    assert refused.value.kind == "wrong"

    account = registration.complete(ctx, issued.flow_id, code, pending)
    assert account.id is not None
    with ctx.db.session() as session:
        stored = session.exec(select(Account).where(Account.username == username.value)).one()
        assert check_password(PASSWORD, stored.password_hash)
        consent = session.exec(select(PrivacyConsent).where(PrivacyConsent.account_id == stored.id)).one()
        assert consent.notice_version == "test"

    # The code is single use, and the customer is now "già registrato".
    with pytest.raises(codes.CodeError):
        registration.complete(ctx, issued.flow_id, code, pending)
    assert registration.recognise(ctx, person, username).outcome == registration.ALREADY_REGISTERED
    assert registration.username_taken(ctx, username)


def test_concurrent_completion_creates_one_account(personas: Context) -> None:
    """Two consoles finish registering the same customer at once: one account, one AlreadyRegistered."""
    ctx = personas
    person = registration.PersonalData("Giulia", "Marino", date(1982, 7, 22), "F")
    by_email = parse_email("giulia.marino@libero.it", ())
    by_mobile = parse_mobile("3289876543")
    flows = []
    for username in (by_email, by_mobile):
        recognition = registration.recognise(ctx, person, username)
        assert recognition.outcome == registration.RECOGNISED
        pending = _pending(ctx, recognition.customer_id, username)
        issued = registration.send_code(ctx, pending)
        code = outbox.newest_code(ctx, to=username.value)
        assert code is not None
        flows.append((issued.flow_id, code, pending))
    assert flows[0][2].customer_id == flows[1][2].customer_id

    barrier = threading.Barrier(len(flows))
    results: list[object] = [None] * len(flows)

    def finish(index: int) -> None:
        flow_id, code, pending = flows[index]
        barrier.wait()
        try:
            results[index] = registration.complete(ctx, flow_id, code, pending)
        except Exception as error:  # noqa: BLE001 - collected and checked below
            results[index] = error

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(len(flows))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    accounts = [r for r in results if isinstance(r, Account)]
    refused = [r for r in results if isinstance(r, registration.AlreadyRegistered)]
    assert len(accounts) == 1 and len(refused) == 1, results
    with ctx.db.session() as session:
        rows = session.exec(select(Account).where(Account.customer_id == flows[0][2].customer_id)).all()
    assert [row.username for row in rows] == [accounts[0].username]


def test_unique_constraints_hold_when_the_check_is_raced(personas: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if both consoles passed the "has an account?" check, the database refuses the second account."""
    ctx = personas
    person = registration.PersonalData("Luca", "Ferrari", date(1980, 5, 10), "M")
    username = parse_email("luca.ferrari.ing@gmail.com", ())
    recognition = registration.recognise(ctx, person, username)
    assert recognition.outcome == registration.RECOGNISED
    other = parse_mobile("3351112233")  # the same customer's mobile
    flows = []
    for contact in (username, other):
        pending = _pending(ctx, recognition.customer_id, contact)
        issued = registration.send_code(ctx, pending)
        flows.append((issued.flow_id, outbox.newest_code(ctx, to=contact.value), pending))

    monkeypatch.setattr(registration, "has_account", lambda session, customer_id: False)
    first = registration.complete(ctx, *flows[0])
    assert first.id is not None
    with pytest.raises(registration.AlreadyRegistered):
        registration.complete(ctx, *flows[1])
    with ctx.db.session() as session:
        assert session.exec(select(func.count()).select_from(Account)).one() == 1


# --- a database that is not ours, and an interrupted first start ----------------------


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", [None, "ae1027a6acf"], ids=["senza-alembic", "revisione-sconosciuta"])
def test_a_foreign_database_is_refused_untouched(pg_url: str, tmp_path: Path, revision: str | None) -> None:
    from areaclienti_tui.store.db import ForeignDatabaseError

    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE fatture (numero TEXT PRIMARY KEY, importo NUMERIC)")
        connection.exec_driver_sql("INSERT INTO fatture VALUES ('F-1', 99)")
        if revision:
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            connection.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{revision}')")
    engine.dispose()
    before = _tables(pg_url)
    settings = Settings(db=pg_url, data_dir=tmp_path, bcrypt_rounds=4, demo=True)
    with pytest.raises(ForeignDatabaseError) as caught:
        open_context(settings, FakeClock())
    assert "non è stato modificato" in caught.value.message
    assert _tables(pg_url) == before and "audit_events" not in before


def test_a_first_start_failing_while_seeding_leaves_nothing_and_is_redone(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from areaclienti_tui.services import demo

    settings = Settings(db=pg_url, data_dir=tmp_path, bcrypt_rounds=4, demo=True)
    original = demo.importer.import_file

    def import_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("interrotto dopo le personas")

    monkeypatch.setattr(demo.importer, "import_file", import_then_fail)
    with pytest.raises(RuntimeError):
        open_context(settings, FakeClock())
    assert _tables(pg_url) == set()  # the migration went with the seed

    monkeypatch.setattr(demo.importer, "import_file", original)
    ctx = open_context(settings, FakeClock())
    try:
        with ctx.db.session() as session:
            assert session.exec(select(func.count()).select_from(Customer)).one() == 19
            assert session.exec(select(Account).where(Account.username == demo.REGISTERED_USERNAME)).first()
    finally:
        ctx.db.dispose()
