"""Process start → 1A interactive, beside a bare Textual app, in one run.

    .venv/bin/python -m bench.avvio [--runs 7] [--no-results]

Each run is a whole new Python process (imports included), alternating the two
sides so that a busy machine weighs on both alike:

* **console**: what a person starts, `areaclienti-tui --db FILE` (`cli.console_app`,
  the path of `main` without a command), on a SQLite file already migrated and
  seeded (made once before the runs, as after a first start), run headless with
  `app.run_test()`; ready when 1A is mounted and the app has handled what it was
  sent, so a key pressed now is taken (handled at once, or, while the rest still
  loads behind 1A, as soon as it is there: issue 12);
* **bare**: a Textual app with Header, Static, Input and Footer, ready at the
  same point.

The time is the parent's, from spawning the child to reading its "ready" line;
the memory is the child's peak at that moment (ru_maxrss). The console child then
also says when everything has loaded (the real 1A on screen, the database open)
and its peak by then: printed, and written beside the figures, but not the
target. Printed: the medians and the ratios; written in bench/RESULTS.md, section
"Avvio", under "Dopo il lavoro sull'avvio" (the baseline above it stays).
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

from bench.results import record_after

SECTION = "## Avvio: dal processo a 1A (issue 12)"
COMMAND = ".venv/bin/python -m bench.avvio"

CHILD = r'''
import asyncio, json, resource, sys, time
kind, db = sys.argv[1], sys.argv[2]

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

async def main():
    if kind == "console":
        from areaclienti_tui import cli

        args = cli.build_parser().parse_args(["--db", f"sqlite:///{db}", "--data-dir", f"{db}-dati"])
        app, _load = cli.console_app(args)
        ready = lambda: app.current_step == "1A" and app.screen.is_mounted
    else:
        from textual.app import App
        from textual.widgets import Footer, Header, Input, Static

        class Bare(App):
            def compose(self):
                yield Header()
                yield Static("Benvenuto")
                yield Input(placeholder="Nome")
                yield Footer()

        app = Bare()
        ready = lambda: app.screen.is_mounted and bool(app.screen.query(Input))
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        while not ready():
            await pilot.pause()
        await pilot._wait_for_screen()
        print(json.dumps({"kib": peak()}), flush=True)
        if kind == "console":  # then everything behind 1A: the real 1A, the database open
            started = time.perf_counter()
            while not (app.loaded and type(app.screen).__name__ == "WelcomeScreen" and app.screen.is_mounted):
                if app.load_error is not None:
                    raise SystemExit(f"console not loaded: {app.load_error!r}")
                await pilot.pause(0.01)
            await pilot._wait_for_screen()
            print(json.dumps({"after": time.perf_counter() - started, "kib": peak()}), flush=True)

asyncio.run(main())
'''


def prepare(folder: Path) -> Path:
    """A migrated, seeded SQLite file: the state of every start after the first."""
    db = folder / "avvio.db"
    one("console", db)  # the first start: migrated and seeded behind 1A
    return db


def one(kind: str, db: Path) -> dict[str, float]:
    """Seconds from spawn to ready and peak MiB then, of one child process; for the console
    also the seconds and peak MiB when everything behind 1A has loaded."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(db)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    first = child.stdout.readline()
    seconds = time.perf_counter() - started
    rest, errors = child.communicate()
    if child.returncode != 0 or not first:
        raise RuntimeError(f"{kind}: exit {child.returncode}\n{errors}")
    sample = {"seconds": seconds, "mib": json.loads(first)["kib"] / 1024}
    if kind == "console":
        loaded = json.loads(rest.strip().splitlines()[-1])
        sample |= {"loaded_seconds": seconds + loaded["after"], "loaded_mib": loaded["kib"] / 1024}
    return sample


def run(runs: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[dict[str, float]]] = {"console": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench-avvio-") as tmp:
        db = prepare(Path(tmp))
        one("console", db)  # warm the file cache for both sides
        one("bare", db)
        for number in range(runs):
            order = ("console", "bare") if number % 2 == 0 else ("bare", "console")
            for kind in order:
                samples[kind].append(one(kind, db))
    return {kind: {key: statistics.median(sample[key] for sample in values) for key in values[0]}
            for kind, values in samples.items()}


def table(result: dict[str, dict[str, float]], runs: int) -> str:
    console, bare = result["console"], result["bare"]
    return "\n".join([
        f"Mediane di {runs} processi per lato, alternati; tempo dal lancio del processo alla riga «pronto» del "
        "figlio (la misura di partenza, sopra, arrivava fino alla fine del processo, chiusura dell'app compresa).",
        "",
        "| lato | secondi fino a 1A interattivo | memoria di picco (MiB) |",
        "|---|---:|---:|",
        f"| console: `areaclienti-tui --db` (SQLite migrato, 1A) | {console['seconds']:.2f} | {console['mib']:.0f} |",
        f"| app Textual nuda (Header, Static, Input, Footer) | {bare['seconds']:.2f} | {bare['mib']:.0f} |",
        f"| **rapporto** | **{console['seconds'] / bare['seconds']:.2f}×** | **{console['mib'] / bare['mib']:.2f}×** |",
        "",
        f"Dietro 1A la console finisce di caricare (database aperto, servizi, passi, area operatore, "
        f"1A vera al posto di quella disegnata subito) a {console['loaded_seconds']:.2f} s dal lancio, "
        f"con un picco di {console['loaded_mib']:.0f} MiB; i tasti premuti prima aspettano lì, "
        "con «Caricamento…» sullo schermo.",
    ])


AFTER = "### Dopo il lavoro sull'avvio"



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-results", action="store_true", help="print only, do not write bench/RESULTS.md")
    args = parser.parse_args()
    text = table(run(args.runs), args.runs)
    print(text)
    if not args.no_results:
        record_after(SECTION, AFTER, COMMAND, text, "Obiettivo (issue 12): tempo ≤ 1.5× e memoria ≤ 2× l'app nuda, fino a 1A interattivo.")


if __name__ == "__main__":
    main()
