import datetime

import pytest

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.personal import (
    date_as_typed,
    format_date,
    normalize_date_text,
    parse_birth_date,
    parse_sex,
    read_date,
)

TODAY = datetime.date(2025, 6, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/02/1980", datetime.date(1980, 2, 1)),
        (" 29/02/1976 ", datetime.date(1976, 2, 29)),
        ("15/06/2007", datetime.date(2007, 6, 15)),  # 18 today
        ("15/06/1905", datetime.date(1905, 6, 15)),  # exactly 120
        ("16/06/1904", datetime.date(1904, 6, 16)),  # 120 until tomorrow
        # At speed: the forms people type, all read day first.
        ("14031975", datetime.date(1975, 3, 14)),
        ("14-03-1975", datetime.date(1975, 3, 14)),
        ("14.03.1975", datetime.date(1975, 3, 14)),
        ("14/3/1975", datetime.date(1975, 3, 14)),
        ("14 03 1975", datetime.date(1975, 3, 14)),
        ("14 / 03 / 1975", datetime.date(1975, 3, 14)),
        ("1/2/1980", datetime.date(1980, 2, 1)),
        ("01-02-1980", datetime.date(1980, 2, 1)),
    ],
)
def test_parse_birth_date_accepts(text, expected):
    assert parse_birth_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "empty", "Inserisci la data di nascita"),
        ("  ", "empty", "Inserisci la data di nascita"),
        ("01/02/80", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("010280", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("1980/02/01", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("1980-02-01", "format", "Scrivi la data nel formato GG/MM/AAAA"),  # ISO is not read as a day
        ("19800201", "invalid", "La data 19/80/0201 non esiste"),
        ("14/03/1975/", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("14//03/1975", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("14/03/1975x", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("1 4/03/1975", "format", "Scrivi la data nel formato GG/MM/AAAA"),
        ("31021980", "invalid", "La data 31/02/1980 non esiste"),
        ("31-2-1980", "invalid", "La data 31/02/1980 non esiste"),
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


def test_read_date_needs_no_age():
    assert read_date("14.3.1975") == datetime.date(1975, 3, 14)
    assert read_date("01012090") == datetime.date(2090, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14031975", "14/03/1975"),
        ("14-03-1975", "14/03/1975"),
        ("14.03.1975", "14/03/1975"),
        ("14/3/1975", "14/03/1975"),
        (" 1/2/1980 ", "01/02/1980"),
        ("14/03/1975", "14/03/1975"),
        # Not a date: left as typed, for its own message.
        ("", ""),
        ("14/03/", "14/03/"),
        ("31/02/1980", "31/02/1980"),
        ("1975-03-14", "1975-03-14"),
        ("ieri", "ieri"),
    ],
)
def test_normalize_date_text(text, expected):
    assert normalize_date_text(text) == expected


def test_format_date_pads_every_part():
    assert format_date(datetime.date(1975, 3, 4)) == "04/03/1975"
    assert format_date(datetime.date(905, 1, 2)) == "02/01/0905"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("1", "1"),
        ("14", "14/"),
        ("140", "14/0"),
        ("1403", "14/03/"),
        ("140319", "14/03/19"),
        ("14031975", "14/03/1975"),
        # A separator typed over the slash that is already there changes nothing.
        ("14/", "14/"),
        ("14//", "14/"),
        ("14/-", "14/"),
        ("14/.", "14/"),
        ("14/03//", "14/03/"),
        ("14/03/-", "14/03/"),
        ("/", ""),
        # A separator after a one-digit day or month completes it.
        ("1/", "01/"),
        ("1-", "01/"),
        ("14/3/", "14/03/"),
        ("14/3.", "14/03/"),
        ("14/3 ", "14/03/"),
        ("14/3/1975", "14/03/1975"),
        # Separators inside the year are dropped, digits never.
        ("14/03/19-", "14/03/19"),
        ("14/03/19751", "14/03/19751"),
        ("1975-", "19/75/"),
        ("abc", "abc"),
        ("14a", "14a"),
    ],
)
def test_date_as_typed(typed, shown):
    assert date_as_typed(typed) == shown


def test_date_as_typed_key_by_key():
    """Each key is added at the end of what the field shows, as the 3A field does."""
    for keys in ("14031975", "14-03-1975", "14.03.1975", "14/03/1975", "14/3/1975"):
        field = ""
        for key in keys:
            field = date_as_typed(field + key)
        assert field == "14/03/1975", keys
