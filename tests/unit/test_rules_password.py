import pytest

from areaclienti_tui.rules import password as pw
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.password import (
    Check,
    Strength,
    checklist,
    ensure_bcrypt_safe,
    strength,
    validate_password,
)

STRONG = "Tq7#vLp2mZ9!xWr4"  # 16 characters, zxcvbn score 4
EMOJI_16 = "Tq7" + "😀🚀🌍🎉🐍🍕🎸🌈🔑🦊🍀🏠📚"  # 16 characters, 55 UTF-8 bytes
MESSAGES = {
    "empty": "Inserisci la password",
    "length": "La password deve avere tra 8 e 16 caratteri",
    "upper": "La password deve contenere almeno una lettera maiuscola",
    "lower": "La password deve contenere almeno una lettera minuscola",
    "digit": "La password deve contenere almeno un numero",
    "bytes": "La password è troppo lunga: usa meno lettere accentate o simboli speciali",
    "nome": "La password non deve contenere il tuo nome",
    "cognome": "La password non deve contenere il tuo cognome",
    "username": "La password non deve contenere il tuo nome utente",
    "weak": "Password troppo comune o facile da indovinare",
    "confirm-empty": "Ripeti la password",
    "mismatch": "Le due password non coincidono",
}
CONFIRM_CODES = {"confirm-empty", "mismatch"}


def refusal(call, *args, **kwargs):
    with pytest.raises(RuleError) as exc:
        call(*args, **kwargs)
    err = exc.value
    assert err.message == MESSAGES[err.code]
    assert err.field == ("conferma-password" if err.code in CONFIRM_CODES else "password")
    return err.code


def test_constants():
    assert (pw.MIN_LEN, pw.MAX_LEN, pw.BCRYPT_MAX_BYTES) == (8, 16, 72)


def test_checklist_labels_and_order():
    assert checklist("") == [
        Check("length", "Tra 8 e 16 caratteri", False),
        Check("upper", "Almeno una lettera maiuscola", False),
        Check("lower", "Almeno una lettera minuscola", False),
        Check("digit", "Almeno un numero", False),
    ]


@pytest.mark.parametrize(
    ("password", "failing"),
    [
        ("Abcdef1", {"length"}),  # 7 characters
        ("Abcdefg1", set()),  # 8
        ("Abcdefghijklmno1", set()),  # 16
        ("Abcdefghijklmnop1", {"length"}),  # 17
        ("abcdefg1", {"upper"}),
        ("ÀBCDEFG1", {"lower"}),
        ("Àbcdefgh", {"digit"}),
        ("", {"length", "upper", "lower", "digit"}),
    ],
)
def test_checklist_marks_each_requirement(password, failing):
    assert {check.key for check in checklist(password) if not check.ok} == failing


@pytest.mark.parametrize(
    ("password", "score", "label"),
    [
        ("", 0, "Molto debole"),
        ("Password1", 0, "Molto debole"),
        ("Abcdefg1", 1, "Debole"),
        ("Tq7#vLp2", 2, "Discreta"),
        ("Tq7vLp2mxz", 3, "Buona"),
        (STRONG, 4, "Ottima"),
    ],
)
def test_strength(password, score, label):
    assert strength(password) == Strength(score, label)


def test_strength_uses_the_persons_words():
    assert strength("Zanardelli84").score == 4
    assert strength("Zanardelli84", ["Zanardelli"]).score < 2


@pytest.mark.parametrize("password", ["€" * 24, "😀" * 18, "a" * 72])  # exactly 72 bytes
def test_bcrypt_limit_accepts_72_bytes(password):
    ensure_bcrypt_safe(password)


@pytest.mark.parametrize("password", ["€" * 24 + "a", "😀" * 18 + "a", "a" * 73])
def test_bcrypt_limit_refuses_73_bytes(password):
    assert refusal(ensure_bcrypt_safe, password) == "bytes"


def test_sixteen_characters_always_fit_bcrypt():
    assert len(EMOJI_16) == 16
    assert len(EMOJI_16.encode()) <= 72
    validate_password(EMOJI_16, EMOJI_16)


def test_byte_limit_is_checked_after_the_checklist(monkeypatch):
    monkeypatch.setattr(pw, "MAX_LEN", 40)
    long_password = "Tq7" + "😀" * 18  # 21 characters, 75 bytes
    assert refusal(validate_password, long_password, long_password) == "bytes"


@pytest.mark.parametrize("password", ["Tq7#vLp2", STRONG, EMOJI_16])
def test_validate_password_accepts(password):
    validate_password(
        password, password, nome="Mario", cognome="Rossi", username="mario.rossi@gmail.com"
    )


@pytest.mark.parametrize(
    ("password", "confirm", "personal", "code"),
    [
        ("", "", {}, "empty"),
        ("Abcde1!", "", {}, "length"),  # 7 characters
        (STRONG + "x", "", {}, "length"),  # 17 characters
        ("abc", "", {}, "length"),  # length comes before upper and digit
        ("tq7#vlp2mz", "", {}, "upper"),
        ("TQ7#VLP2MZ", "", {}, "lower"),
        ("Tqx#vLpbmZ", "", {}, "digit"),
        ("Mario#83xqzk", "", {"nome": "Mario"}, "nome"),
        ("NICCOLO#83xq", "", {"nome": "Niccolò"}, "nome"),
        ("Maria#83xqzk", "", {"nome": "Anna Maria"}, "nome"),
        ("Zanardelli84", "", {"nome": "Zanardelli"}, "nome"),  # before "weak"
        ("Dangelo#83xq", "", {"cognome": "D'Angelo"}, "cognome"),
        ("Angelo#83xqz", "", {"cognome": "D'Angelo"}, "cognome"),
        ("X#mariorossi9", "", {"username": "mario.rossi@gmail.com"}, "username"),
        ("Rossi#83xqzk", "", {"username": "mario.rossi@gmail.com"}, "username"),
        ("Ab#1234567x", "", {"username": "+393401234567"}, "username"),
        ("Password1", "Password1", {}, "weak"),
        ("Abcdefg1", "Abcdefg1", {}, "weak"),
        (STRONG, "", {}, "confirm-empty"),
        (STRONG, STRONG.lower(), {}, "mismatch"),
    ],
)
def test_validate_password_refuses(password, confirm, personal, code):
    assert refusal(validate_password, password, confirm, **personal) == code


@pytest.mark.parametrize(
    ("password", "personal"),
    [
        ("Alq7#vLp2m", {"nome": "Al"}),  # names under 3 letters are not checked
        ("Ab#123456x", {"username": "+393401234567"}),  # only 6 digits of the mobile
        ("Ab#1234567x", {"username": "mario@gmail.com"}),  # digits matter only for a mobile
    ],
)
def test_validate_password_personal_data_limits(password, personal):
    validate_password(password, password, **personal)
