"""Each file of scenarios/ runs once per test session, whatever test asks for it.

tests/test_scenarios.py checks that every file passes; tests/test_scenario_coverage.py
adds up what they crossed on the journey map. Both ask `ScenarioRuns` for a file's
run: the first to ask runs it, the others read what it kept. With pytest-xdist the
workers share one folder (the session's base temporary folder) and a lock per file,
so a file another worker is running is waited for, never run twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from areaclienti_tui import journey_map, scenario
from areaclienti_tui.journey_map import Transition

TIMEOUT = 60.0


@dataclass(frozen=True)
class Run:
    path: Path
    status: str
    lines: tuple[str, ...]
    crossed: tuple[Transition, ...]
    source: str | None

    @property
    def passed(self) -> bool:
        return self.status == "superato"

    @property
    def report(self) -> str:
        return "\n".join(self.lines)


def _stored(result: scenario.FileResult) -> dict:
    recording = result.recording
    return {
        "status": result.status,
        "lines": result.lines,
        "crossed": [[t.source, t.outcome, t.target] for t in recording.crossed] if recording else [],
        "source": recording.source if recording else None,
    }


class ScenarioRuns:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._memo: dict[Path, Run] = {}

    def __call__(self, path: Path) -> Run:
        path = path.resolve()
        if path not in self._memo:
            self._memo[path] = self._run_or_read(path)
        return self._memo[path]

    def _run_or_read(self, path: Path) -> Run:
        key = f"{path.stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
        kept, lock_path = self.folder / f"{key}.json", self.folder / f"{key}.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if kept.exists():
                data = json.loads(kept.read_text(encoding="utf-8"))
            else:
                data = _stored(scenario.run_file(path, out=lambda _line: None, timeout=TIMEOUT))
                partial = kept.with_suffix(".part")
                partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
                os.replace(partial, kept)
        known = {(t.source, t.outcome, t.target): t for t in journey_map.TRANSITIONS}
        return Run(
            path=path,
            status=data["status"],
            lines=tuple(data["lines"]),
            crossed=tuple(known[tuple(item)] for item in data["crossed"] if tuple(item) in known),
            source=data["source"],
        )


def shared_folder(base: Path) -> Path:
    """The session's folder for kept runs: shared by the xdist workers (their base
    temporary folders are subfolders of the session's), else this process's own."""
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "scenari-eseguiti"
