"""Customer CSV import (SPEC §5): bad rows reported by line and skipped, idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.services import audit, customers, importer
from areaclienti_tui.store.models import Contact, Customer, Policy

HEADER = "codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa"
MARIO = "RSSMRA75C14H501L,Mario,Rossi,M,1975-03-14,Roma,mario.rossi@gmail.com,3471234567,INA-2024-000101:Polizza sanitaria INARCASSA,1"
DAVIDE = "RCCDVD83R05G478L,Davide,Ricci,M,1983-10-05,Perugia,davide.ricci@ingpec.eu,3661234567,INA-2024-000108:Polizza sanitaria INARCASSA,1"
PERSONAS = 19


def _csv(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


def _customer(ctx, cf: str) -> Customer | None:
    with ctx.db.session() as session:
        return session.exec(select(Customer).where(Customer.codice_fiscale == cf)).first()


def _all_cfs(ctx) -> set[str]:
    with ctx.db.session() as session:
        return set(session.exec(select(Customer.codice_fiscale)).all())


def _contacts(ctx, cf: str) -> set[tuple[str, str, str]]:
    customer = _customer(ctx, cf)
    assert customer is not None
    return {(c.kind, c.value, c.source) for c in customers.contacts(ctx, customer.id)}


def _policies(ctx, cf: str) -> set[tuple[str, str, str]]:
    customer = _customer(ctx, cf)
    assert customer is not None
    return {(p.numero, p.prodotto, p.stato) for p in customers.policies(ctx, customer.id)}


def _import_personas(ctx) -> importer.ImportReport:
    return importer.import_file(ctx, ctx.settings.personas_file)


# --- the demo file ----------------------------------------------------------------------


def test_personas_import_without_errors(ctx):
    report = _import_personas(ctx)
    assert report.errors == []
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (PERSONAS, PERSONAS, 0, 0)
    assert len(_all_cfs(ctx)) == PERSONAS


def test_fields_are_stored(ctx):
    _import_personas(ctx)
    niccolo = _customer(ctx, "DLLNCL88A07D612Q")
    assert (niccolo.nome, niccolo.cognome, niccolo.sesso) == ("Niccolò", "Dell'Acqua", "M")
    assert (niccolo.nome_norm, niccolo.cognome_norm) == ("niccolo", "dellacqua")
    assert niccolo.data_nascita == date(1988, 1, 7)
    assert niccolo.luogo_nascita == "Firenze"
    assert niccolo.inarcassa is True
    assert _customer(ctx, "GLLLSS86C49L378O").inarcassa is False


def test_several_contacts_and_policies(ctx):
    _import_personas(ctx)
    assert _contacts(ctx, "CSTSMN91T21A271G") == {
        ("email", "simone.costa@gmail.com", "registro"),
        ("email", "s.costa@costaprogetti.it", "registro"),
        ("mobile", "+393315558899", "registro"),
        ("mobile", "+393924441122", "registro"),
    }
    assert _contacts(ctx, "MRTSFN72B18A794L") == {("email", "stefano.moretti@tiscali.it", "registro")}
    assert _contacts(ctx, "FNTGRG58D27L781N") == set()
    assert _policies(ctx, "GLLLSS86C49L378O") == {
        ("GEN-2024-008810", "Generali Sei in Auto", "attiva"),
        ("GEN-2020-002215", "Valore Casa", "scaduta"),
    }
    # A policy without product name or state: a generic name, active.
    assert _policies(ctx, "BNCNDR76H28G224I") == {("INA-2024-000113", "Polizza Generali", "attiva")}


def test_registry_contacts_are_normalised(ctx, customers_csv):
    report = customers_csv(
        _csv(
            "RSSMRA75C14H501L,Mario,Rossi,M,1975-03-14,Roma, Mario.Rossi@GMAIL.com ;m.rossi@studio.it,"
            "+39 347 123 4567;0039-328-9876543,INA-1,1"
        )
    )
    assert report.errors == []
    assert _contacts(ctx, "RSSMRA75C14H501L") == {
        ("email", "mario.rossi@gmail.com", "registro"),
        ("email", "m.rossi@studio.it", "registro"),
        ("mobile", "+393471234567", "registro"),
        ("mobile", "+393289876543", "registro"),
    }


def test_omocode_stored_with_base(ctx):
    _import_personas(ctx)
    giovanni = _customer(ctx, "RSSGNN77M25G27PZ")
    assert giovanni.codice_fiscale == "RSSGNN77M25G27PZ"
    assert giovanni.cf_base == "RSSGNN77M25G273D"
    mario = _customer(ctx, "RSSMRA75C14H501L")
    assert mario.cf_base == mario.codice_fiscale


def test_utf8_bom_is_accepted(ctx, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv(MARIO).encode("utf-8"))
    report = importer.import_file(ctx, path)
    assert (report.inserted, report.errors) == (1, [])


def test_import_is_audited(ctx):
    _import_personas(ctx)
    (event,) = audit.latest(ctx, kind="import_clienti")
    assert (event.subject, event.outcome) == ("personas.csv", "ok")
    assert event.details["nuovi"] == PERSONAS


# --- bad rows ------------------------------------------------------------------------


BAD_ROWS = [
    # (line in the file, row, words expected in the reason)
    (3, "MRNGLI82L62F205X,Giulia,Marino,F,1982-07-22,Milano,giulia.marino@libero.it,3289876543,INA-1,1",
     ["codice fiscale", "controllo"]),
    (4, "FRRLCU80E10A944I,Luca,Ferrari,M,1980-05-11,Bologna,luca.ferrari.ing@gmail.com,3351112233,INA-1,1",
     ["non corrisponde"]),
    (5, "RSSGNN77M25G27PZ,Giovanni,Russo,F,1977-08-25,Palermo,giovanni.russo@gmail.com,,INA-1,1",
     ["non corrisponde"]),
    (6, "FRRLCU80E10F257G,Luca,Ferrari,X,1980-05-10,Modena,,3395556677,INA-1,1",
     ["sesso"]),
    (7, "SPSPLA68S02F839Q,Paolo,Esposito,M,02/11/1968,Napoli,paolo.esposito@libero.it,,INA-1,1",
     ["data_nascita", "AAAA-MM-GG"]),
    (8, "RMNFNC87B59A662P,Francesca,Romano,F,1987-02-19,Bari,,0612345678,INA-1,1",
     ["cellulare", "0612345678"]),
    (9, "CNTNNA79P70L219K,Anna,Conti,F,1979-09-30,Torino,anna.conti@,3381234567,INA-1,1",
     ["email", "anna.conti@"]),
    (10, "GRCLSN85D12E506M,Alessandro,Grieco,M,1985-04-12,Lecce,,3497654321,INA-1:Sanitaria:chiusa,1",
     ["stato", "chiusa"]),
    (11, "MRTSFN72B18A794L,Stefano,Moretti,M,1972-02-18,Bergamo,stefano.moretti@tiscali.it,,INA-1,1,avanzo",
     ["colonne"]),
    (12, MARIO.replace("Roma", "Roma Capitale"),
     ["RSSMRA75C14H501L", "già presente"]),
    (13, "DLLNCL88A07D612Q,Niccolò,Dell'Acqua,M,1988-01-07,Firenze,,3402223344,INA-1,si",
     ["inarcassa"]),
    (14, "DNGMGR65T43G482,Maria Grazia,D'Angelo,F,1965-12-03,Pescara,,3389990011,INA-1,1",
     ["codice fiscale", "16"]),
]


def test_bad_rows_are_reported_and_good_rows_imported(ctx, customers_csv):
    rows = [MARIO] + [row for _, row, _ in BAD_ROWS] + [DAVIDE]
    report = customers_csv(_csv(*rows))
    assert [line for line, _ in report.errors] == [line for line, _, _ in BAD_ROWS]
    for (line, reason), (_, _, words) in zip(report.errors, BAD_ROWS, strict=True):
        for word in words:
            assert word.lower() in reason.lower(), (line, reason)
    assert (report.rows, report.inserted) == (len(rows), 2)
    assert _all_cfs(ctx) == {"RSSMRA75C14H501L", "RCCDVD83R05G478L"}
    assert _customer(ctx, "RSSMRA75C14H501L").luogo_nascita == "Roma"  # the duplicate did not win
    assert audit.latest(ctx, kind="import_clienti")[0].outcome == "con errori"
    assert "2 clienti nuovi" in report.summary() and f"{len(BAD_ROWS)} righe scartate" in report.summary()


def test_missing_header_columns(ctx, customers_csv):
    header = HEADER.replace(",inarcassa", "").replace("cellulare,", "")
    with pytest.raises(importer.ImportFileError) as error:
        customers_csv(header + "\n" + MARIO + "\n")
    assert "cellulare" in str(error.value) and "inarcassa" in str(error.value)
    assert _all_cfs(ctx) == set()


def test_empty_file_is_a_file_error(ctx, customers_csv):
    with pytest.raises(importer.ImportFileError):
        customers_csv("")


def test_non_utf8_file(ctx, tmp_path):
    path = tmp_path / "latin1.csv"
    niccolo = "DLLNCL88A07D612Q,Niccolò,Dell'Acqua,M,1988-01-07,Firenze,,3402223344,INA-1,1"
    path.write_bytes(_csv(niccolo).encode("latin-1"))
    with pytest.raises(importer.ImportFileError) as error:
        importer.import_file(ctx, path)
    assert "UTF-8" in str(error.value)
    assert _all_cfs(ctx) == set()


# --- idempotency and updates ---------------------------------------------------------------


def _table_sizes(ctx) -> tuple[int, int, int]:
    with ctx.db.session() as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one() for m in (Customer, Contact, Policy))


def test_importing_twice_changes_nothing(ctx, clock):
    _import_personas(ctx)
    sizes = _table_sizes(ctx)
    updated_at = _customer(ctx, "RSSMRA75C14H501L").updated_at
    clock.advance(3600)
    report = _import_personas(ctx)
    assert (report.inserted, report.updated, report.unchanged, report.errors) == (0, 0, PERSONAS, [])
    assert _table_sizes(ctx) == sizes
    assert _customer(ctx, "RSSMRA75C14H501L").updated_at == updated_at


def test_changed_row_updates_customer(ctx, customers_csv, clock):
    _import_personas(ctx)
    mario_id = _customer(ctx, "RSSMRA75C14H501L").id
    clock.advance(60)
    changed = (
        "RSSMRA75C14H501L,Mario,Rossi,M,1975-03-14,Roma,mario.rossi@libero.it,3471234599,"
        "INA-2025-000200:Polizza sanitaria INARCASSA 2025;INA-2024-000101:Polizza sanitaria INARCASSA:scaduta,1"
    )
    report = customers_csv(_csv(changed))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    mario = _customer(ctx, "RSSMRA75C14H501L")
    assert mario.id == mario_id
    assert as_utc(mario.updated_at) == clock.now()
    assert as_utc(mario.created_at) == clock.now() - timedelta(seconds=60)
    assert _contacts(ctx, "RSSMRA75C14H501L") == {
        ("email", "mario.rossi@libero.it", "registro"),
        ("mobile", "+393471234599", "registro"),
    }
    assert _policies(ctx, "RSSMRA75C14H501L") == {
        ("INA-2025-000200", "Polizza sanitaria INARCASSA 2025", "attiva"),
        ("INA-2024-000101", "Polizza sanitaria INARCASSA", "scaduta"),
    }
    # The other customers are untouched.
    assert _contacts(ctx, "MRNGLI82L62F205C") == {
        ("email", "giulia.marino@libero.it", "registro"),
        ("mobile", "+393289876543", "registro"),
    }


def test_changed_name_only_is_an_update(ctx, customers_csv):
    customers_csv(_csv(MARIO))
    report = customers_csv(_csv(MARIO.replace(",Mario,", ",Mario Luigi,")))
    assert report.updated == 1
    mario = _customer(ctx, "RSSMRA75C14H501L")
    assert (mario.nome, mario.nome_norm) == ("Mario Luigi", "marioluigi")
    assert _contacts(ctx, "RSSMRA75C14H501L") == {
        ("email", "mario.rossi@gmail.com", "registro"),
        ("mobile", "+393471234567", "registro"),
    }


def test_update_keeps_contacts_added_by_assistance(ctx, customers_csv):
    customers_csv(_csv(MARIO))
    mario = _customer(ctx, "RSSMRA75C14H501L")
    with ctx.db.transaction() as session:
        session.add(Contact(customer_id=mario.id, kind="mobile", value="+393405550123", source="assistenza",
                            created_at=ctx.clock.now()))
    assert customers_csv(_csv(MARIO)).unchanged == 1  # an assistance contact is not a change
    customers_csv(_csv(MARIO.replace("mario.rossi@gmail.com", "mario@rossi.it")))
    assert _contacts(ctx, "RSSMRA75C14H501L") == {
        ("email", "mario@rossi.it", "registro"),
        ("mobile", "+393471234567", "registro"),
        ("mobile", "+393405550123", "assistenza"),
    }


def test_chunks_commit_independently(ctx):
    report = importer.import_file(ctx, ctx.settings.personas_file, chunk_size=4)
    assert (report.inserted, report.errors) == (PERSONAS, [])
    again = importer.import_file(ctx, ctx.settings.personas_file, chunk_size=4)
    assert again.unchanged == PERSONAS


def test_progress_is_reported(ctx):
    seen = []
    importer.import_file(ctx, ctx.settings.personas_file, chunk_size=10, progress=lambda r: seen.append(r.inserted))
    assert seen == [10, 19, 19]


# --- hostile files: oversized fields, control characters, omocodia ---------------------


def _valid_rows(count: int) -> list[str]:
    """`count` distinct valid rows (codes with the right check character, date and sex)."""
    from codicefiscale import codicefiscale

    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    rows = []
    for i in range(count):
        name = "".join(letters[(i // 26**k) % 26] for k in range(6))
        born = date(1950, 1, 1) + timedelta(days=i % 18000)
        body = f"{name}{born.year % 100:02d}{'ABCDEHLMPRST'[born.month - 1]}{born.day:02d}H501"
        code = body + codicefiscale.encode_cin(body)
        rows.append(f"{code},Marco,Rossi,M,{born.isoformat()},Roma,cliente{i}@esempio.it,,INA-{i:06d},1")
    return rows


def test_an_oversized_field_is_a_row_error_and_every_good_row_is_kept(ctx, tmp_path):
    good = _valid_rows(2500)
    huge = MARIO.replace("Roma", "R" * 200_000)
    path = tmp_path / "grande.csv"
    path.write_text(_csv(*good[:1200], huge, *good[1200:]), encoding="utf-8")
    report = importer.import_file(ctx, path)
    assert report.error_count == 1
    [(line, reason)] = report.errors
    assert line == 1202  # header, 1200 good rows, then the oversized one
    assert "lunghezza massima" in reason
    assert (report.rows, report.inserted) == (2501, 2500)
    assert len(_all_cfs(ctx)) == 2500 and "RSSMRA75C14H501L" not in _all_cfs(ctx)


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("luogo_nascita", "R" * 81, ["luogo_nascita", "troppo lungo", "80"]),
        ("nome", "M" * 121, ["nome", "troppo lungo"]),
        ("email", "a" * 2001, ["email", "troppo lungo"]),
        ("polizze", "INA-1:" + "P" * 121, ["prodotto", "120"]),
    ],
    ids=["luogo_nascita", "nome", "email", "prodotto"],
)
def test_fields_are_bounded_per_column(ctx, customers_csv, column, value, words):
    fields = dict(zip(HEADER.split(","), MARIO.split(","), strict=True))
    fields[column] = value
    report = customers_csv(_csv(",".join(fields.values()), DAVIDE))
    [(line, reason)] = report.errors
    assert line == 2
    for word in words:
        assert word in reason, reason
    assert _all_cfs(ctx) == {"RCCDVD83R05G478L"}


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("luogo_nascita", "Roma\x1b[2J\x1b]0;pwned\x07", "ESC"),
        ("luogo_nascita", "Ro\u202eam", "U+202E"),
        ("polizze", "INA-1:Sanitaria\x1b[31m", "ESC"),
        ("polizze", "INA-\u20661:Sanitaria", "U+2066"),
        ("nome", "Ma\x9brio", "U+009B"),
        ("email", "mario.rossi@gmail.com\x00", "U+0000"),
        ("cellulare", "347\t1234567", "U+0009"),
    ],
    ids=["luogo-esc", "luogo-bidi", "polizze-esc", "polizze-bidi", "nome-csi", "email-nul", "cellulare-tab"],
)
def test_control_characters_are_a_row_error_naming_the_column(ctx, customers_csv, column, value, shown):
    fields = dict(zip(HEADER.split(","), MARIO.split(","), strict=True))
    fields[column] = value
    report = customers_csv(_csv(",".join(fields.values()), DAVIDE))
    [(line, reason)] = report.errors
    assert line == 2
    assert column in reason and shown in reason, reason
    assert _all_cfs(ctx) == {"RCCDVD83R05G478L"}


GIOVANNI_BASE = "RSSGNN77M25G273D"
GIOVANNI_OMOCODE = "RSSGNN77M25G27PZ"
GIOVANNI = f"{GIOVANNI_BASE},Giovanni,Russo,M,1977-08-25,Palermo,giovanni.russo@gmail.com,,INA-2024-000109,1"


def _customer_count(ctx) -> int:
    with ctx.db.session() as session:
        return session.exec(select(func.count()).select_from(Customer)).one()


@pytest.mark.parametrize(("first", "second"), [(GIOVANNI_BASE, GIOVANNI_OMOCODE), (GIOVANNI_OMOCODE, GIOVANNI_BASE)])
def test_omocode_and_base_form_are_one_customer_keeping_the_form_imported_last(ctx, customers_csv, first, second):
    customers_csv(_csv(GIOVANNI.replace(GIOVANNI_BASE, first)))
    (original,) = _all_cfs(ctx)
    assert original == first
    report = customers_csv(_csv(GIOVANNI.replace(GIOVANNI_BASE, second).replace("Palermo", "Monreale")))
    assert (report.inserted, report.updated, report.errors) == (0, 1, [])
    assert _customer_count(ctx) == 1
    customer = _customer(ctx, second)
    assert (customer.codice_fiscale, customer.cf_base, customer.luogo_nascita) == (second, GIOVANNI_BASE, "Monreale")
    # Importing the same row again changes nothing.
    again = customers_csv(_csv(GIOVANNI.replace(GIOVANNI_BASE, second).replace("Palermo", "Monreale")))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)


def test_omocode_and_base_form_in_one_file_are_a_repeat(ctx, customers_csv):
    report = customers_csv(_csv(GIOVANNI, GIOVANNI.replace(GIOVANNI_BASE, GIOVANNI_OMOCODE)))
    [(line, reason)] = report.errors
    assert line == 3 and GIOVANNI_OMOCODE in reason and "già presente" in reason and GIOVANNI_BASE in reason
    assert _all_cfs(ctx) == {GIOVANNI_BASE}


def test_omocode_form_updates_across_chunks(ctx):
    text = _csv(GIOVANNI, MARIO, GIOVANNI.replace(GIOVANNI_BASE, GIOVANNI_OMOCODE))
    report = importer.import_text(ctx, text, chunk_size=2)
    assert (report.inserted, report.updated, report.errors) == (2, 1, [])
    assert _all_cfs(ctx) == {GIOVANNI_OMOCODE, "RSSMRA75C14H501L"}


def test_2b_lookup_finds_the_customer_whichever_form_is_typed(ctx, customers_csv):
    from areaclienti_tui.rules.codice_fiscale import validate_codice_fiscale
    from areaclienti_tui.services import pathb

    customers_csv(_csv(GIOVANNI.replace(GIOVANNI_BASE, GIOVANNI_OMOCODE)))
    (customer_id,) = {_customer(ctx, GIOVANNI_OMOCODE).id}
    for typed in (GIOVANNI_BASE, GIOVANNI_OMOCODE):
        found = pathb.lookup(ctx, validate_codice_fiscale(typed), frozenset())
        assert found.customer_id == customer_id, typed


def test_seed_import_inside_an_atomic_block_is_undone_with_it(ctx):
    with pytest.raises(RuntimeError):
        with ctx.db.atomic():
            report = importer.import_file(ctx, ctx.settings.personas_file, chunk_size=4)
            assert report.inserted == PERSONAS
            raise RuntimeError("interrotto")
    assert _all_cfs(ctx) == set()


# --- the fast paths of the row checks give what the full checks give ------------------
# (services/import_rows.py answers common shapes of a value quickly; anything else goes
# to the rules. Each fast path is compared here with the rule it stands for.)


def _outcome(call, value):  # noqa: ANN001, ANN202
    from areaclienti_tui.rules.errors import RuleError

    try:
        return "ok", call(value)
    except RuleError as error:
        return "errore", error.message


def test_control_character_scan_matches_the_rule_on_every_code_point():
    """The one pattern the rule and the importer's single scan use refuses exactly the
    characters the rule names: C0, DEL and C1, the bidi controls, the two separators."""
    from areaclienti_tui.rules.text import CONTROL_CHAR_RE, find_control_char

    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

    def refused(code: int) -> bool:
        return code < 0x20 or 0x7F <= code <= 0x9F or chr(code) in bidi or chr(code) in "\u2028\u2029"

    different = [
        code
        for code in range(0x110000)
        if (CONTROL_CHAR_RE.search(chr(code)) is not None) != refused(code)
        or (find_control_char(chr(code)) is not None) != refused(code)
    ]
    assert different == []


def _emails() -> list[str]:
    import random

    rng = random.Random(12)
    locals_ = ["mario.rossi", "Mario.Rossi", "m", "a_b+c-d", "x" * 64, "x" * 65, "x" * 240, ".mario", "mario.",
               "ma..rio", "ma rio", "mario!", "ma\"rio", "\"mario\"", "màrio", "mario#1", "1234", "-", "_", "+tag",
               "INFO", "Postmaster", "a.b.c.d.e"]
    domains = ["gmail.com", "GMAIL.COM", "Libero.It", "esempio.it", "sub.domain.example.co.uk", "a-b.it", "-ab.it",
               "ab-.it", "a--b.it", "ab--cd.it", "xn--caf-dma.it", "XN--CAF-DMA.it", "café.it", "localhost",
               "mail.local", "test", "x.test", "x.invalid", "example.com", "x.onion", "1.2.3.4", "[1.2.3.4]",
               "gmail", "gmail.", ".gmail.com", "gmail..com", "g.123", "a" * 63 + ".it", "a" * 64 + ".it",
               ".".join(["abcdefghi"] * 25) + ".it", ".".join(["abcdefghi"] * 26) + ".it", "ingpec.eu", "pec.it",
               "dom_ain.it", "dom ain.it", "do@main.it", ""]
    values = [f"{local}@{domain}" for local in locals_ for domain in domains]
    values += ["mario", "@gmail.com", "mario@", "a@b@c.it", "mario＠gmail.com", "Mario Rossi <mario@gmail.com>",
               "mario@gmail.com ", "x" * 200 + "@" + "y" * 50 + ".it"]
    alphabet = "abcXYZ019._+-@!\"' àé<>[]"
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    return values


def test_fast_email_normalisation_matches_the_rule():
    from areaclienti_tui.rules.username import normalize_contact
    from areaclienti_tui.services import import_rows

    values = _emails()
    fast = [_outcome(import_rows.normalize_email, value) for value in values]
    rule = [_outcome(lambda v: normalize_contact("email", v), value) for value in values]
    assert [(v, f, r) for v, f, r in zip(values, fast, rule, strict=True) if f != r] == []
    assert sum(kind == "ok" for kind, _ in rule) > 100  # the corpus has plenty of good addresses too


def _mobiles() -> list[str]:
    import random

    rng = random.Random(7)
    values = []
    for prefix in [f"{n:03d}" for n in range(1000)]:  # every three-digit start, every length a mobile could have
        for length in range(5, 17):
            values.append((prefix + "".join(rng.choice("0123456789") for _ in range(length)))[:length])
    values += ["3471234567", "347123456", "34712345678", "3931234567", "393471234567", "00393471234567",
               "+393471234567", "0039 347 123 4567", "347 123 4567", "347.123.4567", "347-123-4567",
               "(347)1234567", "347/1234567", "3\u0664\u00377", "３４７１２３４５６７", "0612345678", "06698123456",
               "3", "33", "800123456", "5512345678", "4312345678", "3101234567", "33101234501", "0" * 10, "1" * 17,
               "9" * 18]
    values += ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 18))) for _ in range(5000)]
    values += [f"3{rng.randint(0, 9)}{rng.randint(0, 10**rng.choice((7, 8)) - 1):0{rng.choice((7, 8))}d}" for _ in range(3000)]
    # Italy's country code in front, or a mobile that starts with 39 (393…): which of the two, parsing decides.
    values += ["39" + "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 13))) for _ in range(3000)]
    return values


@pytest.mark.parametrize("way", ["schemi-compilati", "tipo-una-volta", "api-pubblica"])
def test_fast_mobile_normalisation_matches_the_rule(way, monkeypatch):
    """Each way `normalize_mobile` may take (see services/import_rows.py) against the rule itself."""
    from areaclienti_tui.rules.username import normalize_contact
    from areaclienti_tui.services import import_rows

    # The fast paths are active with this phonenumbers: else this test would test nothing.
    assert import_rows._PLAIN_MOBILES and import_rows._TYPE_UNDER and import_rows._MOBILE_TYPE
    assert import_rows._NATIONAL_OF_39
    if way != "schemi-compilati":
        monkeypatch.setattr(import_rows, "_MOBILE_TYPE", None)
    if way == "api-pubblica":
        monkeypatch.setattr(import_rows, "_TYPE_UNDER", None)
    values = _mobiles()
    fast = [_outcome(import_rows.normalize_mobile, value) for value in values]
    rule = [_outcome(lambda v: normalize_contact("mobile", v), value) for value in values]
    assert [(v, f, r) for v, f, r in zip(values, fast, rule, strict=True) if f != r] == []
    assert sum(kind == "ok" for kind, _ in rule) > 1000
