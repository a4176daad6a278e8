"""The longest event-loop stall while the step changes, beside a bare form push, in one run.

    .venv/bin/python -m bench.cambio_passo [--runs 7] [--no-results]

A ticker task wakes every 5 ms; a stall is how late it wakes (a person typing
then sees nothing move). Each run is a new Python process, the two sides
alternating:

* **console**: 1A → 2A → 3A → 4A → 5A on a migrated SQLite file with the demo
  personas, driven by `areaclienti_tui.driver` as a person would (Mario Rossi's
  data in 3A, his email in 4A); the stall is the longest over the four changes;
  then, apart, 5A → 6A (password, consent, Registrati: bcrypt 12, recognition and
  the code sent, in a worker), which must stay as low as it was;
* **bare**: a Textual app pushing, four times, a form screen with 4 inputs, a
  Select and 2 buttons, each time until it is mounted.

Each console run works on its own copy of the prepared file: 5A → 6A sends Mario a
code, and the codes a contact may receive are limited.

Beside each stall, the most CPU time the loop's own thread used between two wakes of
the ticker: on a loaded machine a stall also counts the time the processor went to
other processes (the side with more, longer pieces of work is hit more often), the CPU
time does not. The target stays the clock's ratio.

Printed: the median of the longest stalls and the ratio; written in
bench/RESULTS.md, section "Cambio di passo", below the baseline recorded there
("Dopo il lavoro sui cambi di passo").
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import record_after

SECTION = "## Cambio di passo: la pausa più lunga del ciclo di eventi (issue 12)"
COMMAND = ".venv/bin/python -m bench.cambio_passo"

CHILD = r'''
import asyncio, json, sys, time
kind, db = sys.argv[1], sys.argv[2]
TICK = 0.005

async def ticker(worst):
    """worst[0]: the longest stall by the clock; worst[1]: the most CPU the loop's thread
    used between two wakes (what the console did itself, without the time the machine
    gave to other processes)."""
    loop = asyncio.get_running_loop()
    while True:
        before, cpu_before = loop.time(), time.thread_time()
        await asyncio.sleep(TICK)
        worst[0] = max(worst[0], loop.time() - before - TICK)
        worst[1] = max(worst[1], time.thread_time() - cpu_before)

async def console():
    from areaclienti_tui.app import create_app
    from areaclienti_tui.driver import Driver
    app = create_app(db=f"sqlite:///{db}")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        d = Driver(app, pilot)
        await d.on_step("1A")
        worst = [0.0, 0.0]
        task = asyncio.create_task(ticker(worst))
        await d.press("registrati"); await d.on_step("2A")
        await d.press("persona"); await d.on_step("3A")
        for field, text in (("nome", "Mario"), ("cognome", "Rossi"), ("data-nascita", "14/03/1975")):
            await d.fill(field, text)
        await d.choose("sesso", "M")
        await d.press("continua"); await d.on_step("4A")
        await d.fill("username", "mario.rossi@gmail.com")
        await d.press("continua"); await d.on_step("5A")
        task.cancel()
        for field in ("password", "conferma-password"):
            await d.fill(field, "Azzurro2024")
        await d.tick("privacy")
        worst_6a = [0.0, 0.0]
        task = asyncio.create_task(ticker(worst_6a))
        await d.press("registrati"); await d.on_step("6A")
        task.cancel()
        return worst, worst_6a

async def bare():
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Button, Footer, Header, Input, Select

    class Form(Screen):
        def compose(self):
            yield Header()
            for name in ("Nome", "Cognome", "Data di nascita", "Recapito"):
                yield Input(placeholder=name)
            yield Select([("Maschio", "M"), ("Femmina", "F")], prompt="Sesso")
            yield Button("Continua", variant="primary")
            yield Button("Indietro")
            yield Footer()

    class Bare(App):
        def compose(self):
            yield Header()
            yield Footer()

    app = Bare()
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        worst = [0.0, 0.0]
        task = asyncio.create_task(ticker(worst))
        for _ in range(4):
            form = Form()
            await app.push_screen(form)
            while not form.is_mounted:
                await pilot.pause()
            await pilot._wait_for_screen()
        task.cancel()
        return worst, None

worst, worst_6a = asyncio.run(console() if kind == "console" else bare())
found = {"stall": worst[0], "cpu": worst[1]}
if worst_6a is not None:
    found.update(stall_6a=worst_6a[0], cpu_6a=worst_6a[1])
print(json.dumps(found), flush=True)
'''


def prepare(folder: Path) -> Path:
    """A migrated SQLite file with the demo personas (Mario Rossi must be recognised)."""
    db = folder / "passo.db"
    code = ("from areaclienti_tui.app import create_app; import sys; "
            "create_app(db=f'sqlite:///{sys.argv[1]}', seed_demo=True)")
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, capture_output=True)
    return db


def one(kind: str, db: Path) -> dict[str, float]:
    """The child's longest stalls in ms: `stall` (1A … 5A, or the bare pushes) and, for the
    console, `stall_6a` (5A → 6A); `cpu`, `cpu_6a`: the most CPU time the loop's thread used
    between two ticks. The console works on a copy of the prepared file."""
    if kind == "console":
        copy = db.with_name(f"copia-{db.name}")
        for suffix in ("", "-wal"):  # the write-ahead log too, if the preparing process left one
            source, target = Path(f"{db}{suffix}"), Path(f"{copy}{suffix}")
            target.unlink(missing_ok=True)
            Path(f"{copy}-shm").unlink(missing_ok=True)
            if source.exists():
                shutil.copyfile(source, target)
        db = copy
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(db)], check=True, capture_output=True, text=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: value * 1000 for name, value in found.items() if value is not None}


def run(runs: int) -> dict[str, float]:
    """Medians by name: console, bare, console_6a (by the clock) and the same with _cpu."""
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-passo-") as tmp:
        db = prepare(Path(tmp))
        for number in range(runs):
            order = ("console", "bare") if number % 2 == 0 else ("bare", "console")
            for kind in order:
                found = one(kind, db)
                for measure, name in (("stall", kind), ("cpu", f"{kind}_cpu"),
                                      ("stall_6a", f"{kind}_6a"), ("cpu_6a", f"{kind}_6a_cpu")):
                    if measure in found:
                        samples.setdefault(name, []).append(found[measure])
    return {name: statistics.median(values) for name, values in samples.items()}


def table(result: dict[str, float], runs: int) -> str:
    r = result
    return "\n".join([
        f"Mediane di {runs} processi per lato, alternati; ticker ogni 5 ms. Accanto alla pausa "
        "(l'orologio, la misura dell'obiettivo) il tempo di CPU più lungo che il ciclo ha usato "
        "tra due risvegli del ticker: su una macchina carica la pausa comprende anche il tempo "
        "dato ad altri processi, la CPU no.",
        "",
        "| lato | pausa più lunga (ms) | CPU del ciclo, al più (ms) |",
        "|---|---:|---:|",
        f"| console: 1A → 2A → 3A → 4A → 5A | {r['console']:.0f} | {r['console_cpu']:.0f} |",
        f"| app Textual nuda: 4 volte una schermata con 4 campi, Select e 2 pulsanti | {r['bare']:.0f} "
        f"| {r['bare_cpu']:.0f} |",
        f"| **rapporto** | **{r['console'] / r['bare']:.2f}×** | {r['console_cpu'] / r['bare_cpu']:.2f}× |",
        f"| console, a parte: 5A → 6A (bcrypt 12, riconoscimento e codice, in un worker) | "
        f"{r['console_6a']:.0f} | {r['console_6a_cpu']:.0f} |",
    ])


AFTER = "### Dopo il lavoro sui cambi di passo"



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-results", action="store_true", help="print only, do not write bench/RESULTS.md")
    args = parser.parse_args()
    text = table(run(args.runs), args.runs)
    print(text)
    if not args.no_results:
        record_after(SECTION, AFTER, COMMAND, text, "Obiettivo (issue 12): ≤ 1.5× l'app nuda, nella stessa esecuzione.")


if __name__ == "__main__":
    main()
