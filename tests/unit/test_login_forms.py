"""Login and recovery take a mobile username in every form a customer says it or the
console shows it (SPEC §4 "mobile"), while 4A stays as strict as the guide asks."""

from __future__ import annotations

import pytest
from sqlmodel import select

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.username import display_contact, parse_mobile
from areaclienti_tui.services import auth, outbox, security
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.store.models import Account, Customer

GIULIA_CF = "MRNGLI82L62F205C"  # demo persona, mobile 3289876543 on file
E164 = "+393289876543"
PASSWORD = "Girasole#Verde7"

MOBILE_FORMS = [
    "3289876543",
    " 3289876543 ",
    "328 987 6543",
    "328 9876543",
    "328.987.6543",
    "328.98.76.543",
    "328-987-6543",
    "328/9876543",
    "+39 328 987 6543",  # as the console shows it (7A, 8A, "I tuoi prodotti")
    "+393289876543",  # as stored
    "+39.328.987.6543",
    "+39 (328) 987-6543",
    "0039 328 987 6543",
    "00393289876543",
    "0039.328.987.6543",
    "393289876543",  # +39 said without the plus
    "+39\u00a0328\u00a0987\u00a06543",  # no-break spaces, as pasted from a web page
]


@pytest.mark.parametrize("text", MOBILE_FORMS)
def test_login_key_reads_every_form_of_a_mobile(text):
    assert auth.login_key(text) == E164


@pytest.mark.parametrize("text", ["+39 328 987 6543", "328.987.6543", "0039 3289876543", " 328 987 6543"])
def test_4a_stays_strict(text):
    """The guide asks 4A for digits only, without +39: the same forms are refused there."""
    with pytest.raises(RuleError):
        parse_mobile(text)


@pytest.mark.parametrize("text", ["+44 7911 123456", "06 1234 5678", "328 987", "328.987.6543.1", "tre due otto"])
def test_login_key_refuses_what_is_not_an_italian_mobile(text):
    assert auth.login_key(text) is None


def test_mobile_prefix_393_is_not_taken_for_the_country_code():
    assert auth.login_key("3934012345") == "+393934012345"
    assert auth.login_key("393 401 2345") == "+393934012345"
    assert auth.login_key("+39 393 401 2345") == "+393934012345"


@pytest.fixture
def giulia(demo_ctx):
    """Giulia Marino with an account whose username is her mobile."""
    with demo_ctx.db.transaction() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == GIULIA_CF)).one()
        session.add(Account(customer_id=customer.id, username=E164, username_kind="mobile",
                            password_hash=hash_password(PASSWORD, demo_ctx.settings.bcrypt_rounds),
                            created_at=demo_ctx.clock.now()))
    return demo_ctx


@pytest.mark.parametrize("text", MOBILE_FORMS)
def test_customer_login_with_every_form(giulia, text):
    login = auth.customer_login(giulia, text, PASSWORD)
    assert (login.username, login.username_kind, login.nome) == (E164, "mobile", "Giulia")


@pytest.mark.parametrize("text", ["328.987.6543", "+39 328 987 6543", "0039 3289876543"])
def test_recovery_with_other_forms_sends_to_the_mobile(giulia, text):
    recovery = security.start_recovery(giulia, text)
    assert recovery.account_id is not None
    newest = outbox.latest(giulia)[0]
    assert (newest.channel, newest.to) == ("sms", E164)


def test_the_form_the_console_shows_logs_in(giulia):
    shown = display_contact(E164)
    assert shown == "+39 328 987 6543"
    assert auth.customer_login(giulia, shown, PASSWORD).username == E164


@pytest.mark.parametrize("text", ["@", "@libero.it", "@@", " @x "])
def test_a_username_with_nothing_before_the_at_is_a_wrong_credential(demo_ctx, text):
    with pytest.raises(auth.LoginError) as error:
        auth.customer_login(demo_ctx, text, PASSWORD)
    assert error.value.kind == "invalid"
