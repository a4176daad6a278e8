"""Limits hold when many consoles try at the same instant (SPEC §4, "limits across flows").

Each race starts real processes (tests/races/worker.py), one per console, on
one SQLite file and on the PostgreSQL test server; they wait for one start
signal and then make their attempt together. Every attempt must be counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from areaclienti_tui.clock import SystemClock
from areaclienti_tui.paths import data_file
from areaclienti_tui.services import audit, codes, importer, outbox
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.models import Account, Customer, OneTimeCode

# The PostgreSQL database of tests/test_postgres.py: fresh per test, and never skipped in CI.
from test_postgres import pg_admin_url, pg_url  # noqa: E402, F401

WORKER = Path(__file__).parent / "races" / "worker.py"
CONSOLES = 12
USERNAME = "mario.rossi@gmail.com"
PASSWORD = "Girasole#Verde7"


@pytest.fixture(params=["sqlite", "postgresql"])
def race(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    """A migrated database with the personas and one account, on each backend."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'gara.db'}"
    env = {
        "AREACLIENTI_DB": url,
        "AREACLIENTI_DATA_DIR": str(tmp_path / "dati"),
        "AREACLIENTI_BCRYPT_ROUNDS": "4",
        "AREACLIENTI_DEMO": "0",
        "AREACLIENTI_CODES_PER_DESTINATION": "10",
        "AREACLIENTI_CODE_FAILURES_PER_HOUR": "10",
    }
    settings = Settings(db=url, data_dir=tmp_path / "dati", bcrypt_rounds=4, demo=False,
                        codes_per_destination=10, code_failures_per_hour=10)
    ctx = open_context(settings, SystemClock(), seed_demo=False)
    importer.import_file(ctx, data_file("personas.csv"))
    with ctx.db.transaction() as session:
        customer = session.exec(select(Customer).where(Customer.nome_norm == "mario", Customer.cognome_norm == "rossi")).first()
        assert customer is not None
        session.add(Account(customer_id=customer.id, username=USERNAME, username_kind="email",
                            password_hash=hash_password(PASSWORD, 4), created_at=ctx.clock.now()))
    yield {"ctx": ctx, "env": env, "folder": tmp_path, "customer_id": customer.id}
    ctx.db.dispose()


def run_race(race: dict, argv_per_console: list[list[str]]) -> list[dict]:
    """Start one process per console, release them together, return their outcomes."""
    folder = race["folder"] / f"gara-{time.monotonic_ns()}"
    folder.mkdir()
    env = {**os.environ, **race["env"]}
    processes = [
        subprocess.Popen([sys.executable, str(WORKER), str(folder), f"c{i}", *argv],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, argv in enumerate(argv_per_console)
    ]
    deadline = time.monotonic() + 120
    while len(list(folder.glob("*.ready"))) < len(processes):
        failed = [p for p in processes if p.poll() not in (None, 0)]
        assert not failed, failed[0].communicate()[1]
        assert time.monotonic() < deadline, "the consoles did not start"
        time.sleep(0.01)
    (folder / "go").touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes


def _account(ctx) -> Account:
    with ctx.db.session() as session:
        return session.exec(select(Account).where(Account.username == USERNAME)).one()


def test_wrong_passwords_from_many_consoles_all_count(race):
    outcomes = run_race(race, [["login", USERNAME, f"Sbagliata#{i}"] for i in range(CONSOLES)])
    assert all(o["kind"] in ("invalid", "locked") for o in outcomes)
    account = _account(race["ctx"])
    events = [e for e in audit.latest(race["ctx"], kind="accesso") if e.subject == USERNAME]
    assert len(events) == CONSOLES
    # Every password that was checked was counted once: the counts are 1, 2, … with no repeat
    # (a lost update would repeat one); the others met the lock those counts set.
    counted = sorted(e.details["failures"] for e in events if "failures" in e.details)
    assert counted == list(range(1, account.failed_logins + 1))
    assert account.failed_logins >= race["ctx"].settings.login_max_failures
    assert account.locked_until is not None
    # The right password is now refused: the account is locked.
    outcomes = run_race(race, [["login", USERNAME, PASSWORD]])
    assert outcomes == [{"kind": "locked", "message": outcomes[0]["message"]}]


def test_unknown_name_from_many_consoles_locks_too(race):
    outcomes = run_race(race, [["login", "nessuno@gmail.com", f"Sbagliata#{i}"] for i in range(CONSOLES)])
    assert all(o["kind"] in ("invalid", "locked") for o in outcomes)
    again = run_race(race, [["login", "nessuno@gmail.com", PASSWORD]])
    assert again[0]["kind"] == "locked"


def test_parallel_guesses_on_one_code_are_limited_to_its_tries(race):
    ctx = race["ctx"]
    flow = codes.new_flow_id()
    codes.issue(ctx, flow_id=flow, purpose="accesso", channel="email", destination=USERNAME, actor="t",
                customer_id=race["customer_id"])
    right = outbox.newest_code(ctx, USERNAME)
    assert right is not None
    wrong = [f"{(int(right) + i) % 1_000_000:06d}" for i in range(1, CONSOLES + 1)]
    outcomes = run_race(race, [["verify", flow, guess] for guess in wrong])
    kinds = [o["kind"] for o in outcomes]
    # Exactly five tries reached the comparison (4 "wrong" and the 5th "exhausted"); the rest were refused unchecked.
    assert kinds.count("wrong") == ctx.settings.code_max_attempts - 1
    assert kinds.count("exhausted") == CONSOLES - (ctx.settings.code_max_attempts - 1)
    with ctx.db.session() as session:
        row = session.exec(select(OneTimeCode).where(OneTimeCode.flow_id == flow)).one()
    assert row.attempts == ctx.settings.code_max_attempts and row.voided_at is not None
    checked = [e for e in audit.latest(ctx, kind="codice_verifica") if e.outcome in ("errato", "esaurito")]
    assert len(checked) == ctx.settings.code_max_attempts
    assert run_race(race, [["verify", flow, right]])[0]["kind"] == "exhausted"


def test_wrong_codes_across_flows_from_many_consoles_lock_the_account(race):
    ctx = race["ctx"]
    ctx.settings.codes_per_destination = 100  # this race is about wrong codes, not sends
    flows = []
    for _ in range(CONSOLES + 1):
        flow = codes.new_flow_id()
        codes.issue(ctx, flow_id=flow, purpose="accesso", channel="sms", destination="+393471234567", actor="t",
                    customer_id=race["customer_id"])
        flows.append((flow, outbox.newest_code(ctx, "+393471234567")))
    outcomes = run_race(race, [["verify", flow, f"{(int(code) + 1) % 1_000_000:06d}"] for flow, code in flows[:-1]])
    kinds = [o["kind"] for o in outcomes]
    limit = ctx.settings.code_failures_per_hour
    assert kinds.count("wrong") == limit - 1 and kinds.count("locked") == CONSOLES - (limit - 1)
    last_flow, last_code = flows[-1]
    assert run_race(race, [["verify", last_flow, last_code]])[0]["kind"] == "locked"
    assert _account(ctx).locked_until is not None


@pytest.mark.long(11)
def test_recoveries_from_many_consoles_send_at_most_the_limit(race):
    ctx = race["ctx"]
    outcomes = run_race(race, [["recovery", USERNAME] for _ in range(CONSOLES)])
    kinds = [o["kind"] for o in outcomes]
    assert kinds.count("ok") == 10 and kinds.count("limit") == CONSOLES - 10
    assert len([m for m in outbox.latest(ctx, limit=None) if m.to == USERNAME]) == 10
    # The same for a name without account: the same answers, nothing sent.
    unknown = run_race(race, [["recovery", "nessuno@gmail.com"] for _ in range(CONSOLES)])
    assert sorted(o["kind"] for o in unknown) == sorted(kinds)
