"""Cost of the security checks of issue 7: the baseline against the current tree, in one run.

    .venv/bin/python -m bench.security_bench [--rounds 5] [--iterations 200]
                                             [--bcrypt12-rounds 2] [--bcrypt12-iterations 10]
                                             [--no-results] [--raw FILE.json]

The baseline is commit a2992d6 (before issue 7), extracted with `git archive`
into a temporary folder; the current tree is the checkout this file lives in,
uncommitted changes included. Each measurement runs in a child process of the
same Python, with the tree to measure first on PYTHONPATH (and `-P`, so neither
the working directory nor this folder can shadow it); the child checks which
package it imported. Every child makes its own SQLite file with the demo
personas and times, with `time.perf_counter`, the services the console calls:

* registration: `registration.recognise` + `send_code` + `complete`, each
  iteration on a recognisable persona whose account is then deleted (untimed);
* login: `auth.customer_login` right, with a wrong password, with an unknown name;
* codes: `codes.issue`, `codes.verify` with the right code and with a wrong one.

Children of baseline and current alternate (B, C, C, B, ...) so that a busy
machine weighs on both alike. bcrypt runs at cost 4 so that the checks, not
bcrypt, dominate; a shorter run at the default cost 12 shows login as it is
really felt. Limits that would stop a long loop (codes per destination, wrong
codes per hour, password failures) are raised through AREACLIENTI_* variables,
which the baseline's settings simply ignore when it has no such field: the
bench measures what the checks cost, not their limits.

A separate, untimed pass counts the SQL statements each operation sends (a
SQLAlchemy `before_cursor_execute` listener), to tell where the time goes.
Results are printed and written in bench/RESULTS.md, section
"Costo dei controlli di sicurezza (issue 7)". No network is used.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.machine import describe

BASELINE_COMMIT = "a2992d6"
ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Costo dei controlli di sicurezza (issue 7)"
COMMAND = ".venv/bin/python -m bench.security_bench"

# Limits raised so that hundreds of iterations measure the checks, not the refusals.
BENCH_ENV = {
    "AREACLIENTI_CODES_PER_DESTINATION": "1000000",
    "AREACLIENTI_CODE_FAILURES_PER_HOUR": "1000000",
    "AREACLIENTI_LOGIN_MAX_FAILURES": "1000000",
    "AREACLIENTI_RECOVERY_MAX_FAILURES": "1000000",
    "AREACLIENTI_DEMO": "1",
}

# (key, label) in the order of the table.
OPERATIONS = [
    ("reg.total", "registrazione: riconoscimento + invio codice + completamento"),
    ("reg.recognise", "· riconoscimento (`recognise`)"),
    ("reg.send_code", "· invio codice (`send_code`)"),
    ("reg.complete", "· completamento (`complete`)"),
    ("login.ok", "accesso riuscito"),
    ("login.wrong", "accesso con password errata"),
    ("login.unknown", "accesso con nome sconosciuto"),
    ("code.issue", "codice: emissione (`issue`)"),
    ("code.verify_ok", "codice: verifica giusta (`verify`)"),
    ("code.verify_wrong", "codice: verifica errata (`verify`)"),
]
BCRYPT12_OPERATIONS = [
    ("login.ok", "accesso riuscito (bcrypt 12)"),
    ("login.wrong", "accesso con password errata (bcrypt 12)"),
    ("login.unknown", "accesso con nome sconosciuto (bcrypt 12)"),
]


# ----------------------------------------------------------------------------------
# The child: measures one tree, whichever `areaclienti_tui` comes first on sys.path.
# Nothing of the package is imported at module level, so the parent never loads it.
# ----------------------------------------------------------------------------------


def _worker(args: argparse.Namespace) -> dict:  # noqa: C901 - one straight script
    import areaclienti_tui
    from sqlalchemy import delete, event
    from sqlmodel import select

    from areaclienti_tui.clock import FakeClock
    from areaclienti_tui.rules.errors import RuleError
    from areaclienti_tui.rules.username import parse_username
    from areaclienti_tui.services import auth, codes, demo, outbox, registration
    from areaclienti_tui.services.passwords import hash_password
    from areaclienti_tui.services.setup import open_context
    from areaclienti_tui.settings import Settings
    from areaclienti_tui.store.models import Account, PrivacyConsent

    package = Path(areaclienti_tui.__file__).resolve().parent
    expected = Path(args.tree).resolve() / "areaclienti_tui"
    if package != expected:
        raise SystemExit(f"imported {package}, expected {expected}")

    folder = Path(args.folder)
    settings = Settings(data_dir=folder, db=f"sqlite:///{folder / 'bench.db'}", bcrypt_rounds=args.bcrypt, demo=True)
    applied = {name: getattr(settings, name, None) for name in
               ("codes_per_destination", "code_failures_per_hour", "login_max_failures")}
    clock = FakeClock()
    ctx = open_context(settings, clock)
    samples: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    statements = [0]  # SQL statements sent, counted only in the "count" pass
    mode = ["warm"]  # warm | time | count

    def count_statement(*_args) -> None:  # noqa: ANN002
        statements[0] += 1

    def probe() -> tuple[float, int]:
        return time.perf_counter(), statements[0]

    def keep(key: str, since: tuple[float, int], until: tuple[float, int] | None = None) -> None:
        end = until or probe()
        if mode[0] == "time":
            samples.setdefault(key, []).append(end[0] - since[0])
        elif mode[0] == "count":
            counts.setdefault(key, []).append(end[1] - since[1])

    with ctx.db.session() as session:
        anna = session.exec(select(Account).where(Account.username == demo.REGISTERED_USERNAME)).one()
        anna_account, anna_customer = anna.id, anna.customer_id

    # --- login ------------------------------------------------------------------------
    def login_round(i: int) -> None:
        start = probe()
        auth.customer_login(ctx, demo.REGISTERED_USERNAME, demo.REGISTERED_PASSWORD)
        keep("login.ok", start)
        start = probe()
        try:
            auth.customer_login(ctx, demo.REGISTERED_USERNAME, "Sbagliata#Del-Tutto9")
        except auth.LoginError as error:
            assert error.kind == "invalid", error.kind
        else:
            raise AssertionError("a wrong password was accepted")
        keep("login.wrong", start)
        start = probe()
        try:
            auth.customer_login(ctx, f"nessuno.{i}@example.com", "Qualsiasi#Password1")
        except auth.LoginError as error:
            assert error.kind == "invalid", error.kind
        else:
            raise AssertionError("an unknown name was accepted")
        keep("login.unknown", start)
        clock.advance(1)

    # --- registration -----------------------------------------------------------------
    password_hash = hash_password("Girasole#Verde7", args.bcrypt)
    personas: list[tuple[object, object]] = []
    if args.bcrypt == 4:
        with settings.personas_file.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                born = datetime.strptime(row["data_nascita"], "%Y-%m-%d").date()
                person = registration.PersonalData(row["nome"], row["cognome"], born, row["sesso"])
                for contact in (*row["email"].split(";"), *row["cellulare"].split(";")):
                    try:
                        username = parse_username(contact, ())
                    except RuleError:
                        continue  # an empty field
                    if registration.recognise(ctx, person, username).outcome == registration.RECOGNISED:
                        personas.append((person, username))
        if not personas:
            raise SystemExit("no recognisable persona in the demo data")

    def register(i: int) -> None:
        person, username = personas[i % len(personas)]
        start = probe()
        found = registration.recognise(ctx, person, username)
        recognised = probe()
        assert found.outcome == registration.RECOGNISED, found
        pending = registration.PendingAccount(customer_id=found.customer_id, username=username,
                                              password_hash=password_hash, notice_version="2026.1")
        send_start = probe()
        issued = registration.send_code(ctx, pending)
        sent = probe()
        code = outbox.newest_code(ctx, username.value)  # the simulated phone: not the service's cost
        complete_start = probe()
        account = registration.complete(ctx, issued.flow_id, code, pending)
        completed = probe()
        keep("reg.recognise", start, recognised)
        keep("reg.send_code", send_start, sent)
        keep("reg.complete", complete_start, completed)
        total = (recognised[0] - start[0]) + (sent[0] - send_start[0]) + (completed[0] - complete_start[0])
        total_n = (recognised[1] - start[1]) + (sent[1] - send_start[1]) + (completed[1] - complete_start[1])
        keep("reg.total", (0.0, 0), (total, total_n))
        with ctx.db.transaction() as session:  # untimed: the persona can register again
            session.execute(delete(PrivacyConsent).where(PrivacyConsent.account_id == account.id))
            session.execute(delete(Account).where(Account.id == account.id))
        clock.advance(1)

    # --- codes ------------------------------------------------------------------------
    def code_round(i: int) -> None:
        for right in (True, False):
            start = probe()
            issued = codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="accesso", channel="email",
                                 destination=demo.REGISTERED_USERNAME, actor=demo.REGISTERED_USERNAME,
                                 customer_id=anna_customer, account_id=anna_account)
            if right:
                keep("code.issue", start)
            code = outbox.newest_code(ctx, demo.REGISTERED_USERNAME)
            typed = code if right else f"{(int(code) + 1) % 1_000_000:06d}"
            start = probe()
            try:
                codes.verify(ctx, issued.flow_id, typed, actor=demo.REGISTERED_USERNAME)
            except codes.CodeError as error:
                assert not right and error.kind == "wrong", error.kind
            else:
                assert right, "a wrong code was accepted"
            keep("code.verify_ok" if right else "code.verify_wrong", start)
        clock.advance(1)

    jobs = [register, login_round, code_round] if args.bcrypt == 4 else [login_round]
    i = 0
    for job in jobs:  # warm-up: caches, the key file, the first statements of each kind
        for _ in range(args.warmup):
            job(i)
            i += 1
    mode[0] = "time"
    for _ in range(args.iterations):  # interleaved: a burst of load elsewhere touches all alike
        for job in jobs:
            job(i)
            i += 1
    if args.bcrypt == 4:  # a short pass, untimed, counting the SQL statements of each operation
        mode[0] = "count"
        event.listen(ctx.db.engine, "before_cursor_execute", count_statement)
        for _ in range(5):
            for job in jobs:
                job(i)
                i += 1
        event.remove(ctx.db.engine, "before_cursor_execute", count_statement)

    # Control characters: a check of the current tree only, once per field of text.
    control = None
    try:
        from areaclienti_tui.rules.text import find_control_char
    except ImportError:
        find_control_char = None
    if find_control_char is not None:
        text = "Maria Grazia D'Angelo, via dei Mille 12, Napoli"
        loops = 100_000
        start_s = time.perf_counter()
        for _ in range(loops):
            find_control_char(text)
        control = {"chars": len(text), "seconds_per_call": (time.perf_counter() - start_s) / loops}

    ctx.db.dispose()
    return {"package": str(package), "settings": applied, "samples": samples,
            "statements": {key: statistics.mean(values) for key, values in counts.items()},
            "personas": len(personas), "control": control}


# ----------------------------------------------------------------------------------
# The parent: extracts the baseline, alternates the children, writes the results.
# ----------------------------------------------------------------------------------


def _child_env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AREACLIENTI_")}
    env.update(BENCH_ENV)
    env["PYTHONPATH"] = str(tree)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the checkout
    return env


def run_child(tree: Path, scratch: Path, *, bcrypt: int, iterations: int, warmup: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="dati-", dir=scratch))
    out = folder / "result.json"
    command = [sys.executable, "-P", str(Path(__file__).resolve()), "--worker", "--tree", str(tree),
               "--folder", str(folder), "--bcrypt", str(bcrypt), "--iterations", str(iterations),
               "--warmup", str(warmup), "--out", str(out)]
    done = subprocess.run(command, cwd=folder, env=_child_env(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child for {tree} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(out.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    return result


def extract_baseline(target: Path) -> None:
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", BASELINE_COMMIT,
                              "areaclienti_tui", "data"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summarise(runs: list[dict], key: str) -> dict[str, float] | None:
    pooled = [s for run in runs for s in run["samples"].get(key, [])]
    if not pooled:
        return None
    per_run = [run["samples"][key] for run in runs if run["samples"].get(key)]
    medians = [statistics.median(values) for values in per_run]
    p95s = [percentile(values, 95) for values in per_run]
    # The p95 of each process, then their median: a burst of load elsewhere during one
    # process (it happens on this shared machine) does not decide the figure.
    return {"median": statistics.median(pooled), "p95": statistics.median(p95s), "n": len(pooled),
            "pooled_p95": percentile(pooled, 95), "run_min": min(medians), "run_max": max(medians),
            "p95_min": min(p95s), "p95_max": max(p95s)}


def machine() -> str:
    return describe(f"SQLite {sqlite3.sqlite_version}")


def load() -> str:
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} / {five:.2f}"


def current_state() -> str:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "areaclienti_tui"],
                           capture_output=True, text=True).stdout.splitlines()
    return f"{head} + {len(dirty)} file modificati non ancora committati" if dirty else head


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def table(rows: list[tuple[str, str]], base: list[dict], cur: list[dict], *, statements: bool) -> list[str]:
    head = "| operazione | base mediana ms | base p95 ms | corrente mediana ms | corrente p95 ms | rapporto mediana | rapporto p95 |"
    sep = "|---|---:|---:|---:|---:|---:|---:|"
    if statements:
        head += " istruzioni SQL base → corrente |"
        sep += "---:|"
    lines = [head, sep]
    for key, label in rows:
        b, c = summarise(base, key), summarise(cur, key)
        if b is None or c is None:
            continue
        line = (f"| {label} | {_ms(b['median'])} | {_ms(b['p95'])} | {_ms(c['median'])} | {_ms(c['p95'])} | "
                f"{c['median'] / b['median']:.2f}× | {c['p95'] / b['p95']:.2f}× |")
        if statements:
            sb, sc = base[0]["statements"].get(key), cur[0]["statements"].get(key)
            line += f" {sb:g} → {sc:g} |" if sb is not None and sc is not None else " |"
        lines.append(line)
    return lines


def reading(rows: list[tuple[str, str]], base: list[dict], cur: list[dict]) -> str:
    """One sentence from the data: time added per SQL statement added, by operation."""
    parts = []
    for key, label in rows:
        b, c = summarise(base, key), summarise(cur, key)
        sb, sc = base[0]["statements"].get(key), cur[0]["statements"].get(key)
        if b is None or c is None or sb is None or sc is None or sc <= sb:
            continue
        added = (c["median"] - b["median"]) * 1000
        parts.append(f"{label.lstrip('· ')}: +{added:.2f} ms per +{sc - sb:g} istruzioni "
                     f"({added / (sc - sb):.2f} ms l'una)")
    return ("Tempo aggiunto (differenza delle mediane) per istruzione SQL aggiunta — " + "; ".join(parts) + "."
            if parts else "")


def spread(rows: list[tuple[str, str]], base: list[dict], cur: list[dict]) -> list[str]:
    lines = ["| operazione | mediana per processo, base (min–max ms) | mediana per processo, corrente | "
             "p95 per processo, base | p95 per processo, corrente |",
             "|---|---:|---:|---:|---:|"]
    for key, label in rows:
        b, c = summarise(base, key), summarise(cur, key)
        if b is None or c is None:
            continue
        lines.append(f"| {label} | {_ms(b['run_min'])}–{_ms(b['run_max'])} | {_ms(c['run_min'])}–{_ms(c['run_max'])} | "
                     f"{_ms(b['p95_min'])}–{_ms(b['p95_max'])} | {_ms(c['p95_min'])}–{_ms(c['p95_max'])} |")
    return lines


def write_results(block: str) -> None:
    """Replace the section if present (up to the next level-2 heading), else append it."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## (?!#)|\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="processi per albero a bcrypt 4 (alternati)")
    parser.add_argument("--iterations", type=int, default=200, help="iterazioni misurate per processo")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--bcrypt12-rounds", type=int, default=2)
    parser.add_argument("--bcrypt12-iterations", type=int, default=10)
    parser.add_argument("--no-results", action="store_true", help="stampa soltanto, non scrive bench/RESULTS.md")
    parser.add_argument("--raw", type=Path, help="scrive qui anche tutti i campioni (JSON), per analizzarli")
    # The child's own options.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--bcrypt", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = _worker(args)
        Path(args.out).write_text(json.dumps(result))
        return

    started = time.perf_counter()
    load_before = load()
    scratch = Path(tempfile.mkdtemp(prefix="security-bench-"))
    try:
        baseline = scratch / "baseline"
        extract_baseline(baseline)
        trees = {"base": baseline, "corrente": ROOT}
        fast: dict[str, list[dict]] = {"base": [], "corrente": []}
        slow: dict[str, list[dict]] = {"base": [], "corrente": []}
        for r in range(args.rounds):
            for name in (("base", "corrente") if r % 2 == 0 else ("corrente", "base")):
                t = time.perf_counter()
                fast[name].append(run_child(trees[name], scratch, bcrypt=4, iterations=args.iterations,
                                            warmup=args.warmup))
                print(f"  giro {r + 1}/{args.rounds} {name:8} bcrypt 4: {time.perf_counter() - t:5.1f} s", flush=True)
        for r in range(args.bcrypt12_rounds):
            for name in (("base", "corrente") if r % 2 == 0 else ("corrente", "base")):
                t = time.perf_counter()
                slow[name].append(run_child(trees[name], scratch, bcrypt=12, iterations=args.bcrypt12_iterations,
                                            warmup=2))
                print(f"  giro {r + 1}/{args.bcrypt12_rounds} {name:8} bcrypt 12: {time.perf_counter() - t:5.1f} s",
                      flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.perf_counter() - started
    if args.raw:
        args.raw.write_text(json.dumps({"bcrypt4": fast, "bcrypt12": slow}))

    cur0 = fast["corrente"][0]
    control = cur0.get("control")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION, "",
        f"Generato da `bench/security_bench.py` il {stamp}; per ripeterlo, dalla radice del progetto:", "",
        f"    {COMMAND}", "",
        f"Macchina: {machine()}  ",
        f"Carico medio (1 / 5 min) all'inizio: {load_before}, alla fine: {load()}. "
        "La macchina era occupata anche da altri lavori sugli stessi 2 core: contano i rapporti "
        "più dei valori assoluti, e i p95 risentono del carico più delle mediane.", "",
        f"Base: commit `{BASELINE_COMMIT}` (prima della issue 7), estratto con `git archive`. "
        f"Corrente: `{current_state()}`. ",
        f"Ogni albero in {args.rounds} processi alternati (base, corrente, corrente, base, …), ciascuno con un "
        f"database SQLite nuovo con le persone demo, {args.warmup} iterazioni di riscaldamento e "
        f"{args.iterations} misurate per operazione; mediana sull'insieme dei campioni "
        f"({args.rounds * args.iterations} per operazione e albero), p95 come mediana dei p95 dei singoli "
        "processi (una raffica di carico esterno durante un solo processo non lo decide). bcrypt a costo 4, perché pesino i "
        "controlli e non bcrypt; orologio finto (`FakeClock`, +1 s per iterazione). Limiti alzati con "
        "`AREACLIENTI_CODES_PER_DESTINATION`, `AREACLIENTI_CODE_FAILURES_PER_HOUR` e "
        "`AREACLIENTI_LOGIN_MAX_FAILURES` = 1 000 000 (la base li ignora): si misura il costo dei "
        "controlli, non i rifiuti. Istruzioni SQL: media per operazione contata in un passaggio a parte, "
        "non cronometrato.", "",
    ]
    seen = {name: fast[name][0]["settings"] for name in fast}
    lines += [f"Limiti letti dai processi: corrente {seen['corrente']}; base {seen['base']} "
              f"(None: campo assente). Persone demo registrabili usate a turno: {cur0['personas']}.", ""]
    lines += table(OPERATIONS, fast["base"], fast["corrente"], statements=True)
    lines += ["", reading(OPERATIONS, fast["base"], fast["corrente"])]
    lines += ["", "Dispersione tra i processi:", ""]
    lines += spread(OPERATIONS, fast["base"], fast["corrente"])
    if args.bcrypt12_rounds:
        lines += ["", f"Accesso con bcrypt al costo predefinito 12: {args.bcrypt12_rounds} processi per albero, "
                  f"{args.bcrypt12_iterations} iterazioni misurate ciascuno "
                  f"({args.bcrypt12_rounds * args.bcrypt12_iterations} campioni per operazione e albero).", ""]
        lines += table(BCRYPT12_OPERATIONS, slow["base"], slow["corrente"], statements=False)
    if control:
        lines += ["", f"Caratteri di controllo (solo corrente, `rules.text.find_control_char` su un campo di "
                  f"{control['chars']} caratteri): {control['seconds_per_call'] * 1e6:.1f} µs per campo."]
    lines += ["", f"Durata complessiva della misura: {elapsed:.0f} s.", ""]
    block = "\n".join(lines)
    print()
    print(block)
    if not args.no_results:
        write_results(block)
        print(f"scritto in {RESULTS}")


if __name__ == "__main__":
    main()
