"""Registration (SPEC §2): recognition after 5A, then the code creates the account."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.username import Username, parse_username
from areaclienti_tui.services import audit, auth, codes, outbox, registration
from areaclienti_tui.services.events import AccountCreated
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.store.models import Account, Customer, OneTimeCode, PrivacyConsent

PASSWORD = "Girasole#Verde7"
NOTICE = "2026.1"


def _person(nome: str, cognome: str, born: str, sesso: str) -> registration.PersonalData:
    return registration.PersonalData(nome, cognome, date.fromisoformat(born), sesso)


def _user(text: str) -> Username:
    return parse_username(text, ())


def _customer_id(ctx, cf: str) -> int:
    with ctx.db.session() as session:
        return session.exec(select(Customer.id).where(Customer.codice_fiscale == cf)).one()


def _count(ctx, model) -> int:
    with ctx.db.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


MARIO = _person("Mario", "Rossi", "1975-03-14", "M")
LUCA = _person("Luca", "Ferrari", "1980-05-10", "M")


# --- recognition -----------------------------------------------------------------


def test_recognised(demo_ctx):
    result = registration.recognise(demo_ctx, MARIO, _user("mario.rossi@gmail.com"))
    assert result.outcome == registration.RECOGNISED
    assert result.customer_id == _customer_id(demo_ctx, "RSSMRA75C14H501L")


@pytest.mark.parametrize(
    ("nome", "cognome"),
    [
        ("Niccolò", "Dell'Acqua"),
        ("NICCOLO", "DELLACQUA"),
        ("niccolo", "dell acqua"),
        ("  Niccolo ", "Dell’Acqua"),
        ("NICCOLÒ", "DELL' ACQUA"),
    ],
)
def test_recognition_ignores_case_accents_apostrophes_spacing(demo_ctx, nome, cognome):
    person = _person(nome, cognome, "1988-01-07", "M")
    result = registration.recognise(demo_ctx, person, _user("niccolo.dellacqua@gmail.com"))
    assert result.outcome == registration.RECOGNISED
    assert result.customer_id == _customer_id(demo_ctx, "DLLNCL88A07D612Q")


@pytest.mark.parametrize(
    ("person", "contact", "cf"),
    [
        (_person("MARIA GRAZIA", "DANGELO", "1965-12-03", "F"), "3389990011", "DNGMGR65T43G482W"),
        (_person("Lucia", "DeLuca Rossi", "1990-10-15", "F"), "lucia.delucarossi@gmail.com", "DLCLCU90R55D969B"),
        (_person("Andrea", "bianchi ferrari", "1976-06-28", "M"), "3471239876", "BNCNDR76H28G224I"),
    ],
)
def test_recognition_of_other_personas(demo_ctx, person, contact, cf):
    result = registration.recognise(demo_ctx, person, _user(contact))
    assert (result.outcome, result.customer_id) == (registration.RECOGNISED, _customer_id(demo_ctx, cf))


def test_homonyms_told_apart_by_contact(demo_ctx):
    bologna = registration.recognise(demo_ctx, LUCA, _user("luca.ferrari.ing@gmail.com"))
    modena = registration.recognise(demo_ctx, LUCA, _user("3395556677"))
    assert bologna.outcome == modena.outcome == registration.RECOGNISED
    assert bologna.customer_id == _customer_id(demo_ctx, "FRRLCU80E10A944I")
    assert modena.customer_id == _customer_id(demo_ctx, "FRRLCU80E10F257G")


@pytest.mark.parametrize(
    ("person", "contact"),
    [
        (LUCA, "luca.ferrari@gmail.com"),  # nobody's contact
        (LUCA, "mario.rossi@gmail.com"),  # somebody else's contact
        (MARIO, "3395556677"),  # Luca of Modena's mobile
        (_person("Mario", "Rossi", "1975-03-15", "M"), "mario.rossi@gmail.com"),  # other birth date
        (_person("Mario", "Rossi", "1975-03-14", "F"), "mario.rossi@gmail.com"),  # other sex
        (_person("Mario", "Rosso", "1975-03-14", "M"), "mario.rossi@gmail.com"),  # other surname
        (_person("Alessandro", "Greco", "1985-04-21", "M"), "alessandro.greco@gmail.com"),
        (_person("Francesca", "Romano", "1987-02-19", "F"), "francesca.romano@gmail.com"),
    ],
)
def test_not_recognised(demo_ctx, person, contact):
    result = registration.recognise(demo_ctx, person, _user(contact))
    assert result == registration.Recognition(registration.UNKNOWN, None)


def test_already_registered(demo_ctx):
    anna = _person("Anna", "Conti", "1979-09-30", "F")
    result = registration.recognise(demo_ctx, anna, _user("3381234567"))
    assert result.outcome == registration.ALREADY_REGISTERED
    assert result.customer_id == _customer_id(demo_ctx, "CNTNNA79P70L219K")


def test_only_expired_policy(demo_ctx):
    paolo = _person("Paolo", "Esposito", "1968-11-02", "M")
    result = registration.recognise(demo_ctx, paolo, _user("paolo.esposito@libero.it"))
    assert result.outcome == registration.NO_POLICY


def test_only_cancelled_policy(demo_ctx):
    francesca = _person("Francesca", "Romano", "1987-02-19", "F")
    result = registration.recognise(demo_ctx, francesca, _user("francesca.romano@outlook.it"))
    assert result.outcome == registration.NO_POLICY


def test_recognition_is_audited_with_masked_contact(demo_ctx):
    registration.recognise(demo_ctx, MARIO, _user("mario.rossi@gmail.com"))
    registration.recognise(demo_ctx, LUCA, _user("3331112222"))
    second, first = audit.latest(demo_ctx, kind="riconoscimento")
    assert (first.outcome, first.subject, first.details["matches"]) == ("riconosciuto", "m***i@gmail.com", 1)
    assert (second.outcome, second.subject, second.details["matches"]) == ("non_riconosciuto", "+39 *** *** 2222", 0)


# --- username -----------------------------------------------------------------------


def test_username_taken(demo_ctx):
    assert registration.username_taken(demo_ctx, _user("anna.conti@outlook.it"))
    assert registration.username_taken(demo_ctx, _user("Anna.Conti@Outlook.it"))
    assert not registration.username_taken(demo_ctx, _user("mario.rossi@gmail.com"))
    assert not registration.username_taken(demo_ctx, _user("3381234567"))  # Anna's mobile is no username


# --- code and account ------------------------------------------------------------------


def _pending(ctx, cf: str, contact: str) -> registration.PendingAccount:
    return registration.PendingAccount(
        customer_id=_customer_id(ctx, cf),
        username=_user(contact),
        password_hash=hash_password(PASSWORD, ctx.settings.bcrypt_rounds),
        notice_version=NOTICE,
    )


def _send(ctx, pending, flow_id=None) -> tuple[str, str]:
    issued = registration.send_code(ctx, pending, flow_id)
    code = outbox.newest_code(ctx, pending.username.value)
    assert code is not None
    return issued.flow_id, code


@pytest.fixture
def mario(demo_ctx) -> registration.PendingAccount:
    return _pending(demo_ctx, "RSSMRA75C14H501L", "mario.rossi@gmail.com")


def test_code_goes_to_the_username_contact(demo_ctx):
    by_email = _pending(demo_ctx, "RSSMRA75C14H501L", "mario.rossi@gmail.com")
    by_sms = _pending(demo_ctx, "MRNGLI82L62F205C", "3289876543")
    _send(demo_ctx, by_email)
    _send(demo_ctx, by_sms)
    sms, email = outbox.latest(demo_ctx)
    assert (email.channel, email.to) == ("email", "mario.rossi@gmail.com")
    assert (sms.channel, sms.to) == ("sms", "+393289876543")


def test_complete_creates_account_and_consent(demo_ctx, mario, clock):
    flow_id, code = _send(demo_ctx, mario)
    clock.advance(42)
    account = registration.complete(demo_ctx, flow_id, code, mario)
    with demo_ctx.db.session() as session:
        stored = session.exec(select(Account).where(Account.customer_id == mario.customer_id)).one()
        consent = session.exec(select(PrivacyConsent).where(PrivacyConsent.account_id == stored.id)).one()
    assert stored.id == account.id
    assert (stored.username, stored.username_kind) == ("mario.rossi@gmail.com", "email")
    assert as_utc(stored.created_at) == clock.now()
    assert (consent.customer_id, consent.context, consent.notice_version) == (mario.customer_id, "registrazione", NOTICE)
    assert as_utc(consent.accepted_at) == clock.now()
    assert audit.latest(demo_ctx, kind="account_creato")[0].details["privacy"] == NOTICE
    # The new credentials work at 8A.
    assert auth.customer_login(demo_ctx, "mario.rossi@gmail.com", PASSWORD).customer_id == mario.customer_id


def test_account_created_event_after_commit(demo_ctx, mario):
    flow_id, code = _send(demo_ctx, mario)
    seen = []
    demo_ctx.bus.subscribe(seen.append)
    account = registration.complete(demo_ctx, flow_id, code, mario)
    assert AccountCreated(account.id, "mario.rossi@gmail.com") in seen


def test_second_complete_raises_and_keeps_one_account(demo_ctx, mario, clock):
    flow_id, code = _send(demo_ctx, mario)
    other = _pending(demo_ctx, "RSSMRA75C14H501L", "3471234567")
    other_flow, other_code = _send(demo_ctx, other)
    registration.complete(demo_ctx, flow_id, code, mario)
    with pytest.raises(registration.AlreadyRegistered):
        registration.complete(demo_ctx, other_flow, other_code, other)
    with demo_ctx.db.session() as session:
        accounts = session.exec(select(Account).where(Account.customer_id == mario.customer_id)).all()
    assert [a.username for a in accounts] == ["mario.rossi@gmail.com"]
    assert _count(demo_ctx, PrivacyConsent) == 1


def test_same_username_for_another_customer_raises(demo_ctx):
    # Giulia (another customer) asking for Anna's username: the unique constraint wins.
    stolen = registration.PendingAccount(
        customer_id=_customer_id(demo_ctx, "MRNGLI82L62F205C"),
        username=_user("anna.conti@outlook.it"),
        password_hash=hash_password(PASSWORD, 4),
        notice_version=NOTICE,
    )
    flow_id, code = _send(demo_ctx, stolen)
    before = _count(demo_ctx, Account)
    with pytest.raises(registration.AlreadyRegistered):
        registration.complete(demo_ctx, flow_id, code, stolen)
    assert _count(demo_ctx, Account) == before
    assert _count(demo_ctx, PrivacyConsent) == 0


def test_wrong_code_keeps_no_account_but_counts_the_try(demo_ctx, mario):
    flow_id, code = _send(demo_ctx, mario)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(codes.CodeError) as error:
        registration.complete(demo_ctx, flow_id, wrong, mario)
    assert error.value.kind == "wrong" and error.value.remaining == 4
    assert not registration.username_taken(demo_ctx, mario.username)
    assert _count(demo_ctx, PrivacyConsent) == 0
    with demo_ctx.db.session() as session:
        assert session.exec(select(OneTimeCode).where(OneTimeCode.flow_id == flow_id)).one().attempts == 1
    registration.complete(demo_ctx, flow_id, code, mario)
    assert registration.username_taken(demo_ctx, mario.username)


def test_expired_code_creates_nothing(demo_ctx, mario, clock):
    flow_id, code = _send(demo_ctx, mario)
    clock.advance(300)
    with pytest.raises(codes.CodeError) as error:
        registration.complete(demo_ctx, flow_id, code, mario)
    assert error.value.kind == "expired"
    assert not registration.username_taken(demo_ctx, mario.username)


def test_complete_is_atomic(demo_ctx, mario, monkeypatch):
    flow_id, code = _send(demo_ctx, mario)

    def broken_consent(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(registration, "PrivacyConsent", broken_consent)
    with pytest.raises(RuntimeError):
        registration.complete(demo_ctx, flow_id, code, mario)
    assert not registration.username_taken(demo_ctx, mario.username)
    with demo_ctx.db.session() as session:
        row = session.exec(select(OneTimeCode).where(OneTimeCode.flow_id == flow_id)).one()
    assert row.consumed_at is None  # the code's consumption went with the rest
    monkeypatch.undo()
    registration.complete(demo_ctx, flow_id, code, mario)
    assert _count(demo_ctx, PrivacyConsent) == 1


def test_resend_through_registration_respects_cooldown(demo_ctx, mario, clock):
    flow_id, _ = _send(demo_ctx, mario)
    with pytest.raises(codes.CodeError) as error:
        registration.send_code(demo_ctx, mario, flow_id)
    assert error.value.kind == "cooldown"
    clock.advance(30)
    _, code = _send(demo_ctx, mario, flow_id)
    registration.complete(demo_ctx, flow_id, code, mario)
