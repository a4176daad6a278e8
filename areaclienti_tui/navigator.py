"""The navigator: a screen announces an outcome, the journey map says where it leads.

Screens never choose their successor: they call ``app.advance(self, "continua",
**payload)``. Here the announcing screen is found in the map (``journey_map``), the
transition for the outcome is taken, the target screen is built from its
``"module:Class"`` string with the payload as constructor arguments (imported lazily
with `importlib`, so no step module imports another) and the transition's `how` is
applied:

- ``avanti``: the target is pushed on top (Esc comes back);
- ``ricomincia``: back to 1A with a clean journey, the target on top (just 1A when the
  target is 1A);
- ``chiudi``: the current screen closes, the one under it shows again;
- ``sostituisci``: the target takes the current screen's place (Esc from it goes where
  Esc from the closed one went).

Every transition taken is appended to ``app.crossed``. An outcome the map does not
have for the step raises KeyError: that is a programming error, never a silent no-op.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from areaclienti_tui import journey_map
from areaclienti_tui.journey_map import CLOSE, FORWARD, REPLACE, RESTART, START, Transition

if TYPE_CHECKING:
    from areaclienti_tui.app import AreaClientiApp

STEPS_PACKAGE = "areaclienti_tui.steps"


@cache
def screen_class(step_id: str) -> type[Screen]:
    """The Textual class that draws a map step (imported on first use)."""
    module_name, _, class_name = journey_map.step(step_id).screen.partition(":")
    module = importlib.import_module(f"{STEPS_PACKAGE}.{module_name}")
    cls = getattr(module, class_name)
    if not (isinstance(cls, type) and issubclass(cls, Screen)):
        raise TypeError(f"{journey_map.step(step_id).screen} non è una schermata")
    return cls


def screen_name(screen: Screen | type[Screen]) -> str:
    """A screen (or its class) as the map names it: ``"module:Class"`` under the steps package."""
    return journey_map.screen_name(screen if isinstance(screen, type) else type(screen))


step_of = journey_map.step_of


def transition_for(source: Screen | str, outcome: str) -> Transition:
    """The transition an outcome of a screen (or of a step id) takes; KeyError if none."""
    if isinstance(source, str):
        step_id = journey_map.step(source).id  # KeyError for an unknown step
    else:
        found = step_of(source)
        if found is None:
            raise KeyError(f"la schermata {screen_name(source)} (passo {getattr(source, 'STEP', '?')!r}) "
                           "non è nella mappa del percorso")
        step_id = found
    return journey_map.next_transition(step_id, outcome)


def build(step_id: str, payload: dict[str, Any]) -> Screen:
    """The screen of a map step, built with the payload; it must show that very step."""
    screen = screen_class(step_id)(**payload)
    drawn = step_of(screen)
    if drawn != step_id:
        raise ValueError(f"{screen_name(screen)} costruita con {sorted(payload)} mostra il passo {drawn!r}, "
                         f"la mappa voleva {step_id!r}")
    return screen


def advance(app: AreaClientiApp, source: Screen | str, outcome: str, /, **payload: Any) -> Transition:
    """Take the map's transition for `outcome` of `source` (a screen, or a step id for the
    app's own helpers) and show its target; returns the transition taken."""
    transition = transition_for(source, outcome)
    how = transition.how
    if how == CLOSE or (how == RESTART and transition.target == START):
        if payload:
            raise TypeError(f"{transition.label}: {how} non costruisce schermate, argomenti inattesi {sorted(payload)}")
        target = None
    else:
        target = build(transition.target, payload)
    app.crossed.append(transition)
    if how == FORWARD:
        app.push_screen(target)
    elif how == RESTART:
        app.restart(then=target)
    elif how == CLOSE:
        app.pop_screen()
    elif how == REPLACE:
        app.switch_screen(target)
    else:  # pragma: no cover - journey_map.check() refuses unknown ways
        raise ValueError(f"{transition.label}: modo sconosciuto {how}")
    return transition
