"""The customer import checked by a pool of processes gives what it gives in one process (issue 12).

Big files have their rows checked by worker processes (`importer.import_lines`,
`workers`); small ones stay in the importing process. Both must give the same
report, the same messages with the same line numbers in the same order, the
same progress, the same database and the same audit event. Each test here
imports one file twice, on two copies of one database, once each way, and
compares everything.

The file mixes good rows with every kind of bad one: refused fields, control
characters, records the csv module cannot read, a quoted field running over two
lines, blank lines, short and long records, repeats of a codice fiscale (in
either omocode form) within one chunk and across chunks, and customers already
in the database, unchanged or changed. Chunks and batches are small and of
different sizes, so repeats and bad rows fall on both sides of their borders.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from codicefiscale import codicefiscale

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.services import importer
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings

HEADER = ["codice_fiscale", "nome", "cognome", "sesso", "data_nascita", "luogo_nascita", "email", "cellulare",
          "polizze", "inarcassa"]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MONTHS = "ABCDEHLMPRST"
PLACES = [("H501", "Roma"), ("F205", "Milano"), ("F839", "Napoli"), ("G273", "Palermo")]
NAMES = [("Marco", "Rossi"), ("Giulia", "Dell'Acqua"), ("Niccolò", "Bianchi"), ("Anna Maria", "De Luca")]
# Omocode forms of one code (see tests/unit/test_importer.py).
GIOVANNI_BASE = "RSSGNN77M25G273D"
GIOVANNI_OMOCODE = "RSSGNN77M25G27PZ"


def _person(i: int) -> list[str]:
    """A valid row, different for each i (code, contacts and policies follow i)."""
    letters = "".join(LETTERS[(i // 26**k) % 26] for k in range(6))
    born = date(1950, 1, 1) + timedelta(days=(i * 37) % 18000)
    female = i % 2 == 1
    code_place, place = PLACES[i % len(PLACES)]
    body = f"{letters}{born.year % 100:02d}{MONTHS[born.month - 1]}{born.day + (40 if female else 0):02d}{code_place}"
    nome, cognome = NAMES[i % len(NAMES)]
    emails = f"Cliente{i}@Esempio.it" + (f"; c{i}@studio-{i % 7}.it" if i % 4 == 0 else "")
    mobiles = "" if i % 9 == 0 else f"3{(40 + i % 59):02d}{i:07d}" + (f";+39 393 {i:07d}" if i % 5 == 0 else "")
    policies = f"INA-{i:06d}:Polizza sanitaria INARCASSA" + (f";GEN-{i:06d}:Valore Casa:scaduta" if i % 3 == 0 else "")
    return [body + codicefiscale.encode_cin(body), nome, cognome, "F" if female else "M", born.isoformat(), place,
            emails, mobiles, policies, str(i % 2)]


def _giovanni(code: str, place: str = "Palermo") -> list[str]:
    return [code, "Giovanni", "Russo", "M", "1977-08-25", place, "giovanni.russo@gmail.com", "", "INA-2024-000109", "1"]


def _line(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue()


def mixed_file(count: int, *, oversized: bool = True) -> str:
    """`count` people, about one row in three bad or a repeat, as the text of a CSV file."""
    lines = [_line(HEADER)]
    for i in range(count):
        row = _person(i)
        kind = i % 29
        if kind == 3:
            row[6] = "cliente@"  # bad email
        elif kind == 5:
            row[7] = "0612345678"  # a landline
        elif kind == 7:
            row[3] = "X"
        elif kind == 9:
            row[5] = "Roma\x1b[2J"  # control character
        elif kind == 11:
            row[0] = row[0][:15] + ("A" if row[0][15] != "A" else "B")  # wrong check character
        elif kind == 13:
            row[4] = "12/03/1980"
        elif kind == 15:
            row[8] = "INA-1:Sanitaria:chiusa"
        elif kind == 17:
            row[9] = "si"
        elif kind == 19:
            row = [*row, "avanzo"]  # one field too many
        elif kind == 21:
            row = row[:6]  # too few: email, cellulare, polizze, inarcassa missing
        elif kind == 23:
            row[1] = "M" * 121  # over the column's length
        lines.append(_line(row))
        if i % 31 == 4:
            lines.append(_line(_person(i - 2)))  # a repeat close by: within the chunk or just past it
        if i % 37 == 20:
            again = _person(i - 18)
            again[5] = "Monreale"
            lines.append(_line(again))  # a repeat far away: an update, unless it is in the same chunk
        if i % 41 == 10:
            lines.append("\n")  # a blank line: skipped, not counted
        if i % 43 == 12 and oversized:
            lines.append('"' + "A" * 140_000 + '",x\n')  # over the csv module's field limit
        if i % 47 == 30:
            lines.append(_line(_person(i + 1000)).replace("Polizza", "Pol\x00izza"))  # a NUL
        if i % 53 == 40:
            fields = _person(i + 2000)
            fields[5] = "Reggio\nEmilia"  # a quoted field over two lines: one record, two lines
            lines.append(_line(fields))
        if i % 59 == 25:  # Giovanni again, in one form or the other; the second time at once in the other form
            first, second = (GIOVANNI_BASE, GIOVANNI_OMOCODE) if i % 2 else (GIOVANNI_OMOCODE, GIOVANNI_BASE)
            lines.append(_line(_giovanni(first, place=f"Luogo {i}")))
            if i % 118 == 84:
                lines.append(_line(_giovanni(second)))
    return "".join(lines)


def known_customers() -> str:
    """Rows already in the database before the import: the first 40 people, 20 of them changed since."""
    rows = []
    for i in range(40):
        row = _person(i)
        if i % 2:
            row[6] = f"vecchio{i}@esempio.it"
        rows.append(_line(row))
    rows.append(_line(_giovanni(GIOVANNI_OMOCODE)))
    return _line(HEADER) + "".join(rows)


def _context(template: Path, folder: Path) -> Context:
    folder.mkdir()
    settings = Settings(data_dir=folder, db=f"sqlite:///{folder / 't.db'}", bcrypt_rounds=4, demo=False)
    shutil.copyfile(template, folder / "t.db")
    ctx = open_context(settings, FakeClock(), seed_demo=False)
    importer.import_text(ctx, known_customers(), workers=0)
    ctx.clock.advance(3600)
    return ctx


def _dump(ctx: Context) -> dict[str, list[tuple]]:
    with ctx.db.engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")]  # noqa: S608
            for table in ("customers", "contacts", "policies", "audit_events")
        }


def _run(ctx: Context, path: Path, **kwargs) -> dict:  # noqa: ANN003
    """Import `path`; everything the import said and did, to compare."""
    said: list[tuple] = []

    def on_error(line: int, reason: str) -> None:
        said.append(("errore", line, reason))

    def progress(report: importer.ImportReport) -> None:
        said.append(("avanzamento", report.rows, report.inserted, report.updated, report.unchanged, report.error_count))

    try:
        report = importer.import_file(ctx, path, on_error=on_error, progress=progress, **kwargs)
        result = ("report", report.rows, report.inserted, report.updated, report.unchanged, report.error_count,
                  report.errors, report.summary())
    except importer.ImportFileError as error:
        result = ("errore del file", str(error))
    return {"result": result, "said": said, "database": _dump(ctx)}


@pytest.fixture
def two_databases(_empty_template: Path, tmp_path: Path):  # noqa: ANN201
    one, other = _context(_empty_template, tmp_path / "uno"), _context(_empty_template, tmp_path / "due")
    yield one, other
    one.db.dispose()
    other.db.dispose()


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker counts of the pools the import started."""
    started: list[int] = []
    start = importer._start_pool

    def counted(workers: int):  # noqa: ANN202
        started.append(workers)
        return start(workers)

    monkeypatch.setattr(importer, "_start_pool", counted)
    return started


def test_the_mixed_file_has_what_the_comparison_needs(two_databases, tmp_path: Path) -> None:
    one, _ = two_databases
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(400), encoding="utf-8")
    run = _run(one, path, chunk_size=7, workers=0)
    _, rows, inserted, updated, unchanged, errors, kept, _ = run["result"]
    reasons = [reason for _, reason in kept]
    assert min(inserted, updated, unchanged) > 5 and errors > 100
    for expected in ("già presente in una riga precedente", "per omocodia", "email", "cellulare", "sesso",
                     "carattere di controllo non ammesso (ESC)", "carattere di controllo non è corretto", "AAAA-MM-GG",
                     "stato della polizza", "inarcassa", "più colonne", "troppo lungo",
                     "lunghezza massima che si può leggere", "U+0000"):
        assert any(expected in reason for reason in reasons), expected
    lines = [line for line, _ in kept]
    assert lines == sorted(lines)
    assert rows < path.read_text(encoding="utf-8").count("\n")  # blank lines and the two-line records


@pytest.mark.parametrize(
    ("chunk_size", "batch_size", "pool_after"),
    [(7, 5, 0), (7, 11, 30), (2000, 1000, 0), (3, 1, 0)],
    ids=["chunk7-batch5", "chunk7-batch11-pool-from-row-30", "chunk2000", "chunk3-batch1"],
)
def test_pooled_import_is_the_in_process_import(
    two_databases, tmp_path: Path, pools: list[int], chunk_size: int, batch_size: int, pool_after: int
) -> None:
    one, other = two_databases
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(400), encoding="utf-8")
    here = _run(one, path, chunk_size=chunk_size, workers=0)
    assert pools == []
    pooled = _run(other, path, chunk_size=chunk_size, workers=2, batch_size=batch_size, pool_after=pool_after)
    assert pools == [2]
    assert pooled["result"] == here["result"]
    assert pooled["said"] == here["said"]
    assert pooled["database"] == here["database"]


def test_a_file_past_the_threshold_goes_to_the_pool_with_the_default_sizes(two_databases, tmp_path: Path, pools) -> None:
    """12 000 people: the first POOL_AFTER records are checked here, the rest by the pool, chunks of 2000."""
    one, other = two_databases
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(12_000, oversized=False), encoding="utf-8")
    here = _run(one, path, workers=0)
    pooled = _run(other, path, workers=2)
    assert pools == [2]
    assert pooled == here
    assert here["result"][1] > 2 * importer.POOL_AFTER


@pytest.mark.parametrize("people", [100, 5600], ids=["piccolo", "poco-oltre-la-soglia"])
def test_a_small_file_never_starts_a_pool(two_databases, tmp_path: Path, pools, people: int) -> None:
    """Under POOL_AFTER records, or with only a few left past it (judged from the file's size): all here."""
    one, _ = two_databases
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(people, oversized=False), encoding="utf-8")
    run = _run(one, path, workers=2)
    assert pools == []
    assert (run["result"][1] > importer.POOL_AFTER) == (people > importer.POOL_AFTER)


def test_a_file_that_stops_being_utf8_midway_fails_the_same_way(two_databases, tmp_path: Path, pools) -> None:
    """Chunks before the bad byte are imported and kept, the rest is not, the audit has no event: either way."""
    one, other = two_databases
    text = mixed_file(300).encode("utf-8")
    cut = text.index(b"\n", len(text) * 2 // 3)
    path = tmp_path / "clienti.csv"
    path.write_bytes(text[:cut] + b"\nFRRLCU80E10A944I,Luca,Forl\xec,M,1980-05-10,Bologna,,,,1" + text[cut:])
    here = _run(one, path, chunk_size=7, workers=0)
    pooled = _run(other, path, chunk_size=7, workers=2, batch_size=5, pool_after=0)
    assert pools == [2]
    assert here["result"][0] == "errore del file" and "UTF-8" in here["result"][1]
    assert pooled == here
    assert len(here["database"]["customers"]) > 41  # what came before the bad byte was imported


def test_a_header_in_another_order_with_an_extra_column(two_databases, tmp_path: Path, pools) -> None:
    one, other = two_databases
    rows = list(csv.reader(io.StringIO(mixed_file(150, oversized=False))))
    order = [9, 3, 0, 8, 7, 1, 2, 6, 5, 4]
    lines = [_line(["note", *(row[i] if i < len(row) else "" for i in order)]) for row in rows if row]
    lines[0] = _line(["note", *(HEADER[i] for i in order)])
    path = tmp_path / "clienti.csv"
    path.write_text("".join(lines), encoding="utf-8")
    here = _run(one, path, chunk_size=5, workers=0)
    pooled = _run(other, path, chunk_size=5, workers=2, batch_size=4, pool_after=0)
    assert pools == [2]
    assert pooled == here
    assert here["result"][2] > 20  # rows were imported


def test_a_driver_taking_named_parameters_gets_the_same_import(two_databases, tmp_path: Path) -> None:
    """The writing hands statements to the driver in its own parameter style; the rarer ones go through SQLAlchemy."""
    from sqlalchemy import event
    from sqlmodel import create_engine

    from areaclienti_tui.store import db as store_db

    one, other = two_databases
    named = create_engine(other.db.url, paramstyle="named", connect_args={"check_same_thread": False})
    event.listen(named, "connect", store_db._sqlite_pragmas)
    other.db.engine.dispose()
    other.db.engine = named
    assert named.dialect.paramstyle == "named"
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(200), encoding="utf-8")
    assert _run(other, path, chunk_size=7, workers=0) == _run(one, path, chunk_size=7, workers=0)


def test_a_pool_that_breaks_leaves_the_checking_to_this_process(
    two_databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Workers that die (killed, or a program that cannot start them): the import goes on here, same answers."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    started: list[int] = []

    def dying_pool(workers: int) -> ProcessPoolExecutor:
        started.append(workers)
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=os._exit,
                                   initargs=(3,))

    monkeypatch.setattr(importer, "_start_pool", dying_pool)
    one, other = two_databases
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(300), encoding="utf-8")
    here = _run(one, path, chunk_size=7, workers=0)
    broken = _run(other, path, chunk_size=7, workers=2, batch_size=5, pool_after=20)
    assert started == [2]
    assert "i processi di controllo si sono interrotti" in caplog.text
    assert broken == here


def test_a_big_import_tunes_its_own_sqlite_connection_and_puts_it_back(two_databases, tmp_path: Path, monkeypatch) -> None:
    one, _ = two_databases
    with one.db.engine.connect() as connection:
        before = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in importer.SQLITE_BIG_IMPORT}
    tuned: list = []
    tune = importer._Writer.tune

    def spied(writer: importer._Writer) -> None:
        tune(writer)
        driver = writer.connection.connection.dbapi_connection
        tuned.append((driver, {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in importer.SQLITE_BIG_IMPORT}))

    monkeypatch.setattr(importer._Writer, "tune", spied)
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(200), encoding="utf-8")
    _run(one, path, chunk_size=7, workers=0, pool_after=50)
    driver, during = tuned[0]
    assert during == importer.SQLITE_BIG_IMPORT != before
    assert {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in importer.SQLITE_BIG_IMPORT} == before


@pytest.mark.parametrize("failure", [RuntimeError("disco pieno"), KeyboardInterrupt()], ids=["errore", "interruzione"])
def test_a_write_failing_midway_keeps_the_chunks_before_it_whatever_the_commits(
    two_databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    """A big import on SQLite commits several chunks at once (each in a savepoint): a chunk failing halfway
    leaves the database as one transaction per chunk would, the chunks before it kept, none of its own rows."""
    one, other = two_databases
    path = tmp_path / "clienti.csv"
    path.write_text(mixed_file(300, oversized=False), encoding="utf-8")
    execute = importer._BulkInsert.execute
    calls = {"n": 0}

    def failing(insert: importer._BulkInsert, rows: list) -> None:
        calls["n"] += 1
        if calls["n"] == 23:  # a contacts or policies insert of a chunk halfway through a commit group
            raise failure
        execute(insert, rows)

    monkeypatch.setattr(importer._BulkInsert, "execute", failing)
    dumps = []
    for ctx, pool_after in ((one, 10**9), (other, 0)):  # one transaction per chunk; grouped commits
        calls["n"] = 0
        with pytest.raises(type(failure)):
            importer.import_file(ctx, path, chunk_size=7, workers=0, pool_after=pool_after)
        dumps.append(_dump(ctx))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["customers"]) > 41 + 3 * 7  # the known customers, and the chunks before the failure
