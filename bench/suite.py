"""`make test`'s own time on this machine (issue 12): the suite as CI runs it.

    .venv/bin/python -m bench.suite [--workers N] [--no-results]

Runs `scripts/run-tests .venv/bin N` (what `make test` runs: import contracts,
PostgreSQL test server, the whole suite with pytest -n N and the wheel check
beside it) with pytest's --durations, and prints the wall time, the number of
tests, the ten slowest and the machine, beside the figure issue 12 started
from (16 min 43 s for 729 tests; 23 min 46 s for 1268 tests when the work
began). Written in bench/RESULTS.md, section "make test", unless --no-results.
Tests never assert on time: this is where the suite's time is watched.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.results import record_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## make test: la suite intera su questa macchina (issue 12)"
COMMAND = ".venv/bin/python -m bench.suite"
BEFORE = "23 min 46 s per 1268 test (clone pulito, `-n 2`, all'inizio del lavoro; issue 12: 16 min 43 s per 729 test)"
TARGET = 8 * 60


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {round(seconds % 60):02d} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-results", action="store_true", help="print only, do not write bench/RESULTS.md")
    args = parser.parse_args()
    env = {**os.environ, "PYTEST_ADDOPTS": "--durations=10"}
    started = time.perf_counter()
    done = subprocess.run(
        ["scripts/run-tests", str(Path(sys.executable).parent), str(args.workers)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    summary = re.search(r"(\d+) passed.* in ([\d.]+)s", output)
    if done.returncode != 0 or summary is None:
        sys.stdout.write(output[-4000:])
        raise SystemExit(f"make test non è passato (uscita {done.returncode}): niente da registrare")
    slowest = re.findall(r"^\s*([\d.]+)s call\s+(\S+)$", output, re.M)[:10]
    text = "\n".join([
        f"`scripts/run-tests` (quello che esegue `make test`) con `-n {args.workers}`: "
        f"**{minutes(seconds)}** in tutto, di cui {minutes(float(summary.group(2)))} di pytest, "
        f"**{summary.group(1)} test** passati. Obiettivo: ≤ {minutes(TARGET)}. Prima: {BEFORE}.",
        "",
        "I dieci test più lunghi:",
        "",
        "| secondi | test |",
        "|---:|---|",
        *(f"| {float(s):.1f} | `{name}` |" for s, name in slowest),
    ])
    print(text)
    if not args.no_results:
        record_section(SECTION, COMMAND, text, "I test non misurano mai il tempo: qui si guarda quanto dura la suite.")


if __name__ == "__main__":
    main()
