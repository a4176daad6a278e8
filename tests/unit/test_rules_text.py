import pytest

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.text import clean_person_name, normalize_name

ONLY_LETTERS = "può contenere solo lettere, spazi, apostrofi, trattini e punti"


def test_rule_error_carries_message_code_and_field():
    err = RuleError("Inserisci il nome", "empty", field="nome")
    assert isinstance(err, ValueError)
    assert str(err) == err.message == "Inserisci il nome"
    assert (err.code, err.field) == ("empty", "nome")
    assert RuleError("x").code is None
    assert RuleError("x").field is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("D'Angelo", "dangelo"),
        ("D Angelo", "DANGELO"),
        ("D’Angelo", "dangelo"),
        ("Niccolò", "niccolo"),
        ("De Luca-Rossi", "delucarossi"),
        ("  Maria   Grazia ", "mariagrazia"),
        ("FRANÇOIS", "francois"),
        ("Straße", "strasse"),
    ],
)
def test_normalize_name_ignores_case_accents_and_punctuation(a, b):
    assert normalize_name(a) == normalize_name(b)


@pytest.mark.parametrize(("a", "b"), [("Rossi", "Russi"), ("Maria", "Mario"), ("Anna", "Anna2")])
def test_normalize_name_keeps_letters_and_digits_apart(a, b):
    assert normalize_name(a) != normalize_name(b)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  Mario ", "Mario"),
        ("Maria   Grazia", "Maria Grazia"),
        ("d'Angelo", "d'Angelo"),
        ("D’Amico", "D’Amico"),
        ("De Luca-Rossi", "De Luca-Rossi"),
        ("Niccolò", "Niccolò"),
        ("Nicolo\u0300", "Nicolò"),  # decomposed accent composed
        ("G. Battista", "G. Battista"),
        ("x" * 60, "x" * 60),
    ],
)
def test_clean_person_name_accepts(raw, cleaned):
    assert clean_person_name(raw, "nome") == cleaned


@pytest.mark.parametrize(
    ("raw", "label", "code", "message"),
    [
        ("", "nome", "empty", "Inserisci il nome"),
        ("   ", "cognome", "empty", "Inserisci il cognome"),
        ("Mario2", "nome", "chars", f"Il nome {ONLY_LETTERS}"),
        ("Rossi@", "cognome", "chars", f"Il cognome {ONLY_LETTERS}"),
        ("Мария", "nome", "chars", f"Il nome {ONLY_LETTERS}"),  # not Latin script
        ("x" * 61, "nome", "length", "Il nome può avere al massimo 60 caratteri"),
        ("'-.", "cognome", "letter", "Il cognome deve contenere almeno una lettera"),
    ],
)
def test_clean_person_name_refuses(raw, label, code, message):
    with pytest.raises(RuleError) as exc:
        clean_person_name(raw, label)
    assert (exc.value.code, exc.value.message) == (code, message)
