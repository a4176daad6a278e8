import datetime

import pytest

from areaclienti_tui.rules.codice_fiscale import (
    CodiceFiscaleInfo,
    base_codice_fiscale,
    canonical_codice_fiscale,
    validate_codice_fiscale,
)
from areaclienti_tui.rules.errors import RuleError

TODAY = datetime.date(2025, 6, 15)
ROSSI = "RSSMRA80A01H501U"  # Mario Rossi, M, 01/01/1980, Roma
# Omocodia replaces digits from the right: one variant per level, 1..7.
ROSSI_OMOCODES = [
    "RSSMRA80A01H50MM",
    "RSSMRA80A01H5LMX",
    "RSSMRA80A01HRLMS",
    "RSSMRA80A0MHRLMK",
    "RSSMRA80ALMHRLMV",
    "RSSMRA8LALMHRLMG",
    "RSSMRAULALMHRLMD",
]
MESSAGES = {
    "empty": "Inserisci il codice fiscale",
    "length": "Il codice fiscale deve avere 16 caratteri",
    "format": "Il codice fiscale non è scritto correttamente: servono 6 lettere, 2 cifre, "
    "1 lettera, 2 cifre, 1 lettera, 3 cifre e 1 lettera finale",
    "omocodia": "Le lettere al posto delle cifre (omocodia) non sono valide: "
    "controlla di aver scritto bene il codice fiscale",
    "check": "Il carattere di controllo non è corretto: controlla di averlo scritto bene",
    "date": "La data di nascita contenuta nel codice fiscale non esiste: "
    "controlla di averlo scritto bene",
    "place": "Il luogo di nascita contenuto nel codice fiscale non esiste: "
    "controlla di averlo scritto bene",
}


def info(code, born, sex, place, omocode=False):
    return CodiceFiscaleInfo(code, omocode, datetime.date(*born), sex, place)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ROSSI, info(ROSSI, (1980, 1, 1), "M", "Roma")),
        (" rssmra 80a01 h501u ", info(ROSSI, (1980, 1, 1), "M", "Roma")),
        ("BNCNNA76B69F205U", info("BNCNNA76B69F205U", (1976, 2, 29), "F", "Milano")),
        ("DPNJNE90E15Z110Q", info("DPNJNE90E15Z110Q", (1990, 5, 15), "M", "Francia")),
        # 01/12/2025 would be in the future: the code belongs to the previous century
        ("RSSMRA25T01H501Y", info("RSSMRA25T01H501Y", (1925, 12, 1), "M", "Roma")),
        ("RSSMRA00B29H501Y", info("RSSMRA00B29H501Y", (2000, 2, 29), "M", "Roma")),
    ],
)
def test_validate_codice_fiscale_decodes(text, expected):
    assert validate_codice_fiscale(text, today=TODAY) == expected


@pytest.mark.parametrize("code", ROSSI_OMOCODES)
def test_omocodes_are_valid_and_decode_like_the_base(code):
    expected = info(code, (1980, 1, 1), "M", "Roma", omocode=True)
    assert validate_codice_fiscale(code, today=TODAY) == expected
    assert base_codice_fiscale(code) == ROSSI


def test_century_follows_today():
    later = datetime.date(2026, 1, 1)
    assert validate_codice_fiscale("RSSMRA25T01H501Y", today=later).birth_date == datetime.date(
        2025, 12, 1
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (ROSSI[:15], "length"),
        (ROSSI + "X", "length"),
        ("RSSMR480A01H501U", "format"),  # digit among the name letters
        ("RSSMRA80101H501U", "format"),  # digit for the month
        ("RSSMRA80A01H501-", "format"),
        ("RSSMRA80A01H5011", "format"),  # digit as check character
        ("RSSMRÀ80A01H501U", "format"),
        ("RSSMRA80A01H50AV", "omocodia"),  # A is not an omocodia letter
        ("RSSMRA80A01H5L1F", "omocodia"),  # substitution skipped the rightmost digit
        ("RSSMRA80A01H501A", "check"),
        ("RSSMRA80A01H50MA", "check"),  # omocode with a wrong check character
        ("RSSMRA80B30H501X", "date"),  # 30 February
        ("RSSMRA01B29H501Z", "date"),  # 29 February 2001
        ("RSSMRA80A35H501K", "date"),  # day 35: neither male (1-31) nor female (41-71)
        ("RSSMRA80A00H501V", "date"),
        ("RSSMRA80A72H501G", "date"),  # female day 32
        ("RSSMRA80F01H501G", "date"),  # F is not a month letter
        ("RSSMRA80A01Z999Y", "place"),
        ("RSSMRA80A01Z99VN", "place"),  # unknown place, omocode
    ],
)
def test_validate_codice_fiscale_refuses(text, code):
    with pytest.raises(RuleError) as exc:
        validate_codice_fiscale(text, today=TODAY)
    assert (exc.value.code, exc.value.message) == (code, MESSAGES[code])


def test_each_fault_has_its_own_message():
    assert len(set(MESSAGES.values())) == len(MESSAGES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" rssmra80a01 h501u\t", ROSSI), ("abc", "ABC")],
)
def test_canonical_codice_fiscale(text, expected):
    assert canonical_codice_fiscale(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ROSSI, ROSSI),
        ("rssmra80a01h50mm", ROSSI),
        ("RSSMRAULALMHRLMD", ROSSI),
        ("RSSMRA80A01H501A", "RSSMRA80A01H501A"),  # no substitution: left as is
        ("not a code", "NOTACODE"),
    ],
)
def test_base_codice_fiscale(text, expected):
    assert base_codice_fiscale(text) == expected
