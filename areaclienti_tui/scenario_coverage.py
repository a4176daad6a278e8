"""Which transitions of the journey map (journey_map.py) the scenarios cross.

While a scenario runs, a `ScreenRecorder` notes the map step of every screen the
console settles on (modals and screens outside the map are left out) and what the
scenario was doing at that moment. Consecutive steps become crossed transitions
through `journey_map.between`; when the app keeps its own list (``app.crossed``,
the transitions its navigator took) that list is used instead, since it knows the
outcome and never has to guess.

`coverage()` adds up the files' crossings against the whole map, for
``areaclienti-tui scenario --copertura`` (text in Italian, or a JSON object).
No Textual import here: the recorder only reads the app it is handed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from areaclienti_tui import journey_map
from areaclienti_tui.journey_map import FORWARD, Transition

SOURCE_NAVIGATOR = "navigatore"  # the app's own list of crossed transitions (app.crossed)
SOURCE_SCREENS = "schermate"  # worked out from the screens shown
BACK_OUTCOME = "indietro"  # what Esc and the Indietro buttons do


@dataclass(frozen=True)
class Visit:
    """A map step the console settled on, and how it got there."""

    step: str
    revealed: bool = False  # the screen was already in the stack: shown again, not new
    hint: str | None = None  # the outcome the scenario's action names (click "#accedi" → "accedi")
    back: bool = False  # the action was a way back (Esc, a click on #indietro)


@dataclass
class Recording:
    """What one scenario showed and crossed."""

    visits: list[Visit] = field(default_factory=list)
    crossed: list[Transition] = field(default_factory=list)
    source: str = SOURCE_SCREENS
    notes: list[str] = field(default_factory=list)  # pairs not counted (ambiguous) and why
    # With the navigator's list: what the screens showed crossing that the navigator did not
    # report (a screen that moves without the map, or an Esc that looks like an outcome).
    screens_only: list[Transition] = field(default_factory=list)

    @property
    def steps(self) -> list[str]:
        return [visit.step for visit in self.visits]


def screen_name(screen: object) -> str:
    """The "module:Class" under areaclienti_tui.steps that journey_map.STEPS uses."""
    return journey_map.screen_name(type(screen))


def action_hint(verb: str | None, value: object) -> tuple[str | None, bool]:
    """The outcome a scenario step names, and whether it goes back.

    ``click = "#accedi"`` names ``accedi``; ``press = "escape"`` (only Esc) and
    ``click = "#indietro"`` go back."""
    if verb == "click":
        target = str(value).removeprefix("#")
        return target, target == BACK_OUTCOME
    if verb == "press":
        keys = tuple(value) if isinstance(value, (list, tuple)) else (str(value),)
        back = bool(keys) and all(key == "escape" for key in keys)
        return (BACK_OUTCOME if back else None), back
    return None, False


def crossings(visits: Sequence[Visit]) -> tuple[list[Transition], list[str]]:
    """The transitions a sequence of visits crossed, and the pairs left out as ambiguous.

    A pair of steps with no transition between them (Esc going back) crosses nothing.
    A screen shown again (already in the stack) was not pushed, so it cannot be the
    target of an ``avanti`` transition; and when the scenario went back (Esc, Indietro)
    to it, only a transition whose outcome is "indietro" counts. Several candidates
    left: the one whose outcome the action names, else none (and a note says so).
    """
    crossed: list[Transition] = []
    notes: list[str] = []
    for before, after in pairwise(visits):
        candidates = list(journey_map.between(before.step, after.step))
        if not candidates:
            continue
        if after.revealed:
            candidates = [t for t in candidates if t.how != FORWARD]
            if after.back:
                candidates = [t for t in candidates if t.outcome == BACK_OUTCOME]
        if len(candidates) > 1:
            named = [t for t in candidates if t.outcome == after.hint]
            if len(named) != 1:
                outcomes = ", ".join(t.outcome for t in candidates)
                notes.append(f"{before.step} → {after.step}: esito ambiguo ({outcomes}), non contato")
                continue
            candidates = named
        crossed.extend(candidates)
    return crossed, notes


def from_navigator(items: Iterable[object]) -> tuple[list[Transition], list[str]]:
    """The app's own list (``app.crossed``) as map transitions; anything not in the map is noted."""
    known = {(t.source, t.outcome, t.target): t for t in journey_map.TRANSITIONS}
    crossed: list[Transition] = []
    notes: list[str] = []
    for item in items:
        key = (getattr(item, "source", None), getattr(item, "outcome", None), getattr(item, "target", None))
        if key in known:
            crossed.append(known[key])
        else:
            notes.append(f"transizione registrata dall'app ma assente dalla mappa: {item!r}")
    return crossed, notes


class ScreenRecorder:
    """Records the map steps an app shows while a scenario plays on it.

    It listens to the app's screen-change signal but reads the stack only once the
    current message is handled: a restart pops every screen down to 1A and pushes the
    next one in one go, and only where it lands is a step the customer sees.
    """

    def __init__(self) -> None:
        self.recording = Recording()
        self.hint: str | None = None
        self.back = False
        self._app: Any = None
        self._stack: list[object] = []
        self._top: object = None

    def doing(self, verb: str | None, value: object = None) -> None:
        """The scenario step being played (it names the outcome of what follows)."""
        self.hint, self.back = action_hint(verb, value)

    def attach(self, app: Any) -> None:  # noqa: ANN401 - the Textual app, duck-typed
        self._app = app
        app.screen_change_signal.subscribe(app, self._changed)
        self.sample()

    def _changed(self, _screen: object) -> None:
        if self._app is not None:
            self.sample()

    def sample(self) -> None:
        app = self._app
        stack = list(app.screen_stack)
        if not stack:
            return
        top = stack[-1]
        step = journey_map.identify(screen_name(top), app.current_step)
        if step is None:  # a modal, the help, a file picker: not a step of the map
            return
        visits = self.recording.visits
        if top is self._top or (visits and visits[-1].step == step):
            self._stack, self._top = stack, top
            return
        revealed = any(top is screen for screen in self._stack)
        visits.append(Visit(step, revealed=revealed, hint=self.hint, back=self.back))
        self._stack, self._top = stack, top

    def finish(self) -> Recording:
        """Stop listening; the crossed transitions, from the app's own list when it keeps one."""
        app = self._app
        if app is None:
            return self.recording
        self.sample()
        try:
            app.screen_change_signal.unsubscribe(app)
        except Exception:  # noqa: BLE001 - an app already torn down
            pass
        self._app = None
        recording = self.recording
        seen, ambiguous = crossings(recording.visits)
        navigator = getattr(app, "crossed", None)
        if navigator is not None:
            recording.crossed, recording.notes = from_navigator(navigator)
            recording.source = SOURCE_NAVIGATOR
            reported = set(recording.crossed)
            recording.screens_only = [t for t in dict.fromkeys(seen) if t not in reported]
        else:
            recording.crossed, recording.notes = seen, ambiguous
            recording.source = SOURCE_SCREENS
        return recording


# --- adding up ------------------------------------------------------------------


def _as_json(transition: Transition) -> dict[str, str]:
    return {"da": transition.source, "esito": transition.outcome, "a": transition.target}


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 100.0


def percent_text(value: float) -> str:
    """94.7 → "94,7%", 100.0 → "100%"."""
    text = f"{value:.1f}".removesuffix(".0").replace(".", ",")
    return f"{text}%"


@dataclass
class FileCoverage:
    path: Path
    status: str
    recording: Recording | None


@dataclass
class Coverage:
    """The map's transitions and, for each, how many times and in which files it was crossed."""

    transitions: tuple[Transition, ...]
    files: list[FileCoverage]
    times: dict[Transition, int] = field(default_factory=dict)
    where: dict[Transition, list[str]] = field(default_factory=dict)

    @property
    def crossed(self) -> list[Transition]:
        return [t for t in self.transitions if self.times.get(t)]

    @property
    def never(self) -> list[Transition]:
        return [t for t in self.transitions if not self.times.get(t)]

    @property
    def percent(self) -> float:
        return _percent(len(self.crossed), len(self.transitions))

    @property
    def notes(self) -> list[str]:
        return [f"{item.path}: {note}" for item in self.files if item.recording for note in item.recording.notes]

    def lines(self) -> list[str]:
        """The Italian report printed after the summary."""
        total, crossed = len(self.transitions), len(self.crossed)
        lines = [
            f"Copertura della mappa: {crossed} transizion{'e' if crossed == 1 else 'i'} "
            f"attraversat{'a' if crossed == 1 else 'e'} su {total} ({percent_text(self.percent)})."
        ]
        never = self.never
        if never:
            lines.append(f"Mai attraversate ({len(never)}):")
            lines.extend(f"  {t.label}" for t in never)
        else:
            lines.append("Tutte le transizioni della mappa sono state attraversate.")
        notes = self.notes
        if notes:
            lines.append("Passaggi non contati:")
            lines.extend(f"  {note}" for note in notes)
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "transizioni": len(self.transitions),
            "attraversate": len(self.crossed),
            "percentuale": self.percent,
            "mai_attraversate": [_as_json(t) for t in self.never],
            "attraversamenti": [
                {**_as_json(t), "volte": self.times[t], "scenari": self.where[t]} for t in self.crossed
            ],
            "non_contati": self.notes,
            "scenari": [
                {
                    "file": str(item.path),
                    "esito": item.status,
                    "fonte": item.recording.source if item.recording else None,
                    "passi": item.recording.steps if item.recording else [],
                    "attraversate": [_as_json(t) for t in item.recording.crossed] if item.recording else [],
                    "solo_dalle_schermate": (
                        [_as_json(t) for t in item.recording.screens_only] if item.recording else []
                    ),
                }
                for item in self.files
            ],
        }


def coverage(results: Iterable[Any], transitions: Sequence[Transition] = journey_map.TRANSITIONS) -> Coverage:
    """Add up the crossings of the runner's file results (scenario.FileResult).

    A file that failed still counts what it crossed before its failing step; a file
    that could not be read crossed nothing."""
    report = Coverage(tuple(transitions), [])
    for result in results:
        recording: Recording | None = getattr(result, "recording", None)
        report.files.append(FileCoverage(Path(result.path), result.status, recording))
        if recording is None:
            continue
        for transition in recording.crossed:
            report.times[transition] = report.times.get(transition, 0) + 1
            names = report.where.setdefault(transition, [])
            if str(result.path) not in names:
                names.append(str(result.path))
    return report
