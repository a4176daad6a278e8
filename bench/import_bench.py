"""Customer import: the importer against baselines, in one run on one machine.

    python bench/import_bench.py [ROWS] [--million]

* parse-only  — reading and validating the rows, no database: the floor;
* orm-per-row — the straightforward importer: one ORM object per customer,
  contact and policy, flushed row by row, committed per chunk (the baseline);
* importer    — `services.importer` (chunked bulk statements).

Each runs on a fresh SQLite file with the same generated CSV. With
`--million`, it also imports one million rows in a child process and records
its peak memory next to the peak memory of a 100 000-row import, to show that
memory does not grow with the file. Results are appended to bench/RESULTS.md
with the machine they ran on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe  # noqa: E402
from bench.make_customers import write  # noqa: E402
from areaclienti_tui.clock import SystemClock  # noqa: E402
from areaclienti_tui.rules.codice_fiscale import base_codice_fiscale  # noqa: E402
from areaclienti_tui.rules.text import normalize_name  # noqa: E402
from areaclienti_tui.services import importer  # noqa: E402
from areaclienti_tui.services.setup import open_context  # noqa: E402
from areaclienti_tui.settings import Settings  # noqa: E402
from areaclienti_tui.store.models import Contact, Customer, Policy  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")


def fresh_context(folder: Path):  # noqa: ANN201
    return open_context(Settings(data_dir=folder, demo=False), SystemClock(), seed_demo=False)


def parse_only(path: Path) -> int:
    report = importer.ImportReport()
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in importer.read_rows(handle, report, report.reject))


def orm_per_row(path: Path, folder: Path) -> int:
    ctx = fresh_context(folder)
    report = importer.ImportReport()
    count = 0
    with path.open(encoding="utf-8", newline="") as handle, ctx.db.session() as session:
        for row in importer.read_rows(handle, report, report.reject):
            existing = session.exec(select(Customer).where(Customer.codice_fiscale == row.codice_fiscale)).first()
            if existing is not None:
                continue
            now = ctx.clock.now()
            customer = Customer(
                codice_fiscale=row.codice_fiscale, cf_base=base_codice_fiscale(row.codice_fiscale),
                nome=row.nome, cognome=row.cognome, nome_norm=normalize_name(row.nome),
                cognome_norm=normalize_name(row.cognome), sesso=row.sesso, data_nascita=row.data_nascita,
                luogo_nascita=row.luogo_nascita, inarcassa=row.inarcassa, created_at=now, updated_at=now,
            )
            session.add(customer)
            session.flush()
            for kind, value in row.contacts:
                session.add(Contact(customer_id=customer.id, kind=kind, value=value, created_at=now))
            for numero, prodotto, stato in row.policies:
                session.add(Policy(customer_id=customer.id, numero=numero, prodotto=prodotto, stato=stato))
            count += 1
            if count % importer.CHUNK == 0:
                session.commit()
        session.commit()
    ctx.db.dispose()
    return count


def bulk_importer(path: Path, folder: Path) -> int:
    ctx = fresh_context(folder)
    report = importer.import_file(ctx, path)
    ctx.db.dispose()
    return report.inserted


def timed(label: str, rows: int, job) -> tuple[str, float, float]:  # noqa: ANN001
    start = time.perf_counter()
    done = job()
    seconds = time.perf_counter() - start
    assert done == rows, (label, done, rows)
    return label, seconds, rows / seconds


def peak_memory_of_import(rows: int, folder: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `areaclienti-tui import` on `rows` generated rows, in a child process."""
    csv_path = folder / f"clienti-{rows}.csv"
    write(csv_path, rows)
    cli = Path(sys.executable).with_name("areaclienti-tui")
    # A fresh watcher process per run, so each peak belongs to one import only.
    watcher = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    start = time.perf_counter()
    peak_kb = subprocess.run(
        [sys.executable, "-c", watcher, str(cli), "--data-dir", str(folder / f"dati-{rows}"), "import", str(csv_path)],
        check=True, capture_output=True, text=True, env={**os.environ, "AREACLIENTI_DEMO": "0"},
    ).stdout.strip()
    seconds = time.perf_counter() - start
    csv_path.unlink()
    return seconds, int(peak_kb) / 1024


def machine() -> str:
    return describe()


def main() -> None:
    rows = int(next((a for a in sys.argv[1:] if a.isdigit()), "20000"))
    million = "--million" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "clienti.csv"
        write(csv_path, rows)
        results = [
            timed("parse-only (floor)", rows, lambda: parse_only(csv_path)),
            timed("orm-per-row (baseline)", rows, lambda: orm_per_row(csv_path, folder / "orm")),
            timed("importer", rows, lambda: bulk_importer(csv_path, folder / "bulk")),
        ]
        memory = [peak_memory_of_import(n, folder) + (n,) for n in ((100_000, 1_000_000) if million else ())]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {stamp} — {rows} righe\n", f"Macchina: {machine()}\n", "",
             "| variante | secondi | righe/s |", "|---|---:|---:|"]
    lines += [f"| {label} | {seconds:.2f} | {rate:,.0f} |" for label, seconds, rate in results]
    if memory:
        lines += ["", "| import da riga di comando | secondi | righe/s | memoria di picco (MB) |", "|---|---:|---:|---:|"]
        lines += [f"| {n:,} righe | {s:.1f} | {n / s:,.0f} | {mb:.0f} |" for s, mb, n in memory]
    text = "\n".join(lines) + "\n"
    print(text)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark dell'importazione clienti\n\nGenerato da `bench/import_bench.py`.\n")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
