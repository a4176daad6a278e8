"""The machine a benchmark ran on, as one line for bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe(*extra: str) -> str:
    """Host, CPU model, cores, memory, Python, any `extra` parts (e.g. the SQLite version), kernel."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    parts = [platform.node(), cpu, f"{os.cpu_count()} CPU", f"{memory:.0f} GiB",
             f"Python {platform.python_version()}", *extra, f"{platform.system()} {platform.release()}"]
    return " · ".join(parts)
