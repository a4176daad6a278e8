"""The diagnosis service: the journey's outcome, the nearest customers, one hint per common fault."""

from __future__ import annotations

from datetime import date

import pytest
from codicefiscale import codicefiscale
from sqlalchemy import event

from areaclienti_tui.services import audit
from areaclienti_tui.services.diagnosis import Typed, diagnose
from areaclienti_tui.services.registration import ALREADY_REGISTERED, NO_POLICY, RECOGNISED, UNKNOWN

MARIO = dict(nome="Mario", cognome="Rossi", data_nascita=date(1975, 3, 14), sesso="M", recapito="mario.rossi@gmail.com")


def typed(**changes: object) -> Typed:
    return Typed(**{**MARIO, **changes})  # type: ignore[arg-type]


def first(result, cf: str):
    assert result.candidati, "no candidates"
    best = result.candidati[0]
    assert best.codice_fiscale == cf, [c.codice_fiscale for c in result.candidati]
    return best


def hints(candidate) -> dict[str, str]:
    return {d.campo: d.suggerimento for d in candidate.differenze}


def test_right_data_is_recognised_with_no_blocking_difference(demo_ctx):
    result = diagnose(demo_ctx, typed())
    assert result.esito == RECOGNISED
    best = first(result, "RSSMRA75C14H501L")
    assert best.punteggio == 1.0 and best.differenze == ()


def test_day_and_month_swapped(demo_ctx):
    result = diagnose(demo_ctx, Typed("Paolo", "Esposito", date(1968, 2, 11), "M", "paolo.esposito@libero.it"))
    best = first(result, "SPSPLA68S02F839Q")
    assert result.esito == UNKNOWN
    assert best.differenze[0].campo == "data_nascita"
    assert best.differenze[0].digitato == "11/02/1968" and best.differenze[0].anagrafe == "02/11/1968"
    assert best.differenze[0].suggerimento == "giorno e mese invertiti"


@pytest.mark.parametrize(("written", "hint"), [("Rosi", "un carattere diverso"), ("Rossa", "un carattere diverso"),
                                               ("Rosssi", "un carattere diverso"), ("Rozzi", "due caratteri diversi")])
def test_one_or_two_characters_in_the_surname(demo_ctx, written, hint):
    result = diagnose(demo_ctx, typed(cognome=written))
    assert result.esito == UNKNOWN
    best = first(result, "RSSMRA75C14H501L")
    assert hints(best) == {"cognome": hint}
    assert 0.8 < best.punteggio < 1


def test_double_surname_typed_in_part(demo_ctx):
    result = diagnose(demo_ctx, Typed("Lucia", "De Luca", date(1990, 10, 15), "F", "lucia.delucarossi@gmail.com"))
    assert result.esito == UNKNOWN
    best = first(result, "DLCLCU90R55D969B")
    assert hints(best) == {"cognome": "cognome doppio scritto in parte: in anagrafe è «De Luca Rossi»"}


def test_double_name_typed_in_part(demo_ctx):
    result = diagnose(demo_ctx, Typed("Maria", "D'Angelo", date(1965, 12, 3), "F", "mariagrazia.dangelo@libero.it"))
    best = first(result, "DNGMGR65T43G482W")
    assert hints(best) == {"nome": "nome doppio scritto in parte: in anagrafe è «Maria Grazia»"}


def test_accents_apostrophes_and_spaces_are_tolerated_and_said_so(demo_ctx):
    result = diagnose(demo_ctx, Typed("niccolo", "dell acqua", date(1988, 1, 7), "M", "niccolo.dellacqua@gmail.com"))
    assert result.esito == RECOGNISED
    best = first(result, "DLLNCL88A07D612Q")
    assert {d.campo for d in best.differenze} == {"nome", "cognome"}
    assert all(not d.blocking and "già tollerato" in d.suggerimento for d in best.differenze)
    assert best.punteggio == 1.0


def test_sex_swapped(demo_ctx):
    result = diagnose(demo_ctx, typed(sesso="F"))
    best = first(result, "RSSMRA75C14H501L")
    assert hints(best) == {"sesso": "sesso invertito"}


def test_contact_not_on_file_shows_the_registry_contacts_masked(demo_ctx):
    result = diagnose(demo_ctx, typed(recapito="mario.rossi@yahoo.it"))
    assert result.esito == UNKNOWN
    best = first(result, "RSSMRA75C14H501L")
    difference = best.differenze[0]
    assert difference.campo == "recapito"
    assert "m***i@gmail.com" in difference.anagrafe and "+39 *** *** 4567" in difference.anagrafe
    assert "mario.rossi@gmail.com" not in difference.anagrafe and "3471234567" not in difference.anagrafe
    assert difference.suggerimento.startswith("recapito non in anagrafe")


def test_contact_almost_equal_is_called_a_typo(demo_ctx):
    best = first(diagnose(demo_ctx, typed(recapito="mario.rosi@gmail.com")), "RSSMRA75C14H501L")
    assert "errore di battitura" in hints(best)["recapito"]


def test_mobile_in_any_form_is_the_same_contact(demo_ctx):
    for written in ("3471234567", "+39 347 123 4567", "0039.347.123.4567"):
        assert diagnose(demo_ctx, typed(recapito=written)).esito == RECOGNISED, written


def test_codice_fiscale_disagreeing_with_the_typed_date_sex_and_place(demo_ctx):
    # Mario Rossi's code, but the customer typed another date and sex.
    result = diagnose(demo_ctx, typed(data_nascita=date(1975, 3, 15), sesso="F", codice_fiscale="RSSMRA75C14H501L"))
    best = first(result, "RSSMRA75C14H501L")
    cf = [d.suggerimento for d in best.differenze if d.campo == "codice_fiscale"]
    assert "il codice fiscale indica nato il 14/03/1975, non il 15/03/1975 scritto" in cf
    assert "il codice fiscale indica sesso M, non F" in cf
    # The code of a man born in Milan (F205) for Mario, born in Roma according to the registry.
    milan = codicefiscale.encode(lastname="Rossi", firstname="Mario", gender="M", birthdate="14/03/1975",
                                 birthplace="Milano")
    other = diagnose(demo_ctx, typed(codice_fiscale=milan))
    cf = [d.suggerimento for d in first(other, "RSSMRA75C14H501L").differenze if d.campo == "codice_fiscale"]
    assert any("nato a Milano, in anagrafe Roma" in hint for hint in cf), cf


def test_already_registered_and_without_policy(demo_ctx):
    registered = diagnose(demo_ctx, Typed("Anna", "Conti", date(1979, 9, 30), "F", "anna.conti@outlook.it"))
    assert registered.esito == ALREADY_REGISTERED
    no_policy = diagnose(demo_ctx, Typed("Francesca", "Romano", date(1987, 2, 19), "F", "francesca.romano@outlook.it"))
    assert no_policy.esito == NO_POLICY


def test_homonyms_both_listed_best_first(demo_ctx):
    result = diagnose(demo_ctx, Typed("Luca", "Ferrari", date(1980, 5, 10), "M", "l.ferrari@studioferrariarchitetti.it"))
    assert result.esito == RECOGNISED
    assert [c.codice_fiscale for c in result.candidati][:2] == ["FRRLCU80E10F257G", "FRRLCU80E10A944I"]
    assert result.candidati[1].punteggio < result.candidati[0].punteggio


def test_nobody_close_gives_no_candidates_and_at_most_five(demo_ctx):
    result = diagnose(demo_ctx, Typed("Zeno", "Quaglia", date(2001, 1, 1), "M", "zq@example.org"))
    assert result.esito == UNKNOWN and result.candidati == ()
    assert len(diagnose(demo_ctx, typed(nome="", cognome="", recapito="x")).candidati) <= 5


def test_unreadable_date_and_contact_do_not_break_it(demo_ctx):
    result = diagnose(demo_ctx, typed(data_nascita=None, recapito="non un recapito"))
    best = first(result, "RSSMRA75C14H501L")
    assert set(hints(best)) == {"data_nascita", "recapito"}


def test_json_shape(demo_ctx):
    data = diagnose(demo_ctx, typed(data_nascita=date(1975, 3, 15))).as_json()
    assert set(data) == {"esito", "candidati"}
    assert set(data["candidati"][0]) == {"codice_fiscale", "nome", "cognome", "punteggio", "differenze"}
    assert set(data["candidati"][0]["differenze"][0]) == {"campo", "digitato", "anagrafe", "suggerimento"}


def test_an_operator_diagnosis_is_an_audit_event(demo_ctx):
    diagnose(demo_ctx, typed(), operator="operatore")
    event_ = audit.latest(demo_ctx, kind="diagnosi")[0]
    assert event_.actor == "operatore" and event_.outcome == RECOGNISED
    diagnose(demo_ctx, typed())
    assert len(audit.latest(demo_ctx, kind="diagnosi")) == 1


def test_candidates_come_from_indexed_keys_never_a_scan(demo_ctx):
    """Every SELECT on customers or contacts is answered through an index (SQLite's plan)."""
    statements: list[tuple[str, object]] = []
    engine = demo_ctx.db.engine

    def remember(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        diagnose(demo_ctx, typed(cognome="Rosi", data_nascita=date(1975, 3, 12), codice_fiscale="RSSMRA75C14H501L"))
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert statements
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            for row in plan:
                detail = row[-1]
                if " customers" in f" {detail}" or " contacts" in f" {detail}":
                    assert not detail.startswith("SCAN"), (statement, detail)


def test_latest_outcomes_come_back_newest_first_with_what_was_typed(demo_ctx):
    from areaclienti_tui.rules.codice_fiscale import validate_codice_fiscale
    from areaclienti_tui.rules.username import Username
    from areaclienti_tui.services import pathb, registration
    from areaclienti_tui.services.diagnosis import latest_outcomes

    person = registration.PersonalData("Paolo", "Esposito", date(1968, 2, 11), "M")
    registration.recognise(demo_ctx, person, Username("email", "paolo.esposito@libero.it"))
    registration.recognise(demo_ctx, registration.PersonalData("Mario", "Rossi", date(1975, 3, 14), "M"),
                           Username("email", "mario.rossi@gmail.com"))  # recognised: not listed
    registration.recognise(demo_ctx, registration.PersonalData("Anna", "Conti", date(1979, 9, 30), "F"),
                           Username("email", "anna.conti@outlook.it"))
    code = codicefiscale.encode(lastname="Verdi", firstname="Gino", gender="M", birthdate="01/01/1970",
                                birthplace="Roma")
    typed_ = registration.typed_details(registration.PersonalData("Gino", "Verdi", date(1970, 1, 1), "M"), "gino@x.it")
    pathb.lookup(demo_ctx, validate_codice_fiscale(code, today=date(2026, 3, 2)), frozenset(), typed_)
    found = latest_outcomes(demo_ctx)
    assert [o.shown for o in found] == ["6B", "già registrato", "1B"]
    assert found[0].typed.codice_fiscale == code and found[0].who == "Gino Verdi"
    assert found[2].typed == Typed("Paolo", "Esposito", date(1968, 2, 11), "M", "paolo.esposito@libero.it")
    assert diagnose(demo_ctx, found[2].typed).candidati[0].differenze[0].suggerimento == "giorno e mese invertiti"


def test_latest_outcomes_survive_odd_audit_details(demo_ctx):
    from areaclienti_tui.services.diagnosis import latest_outcomes

    with demo_ctx.db.transaction() as session:
        audit.record(demo_ctx, session, "riconoscimento", actor="anonimo", outcome=UNKNOWN,
                     digitato={"nome": ["x"], "data_nascita": "1975-13-40", "cognome": "R" * 1000})
        audit.record(demo_ctx, session, "riconoscimento", actor="anonimo", outcome=UNKNOWN, digitato="testo")
    found = latest_outcomes(demo_ctx)
    assert [o.typed.data_nascita for o in found] == [None, None]
    assert len(found[1].typed.cognome) == 254
    assert found[0].who == "(dati non disponibili)"


@pytest.mark.parametrize(("written", "hint"), [
    (date(1975, 3, 25), "data diversa"),
    (date(1975, 3, 11), "una cifra diversa"),
    (date(1957, 3, 14), "due cifre dell'anno invertite"),
    (date(1975, 3, 4), "una cifra diversa"),
    (date(1976, 3, 14), "una cifra dell'anno diversa"),
    (date(1985, 3, 14), "una cifra dell'anno diversa"),
    (date(1965, 3, 14), "una cifra dell'anno diversa"),
    (date(1980, 3, 14), "anno diverso"),
])
def test_other_date_faults(demo_ctx, written, hint):
    assert hints(first(diagnose(demo_ctx, typed(data_nascita=written)), "RSSMRA75C14H501L")) == {"data_nascita": hint}


def test_greco_for_grieco_with_the_day_digits_swapped(demo_ctx):
    """The persona "Alessandro Greco": one character of the surname and the day's digits the other way."""
    result = diagnose(demo_ctx, Typed("Alessandro", "Greco", date(1985, 4, 21), "M", "alessandro.greco@gmail.com",
                                      "GRCLSN85D12E506M"))
    best = first(result, "GRCLSN85D12E506M")
    found = {(d.campo, d.suggerimento) for d in best.differenze}
    assert ("cognome", "un carattere diverso") in found
    assert ("data_nascita", "due cifre del giorno invertite") in found
    assert ("codice_fiscale", "il codice fiscale indica nato il 12/04/1985, non il 21/04/1985 scritto") in found
    assert any(campo == "recapito" and "a***o@studiogrieco.it" in hint for campo, hint in found)


def _persona_rows() -> list[tuple[str, Typed, list[str]]]:
    """The table "Perché non mi riconosce?" of data/personas.md: what to type and the hints it promises."""
    import re
    from pathlib import Path

    from areaclienti_tui.rules.personal import read_date

    text = (Path(__file__).resolve().parents[2] / "data" / "personas.md").read_text(encoding="utf-8")
    section = text.split('### "Perché non mi riconosce?"', 1)[1].split("\n### ", 1)[0]
    found = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("persona", "---") or cells[0].startswith("---"):
            continue
        persona, data, contact, promised = cells
        data = data.replace("*", "")
        cf = re.search(r"codice fiscale `([A-Z0-9]{16})`", data)
        parts = [p.strip() for p in data.split(",")[0].split("·")]
        typed_ = Typed(parts[0], parts[1], read_date(parts[2]), parts[3], contact.replace("*", "").strip("`"),
                       cf.group(1) if cf else "")
        hints_ = [h.replace("\\", "") for h in re.findall(r"\*([^*]+?)\*", promised.replace("\\*", "•"))]
        found.append((persona, typed_, [h.replace("•", "*") for h in hints_]))
    return found


@pytest.mark.parametrize(("persona", "written", "promised"), _persona_rows())
def test_the_personas_table_shows_what_it_promises(demo_ctx, persona, written, promised):
    assert promised, persona
    best = diagnose(demo_ctx, written).candidati[0]
    shown = [d.suggerimento for d in best.differenze]
    for hint in promised:
        assert any(hint.split(" (")[0] in s for s in shown), (persona, hint, shown)
