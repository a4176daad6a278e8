"""The diagnosis over a large registry, beside the plain recognition, in one run.

    .venv/bin/python -m bench.diagnosis_bench [--customers 1000000] [--queries 400]
                                              [--db FILE] [--no-results]

A SQLite file is migrated by the project's own code (so every index of the
store is there), then filled with `--customers` synthetic customers through raw
`executemany` (the importer is measured in bench/import_bench.py, not here):
valid codici fiscali, ~40,000 distinct surnames (double ones among them) and
~600 first names drawn with a skew, as in a real registry where a few surnames
are very common, birth dates over 75 years, an email and a mobile each. The
file is kept (`--db`, default in the system's temporary folder) and reused by
later runs with the same size.

Then, alternating query by query so that a busy machine weighs on both alike:

* **recognition**: `registration.recognise`, what 5A runs (one indexed query and
  an audit row);
* **diagnosis**: `diagnosis.diagnose` with an operator (the candidates, their
  scores and hints, and an audit row).

The typed data come from customers of the file, each changed the way customers
get it wrong: day and month swapped, a character of the surname, the double
surname typed in part, the contact not on file, the sex swapped, or nothing at
all. Printed: p50/p95/p99 of both and the SQL statements per diagnosis;
written in bench/RESULTS.md, section "Diagnosi su un'anagrafe grande (issue 9)".
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from codicefiscale import codicefiscale
from sqlalchemy import event

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.rules.text import normalize_name, phonetic_key
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import registration
from areaclienti_tui.services.diagnosis import Typed, diagnose
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from bench.machine import describe

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Diagnosi su un'anagrafe grande (issue 9)"
COMMAND = ".venv/bin/python -m bench.diagnosis_bench"
MONTHS = "ABCDEHLMPRST"
PLACES = [("H501", "Roma"), ("F205", "Milano"), ("F839", "Napoli"), ("L219", "Torino"), ("A944", "Bologna"),
          ("D612", "Firenze"), ("G273", "Palermo"), ("L736", "Venezia"), ("L781", "Verona"), ("D969", "Genova")]
ONSETS = ["b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "ch", "gr", "st", "tr", "sc"]
VOWELS = ["a", "e", "i", "o", "u"]
ENDINGS = ["i", "o", "a", "ini", "etti", "elli", "one", "ucci", "ato", "ese"]
FIRST_SYLLABLES = ["Ma", "Lu", "Gio", "Fra", "Pa", "Ste", "Al", "An", "Ro", "Si", "Ele", "Chia", "Da", "Fe", "Gi"]
FIRST_ENDINGS = ["rio", "ca", "vanni", "nco", "olo", "fano", "berto", "drea", "berta", "mone", "na", "ra", "vide",
                 "derico", "ulia", "ria", "nna", "ssandro", "ura", "ndro"]
CHUNK = 20_000
SEED = 20261201


def surname_pool(size: int) -> list[str]:
    rng = random.Random(SEED)
    names: set[str] = set()
    while len(names) < size:
        parts = [rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.choice((1, 2, 2, 3)))]
        names.add(("".join(parts) + rng.choice(ENDINGS)).capitalize())
    pool = sorted(names)
    # Some double surnames, and a few Italian particles.
    for index in range(0, len(pool), 25):
        pool[index] = f"{pool[index]} {pool[(index * 7 + 3) % len(pool)]}"
    for index in range(3, len(pool), 101):
        pool[index] = f"De {pool[index]}"
    return pool


def first_name_pool() -> list[str]:
    return sorted({a + b for a in FIRST_SYLLABLES for b in FIRST_ENDINGS})


def customer_rows(count: int):  # noqa: ANN201 - yields tuples for executemany
    rng = random.Random(SEED + 1)
    surnames, firsts = surname_pool(40_000), first_name_pool()
    start = date(1940, 1, 1)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).isoformat(sep=" ")
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i in range(count):
        # Skewed draws: a few surnames and names are far more common than most.
        surname = surnames[min(int(rng.paretovariate(1.2)) - 1, len(surnames) - 1) if rng.random() < 0.3
                           else rng.randrange(len(surnames))]
        first = firsts[int(rng.triangular(0, len(firsts), 0))]
        female = rng.random() < 0.5
        born = start + timedelta(days=rng.randrange(27_000))
        code_place, place = PLACES[rng.randrange(len(PLACES))]
        unique = "".join(letters[(i // 26**k) % 26] for k in range(6))
        body = (f"{unique}{born.year % 100:02d}{MONTHS[born.month - 1]}"
                f"{born.day + (40 if female else 0):02d}{code_place}")
        code = body + codicefiscale.encode_cin(body)
        cognome_norm = normalize_name(surname)
        yield (i + 1, code, code, first, surname, normalize_name(first), cognome_norm, phonetic_key(cognome_norm),
               "F" if female else "M", born.isoformat(), place, 1, now, now)


def build(path: Path, count: int) -> None:
    """A migrated database with `count` customers, each with an email, a mobile and a policy."""
    if path.exists():
        path.unlink()
    ctx = open_context(Settings(data_dir=path.parent, db=f"sqlite:///{path}", demo=False), FakeClock(),
                       seed_demo=False)
    ctx.db.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    rows = customer_rows(count)
    started = time.perf_counter()
    while True:
        chunk = [row for _, row in zip(range(CHUNK), rows)]
        if not chunk:
            break
        connection.executemany(
            "INSERT INTO customers (id, codice_fiscale, cf_base, nome, cognome, nome_norm, cognome_norm, cognome_fon,"
            " sesso, data_nascita, luogo_nascita, inarcassa, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", chunk)
        connection.executemany(
            "INSERT INTO contacts (customer_id, kind, value, source, created_at) VALUES (?,?,?,?,?)",
            [(row[0], "email", f"cliente{row[0]}@esempio.it", "registro", row[12]) for row in chunk]
            + [(row[0], "mobile", f"+393{40 + row[0] % 60:02d}{row[0] % 10_000_000:07d}", "registro", row[12])
               for row in chunk])
        connection.executemany(
            "INSERT INTO policies (customer_id, numero, prodotto, stato) VALUES (?,?,?,?)",
            [(row[0], f"INA-{row[0]:08d}", "Polizza sanitaria INARCASSA", "attiva") for row in chunk])
        connection.commit()
        done = chunk[-1][0]
        print(f"\r  {done:,} clienti ({done / (time.perf_counter() - started):,.0f}/s)", end="", flush=True)
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    print()


def faults(ctx, count: int) -> list[tuple[str, Typed, str]]:  # noqa: ANN001
    """Typed data of random customers, each with one of the common faults."""
    rng = random.Random(SEED + 2)
    engine = ctx.db.engine
    with engine.connect() as connection:
        top = connection.exec_driver_sql("SELECT max(id) FROM customers").scalar_one()
        picked = []
        for _ in range(count):
            row = connection.exec_driver_sql(
                "SELECT c.id, nome, cognome, sesso, data_nascita, codice_fiscale, "
                "(SELECT value FROM contacts WHERE customer_id = c.id AND kind = 'email') "
                "FROM customers c WHERE c.id = ?", (rng.randint(1, top),)).one()
            picked.append(row)
    typed = []
    kinds = ["giorno/mese", "carattere", "doppio", "recapito", "sesso", "nessuno"]
    for index, (_, nome, cognome, sesso, born, cf, email) in enumerate(picked):
        kind = kinds[index % len(kinds)]
        born = date.fromisoformat(str(born))
        if kind == "giorno/mese" and born.day <= 12 and born.day != born.month:
            born = born.replace(day=born.month, month=born.day)
        elif kind == "carattere":
            position = rng.randrange(1, len(cognome))
            cognome = cognome[:position] + rng.choice("aeiourst") + cognome[position + 1:]
        elif kind == "doppio" and " " in cognome:
            cognome = cognome.split()[0]
        elif kind == "recapito":
            email = f"x{email}"
        elif kind == "sesso":
            sesso = "F" if sesso == "M" else "M"
        typed.append((kind, Typed(nome, cognome, born, sesso, email, cf if index % 4 == 0 else ""), cf))
    return typed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    path = args.db or Path(tempfile.gettempdir()) / f"areaclienti-diagnosi-{args.customers}.db"
    marker = path.with_suffix(".size")
    if not path.exists() or not marker.exists() or marker.read_text() != str(args.customers):
        print(f"Creazione di {path} con {args.customers:,} clienti…")
        started = time.perf_counter()
        build(path, args.customers)
        marker.write_text(str(args.customers))
        print(f"  pronta in {time.perf_counter() - started:.0f} s")
    settings = Settings(data_dir=path.parent, db=f"sqlite:///{path}", demo=False, bcrypt_rounds=4)
    ctx = open_context(settings, FakeClock(), seed_demo=False)
    load_before = os.getloadavg()
    typed = faults(ctx, args.queries)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    recognition, diagnosis, found = [], [], 0
    for _, person, _ in typed[:20]:  # warm-up: caches and the SQLite page cache
        diagnose(ctx, person, operator="bench")
    for index, (kind, person, true_cf) in enumerate(typed):
        username = Username("email", person.recapito)
        data = registration.PersonalData(person.nome, person.cognome, person.data_nascita, person.sesso)  # type: ignore[arg-type]
        order = ("r", "d") if index % 2 == 0 else ("d", "r")
        for which in order:
            if which == "r":
                started = time.perf_counter()
                registration.recognise(ctx, data, username)
                recognition.append((time.perf_counter() - started) * 1000)
            else:
                started = time.perf_counter()
                result = diagnose(ctx, person, operator="bench")
                diagnosis.append((time.perf_counter() - started) * 1000)
                found += any(c.codice_fiscale == true_cf for c in result.candidati)
    # SQL statements per diagnosis, in a separate pass that is not timed.
    event.listen(ctx.db.engine, "before_cursor_execute", count)
    for _, person, _ in typed[:50]:
        diagnose(ctx, person, operator="bench")
    event.remove(ctx.db.engine, "before_cursor_execute", count)
    ctx.db.dispose()
    load_after = os.getloadavg()
    sqlite_version = sqlite3.sqlite_version
    rows = []
    for label, values in (("riconoscimento (`registration.recognise`)", recognition),
                          ("diagnosi (`diagnosis.diagnose`)", diagnosis)):
        rows.append((label, statistics.median(values), percentile(values, 0.95), percentile(values, 0.99),
                     max(values)))
    machine = describe(f"SQLite {sqlite_version}")
    table = ["| operazione | p50 ms | p95 ms | p99 ms | massimo ms |", "|---|---:|---:|---:|---:|"]
    table += [f"| {label} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {top:.2f} |" for label, p50, p95, p99, top in rows]
    ratio = rows[1][3] / rows[0][3]
    lines = [
        SECTION, "",
        f"Generato da `bench/diagnosis_bench.py` il {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; "
        "per ripeterlo, dalla radice del progetto:", "", f"    {COMMAND}", "",
        f"Macchina: {machine}  ",
        f"Carico medio (1 / 5 min) all'inizio: {load_before[0]:.2f} / {load_before[1]:.2f}, "
        f"alla fine: {load_after[0]:.2f} / {load_after[1]:.2f}.", "",
        f"Anagrafe: {args.customers:,} clienti sintetici in SQLite (file migrato dal progetto, indici del "
        "progetto), ~40 000 cognomi (alcuni doppi) e ~300 nomi con frequenze sbilanciate, un'email e un "
        f"cellulare ciascuno. {len(typed)} ricerche, riconoscimento e diagnosi alternati ricerca per "
        "ricerca; i dati digitati vengono da clienti del file, ognuno con un errore tipico (giorno e mese "
        "invertiti, un carattere del cognome, cognome doppio scritto in parte, recapito non in anagrafe, "
        "sesso invertito) o senza errori; un quarto con il codice fiscale.", "",
        *table, "",
        f"Rapporto p99 diagnosi / riconoscimento: {ratio:.1f}×. Obiettivo: p99 della diagnosi ≤ 50 ms. "
        f"Istruzioni SQL per diagnosi: {statements / 50:.1f} in media (contate a parte, senza cronometro). "
        f"Ricerche in cui il cliente vero è tra i candidati proposti: {found} su {len(typed)}.", "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_results:
        current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
        updated = pattern.sub(text.rstrip() + "\n", current) if SECTION in current else current.rstrip() + "\n\n" + text
        RESULTS.write_text(updated, encoding="utf-8")


if __name__ == "__main__":
    main()
