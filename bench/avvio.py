"""Process start → 1A interactive, beside a bare Textual app, in one run.

    .venv/bin/python -m bench.avvio [--runs 7] [--no-results]

Each run is a whole new Python process (imports included), alternating the two
sides so that a busy machine weighs on both alike:

* **console**: `create_app` on a SQLite file already migrated and seeded (made
  once before the runs, as after a first start), run headless with
  `app.run_test()`; ready when the welcome screen (1A) is mounted and the app has
  handled what it was sent, so a key pressed now is handled;
* **bare**: a Textual app with Header, Static, Input and Footer, ready at the
  same point.

The child prints the seconds since its own start (measured from the parent's
spawn to the child's "ready" line) and its peak memory (ru_maxrss). Printed:
the medians and the ratios; written in bench/RESULTS.md, section "Avvio".
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

from bench.machine import describe

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Avvio: dal processo a 1A (issue 12)"
COMMAND = ".venv/bin/python -m bench.avvio"

CHILD = r'''
import asyncio, json, resource, sys, time
kind, db = sys.argv[1], sys.argv[2]

async def main():
    if kind == "console":
        from areaclienti_tui.app import create_app
        app = create_app(db=f"sqlite:///{db}")
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
        print(json.dumps({"kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)

asyncio.run(main())
'''


def prepare(folder: Path) -> Path:
    """A migrated, seeded SQLite file: the state of every start after the first."""
    db = folder / "avvio.db"
    subprocess.run([sys.executable, "-c", CHILD, "console", str(db)], check=True, capture_output=True)
    return db


def one(kind: str, db: Path) -> tuple[float, float]:
    """Seconds from spawn to ready, and peak MiB, of one child process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(db)], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    kib = json.loads(done.stdout.strip().splitlines()[-1])["kib"]
    return seconds, kib / 1024


def run(runs: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[tuple[float, float]]] = {"console": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench-avvio-") as tmp:
        db = prepare(Path(tmp))
        one("console", db)  # warm the file cache for both sides
        one("bare", db)
        for number in range(runs):
            order = ("console", "bare") if number % 2 == 0 else ("bare", "console")
            for kind in order:
                samples[kind].append(one(kind, db))
    return {kind: {"seconds": statistics.median(s for s, _ in values), "mib": statistics.median(m for _, m in values)}
            for kind, values in samples.items()}


def table(result: dict[str, dict[str, float]], runs: int) -> str:
    console, bare = result["console"], result["bare"]
    return "\n".join([
        f"Mediane di {runs} processi per lato, alternati.",
        "",
        "| lato | secondi fino a 1A interattivo | memoria di picco (MiB) |",
        "|---|---:|---:|",
        f"| console (SQLite migrato, 1A) | {console['seconds']:.2f} | {console['mib']:.0f} |",
        f"| app Textual nuda (Header, Static, Input, Footer) | {bare['seconds']:.2f} | {bare['mib']:.0f} |",
        f"| **rapporto** | **{console['seconds'] / bare['seconds']:.2f}×** | **{console['mib'] / bare['mib']:.2f}×** |",
    ])


def record_section(section: str, command: str, text: str, goal: str) -> None:
    """Write (or replace) a section of bench/RESULTS.md with the machine and the time."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = f"\n{section}\n\nGenerato da `{command}` il {stamp}.\n\nMacchina: {describe()}\n\n{text}\n\n{goal}\n"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    head, found, tail = current.partition(f"\n{section}\n")
    if found:  # replace the previous section, keep the ones after it
        rest = tail.split("\n## ", 1)
        current = head + ("\n## " + rest[1] if len(rest) > 1 else "")
    RESULTS.write_text(current.rstrip("\n") + "\n" + block, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-results", action="store_true", help="print only, do not write bench/RESULTS.md")
    args = parser.parse_args()
    text = table(run(args.runs), args.runs)
    print(text)
    if not args.no_results:
        record_section(SECTION, COMMAND, text, "Obiettivo (issue 12): tempo ≤ 1.5× e memoria ≤ 2× l'app nuda.")


if __name__ == "__main__":
    main()
