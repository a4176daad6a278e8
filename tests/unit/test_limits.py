"""Limits across flows (SPEC §4), no enumeration, keyed code hashes, masked outbox."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import time

import pytest
from sqlmodel import select

from areaclienti_tui.services import auth, codes, keys, limits, outbox, security
from areaclienti_tui.services.demo import REGISTERED_PASSWORD, REGISTERED_USERNAME
from areaclienti_tui.store.models import Account, OneTimeCode

UNKNOWN = "nessuno.qui@gmail.com"


def _account(ctx) -> Account:
    with ctx.db.session() as session:
        return session.exec(select(Account).where(Account.username == REGISTERED_USERNAME)).one()


def _login_outcomes(ctx, username: str, n: int) -> list[tuple[str, str]]:
    seen = []
    for _ in range(n):
        with pytest.raises(auth.LoginError) as caught:
            auth.customer_login(ctx, username, "Sbagliata#123")
        seen.append((caught.value.kind, caught.value.message))
    return seen


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- no enumeration: login and lockout ---------------------------------------------


def test_unknown_username_locks_like_a_known_one(demo_ctx):
    known = _login_outcomes(demo_ctx, REGISTERED_USERNAME, 7)
    unknown = _login_outcomes(demo_ctx, UNKNOWN, 7)
    assert known == unknown
    assert [kind for kind, _ in known] == ["invalid"] * 4 + ["locked"] * 3


def test_unknown_username_failures_count_every_spelling_of_a_mobile(demo_ctx):
    for spelling in ("3399990000", "+39 339 999 0000", "+393399990000", "339 999 0000", " 3399990000 "):
        with pytest.raises(auth.LoginError) as caught:
            auth.customer_login(demo_ctx, spelling, "Sbagliata#123")
    assert caught.value.kind == "locked"


def test_unknown_username_lock_expires(demo_ctx, clock):
    _login_outcomes(demo_ctx, UNKNOWN, 5)
    clock.advance(60)
    assert _login_outcomes(demo_ctx, UNKNOWN, 1) == [("locked", auth.locked_message(120))]


def test_typed_names_are_not_kept_in_clear(demo_ctx):
    _login_outcomes(demo_ctx, "Segreto#Digitato1", 2)
    with demo_ctx.db.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT scope, key FROM security_counters").all()
    assert rows and all("segreto" not in key.lower() for _, key in rows)


def test_operator_unknown_name_locks_like_a_known_one(demo_ctx):
    def outcomes(name: str) -> list[str]:
        seen = []
        for _ in range(6):
            with pytest.raises(auth.LoginError) as caught:
                auth.operator_login(demo_ctx, name, "Sbagliata#123")
            seen.append(caught.value.message)
        return seen

    assert outcomes("operatore") == outcomes("fantasma")


# --- no enumeration: recovery --------------------------------------------------------


def _recovery_transcript(ctx, clock, username: str) -> list[str]:
    """Everything a person sees during a recovery with wrong codes and a resend."""
    recovery = security.start_recovery(ctx, username)
    seen = [str(codes.resend_status(ctx, recovery.flow_id))]
    for _ in range(2):
        with pytest.raises(codes.CodeError) as caught:
            security.verify_recovery(ctx, recovery, "000000")
        seen.append(caught.value.message)
    with pytest.raises(codes.CodeError) as caught:
        security.resend_recovery(ctx, recovery)
    seen.append(caught.value.message)
    clock.advance(30)
    again = security.resend_recovery(ctx, recovery)
    seen.append(f"{again.resends_left} {again.expires_at - again.sent_at}")
    for _ in range(5):
        with pytest.raises(codes.CodeError) as caught:
            security.verify_recovery(ctx, recovery, "000000")
        seen.append(caught.value.message)
    return seen


def test_recovery_is_the_same_for_known_and_unknown_names(demo_ctx, clock, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "123456")  # "000000" is always wrong
    known = _recovery_transcript(demo_ctx, clock, REGISTERED_USERNAME)
    unknown = _recovery_transcript(demo_ctx, clock, UNKNOWN)
    assert known == unknown
    assert "Ti restano 4 tentativi." in known[1]
    assert all(UNKNOWN not in m.to for m in outbox.latest(demo_ctx))


def test_recovery_for_an_unknown_name_sends_nothing(demo_ctx):
    before = len(outbox.latest(demo_ctx))
    recovery = security.start_recovery(demo_ctx, UNKNOWN)
    assert recovery.account_id is None
    assert len(outbox.latest(demo_ctx)) == before


def test_recovery_timing_is_the_same_within_noise(demo_ctx):
    def median(username: str) -> float:
        samples = []
        for _ in range(9):
            start = time.perf_counter()
            security.start_recovery(demo_ctx, username)
            samples.append(time.perf_counter() - start)
            with demo_ctx.db.transaction() as session:  # keep the per-destination limit out of the way
                session.exec(limits.SecurityCounter.__table__.delete())  # type: ignore[attr-defined]
        return sorted(samples)[len(samples) // 2]

    median(REGISTERED_USERNAME)  # warm up both paths
    known, unknown = median(REGISTERED_USERNAME), median(UNKNOWN)
    # Not a speed assertion: both paths do the same work, so neither is an order of magnitude apart.
    assert max(known, unknown) < 5 * min(known, unknown)


# --- codes sent per destination ----------------------------------------------------------


def test_codes_per_destination_across_flows_and_purposes(demo_ctx, clock):
    demo_ctx.settings.codes_per_destination = 10
    purposes = ["registrazione", "accesso", "recupero", "operazione"]
    for i in range(10):
        codes.issue(demo_ctx, flow_id=codes.new_flow_id(), purpose=purposes[i % 4], channel="sms",
                    destination="+393471234567", actor="t")
    with pytest.raises(codes.CodeError) as caught:
        codes.issue(demo_ctx, flow_id=codes.new_flow_id(), purpose="accesso", channel="sms",
                    destination="+393471234567", actor="t")
    assert caught.value.kind == "limit"
    assert "troppi codici per questo recapito" in caught.value.message
    assert "15 minuti" in caught.value.message
    # Another destination is not affected; the window passes.
    codes.issue(demo_ctx, flow_id=codes.new_flow_id(), purpose="accesso", channel="sms",
                destination="+393471234568", actor="t")
    clock.advance(900)
    codes.issue(demo_ctx, flow_id=codes.new_flow_id(), purpose="accesso", channel="sms",
                destination="+393471234567", actor="t")


def test_two_hundred_recoveries_send_at_most_the_limit(demo_ctx):
    sent_before = len(outbox.latest(demo_ctx, limit=None))
    refused = 0
    for _ in range(200):
        try:
            security.start_recovery(demo_ctx, REGISTERED_USERNAME)
        except codes.CodeError as error:
            assert error.kind == "limit"
            refused += 1
    assert len(outbox.latest(demo_ctx, limit=None)) - sent_before == demo_ctx.settings.codes_per_destination
    assert refused == 200 - demo_ctx.settings.codes_per_destination


# --- wrong codes per account across flows --------------------------------------------------


def test_wrong_codes_across_flows_lock_the_account(demo_ctx, clock, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "123456")
    settings = demo_ctx.settings
    settings.code_failures_per_hour = 10
    account = _account(demo_ctx)
    guesses = 0
    kinds = []
    for _ in range(200):  # as many recoveries as the per-destination limit lets through
        try:
            recovery = security.start_recovery(demo_ctx, REGISTERED_USERNAME)
        except codes.CodeError:
            clock.advance(900)
            continue
        for _ in range(5):
            try:
                security.verify_recovery(demo_ctx, recovery, "000000")
            except codes.CodeError as error:
                kinds.append(error.kind)
                guesses += 1
                if error.kind in ("exhausted", "locked"):
                    break
        if "locked" in kinds:
            break
    assert kinds.count("wrong") + kinds.count("exhausted") == 9 and kinds[-1] == "locked"
    # The right code is refused too, and the password login is locked as after wrong passwords.
    recovery = security.start_recovery(demo_ctx, REGISTERED_USERNAME)
    with pytest.raises(codes.CodeError) as caught:
        security.verify_recovery(demo_ctx, recovery, "123456")
    assert caught.value.kind == "locked"
    with pytest.raises(auth.LoginError) as login_error:
        auth.customer_login(demo_ctx, REGISTERED_USERNAME, REGISTERED_PASSWORD)
    assert login_error.value.kind == "locked"
    assert account.id is not None


def test_code_lock_ends_with_the_hour_and_an_operator_can_lift_it(demo_ctx, clock, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "123456")
    demo_ctx.settings.code_failures_per_hour = 3
    recovery = security.start_recovery(demo_ctx, REGISTERED_USERNAME)
    for _ in range(3):
        with pytest.raises(codes.CodeError):
            security.verify_recovery(demo_ctx, recovery, "000000")
    clock.advance(60)
    fresh = security.start_recovery(demo_ctx, REGISTERED_USERNAME)
    with pytest.raises(codes.CodeError) as caught:
        security.verify_recovery(demo_ctx, fresh, "123456")
    assert caught.value.kind == "locked"
    with demo_ctx.db.transaction() as session:
        auth.unlock_account(demo_ctx, session, session.get(Account, _account(demo_ctx).id))
    security.verify_recovery(demo_ctx, security.start_recovery(demo_ctx, REGISTERED_USERNAME), "123456")


def test_right_code_gives_back_its_reserved_try(demo_ctx, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "123456")
    demo_ctx.settings.code_failures_per_hour = 2
    for _ in range(5):  # five right codes in a row never add up to a lock
        security.verify_recovery(demo_ctx, security.start_recovery(demo_ctx, REGISTERED_USERNAME), "123456")


# --- keyed hashes ---------------------------------------------------------------------------


def test_code_hash_needs_the_key_outside_the_database(demo_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "654321")
    flow = codes.new_flow_id()
    codes.issue(demo_ctx, flow_id=flow, purpose="accesso", channel="sms", destination="+393471234567", actor="t")
    with demo_ctx.db.session() as session:
        stored = session.exec(select(OneTimeCode.code_hash).where(OneTimeCode.flow_id == flow)).one()
    _, salt, digest = stored.split("$")
    # What a copy of the database alone allows: trying codes against the salt, without the key.
    for guess in ("654321",):
        assert hmac.new(salt.encode(), guess.encode(), hashlib.sha256).hexdigest() != digest
        assert hashlib.sha256((salt + guess).encode()).hexdigest() != digest
    # With the key it matches: the key is what makes the difference.
    assert codes._matches(demo_ctx.secret, stored, "654321")
    assert not codes._matches(os.urandom(32), stored, "654321")


def test_key_file_is_private_and_stable(demo_ctx):
    path = demo_ctx.settings.secret_file
    first = demo_ctx.secret
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    keys._cache.clear()
    assert keys.secret_key(path) == first


def test_key_file_created_once_by_racing_threads(tmp_path):
    import threading

    path = tmp_path / "chiave"
    found: list[bytes] = []

    def make() -> None:
        found.append(keys._create(path) if not path.exists() else keys._read(path))  # type: ignore[arg-type]

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and keys._read(path) == found[0]


# --- the outbox shows only live codes -----------------------------------------------------------


def test_outbox_masks_used_and_expired_codes(demo_ctx, clock):
    flow = codes.new_flow_id()
    codes.issue(demo_ctx, flow_id=flow, purpose="accesso", channel="sms", destination="+393471234567", actor="t")
    (live,) = outbox.latest(demo_ctx, limit=1)
    assert live.code and live.code in live.body and live.as_json()["code"] == live.code
    codes.verify(demo_ctx, flow, live.code, actor="t")
    (used,) = outbox.latest(demo_ctx, limit=1)
    assert used.code is None and live.code not in used.body and outbox.CODE_MASK in used.body
    with demo_ctx.db.engine.connect() as connection:
        bodies = [b for (b,) in connection.exec_driver_sql("SELECT body FROM outbox").all()]
    assert all(live.code not in body for body in bodies)

    other = codes.new_flow_id()
    codes.issue(demo_ctx, flow_id=other, purpose="accesso", channel="sms", destination="+393471234567", actor="t")
    (fresh,) = outbox.latest(demo_ctx, limit=1)
    assert fresh.code is not None
    clock.advance(demo_ctx.settings.code_ttl_seconds)
    (expired,) = outbox.latest(demo_ctx, limit=1)
    assert expired.code is None and fresh.code not in expired.body


def test_exhausted_code_is_masked(demo_ctx, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "123456")
    flow = codes.new_flow_id()
    codes.issue(demo_ctx, flow_id=flow, purpose="accesso", channel="sms", destination="+393471234567", actor="t")
    for _ in range(5):
        with pytest.raises(codes.CodeError):
            codes.verify(demo_ctx, flow, _wrong("123456"), actor="t")
    (message,) = outbox.latest(demo_ctx, limit=1)
    assert message.code is None and "123456" not in message.body


def test_defaults_let_a_trainer_walk_one_persona_through_every_branch(demo_ctx, clock, monkeypatch):
    """Registration with every resend and an exhausted code, wrong 9A codes, a recovery with wrong codes:
    with the default settings no limit is reached."""
    from areaclienti_tui.settings import Settings

    defaults = Settings()
    demo_ctx.settings.codes_per_destination = defaults.codes_per_destination
    demo_ctx.settings.code_failures_per_hour = defaults.code_failures_per_hour
    monkeypatch.setattr(codes, "_generate", lambda: "123456")
    customer = _account(demo_ctx).customer_id

    def walk(destination: str, purpose: str, sends: int, wrong: int) -> None:
        flow = codes.new_flow_id()
        for i in range(sends):
            codes.issue(demo_ctx, flow_id=flow, purpose=purpose, destination=destination,
                        channel="email" if "@" in destination else "sms",
                        actor="formatore", customer_id=customer)
            clock.advance(30)
        for _ in range(wrong):
            with pytest.raises(codes.CodeError) as caught:
                codes.verify(demo_ctx, flow, "000000", actor="formatore")
            assert caught.value.kind in ("wrong", "exhausted")

    walk(REGISTERED_USERNAME, "registrazione", sends=4, wrong=5)  # 6A/7A: three resends, code exhausted
    walk("+393381234567", "accesso", sends=2, wrong=4)  # 9A at login
    walk(REGISTERED_USERNAME, "recupero", sends=2, wrong=4)  # recovery
    walk("+393381234567", "operazione", sends=1, wrong=2)  # 9A before a change of password
    recovery = security.start_recovery(demo_ctx, REGISTERED_USERNAME)
    security.verify_recovery(demo_ctx, recovery, "123456")
    assert auth.customer_login(demo_ctx, REGISTERED_USERNAME, REGISTERED_PASSWORD).username == REGISTERED_USERNAME
