from pathlib import Path

import pytest

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.username import (
    Username,
    display_contact,
    display_mobile,
    is_pec_domain,
    load_pec_domains,
    normalize_contact,
    parse_email,
    parse_mobile,
    parse_username,
)

PEC_FILE = Path(__file__).resolve().parents[2] / "data" / "pec_domains.txt"
PEC = load_pec_domains(PEC_FILE)
PEC_MESSAGE = "Non puoi usare un indirizzo PEC come nome utente: scegli un'email ordinaria"
ONLY_ITALIAN = "Puoi usare solo un cellulare italiano, scritto senza prefisso internazionale"


def refused(call, *args):
    with pytest.raises(RuleError) as exc:
        call(*args)
    return exc.value


# --- PEC list ----------------------------------------------------------------


def test_load_pec_domains_skips_comments_and_blanks(tmp_path):
    path = tmp_path / "pec.txt"
    path.write_text("# header\n\nPEC.Example.IT\n  other.it  # inline\n#x.it\n", encoding="utf-8")
    assert load_pec_domains(path) == frozenset({"pec.example.it", "other.it"})


@pytest.mark.parametrize(
    "domain",
    [
        "pec.it", "arubapec.it", "pec.aruba.it", "legalmail.it", "cert.legalmail.it",
        "postecert.it", "pec.poste.it", "sicurezzapostale.it", "cert.namirial.it", "pectim.it",
        "gigapec.it", "ticertifica.it", "pec.actalis.it", "pecmessages.it", "ingpec.eu",
        "archiworldpec.it",
    ],
)
def test_shipped_list_has_the_spec_providers(domain):
    assert domain in PEC
    assert is_pec_domain(domain, PEC)


@pytest.mark.parametrize(
    "domain",
    [
        "cgn.legalmail.it",  # subdomain of a listed one
        "Studio.ArubaPEC.it",  # case-insensitive
        "postacert.it",  # wildcard entry, any suffix
        "postacert.regione.lazio.it",
        "comune.postacert.it",
        "pec.ordineingegneri.it",  # starts with pec.
        "ordine.pec.example.com",  # contains .pec.
        "ingpec.eu.",  # trailing dot of a FQDN
    ],
)
def test_is_pec_domain_true(domain):
    assert is_pec_domain(domain, PEC)


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "notpec.it",  # ends with "pec.it" but not a subdomain of it
        "pecorino.it",
        "arubapec.com",
        "postacert",  # the wildcard needs a suffix
        "legalmail.it.example.com",
        "example.pec",  # "pec" as TLD only
    ],
)
def test_is_pec_domain_false(domain):
    assert not is_pec_domain(domain, PEC)


def test_is_pec_domain_uses_the_given_list():
    assert not is_pec_domain("studio.example.it", PEC)
    assert is_pec_domain("studio.example.it", ["EXAMPLE.it"])
    assert is_pec_domain("mail.certificata.example", ["certificata.*"])


# --- email -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mario.rossi@gmail.com", "mario.rossi@gmail.com"),
        ("  Mario.Rossi@Gmail.COM ", "mario.rossi@gmail.com"),
        ("anna+inarcassa@libero.it", "anna+inarcassa@libero.it"),
        ("mario@bücher.de", "mario@xn--bcher-kva.de"),
    ],
)
def test_parse_email_normalizes(text, value):
    assert parse_email(text, PEC) == Username("email", value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("mario", "deve contenere una sola @"),
        ("mario@@gmail.com", "deve contenere una sola @"),
        ("@gmail.com", "manca la parte prima della @"),
        ("mario@", "manca la parte dopo la @"),
        ("mario rossi@gmail.com", "non deve contenere spazi"),
        ("niccolò@gmail.com", "non usare lettere accentate o simboli speciali prima della @"),
        ("mario..rossi@gmail.com", "controlla la posizione dei punti"),
        (".mario@gmail.com", "controlla la posizione dei punti"),
        ("mario@gmail", "dopo la @ manca il dominio completo (per esempio gmail.com)"),
        ("mario(rossi)@gmail.com", "contiene caratteri non ammessi prima della @"),
        ("mario@gmail_x.com", "contiene caratteri non ammessi dopo la @"),
        ("mario@-gmail.com", "controlla di averlo scritto bene"),
        ("mario@prova.test", "controlla di averlo scritto bene"),  # reserved domain
    ],
)
def test_parse_email_syntax_errors_are_italian(text, reason):
    err = refused(parse_email, text, PEC)
    assert err.code == "email"
    assert err.message == f"Indirizzo email non valido: {reason}"


@pytest.mark.parametrize(
    "text",
    ["mario@pec.it", "Mario@CGN.LegalMail.it", "m@postacert.regione.lazio.it", "ing@ingpec.eu"],
)
def test_parse_email_refuses_pec(text):
    err = refused(parse_email, text, PEC)
    assert (err.code, err.message) == ("pec", PEC_MESSAGE)


# --- mobile ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "display"),
    [
        ("3401234567", "+393401234567", "+39 340 123 4567"),
        (" 3331234567 ", "+393331234567", "+39 333 123 4567"),
        ("3934012345", "+393934012345", "+39 393 401 2345"),  # mobile prefix 393, not +39
    ],
)
def test_parse_mobile_accepts(text, value, display):
    username = parse_mobile(text)
    assert username == Username("mobile", value)
    assert username.display == display


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "empty", "Inserisci il numero di cellulare"),
        ("+393401234567", "prefix", "Scrivi il numero senza +39"),
        ("+39 340 1234567", "prefix", "Scrivi il numero senza +39"),
        ("00393401234567", "prefix", "Scrivi il numero senza +39"),
        ("393401234567", "prefix", "Scrivi il numero senza +39"),
        ("340.1234567", "dots", "Scrivi il numero senza punti"),
        ("340 1234567", "spaces", "Scrivi il numero senza spazi"),
        ("+41791234567", "foreign", ONLY_ITALIAN),
        ("0041791234567", "foreign", ONLY_ITALIAN),
        ("340-1234567", "digits", "Scrivi il numero usando solo cifre"),
        ("3401234567a", "digits", "Scrivi il numero usando solo cifre"),
        ("0612345678", "mobile", "Il numero non è un cellulare italiano valido"),  # Rome landline
        ("800123456", "mobile", "Il numero non è un cellulare italiano valido"),  # toll-free
        ("340123", "mobile", "Il numero non è un cellulare italiano valido"),
    ],
)
def test_parse_mobile_refuses(text, code, message):
    err = refused(parse_mobile, text)
    assert (err.code, err.message) == (code, message)


def test_email_display_is_the_value():
    assert Username("email", "mario@gmail.com").display == "mario@gmail.com"


# --- the single #username field ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mario@Gmail.com", Username("email", "mario@gmail.com")),
        ("3401234567", Username("mobile", "+393401234567")),
    ],
)
def test_parse_username_dispatches(text, expected):
    assert parse_username(text, PEC) == expected


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "empty", "Inserisci un indirizzo email o un numero di cellulare"),
        ("   ", "empty", "Inserisci un indirizzo email o un numero di cellulare"),
        ("mario.rossi", "username", "Inserisci un indirizzo email o un numero di cellulare valido"),
        ("+", "username", "Inserisci un indirizzo email o un numero di cellulare valido"),
        ("mario@pec.it", "pec", PEC_MESSAGE),
        ("mario@", "email", "Indirizzo email non valido: manca la parte dopo la @"),
        ("+39 340 1234567", "prefix", "Scrivi il numero senza +39"),
        ("340.1234567", "dots", "Scrivi il numero senza punti"),
        ("340 123 4567", "spaces", "Scrivi il numero senza spazi"),
        ("340-1234567", "digits", "Scrivi il numero usando solo cifre"),
        ("0612345678", "mobile", "Il numero non è un cellulare italiano valido"),
    ],
)
def test_parse_username_refuses(text, code, message):
    err = refused(parse_username, text, PEC)
    assert (err.code, err.message) == (code, message)


# --- registry contacts -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("email", " Mario.Rossi@Gmail.com ", "mario.rossi@gmail.com"),
        ("email", "studio@pec.it", "studio@pec.it"),  # no PEC check on registry data
        ("mobile", "3401234567", "+393401234567"),
        ("mobile", "+39 340 123 4567", "+393401234567"),
        ("mobile", "0039 340.123.4567", "+393401234567"),
        ("mobile", "340-123-4567", "+393401234567"),
    ],
)
def test_normalize_contact(kind, raw, value):
    assert normalize_contact(kind, raw) == value


@pytest.mark.parametrize(
    ("kind", "raw", "code"),
    [
        ("email", "mario@", "email"),
        ("email", "", "empty"),
        ("mobile", "", "empty"),
        ("mobile", "+39 06 1234 5678", "mobile"),
        ("mobile", "+41 79 123 45 67", "mobile"),
        ("mobile", "abc", "mobile"),
    ],
)
def test_normalize_contact_refuses(kind, raw, code):
    assert refused(normalize_contact, kind, raw).code == code


def test_normalize_contact_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="fax") as exc:
        normalize_contact("fax", "123")  # type: ignore[arg-type]
    assert not isinstance(exc.value, RuleError)


# --- display: one form for mobiles wherever a person reads them -------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+393289876543", "+39 328 987 6543"),  # stored form
        ("3289876543", "+39 328 987 6543"),
        ("+39 328 987 6543", "+39 328 987 6543"),
        ("0039.328.987.6543", "+39 328 987 6543"),
        ("328.987.6543", "+39 328 987 6543"),
        ("+393934012345", "+39 393 401 2345"),
        ("mario.rossi@gmail.com", "mario.rossi@gmail.com"),
        ("Mario@Example.com", "Mario@Example.com"),  # an email is shown as it is
        ("", ""),
        ("12", "12"),  # not a number: as it is
        ("non so", "non so"),
    ],
)
def test_display_contact(value, shown):
    assert display_contact(value) == shown


def test_display_contact_by_kind_and_username_display_agree():
    assert display_contact("+393401234567", "mobile") == display_mobile("+393401234567") == "+39 340 123 4567"
    assert display_contact("340@x.it", "email") == "340@x.it"
    assert Username("mobile", "+393401234567").display == display_mobile("+393401234567")
