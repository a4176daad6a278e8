"""Email delivery to a real SMTP server (aiosmtpd, started by the test on loopback)."""

from __future__ import annotations

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from areaclienti_tui.services import codes, outbox


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_code_email_is_delivered_and_kept_in_the_outbox(ctx, smtp_server):
    controller, inbox = smtp_server
    ctx.settings.smtp_host, ctx.settings.smtp_port = controller.hostname, controller.port
    codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="registrazione", channel="email",
                destination="mario.rossi@gmail.com", actor="test")
    [(recipients, mail)] = inbox.messages
    kept = outbox.latest(ctx)[0]
    assert recipients == ["mario.rossi@gmail.com"]
    assert mail["Subject"] == "Il tuo codice di verifica temporaneo"
    assert kept.code and kept.code in mail.get_payload(decode=True).decode("utf-8")
    assert kept.delivery == "smtp"


def test_sms_never_goes_to_smtp(ctx, smtp_server):
    controller, inbox = smtp_server
    ctx.settings.smtp_host, ctx.settings.smtp_port = controller.hostname, controller.port
    codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="accesso", channel="sms",
                destination="+393471234567", actor="test")
    assert inbox.messages == []
    assert outbox.latest(ctx)[0].delivery == "simulata"


def test_unreachable_server_is_recorded_not_raised(ctx):
    ctx.settings.smtp_host, ctx.settings.smtp_port = "127.0.0.1", free_port()
    codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="registrazione", channel="email",
                destination="mario.rossi@gmail.com", actor="test")
    assert outbox.latest(ctx)[0].delivery == "smtp non riuscito"
