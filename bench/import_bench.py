"""Customer import: `areaclienti-tui import` beside raw sqlite3 executemany of the same rows (issue 12).

    .venv/bin/python -m bench.import_bench [--righe N] [--processi N] [--non-registrare]

One CSV of N generated customers (default 1 000 000, bench/make_customers.py),
then, each in a child process of its own on a fresh SQLite file:

* importazione — `areaclienti-tui import FILE` as a person runs it (new data
  folder without demo, output piped: plain progress lines), the whole command
  timed: start, migration, reading, checks in worker processes, writing;
* sqlite3, tabella semplice — the CSV's rows as they are, read with
  csv.reader and written with `executemany` into one table of ten text
  columns without indexes, a transaction every 2000 rows: the floor of
  reading and writing the same rows (the ~250 000 rows/s of issue 12);
* sqlite3, schema del progetto — the same rows, cut up with plain string
  operations (no checks), written with `executemany` into the project's own
  tables (customers, contacts, policies) with all their indexes and
  constraints, a transaction every 2000 customers: what SQLite itself costs.

Each side --ripetizioni times (3), the sides taking turns; the median rows per
second and the highest peak memory (RSS, sampled every 0.1 s over the process
and its children; the importer's worker processes included) for each, the
ratios, and the machine; then the import once more on a file a tenth as long,
to show that its memory does not grow with the file. The figures are written in
bench/RESULTS.md (the section for a file of N rows, replaced) unless --non-registrare.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe  # noqa: E402
from bench.make_customers import write  # noqa: E402
from bench.results import record_text  # noqa: E402

CLI = Path(sys.executable).with_name("areaclienti-tui")
COMMIT_EVERY = 2000
TARGET = 20_000  # rows/s, issue 12


# --- memory of a process tree ------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """The largest sum of RSS over a process and its descendants, and the largest single process."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.total_kb = self.single_kb = self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree, pids, todo = _children(), [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo += tree.get(pid, [])
            sizes = [_rss_kb(pid) for pid in pids]
            self.total_kb = max(self.total_kb, sum(sizes))
            self.single_kb = max(self.single_kb, max(sizes, default=0))
            self.processes = max(self.processes, sum(1 for size in sizes if size))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measured(label: str, rows: int, command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run `command` in a child process: its time, rows/s and peak memory."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        memory = PeakMemory(child.pid)
        code = child.wait()
        seconds = time.perf_counter() - start
        memory.stop()
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if code != 0:
        raise SystemExit(f"{label}: uscita {code}\n{text[-3000:]}")
    return {"label": label, "seconds": seconds, "rate": rows / seconds, "total_mb": memory.total_kb / 1024,
            "single_mb": memory.single_kb / 1024, "processes": memory.processes, "output": text}


# --- the raw sides, run in a child process by --lato --------------------------------


def raw_plain(csv_path: Path, db_path: Path) -> None:
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    columns = ", ".join(f"c{i} TEXT" for i in range(10))
    connection.execute(f"CREATE TABLE clienti ({columns})")
    insert = f"INSERT INTO clienti VALUES ({', '.join('?' * 10)})"
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        while batch := [row for _, row in zip(range(COMMIT_EVERY), reader)]:
            connection.execute("BEGIN")
            connection.executemany(insert, batch)
            connection.execute("COMMIT")
    connection.close()


def raw_schema(csv_path: Path, db_path: Path) -> None:
    """The rows into the project's tables, migrated by the project (indexes, constraints, foreign keys on)."""
    from areaclienti_tui.clock import SystemClock
    from areaclienti_tui.services.setup import open_context
    from areaclienti_tui.settings import Settings

    open_context(Settings(data_dir=db_path.parent, db=f"sqlite:///{db_path}", demo=False), SystemClock(),
                 seed_demo=False).db.dispose()
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=NORMAL")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    customer_sql = (
        "INSERT INTO customers (id, codice_fiscale, cf_base, nome, cognome, nome_norm, cognome_norm, cognome_fon, "
        "sesso, data_nascita, luogo_nascita, inarcassa, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    contact_sql = "INSERT INTO contacts (customer_id, kind, value, source, created_at) VALUES (?,?,?,?,?)"
    policy_sql = "INSERT INTO policies (customer_id, numero, prodotto, stato) VALUES (?,?,?,?)"
    customer_id = 0
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        while batch := [row for _, row in zip(range(COMMIT_EVERY), reader)]:
            customers, contacts, policies = [], [], []
            for code, nome, cognome, sesso, nato, luogo, email, cellulare, polizze, inarcassa in batch:
                customer_id += 1
                customers.append((customer_id, code, code, nome, cognome, nome.lower(), cognome.lower(),
                                  cognome[:4].upper(), sesso, nato, luogo, int(inarcassa), now, now))
                contacts.append((customer_id, "email", email.lower(), "registro", now))
                contacts.append((customer_id, "mobile", "+39" + cellulare, "registro", now))
                for item in polizze.split(";"):
                    numero, _, rest = item.partition(":")
                    prodotto, _, stato = rest.partition(":")
                    policies.append((customer_id, numero, prodotto, stato or "attiva"))
            connection.execute("BEGIN")
            connection.executemany(customer_sql, customers)
            connection.executemany(contact_sql, contacts)
            connection.executemany(policy_sql, policies)
            connection.execute("COMMIT")
    connection.close()


# --- the run -------------------------------------------------------------------------


def _mb(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summary(label: str, runs: list[dict]) -> dict:
    """One side over its rounds: median time and rate, largest memory."""
    return {
        "label": label,
        "seconds": _median([run["seconds"] for run in runs]),
        "rate": _median([run["rate"] for run in runs]),
        "rates": [run["rate"] for run in runs],
        "total_mb": max(run["total_mb"] for run in runs),
        "single_mb": max(run["single_mb"] for run in runs),
        "processes": max(run["processes"] for run in runs),
    }


def report(rows: int, results: list[dict], small: dict, settings: dict) -> str:
    project, plain, schema = results
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rounds = settings["rounds"]
    lines = [
        f"\n## Importazione clienti: {_n(rows)} righe contro sqlite3 executemany (issue 12)\n",
        f"Generato da `.venv/bin/python -m bench.import_bench --righe {rows}"
        f"{' --ripetizioni ' + str(rounds) if rounds != 3 else ''}` il {stamp}.\n",
        f"Macchina: {settings['machine']}  ",
        f"Carico medio (1 / 5 / 15 min) all'inizio: {settings['load'][0]}, alla fine: {settings['load'][1]}.\n",
        f"Stesso file CSV di {_n(rows)} clienti validi (`bench/make_customers.py`); ogni lato in un processo suo "
        f"su un file SQLite nuovo, {rounds} volte, i lati alternati; tempi e righe/s: mediana; memoria di picco "
        "(RSS campionata ogni 0,1 s): la più alta, come somma del processo e dei suoi figli (i processi che "
        "controllano le righe compresi) e come processo singolo più grande. "
        f"Processi di controllo dell'importazione: {settings['processes']}.\n",
        "| lato | secondi | righe/s | righe/s per ripetizione | memoria di picco, somma (MiB) "
        "| processo più grande (MiB) | processi |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in [*results, small]:
        rates = " · ".join(_n(rate) for rate in result["rates"])
        lines.append(
            f"| {result['label']} | {result['seconds']:.1f} | {_n(result['rate'])} | {rates} "
            f"| {_mb(result['total_mb'])} | {_mb(result['single_mb'])} | {result['processes']} |"
        )
    lines += [
        "",
        f"Rapporto importazione / sqlite3 tabella semplice: **{project['rate'] / plain['rate']:.3f}** "
        f"({_n(project['rate'])} contro {_n(plain['rate'])} righe/s); "
        f"importazione / sqlite3 schema del progetto: **{project['rate'] / schema['rate']:.2f}** "
        f"({_n(project['rate'])} contro {_n(schema['rate'])} righe/s).  ",
        f"Obiettivo (issue 12): almeno {_n(TARGET)} righe/s a 1.000.000 di righe, memoria piatta"
        + (
            f": {'raggiunto' if project['rate'] >= TARGET else 'non raggiunto'} (mediana {_n(project['rate'])} "
            f"righe/s, migliore {_n(max(project['rates']))}).  "
            if rows >= 1_000_000
            else " (questa misura è su meno righe).  "
        ),
        f"Memoria di picco dell'importazione: {_mb(small['total_mb'])} MiB con {_n(settings['small_rows'])} righe, "
        f"{_mb(project['total_mb'])} MiB con {_n(rows)} righe.  ",
        f"Durata complessiva della misura: {settings['seconds']:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--righe", type=int, default=1_000_000, metavar="N", help="clienti nel file (1000000)")
    parser.add_argument("--ripetizioni", type=int, default=3, metavar="N", help="volte per lato, alternate (3)")
    parser.add_argument("--processi", type=int, metavar="N", help="--processi dell'importazione (predefinito suo)")
    parser.add_argument("--non-registrare", action="store_true", help="non scrivere i risultati in bench/RESULTS.md")
    parser.add_argument("--lato", choices=("semplice", "schema"), help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("db", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lato:  # one raw side, in the child process the bench started
        (raw_plain if args.lato == "semplice" else raw_schema)(Path(args.file), Path(args.db))
        return

    began = time.perf_counter()
    load_start = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    rows = args.righe
    extra = ["--processi", str(args.processi)] if args.processi is not None else []
    env = {**os.environ, "AREACLIENTI_DEMO": "0"}
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR"):
        env.pop(name, None)
    me = [sys.executable, "-m", "bench.import_bench"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "clienti.csv"
        print(f"genero {_n(rows)} righe in {csv_path}…", file=sys.stderr)
        write(csv_path, rows)
        labels = ["importazione (`areaclienti-tui import`)", "sqlite3 executemany, tabella semplice",
                  "sqlite3 executemany, schema del progetto"]
        runs: dict[str, list[dict]] = {label: [] for label in labels}
        for round_ in range(1, args.ripetizioni + 1):
            sides = [
                (labels[0], [str(CLI), "--data-dir", str(folder / f"dati-{round_}"), "import", str(csv_path), *extra], env),
                (labels[1], [*me, "--lato", "semplice", str(csv_path), str(folder / f"semplice-{round_}.db")], None),
                (labels[2], [*me, "--lato", "schema", str(csv_path), str(folder / f"schema-{round_}" / "s.db")], None),
            ]
            for label, argv, environment in sides:
                print(f"[{round_}/{args.ripetizioni}] {label}…", file=sys.stderr)
                run = measured(label, rows, argv, environment)
                runs[label].append(run)
                print(f"  {run['seconds']:.1f} s, {_n(run['rate'])} righe/s, picco {_mb(run['total_mb'])} MiB, "
                      f"carico {os.getloadavg()[0]:.2f}", file=sys.stderr)
                if label == labels[0]:
                    imported = run["output"].strip().splitlines()[-1]
                    if not imported.startswith(f"{rows} righe lette: {rows} clienti nuovi"):
                        raise SystemExit(f"l'importazione non ha importato tutte le righe: {imported}")
            for leftover in folder.glob(f"*-{round_}*"):  # the next round's files, not these, fill the disk
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        small_rows = max(rows // 10, 1)
        small_csv = folder / "clienti-decimo.csv"
        write(small_csv, small_rows)
        label = f"importazione di {_n(small_rows)} righe (un decimo: la memoria non cresce col file)"
        print(f"{label}…", file=sys.stderr)
        small = measured(label, small_rows, [str(CLI), "--data-dir", str(folder / "dati-decimo"), "import",
                                             str(small_csv), *extra], env)
    settings = {
        "rounds": args.ripetizioni,
        "machine": describe(f"SQLite {sqlite3.sqlite_version}"),
        "load": (load_start, " / ".join(f"{value:.2f}" for value in os.getloadavg())),
        "processes": str(args.processi) if args.processi is not None else "predefiniti (uno per CPU)",
        "small_rows": small_rows,
        "seconds": time.perf_counter() - began,
    }
    text = report(rows, [summary(label, runs[label]) for label in labels], summary(small["label"], [small]), settings)
    print(text)
    if not args.non_registrare:
        record_text(text)  # the section of a file this long: replaced, the others kept


if __name__ == "__main__":
    main()
