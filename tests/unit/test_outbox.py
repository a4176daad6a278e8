"""The simulated outbox (SPEC §3, §5): newest first, a stable JSON shape, live events."""

from __future__ import annotations

import json
import smtplib
from datetime import datetime

import pytest

from areaclienti_tui.services import audit, outbox
from areaclienti_tui.services.events import AuditRecorded, OutboxChanged


def _send(ctx, channel: str = "sms", to: str = "+393471234567", **kwargs) -> int:
    with ctx.db.transaction() as session:
        message = outbox.send(ctx, session, channel=channel, to=to, body=kwargs.pop("body", "testo"), **kwargs)
        return message.id


def test_latest_newest_first(ctx, clock):
    first = _send(ctx, body="uno")
    clock.advance(5)
    second = _send(ctx, "email", "mario.rossi@gmail.com", body="due", subject="Oggetto")
    clock.advance(5)
    third = _send(ctx, body="tre")
    messages = outbox.latest(ctx)
    assert [m.id for m in messages] == [third, second, first]
    assert [m.body for m in messages] == ["tre", "due", "uno"]
    assert messages[0].sent_at > messages[1].sent_at > messages[2].sent_at


def test_latest_limit_and_after_id(ctx):
    ids = [_send(ctx, body=str(n)) for n in range(5)]
    assert [m.id for m in outbox.latest(ctx, limit=2)] == [ids[4], ids[3]]
    assert [m.id for m in outbox.latest(ctx, after_id=ids[2])] == [ids[4], ids[3]]
    assert len(outbox.latest(ctx, limit=None)) == 5


def test_latest_for_some_recipients_since_a_moment(ctx, clock):
    """What the messages pane asks for one journey: its contacts, from its start on."""
    _send(ctx, to="+393471234567", body="prima")  # the previous customer, same phone
    clock.advance(5)
    started = clock.now()
    mine = _send(ctx, to="+393471234567", body="mio")
    _send(ctx, to="+393289876543", body="altro cliente")
    email = _send(ctx, "email", "Mario.Rossi@gmail.com", body="email", subject="Oggetto")
    found = outbox.latest(ctx, recipients={"347 123 4567", "mario.rossi@GMAIL.com"}, since=started)
    assert [m.id for m in found] == [email, mine]
    assert outbox.latest(ctx, recipients=set()) == []
    assert outbox.newest_id(ctx) == email


def test_recipient_key_reads_a_mobile_in_any_form():
    for written in ("3471234567", "+39 347 123 4567", "0039 347.123.4567"):
        assert outbox.recipient_key(written) == "+393471234567"
    assert outbox.recipient_key(" Mario.Rossi@Gmail.com ") == "mario.rossi@gmail.com"


def test_as_json_shape(ctx, clock):
    _send(ctx, "email", "mario.rossi@gmail.com", subject="Il tuo codice", body="codice 123456", code="123456")
    _send(ctx, "sms", "+393471234567", body="ciao")
    sms, email = (m.as_json() for m in outbox.latest(ctx))
    keys = {"channel", "to", "subject", "body", "code", "sent_at"}
    assert set(email) == keys and set(sms) == keys
    assert email == {
        "channel": "email",
        "to": "mario.rossi@gmail.com",
        "subject": "Il tuo codice",
        "body": "codice 123456",
        "code": "123456",
        "sent_at": email["sent_at"],
    }
    assert (sms["subject"], sms["code"]) == (None, None)
    sent_at = datetime.fromisoformat(email["sent_at"])
    assert sent_at == clock.now() and sent_at.tzinfo is not None


def test_to_json_is_a_list_newest_first(ctx, clock):
    _send(ctx, body="vecchio")
    clock.advance(1)
    _send(ctx, body="nuovo")
    data = json.loads(outbox.to_json(outbox.latest(ctx)))
    assert isinstance(data, list)
    assert [item["body"] for item in data] == ["nuovo", "vecchio"]


def test_sms_never_has_a_subject(ctx):
    _send(ctx, "sms", subject="ignorato")
    assert outbox.latest(ctx)[0].subject is None


def test_newest_code(ctx):
    assert outbox.newest_code(ctx) is None
    _send(ctx, to="+393471234567", code="111111")
    _send(ctx, to="+393289876543", code="222222")
    _send(ctx, to="+393471234567", body="senza codice")
    assert outbox.newest_code(ctx) == "222222"
    assert outbox.newest_code(ctx, "+393471234567") == "111111"
    assert outbox.newest_code(ctx, "+393000000000") is None


# --- events -----------------------------------------------------------------------------


def test_events_published_after_commit(ctx):
    seen = []
    ctx.bus.subscribe(seen.append)
    with ctx.db.transaction() as session:
        message = outbox.send(ctx, session, channel="sms", to="+393471234567", body="x")
        audit.record(ctx, session, "prova", actor="test")
        session.flush()
        assert seen == []  # nothing announced before the commit
    assert seen == [OutboxChanged(message.id, "sms", "+393471234567"), AuditRecorded("prova", "test", "ok")]


def test_no_events_after_rollback(ctx):
    seen = []
    ctx.bus.subscribe(seen.append)
    with pytest.raises(RuntimeError):
        with ctx.db.transaction() as session:
            outbox.send(ctx, session, channel="sms", to="+393471234567", body="x")
            raise RuntimeError("boom")
    assert seen == []
    assert outbox.latest(ctx) == []
    _send(ctx)  # a later transaction announces only its own message
    assert len(seen) == 1


def test_unsubscribe(ctx):
    seen = []
    unsubscribe = ctx.bus.subscribe(seen.append)
    _send(ctx)
    unsubscribe()
    _send(ctx)
    assert len(seen) == 1


# --- SMTP adapter ---------------------------------------------------------------------------


class _FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):  # noqa: ANN001
        if self.fail:
            raise OSError("connection refused")
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):  # noqa: ANN002
        return False

    def send_message(self, mail):  # noqa: ANN001
        _FakeSMTP.sent.append(mail)


@pytest.fixture
def fake_smtp(monkeypatch, ctx):
    _FakeSMTP.sent = []
    _FakeSMTP.fail = False
    monkeypatch.setattr(smtplib, "SMTP", _FakeSMTP)
    ctx.settings.smtp_host = "smtp.invalid"
    return _FakeSMTP


def test_smtp_delivers_email_and_keeps_it_in_outbox(ctx, fake_smtp):
    _send(ctx, "email", "mario.rossi@gmail.com", subject="Oggetto", body="Corpo")
    _send(ctx, "sms", body="solo simulato")
    (mail,) = fake_smtp.sent
    assert (mail["To"], mail["Subject"]) == ("mario.rossi@gmail.com", "Oggetto")
    sms, email = outbox.latest(ctx)
    assert (email.delivery, sms.delivery) == ("smtp", "simulata")


def test_smtp_failure_is_recorded_not_raised(ctx, fake_smtp):
    fake_smtp.fail = True
    _send(ctx, "email", "mario.rossi@gmail.com", subject="Oggetto", body="Corpo")
    assert outbox.latest(ctx)[0].delivery == "smtp non riuscito"
