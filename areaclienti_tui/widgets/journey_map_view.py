"""The journey map in the console ("Mappa del percorso"), drawn for trainers.

Every step of `journey_map` in its order, each with where its outcomes lead; the
customer's step marked with ``▶`` and in bold (a mark, not a colour alone), and
highlighted when the map opens. Beside the list (below it on a narrow terminal)
the highlighted step's details: its title and code, what the guide says, its
outcomes with the title of each target, and the steps that lead to it.
↑↓, Pag↑/Pag↓, Inizio/Fine move along the steps; Tab reaches the details, which
scroll too; Esc (or Chiudi) closes the map and the journey is where it was.

Opened from the command palette ("Mappa del percorso") and from the trainer tab
(``#mappa-percorso``) with `open_journey_map`. Screens are named ``module:Class``
the way the map names them: this module imports no step screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from areaclienti_tui import journey_map
from areaclienti_tui.widgets.literal import Plain, literal, option, template

if TYPE_CHECKING:
    from textual.app import App

# The operator's own screens: opened from there, the map shows the customer's step underneath.
OPERATOR_AREA = frozenset({"operator"})
MARK = "▶"
LEGEND = (
    f"{MARK} passo del cliente · ↑↓ Pag↑ Pag↓ scorrono i passi · Tab passa al dettaglio · Esc chiude"
)
NO_GUIDE = "La guida non descrive questo passo: è una schermata della console oltre la guida."


def screen_name(screen: Screen) -> str:
    """A screen as the map names it: ``module:Class`` under `areaclienti_tui.steps`."""
    return journey_map.screen_name(type(screen))


def customer_step(app: App, under: Screen | None = None) -> str | None:
    """The map step the customer is on: the screen under the view, or the nearest one below it
    that the map knows (a dialog, the operator's area opened with F9 are skipped); None if none."""
    stack = list(app.screen_stack)
    top = stack.index(under) if under in stack else len(stack) - 1
    fallback = getattr(app, "current_step", None)
    for screen in reversed(stack[: top + 1]):
        if screen_name(screen).partition(":")[0] in OPERATOR_AREA:
            continue
        found = journey_map.identify(screen_name(screen), getattr(screen, "STEP", None) or fallback)
        if found is not None:
            return found
    return None


def open_journey_map(app: App, under: Screen | None = None) -> None:
    """Show the map over `under` (the screen in front when None), the customer's step highlighted."""
    under = under or app.screen
    if isinstance(under, JourneyMapScreen) or isinstance(app.screen, JourneyMapScreen):
        return
    app.push_screen(JourneyMapScreen(customer_step(app, under)))


def _headline(step: journey_map.Step) -> str:
    code = f" [{step.code}]" if step.code != step.id else ""
    return f"{step.id}{code} · {step.title}" + (" · fine" if step.final else "")


def _outcome(transition: journey_map.Transition, *, with_title: bool = False) -> str:
    title = f" · {journey_map.step(transition.target).title}" if with_title else ""
    return f"{transition.outcome} → {transition.target}{title}{journey_map.HOW_WORDS[transition.how]}"


class StepList(OptionList):
    """The steps of the map; the highlighted one stays in view, at the top, whenever the list is
    resized (the first layout may be made at another width, where the steps wrap differently)."""

    def on_resize(self) -> None:
        self.call_after_refresh(self.scroll_to_highlight, top=True)


class JourneyMapScreen(ModalScreen[None]):
    """Every step and transition of the journey map; the customer's step marked. Esc closes."""

    HEADING = "Mappa del percorso"
    BINDINGS = [Binding("escape", "close", "Chiudi", tooltip="Chiude la mappa e torna al percorso")]
    DEFAULT_CSS = """
    JourneyMapScreen { align: center middle; }
    JourneyMapScreen > #mappa-riquadro {
        width: 100%; max-width: 150; height: 100%; max-height: 48;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    JourneyMapScreen #mappa-titolo { height: auto; }
    JourneyMapScreen #mappa-corpo { height: 1fr; layout: horizontal; }
    JourneyMapScreen #mappa-passi { width: 1fr; height: 1fr; }
    JourneyMapScreen #mappa-dettaglio {
        width: 1fr; height: 1fr; padding: 0 1; border: tall $border-blurred; border-title-color: $text-muted;
    }
    JourneyMapScreen #mappa-dettaglio:focus { border: tall $border; }
    JourneyMapScreen.-stretto #mappa-corpo { layout: vertical; }
    JourneyMapScreen.-stretto #mappa-dettaglio { height: 9; }
    JourneyMapScreen #mappa-piede { height: auto; }
    JourneyMapScreen #mappa-legenda { width: 1fr; color: $text-muted; padding-top: 1; }
    JourneyMapScreen #mappa-dettaglio .mappa-sezione { text-style: bold; margin-top: 1; }
    JourneyMapScreen #mappa-dettaglio > Plain { padding-left: 2; }
    JourneyMapScreen #mappa-dettaglio > #mappa-passo { text-style: bold; padding-left: 0; }
    """

    def __init__(self, current: str | None) -> None:
        super().__init__(id="mappa")
        self.current = current if current in journey_map.steps_by_id() else None
        self.shown: str | None = None  # the step whose details are shown

    # -- drawing ------------------------------------------------------------------

    def heading(self) -> Content:
        if self.current is None:
            return Content.from_markup("[b]Mappa del percorso[/b] · il passo del cliente non è nella mappa")
        return template(f"[b]Mappa del percorso[/b] · il cliente è qui: [b]{MARK} $where[/b]",
                        where=_headline(journey_map.step(self.current)))

    def prompt(self, step: journey_map.Step) -> Content:
        """One step in the list: its line, then one line per outcome."""
        outcomes = "".join(f"\n      {_outcome(t)}" for t in journey_map.transitions_from(step.id))
        if step.id == self.current:
            return template(f"[b u]{MARK} $line[/]$outcomes", line=_headline(step), outcomes=outcomes)
        return literal(f"  {_headline(step)}{outcomes}", keep_newlines=True)

    def compose(self) -> ComposeResult:
        with Vertical(id="mappa-riquadro"):
            yield Static(self.heading(), id="mappa-titolo")
            with Container(id="mappa-corpo"):
                yield StepList(*(option(self.prompt(s), id=s.id) for s in journey_map.STEPS), id="mappa-passi")
                with VerticalScroll(id="mappa-dettaglio"):
                    yield Plain("", id="mappa-passo")
                    yield Static("Cosa dice la guida", classes="mappa-sezione")
                    yield Plain("", id="mappa-guida")
                    yield Static("Esiti: dove porta", classes="mappa-sezione")
                    yield Plain("", id="mappa-esiti")
                    yield Static("Ci si arriva da", classes="mappa-sezione")
                    yield Plain("", id="mappa-provenienze")
            with Horizontal(id="mappa-piede"):
                yield Static(LEGEND, id="mappa-legenda", markup=False)
                yield Button("Chiudi", id="chiudi-mappa", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#mappa-dettaglio").border_title = "Dettaglio del passo"
        steps = self.query_one("#mappa-passi", OptionList)
        start = self.current or journey_map.START
        steps.highlighted = steps.get_option_index(start)
        self.show_step(start)
        steps.focus()

    def show_step(self, step_id: str) -> None:
        """The details of one step in the pane beside the list."""
        step = journey_map.step(step_id)
        self.shown = step_id
        mark = f"{MARK} " if step_id == self.current else ""
        where = " (il cliente è qui)" if step_id == self.current else ""
        self.query_one("#mappa-passo", Plain).update(f"{mark}{_headline(step)}{where}")
        self.query_one("#mappa-guida", Plain).update(step.guide or NO_GUIDE)
        outcomes = [_outcome(t, with_title=True) for t in journey_map.transitions_from(step_id)]
        self.query_one("#mappa-esiti", Plain).update(
            "\n".join(outcomes) or "Nessuno: il percorso può finire qui.")
        sources = [f"{t.source} · {journey_map.step(t.source).title} ({t.outcome})"
                   for t in journey_map.TRANSITIONS if t.target == step_id]
        self.query_one("#mappa-provenienze", Plain).update(
            "\n".join(sources) or "Nessun passo: il percorso comincia qui.")
        self.query_one("#mappa-dettaglio", VerticalScroll).scroll_home(animate=False)

    # -- keys and buttons ---------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#mappa-passi")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id is not None:
            self.show_step(event.option_id)

    @on(OptionList.OptionSelected, "#mappa-passi")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a step: to its details, to read them all."""
        self.query_one("#mappa-dettaglio", VerticalScroll).focus()

    @on(Button.Pressed, "#chiudi-mappa")
    def action_close(self) -> None:
        self.dismiss(None)

    # -- for tests -----------------------------------------------------------------------

    def highlighted_step(self) -> str | None:
        option_: Option | None = self.query_one("#mappa-passi", OptionList).highlighted_option
        return option_.id if option_ is not None else None

    def text(self) -> str:
        """Everything the map shows, as plain text (the list, then the details)."""
        steps = self.query_one("#mappa-passi", OptionList)
        prompts = [o.prompt.plain if isinstance(o.prompt, Content) else str(o.prompt) for o in steps.options]
        details = [str(widget.render()) for widget in self.query(Static)]
        return "\n".join(prompts + details)
