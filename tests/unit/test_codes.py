"""One-time codes (SPEC §4): 6 digits, hashed, single use, 5 min, 5 tries, 3 resends."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel import select

from areaclienti_tui.services import audit, codes, outbox
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.models import OneTimeCode

MOBILE = "+393471234567"
EMAIL = "mario.rossi@gmail.com"


def _issue(ctx, flow_id: str, *, channel: str = "sms", destination: str = MOBILE) -> tuple[codes.IssuedCode, str]:
    issued = codes.issue(
        ctx, flow_id=flow_id, purpose="registrazione", channel=channel, destination=destination, actor="test"
    )
    code = outbox.newest_code(ctx, destination)
    assert code is not None
    return issued, code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _rows(ctx, flow_id: str) -> list[OneTimeCode]:
    with ctx.db.session() as session:
        return list(session.exec(select(OneTimeCode).where(OneTimeCode.flow_id == flow_id).order_by(OneTimeCode.id)))


@pytest.fixture
def flow() -> str:
    return codes.new_flow_id()


@pytest.fixture
def scripted_codes(monkeypatch):
    """Make the generator hand out 111111, 222222, ... so codes of one flow surely differ."""
    sequence = (f"{digit}" * 6 for digit in itertools.cycle("123456789"))
    monkeypatch.setattr(codes, "_generate", lambda: next(sequence))


# --- format and storage -------------------------------------------------------


def test_codes_are_six_digits_and_vary(ctx):
    seen = set()
    for _ in range(8):
        _, code = _issue(ctx, codes.new_flow_id())
        assert len(code) == 6 and code.isdigit()
        seen.add(code)
    assert len(seen) > 1


def test_code_stored_only_as_hash(ctx, flow):
    _, code = _issue(ctx, flow)
    with ctx.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM one_time_codes WHERE flow_id = :f"), {"f": flow}).all()
    assert len(rows) == 1
    assert all(code not in str(value) for value in rows[0])
    assert len(rows[0]._mapping["code_hash"]) > 6
    # The audit trail does not carry the code either.
    assert all(code not in str(event.details) + event.subject for event in audit.latest(ctx))


def test_right_code_is_accepted_and_consumed(ctx, flow, clock):
    _, code = _issue(ctx, flow)
    row = codes.verify(ctx, flow, code, actor="test")
    assert row.consumed_at is not None
    assert _rows(ctx, flow)[0].consumed_at is not None


def test_code_is_single_use(ctx, flow):
    _, code = _issue(ctx, flow)
    codes.verify(ctx, flow, code, actor="test")
    with pytest.raises(codes.CodeError) as error:
        codes.verify(ctx, flow, code, actor="test")
    assert error.value.kind == "missing"


def test_unknown_flow_is_missing(ctx):
    with pytest.raises(codes.CodeError) as error:
        codes.verify(ctx, codes.new_flow_id(), "123456", actor="test")
    assert error.value.kind == "missing"


def test_code_is_checked_against_its_own_flow(ctx, scripted_codes):
    flow_a, flow_b = codes.new_flow_id(), codes.new_flow_id()
    _, code_a = _issue(ctx, flow_a)
    _, code_b = _issue(ctx, flow_b, destination="+393289876543")
    assert code_a != code_b
    with pytest.raises(codes.CodeError) as error:
        codes.verify(ctx, flow_b, code_a, actor="test")
    assert error.value.kind == "wrong"
    codes.verify(ctx, flow_a, code_a, actor="test")


# --- expiry -----------------------------------------------------------------------


def test_valid_at_299_seconds(ctx, flow, clock):
    _, code = _issue(ctx, flow)
    clock.advance(299)
    codes.verify(ctx, flow, code, actor="test")


def test_expired_at_exactly_300_seconds(ctx, flow, clock):
    issued, code = _issue(ctx, flow)
    assert issued.expires_at == clock.now() + timedelta(seconds=300)
    clock.advance(300)
    with pytest.raises(codes.CodeError) as error:
        codes.verify(ctx, flow, code, actor="test")
    assert error.value.kind == "expired"
    assert _rows(ctx, flow)[0].consumed_at is None


def test_ttl_is_configurable(ctx, flow, clock):
    ctx.settings.code_ttl_seconds = 120
    issued, code = _issue(ctx, flow)
    assert issued.expires_at == clock.now() + timedelta(seconds=120)
    assert "vale 2 minuti" in outbox.latest(ctx)[0].body
    clock.advance(120)
    with pytest.raises(codes.CodeError) as error:
        codes.verify(ctx, flow, code, actor="test")
    assert error.value.kind == "expired"


def test_ttl_over_ten_minutes_is_refused_by_settings(tmp_path):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, code_ttl_seconds=601)
    assert Settings(data_dir=tmp_path, code_ttl_seconds=600).code_ttl_seconds == 600


def test_ttl_never_over_ten_minutes_even_if_forced(ctx, flow, clock):
    ctx.settings.code_ttl_seconds = 3600  # bypasses validation: issue() caps it anyway
    issued, code = _issue(ctx, flow)
    assert issued.expires_at == clock.now() + timedelta(seconds=600)
    clock.advance(599)
    codes.verify(ctx, flow, code, actor="test")


def test_default_ttl_is_five_minutes(tmp_path):
    assert Settings(data_dir=tmp_path).code_ttl_seconds == 300


# --- wrong tries ------------------------------------------------------------------


def test_wrong_code_counts_remaining_tries(ctx, flow):
    _, code = _issue(ctx, flow)
    expected = [
        (4, "Ti restano 4 tentativi."),
        (3, "Ti restano 3 tentativi."),
        (2, "Ti restano 2 tentativi."),
        (1, "Ti resta 1 tentativo."),
    ]
    for remaining, sentence in expected:
        with pytest.raises(codes.CodeError) as error:
            codes.verify(ctx, flow, _wrong(code), actor="test")
        assert error.value.kind == "wrong"
        assert error.value.remaining == remaining
        assert sentence in error.value.message
    assert _rows(ctx, flow)[0].attempts == 4
    codes.verify(ctx, flow, code, actor="test")  # the 5th try may still be right


def test_five_wrong_tries_void_the_code(ctx, flow):
    _, code = _issue(ctx, flow)
    for _ in range(4):
        with pytest.raises(codes.CodeError):
            codes.verify(ctx, flow, _wrong(code), actor="test")
    with pytest.raises(codes.CodeError) as fifth:
        codes.verify(ctx, flow, _wrong(code), actor="test")
    assert fifth.value.kind == "exhausted"
    row = _rows(ctx, flow)[0]
    assert row.attempts == 5 and row.voided_at is not None
    with pytest.raises(codes.CodeError) as after:
        codes.verify(ctx, flow, code, actor="test")
    assert after.value.kind == "exhausted"
    assert _rows(ctx, flow)[0].consumed_at is None


def test_wrong_tries_are_audited(ctx, flow):
    _, code = _issue(ctx, flow)
    with pytest.raises(codes.CodeError):
        codes.verify(ctx, flow, _wrong(code), actor="test")
    codes.verify(ctx, flow, code, actor="test")
    outcomes = [e.outcome for e in audit.latest(ctx, kind="codice_verifica")]
    assert outcomes == ["ok", "errato"]


def test_code_format_check():
    assert codes.validate_code_format(" 012345 ") == "012345"
    for bad in ("", "12345", "1234567", "12a456"):
        with pytest.raises(codes.CodeError) as error:
            codes.validate_code_format(bad)
        assert error.value.kind == "format"


# --- resend -------------------------------------------------------------------------


def test_resend_refused_before_30_seconds(ctx, flow, clock):
    _issue(ctx, flow)
    with pytest.raises(codes.CodeError) as error:
        _issue(ctx, flow)
    assert error.value.kind == "cooldown"
    assert error.value.wait_seconds == 30
    clock.advance(29)
    with pytest.raises(codes.CodeError) as error:
        _issue(ctx, flow)
    assert error.value.kind == "cooldown"
    assert error.value.wait_seconds == 1
    assert "1 secondi" in error.value.message or "1 secondo" in error.value.message
    assert len(_rows(ctx, flow)) == 1
    assert len(outbox.latest(ctx)) == 1


def test_resend_allowed_at_30_seconds(ctx, flow, clock):
    _issue(ctx, flow)
    clock.advance(30)
    issued, _ = _issue(ctx, flow)
    assert len(_rows(ctx, flow)) == 2
    assert issued.resends_left == 2


def test_resend_status_reports_wait_and_resends_left(ctx, flow, clock):
    assert codes.resend_status(ctx, flow) == (0, 3)
    _issue(ctx, flow)
    assert codes.resend_status(ctx, flow) == (30, 3)
    clock.advance(10)
    assert codes.resend_status(ctx, flow) == (20, 3)
    clock.advance(20)
    _issue(ctx, flow)
    assert codes.resend_status(ctx, flow) == (30, 2)


def test_at_most_three_resends(ctx, flow, clock):
    issued, _ = _issue(ctx, flow)
    assert issued.resends_left == 3
    for left in (2, 1, 0):
        clock.advance(30)
        issued, _ = _issue(ctx, flow)
        assert issued.resends_left == left
    clock.advance(30)
    with pytest.raises(codes.CodeError) as error:
        _issue(ctx, flow)
    assert error.value.kind == "resends"
    assert len(_rows(ctx, flow)) == 4
    assert len(outbox.latest(ctx)) == 4
    # A new flow starts over.
    _issue(ctx, codes.new_flow_id())


def test_resend_voids_previous_code(ctx, flow, clock, scripted_codes):
    _, first = _issue(ctx, flow)
    clock.advance(30)
    _, second = _issue(ctx, flow)
    assert first != second
    old_row, new_row = _rows(ctx, flow)
    assert old_row.voided_at is not None and new_row.voided_at is None
    with pytest.raises(codes.CodeError):
        codes.verify(ctx, flow, first, actor="test")
    codes.verify(ctx, flow, second, actor="test")


def test_resend_gets_fresh_expiry(ctx, flow, clock):
    _issue(ctx, flow)
    clock.advance(280)
    _, code = _issue(ctx, flow)
    clock.advance(100)  # 380 s after the first code, 100 s after the second
    codes.verify(ctx, flow, code, actor="test")


# --- outbox ---------------------------------------------------------------------------


def test_sms_for_mobile(ctx, flow):
    issued, code = _issue(ctx, flow, channel="sms", destination=MOBILE)
    messages = outbox.latest(ctx)
    assert len(messages) == 1
    message = messages[0]
    assert (message.channel, message.to, message.code, message.subject) == ("sms", MOBILE, code, None)
    assert code in message.body
    assert issued.masked == "+39 *** *** 4567"


def test_email_with_subject(ctx, flow):
    issued, code = _issue(ctx, flow, channel="email", destination=EMAIL)
    (message,) = outbox.latest(ctx)
    assert (message.channel, message.to, message.code) == ("email", EMAIL, code)
    assert message.subject
    assert code in message.body
    assert issued.masked == "m***i@gmail.com"


def test_one_message_per_code(ctx, flow, clock):
    sent = []
    for _ in range(3):
        _, code = _issue(ctx, flow)
        sent.append(code)
        clock.advance(30)
    shown = outbox.latest(ctx)
    # Only the live (newest) code is shown; the two it replaced are masked.
    assert [m.code for m in shown] == [sent[-1], None, None]
    assert sent[0] not in shown[2].body and outbox.CODE_MASK in shown[2].body
