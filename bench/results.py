"""Writing a benchmark's figures into bench/RESULTS.md, one section per benchmark.

A section starts with a `## ` heading. `record_section` writes (or replaces) a
whole section, `record_text` one written by the benchmark itself; `record_after` keeps the section's first part (the baseline that
was recorded before the work) and writes (or replaces) a `### ` part below it.
The other sections are kept as they are.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.machine import describe

RESULTS = Path(__file__).with_name("RESULTS.md")


def _block(command: str, text: str, goal: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"Generato da `{command}` il {stamp}.\n\nMacchina: {describe()}\n\n{text}\n\n{goal}\n"


def _without(current: str, section: str) -> str:
    """`current` without the section headed `section` (the sections after it kept)."""
    head, found, tail = current.partition(f"\n{section}\n")
    if not found:
        return current
    rest = tail.split("\n## ", 1)
    return head + ("\n## " + rest[1] if len(rest) > 1 else "")


def record_section(section: str, command: str, text: str, goal: str, results: Path = RESULTS) -> None:
    """Write (or replace) the section headed `section` with the machine and the time."""
    record_text(f"{section}\n\n" + _block(command, text, goal), results)


def record_text(text: str, results: Path = RESULTS) -> None:
    """Write (or replace) a whole section given as it is: its first line is its `## ` heading."""
    section = text.strip("\n").split("\n", 1)[0]
    current = results.read_text(encoding="utf-8") if results.exists() else ""
    results.write_text(_without(current, section).rstrip("\n") + "\n\n" + text.strip("\n") + "\n", encoding="utf-8")


def record_after(section: str, after: str, command: str, text: str, goal: str, results: Path = RESULTS) -> None:
    """Write (or replace) the part headed `after` of `section`, below the baseline kept there."""
    current = results.read_text(encoding="utf-8") if results.exists() else ""
    head, found, tail = current.partition(f"\n{section}\n")
    if not found:  # no baseline recorded: the section starts with this
        head, tail = current.rstrip("\n") + "\n", ""
    body, more, following = tail.partition("\n## ")  # this section, and the sections after it
    body = ("\n" + body).split(f"\n{after}\n", 1)[0].strip("\n")
    text_out = f"{head}\n{section}\n\n" + (f"{body}\n\n" if body else "") + f"{after}\n\n" + _block(command, text, goal)
    results.write_text(text_out + (f"\n## {following}" if more else ""), encoding="utf-8")
