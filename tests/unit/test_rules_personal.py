import datetime

import pytest

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.personal import parse_birth_date, parse_sex

TODAY = datetime.date(2025, 6, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/02/1980", datetime.date(1980, 2, 1)),
        (" 29/02/1976 ", datetime.date(1976, 2, 29)),
        ("15/06/2007", datetime.date(2007, 6, 15)),  # 18 today
        ("15/06/1905", datetime.date(1905, 6, 15)),  # exactly 120
        ("16/06/1904", datetime.date(1904, 6, 16)),  # 120 until tomorrow
    ],
)
def test_parse_birth_date_accepts(text, expected):
    assert parse_birth_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "empty", "Inserisci la data di nascita"),
        ("  ", "empty", "Inserisci la data di nascita"),
        ("1/2/1980", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("01/02/80", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("01-02-1980", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("1980/02/01", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("٠١/٠٢/١٩٨٠", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("31/02/1980", "invalid", "La data 31/02/1980 non esiste"),
        ("29/02/1981", "invalid", "La data 29/02/1981 non esiste"),
        ("01/13/1980", "invalid", "La data 01/13/1980 non esiste"),
        ("00/01/1980", "invalid", "La data 00/01/1980 non esiste"),
        ("16/06/2025", "future", "La data di nascita non può essere nel futuro"),
        ("16/06/2007", "minor", "Per registrarti devi avere almeno 18 anni"),
        ("15/06/2025", "minor", "Per registrarti devi avere almeno 18 anni"),
        ("14/06/1904", "too-old", "Controlla l'anno di nascita: la data indica più di 120 anni"),
    ],
)
def test_parse_birth_date_refuses(text, code, message):
    with pytest.raises(RuleError) as exc:
        parse_birth_date(text, TODAY)
    assert (exc.value.code, exc.value.message) == (code, message)


def test_leap_day_birthday_turns_18_on_first_of_march():
    with pytest.raises(RuleError):
        parse_birth_date("29/02/2008", datetime.date(2026, 2, 28))
    assert parse_birth_date("29/02/2008", datetime.date(2026, 3, 1)) == datetime.date(2008, 2, 29)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("M", "M"),
        ("m", "M"),
        ("Maschio", "M"),
        ("maschio", "M"),
        ("F", "F"),
        ("f", "F"),
        ("Femmina", "F"),
    ],
)
def test_parse_sex_accepts(value, expected):
    assert parse_sex(value) == expected


@pytest.mark.parametrize("value", [None, "", "X", "Maschile", "MF"])
def test_parse_sex_refuses(value):
    with pytest.raises(RuleError, match="^Seleziona il sesso$"):
        parse_sex(value)
