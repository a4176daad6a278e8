"""The longest event-loop stall while the step changes, beside a bare form push, in one run.

    .venv/bin/python -m bench.cambio_passo [--runs 7] [--no-results]

A ticker task wakes every 5 ms; a stall is how late it wakes (a person typing
then sees nothing move). Each run is a new Python process, the two sides
alternating:

* **console**: 1A → 2A → 3A → 4A → 5A on a migrated SQLite file with the demo
  personas, driven by `areaclienti_tui.driver` as a person would (Mario Rossi's
  data in 3A, his email in 4A); the stall is the longest over the four changes;
* **bare**: a Textual app pushing, four times, a form screen with 4 inputs, a
  Select and 2 buttons, each time until it is mounted.

Printed: the median of the longest stalls and the ratio; written in
bench/RESULTS.md, section "Cambio di passo".
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.avvio import record_section

SECTION = "## Cambio di passo: la pausa più lunga del ciclo di eventi (issue 12)"
COMMAND = ".venv/bin/python -m bench.cambio_passo"

CHILD = r'''
import asyncio, json, sys, time
kind, db = sys.argv[1], sys.argv[2]
TICK = 0.005

async def ticker(worst):
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(TICK)
        worst[0] = max(worst[0], loop.time() - before - TICK)

async def console():
    from areaclienti_tui.app import create_app
    from areaclienti_tui.driver import Driver
    app = create_app(db=f"sqlite:///{db}")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        d = Driver(app, pilot)
        await d.on_step("1A")
        worst = [0.0]
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
        return worst[0]

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
        worst = [0.0]
        task = asyncio.create_task(ticker(worst))
        for _ in range(4):
            form = Form()
            await app.push_screen(form)
            while not form.is_mounted:
                await pilot.pause()
            await pilot._wait_for_screen()
        task.cancel()
        return worst[0]

stall = asyncio.run(console() if kind == "console" else bare())
print(json.dumps({"stall": stall}), flush=True)
'''


def prepare(folder: Path) -> Path:
    """A migrated SQLite file with the demo personas (Mario Rossi must be recognised)."""
    db = folder / "passo.db"
    code = ("from areaclienti_tui.app import create_app; import sys; "
            "create_app(db=f'sqlite:///{sys.argv[1]}', seed_demo=True)")
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, capture_output=True)
    return db


def one(kind: str, db: Path) -> float:
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(db)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["stall"] * 1000


def run(runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {"console": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench-passo-") as tmp:
        db = prepare(Path(tmp))
        for number in range(runs):
            order = ("console", "bare") if number % 2 == 0 else ("bare", "console")
            for kind in order:
                samples[kind].append(one(kind, db))
    return {kind: statistics.median(values) for kind, values in samples.items()}


def table(result: dict[str, float], runs: int) -> str:
    return "\n".join([
        f"Mediane di {runs} processi per lato, alternati; ticker ogni 5 ms.",
        "",
        "| lato | pausa più lunga (ms) |",
        "|---|---:|",
        f"| console: 1A → 2A → 3A → 4A → 5A | {result['console']:.0f} |",
        f"| app Textual nuda: 4 volte una schermata con 4 campi, Select e 2 pulsanti | {result['bare']:.0f} |",
        f"| **rapporto** | **{result['console'] / result['bare']:.2f}×** |",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-results", action="store_true", help="print only, do not write bench/RESULTS.md")
    args = parser.parse_args()
    text = table(run(args.runs), args.runs)
    print(text)
    if not args.no_results:
        record_section(SECTION, COMMAND, text, "Obiettivo (issue 12): ≤ 1.5× l'app nuda.")


if __name__ == "__main__":
    main()
