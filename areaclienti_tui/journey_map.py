"""The guide's journey, declared once: every step and every transition (no Textual here).

A **step** is one screen of the console: its `id` is unique in the map (``7A`` is
the code entry, ``7A-fatto`` the page that follows it); `code` is the step code
the screen shows and `app.current_step` reports (SPEC §5), so several steps may
share a code (``7A`` and ``7A-fatto``, ``8A`` and ``8A-prodotti``). `screen` names
the Textual class that draws it, as ``module:Class`` under `areaclienti_tui.steps`
(a package there goes by its own name: ``operator:OperatorLoginScreen``), so that this
module imports no screen.

A **transition** says where an outcome announced by a step leads: ``5A`` with
``non-riconosciuto`` goes to ``1B``. `how` says what happens to the screens before:
``avanti`` stacks the next screen (Esc comes back), ``ricomincia`` starts again from
1A with a clean journey and shows the target on top of it (the same customer goes on),
``chiudi`` closes the current screen and shows the one under it, ``sostituisci`` puts the
target in the current screen's place (the operator login gives way to the operator's home).

Outcomes that are not the guide's own are here too (already registered, no policy,
password recovery, 9A at login, the operator's area), so the map is the whole
console. `check()` lists what would make the map wrong; a test keeps it empty.
"""

from __future__ import annotations

import tomllib
from collections import deque
from dataclasses import dataclass
from functools import cache

from areaclienti_tui.paths import data_file

GUIDE_FILE = "guida_passi.toml"
STEPS_PACKAGE = "areaclienti_tui.steps"
START = "1A"
FORWARD, RESTART, CLOSE, REPLACE = "avanti", "ricomincia", "chiudi", "sostituisci"
HOWS = (FORWARD, RESTART, CLOSE, REPLACE)


@dataclass(frozen=True)
class Step:
    id: str
    code: str
    title: str
    screen: str  # "module:Class" under areaclienti_tui.steps
    final: bool = False  # the journey may end here (nothing has to follow)

    @property
    def guide(self) -> str:
        """What the guide says for this step (data/guida_passi.toml), or ""."""
        return guide_texts().get(self.code, "")


@dataclass(frozen=True)
class Transition:
    source: str
    outcome: str
    target: str
    how: str = FORWARD

    @property
    def label(self) -> str:
        return f"{self.source} —{self.outcome}→ {self.target}"


STEPS: tuple[Step, ...] = (
    Step("1A", "1A", "Benvenuto", "welcome:WelcomeScreen"),
    Step("2A", "2A", "Che tipo di cliente sei?", "welcome:CustomerTypeScreen"),
    Step("2A-azienda", "2A", "Registrazione come Azienda", "welcome:CompanyScreen"),
    Step("3A", "3A", "I tuoi dati", "registration:PersonalDataScreen"),
    Step("4A", "4A", "Scegli il nome utente", "registration:UsernameScreen"),
    Step("5A", "5A", "Crea la tua password", "registration:PasswordScreen"),
    Step("6A", "6A", "Ti abbiamo inviato un codice", "verification:CodeSentScreen"),
    Step("7A", "7A", "Inserisci il codice di verifica", "verification:VerifyCodeScreen"),
    Step("7A-fatto", "7A", "Il tuo account è stato creato", "verification:AccountCreatedScreen"),
    Step("8A", "8A", "Accedi all'Area Clienti", "login:LoginScreen"),
    Step("8A-prodotti", "8A", "I tuoi prodotti", "login:ProductsScreen"),
    Step("9A", "9A", "Codice di sicurezza", "security:SecurityCodeScreen"),
    Step("10A", "10A", "Cellulare non registrato", "security:MissingMobileScreen"),
    Step("11A", "11A", "Richiesta di assistenza", "assistance:AssistanceFormScreen"),
    Step("11A-inviata", "11A", "Richiesta inviata", "assistance:AssistanceSentScreen", final=True),
    Step("1B", "1B", "Dati non riconosciuti", "pathb:NotRecognisedScreen"),
    Step("2B", "2B", "Inserisci il tuo codice fiscale", "pathb:CodiceFiscaleScreen"),
    Step("3B", "3B", "Scegli il recapito", "pathb:ChooseContactScreen"),
    Step("4B", "4B", "Inserisci il codice di verifica", "pathb:ContactCodeScreen"),
    Step("4B-fatto", "4B", "Il tuo account è stato creato", "verification:AccountCreatedScreen"),
    Step("5B", "5B", "Nessun recapito", "pathb:NoContactScreen"),
    Step("6B", "6B", "Errore generico", "pathb:GenericErrorScreen"),
    Step("7B", "7B", "Contatta l'Assistenza", "assistance:AssistanceFormScreen"),
    Step("7B-inviata", "7B", "Richiesta inviata", "assistance:AssistanceSentScreen", final=True),
    Step("gia-registrato", "gia-registrato", "Risulti già registrato", "registration:AlreadyRegisteredScreen"),
    Step("senza-polizza", "senza-polizza", "Serve almeno una polizza", "registration:NoPolicyScreen"),
    Step("recupero-password", "recupero-password", "Recupera la password", "security:RecoveryScreen"),
    Step("recupero-codice", "recupero-password", "Inserisci il codice di recupero", "security:RecoveryCodeScreen"),
    Step("recupero-nuova-password", "recupero-password", "Scegli la nuova password",
         "security:NewPasswordScreen"),
    Step("cambio-password", "cambio-password", "Cambia la password", "security:NewPasswordScreen"),
    Step("cambio-username", "cambio-username", "Cambia il nome utente", "security:NewUsernameScreen"),
    Step("cambio-username-codice", "cambio-username", "Conferma il nuovo nome utente",
         "security:NewUsernameCodeScreen"),
    Step("operatore-accesso", "operatore", "Accesso operatore", "operator:OperatorLoginScreen"),
    Step("operatore", "operatore", "Strumenti dell'operatore", "operator:OperatorHomeScreen", final=True),
    Step("operatore-richiesta", "operatore", "Richiesta di assistenza", "operator:RequestDetailScreen"),
)

TRANSITIONS: tuple[Transition, ...] = (
    # -- registration, path A
    Transition("1A", "registrati", "2A"),
    Transition("1A", "accedi", "8A"),
    Transition("2A", "persona", "3A"),
    Transition("2A", "azienda", "2A-azienda"),
    Transition("2A-azienda", "indietro", "2A", CLOSE),
    Transition("3A", "continua", "4A"),
    Transition("4A", "continua", "5A"),
    Transition("5A", "riconosciuto", "6A"),
    Transition("5A", "non-riconosciuto", "1B"),
    Transition("5A", "gia-registrato", "gia-registrato"),
    Transition("5A", "senza-polizza", "senza-polizza"),
    Transition("6A", "continua", "7A"),
    Transition("7A", "confermato", "7A-fatto"),
    Transition("7A", "gia-registrato", "gia-registrato"),
    Transition("7A-fatto", "accedi", "8A", RESTART),
    Transition("gia-registrato", "accedi", "8A", RESTART),
    Transition("senza-polizza", "inizio", "1A", RESTART),
    # -- path B
    Transition("1B", "continua", "2B"),
    Transition("2B", "trovato", "3B"),
    Transition("2B", "gia-registrato", "gia-registrato"),
    Transition("2B", "non-trovato", "6B"),
    Transition("3B", "scelto", "4B"),
    Transition("3B", "nessuno", "5B"),
    Transition("4B", "confermato", "4B-fatto"),
    Transition("4B", "gia-registrato", "gia-registrato"),
    Transition("4B-fatto", "accedi", "8A", RESTART),
    Transition("5B", "assistenza", "7B"),
    Transition("6B", "assistenza", "7B"),
    Transition("6B", "inizio", "1A", RESTART),
    Transition("7B", "inviata", "7B-inviata"),
    Transition("7B-inviata", "inizio", "1A", RESTART),
    # -- login, 9A, 10A, 11A
    Transition("8A", "entrato", "8A-prodotti", RESTART),
    Transition("8A", "codice-di-sicurezza", "9A"),
    Transition("8A", "senza-cellulare", "10A"),
    Transition("8A", "password-dimenticata", "recupero-password"),
    Transition("9A", "entrato", "8A-prodotti", RESTART),
    Transition("9A", "cambio-password", "cambio-password"),
    Transition("9A", "cambio-username", "cambio-username"),
    Transition("10A", "assistenza", "11A"),
    Transition("11A", "inviata", "11A-inviata"),
    Transition("11A-inviata", "inizio", "1A", RESTART),
    Transition("8A-prodotti", "codice-di-sicurezza", "9A"),
    Transition("8A-prodotti", "senza-cellulare", "10A"),
    Transition("8A-prodotti", "esci", "1A", RESTART),
    # -- the customer's own operations and recovery
    Transition("cambio-password", "salvata", "8A-prodotti", RESTART),
    Transition("cambio-username", "continua", "cambio-username-codice"),
    Transition("cambio-username-codice", "confermato", "8A-prodotti", RESTART),
    Transition("recupero-password", "continua", "recupero-codice"),
    Transition("recupero-codice", "confermato", "recupero-nuova-password"),
    Transition("recupero-nuova-password", "salvata", "8A", RESTART),
    # -- the operator's area (F9 from any step opens its login, or its home when an operator
    # is signed in; leaving it shows the customer's step again, 1A when it was opened there)
    Transition("1A", "operatore", "operatore-accesso"),
    Transition("1A", "operatore-attivo", "operatore"),
    Transition("operatore-accesso", "entrato", "operatore", REPLACE),
    Transition("operatore", "richiesta", "operatore-richiesta"),
    Transition("operatore-richiesta", "decisa", "operatore", CLOSE),
    Transition("operatore", "esci", "1A", CLOSE),
)


# -- reading the map -------------------------------------------------------------------------


@cache
def steps_by_id() -> dict[str, Step]:
    return {step.id: step for step in STEPS}


def step(step_id: str) -> Step:
    try:
        return steps_by_id()[step_id]
    except KeyError:
        raise KeyError(f"passo sconosciuto nella mappa: {step_id!r}") from None


def screen_name(kind: type) -> str:
    """A screen class as the map names it: ``"module:Class"`` under the steps package.

    A module of a package there is named by the package: OperatorLoginScreen, defined
    in ``steps/operator/login.py``, is ``operator:OperatorLoginScreen``."""
    module = kind.__module__
    if module.startswith(STEPS_PACKAGE + "."):
        module = module.removeprefix(STEPS_PACKAGE + ".").split(".")[0]
    return f"{module}:{kind.__qualname__}"


def step_of(screen: object) -> str | None:
    """The map step a screen draws (by its class, and by the code it shows when its class
    draws more than one step); None when the screen is not in the map."""
    return identify(screen_name(type(screen)), getattr(screen, "STEP", None))


def identify(screen: str, code: str | None) -> str | None:
    """The map step of a screen ("module:Class") showing a step code; None if not in the map.

    A class may draw more than one step (AccountCreatedScreen draws 7A-fatto and 4B-fatto):
    the code it shows tells them apart."""
    matches = [s for s in STEPS if s.screen == screen]
    if len(matches) > 1:
        matches = [s for s in matches if s.code == code]
    return matches[0].id if len(matches) == 1 else None


def transitions_from(step_id: str) -> tuple[Transition, ...]:
    return tuple(t for t in TRANSITIONS if t.source == step_id)


def next_transition(step_id: str, outcome: str) -> Transition:
    """The transition an outcome of a step takes; KeyError if the map has none."""
    for transition in TRANSITIONS:
        if transition.source == step_id and transition.outcome == outcome:
            return transition
    raise KeyError(f"la mappa non ha l'esito {outcome!r} per il passo {step_id!r}")


def between(source: str, target: str) -> tuple[Transition, ...]:
    """The transitions from one step to another (for coverage: which ones a run crossed)."""
    return tuple(t for t in TRANSITIONS if t.source == source and t.target == target)


def reachable(start: str = START) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        current = queue.popleft()
        for transition in transitions_from(current):
            if transition.target not in seen:
                seen.add(transition.target)
                queue.append(transition.target)
    return seen


def check() -> list[str]:
    """What is wrong with the map (empty: nothing)."""
    problems = []
    ids = [s.id for s in STEPS]
    problems += [f"passo ripetuto: {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    known = set(ids)
    for t in TRANSITIONS:
        for end in (t.source, t.target):
            if end not in known:
                problems.append(f"{t.label}: passo sconosciuto {end}")
        if t.how not in HOWS:
            problems.append(f"{t.label}: modo sconosciuto {t.how}")
    pairs = [(t.source, t.outcome) for t in TRANSITIONS]
    problems += [f"esito ripetuto: {s} {o}" for s, o in sorted({p for p in pairs if pairs.count(p) > 1})]
    drawn = [(s.screen, s.code) for s in STEPS]
    problems += [f"due passi con la stessa schermata e lo stesso codice: {d}" for d in
                 sorted({d for d in drawn if drawn.count(d) > 1})]
    unreachable = known - reachable()
    problems += [f"non raggiungibile da {START}: {s}" for s in sorted(unreachable)]
    for s in STEPS:
        if not s.final and not transitions_from(s.id):
            problems.append(f"nessuna uscita da {s.id}")
    return problems


@cache
def guide_texts() -> dict[str, str]:
    """The guide's sentence for each step code (data/guida_passi.toml)."""
    passi = tomllib.loads(data_file(GUIDE_FILE).read_text(encoding="utf-8")).get("passi", {})
    return {str(code): str(sentence) for code, sentence in passi.items()}


# -- drawing the map ------------------------------------------------------------------------

FORMATS = ("testo", "mermaid", "dot")
HOW_WORDS = {FORWARD: "", RESTART: " (ricomincia da 1A)", CLOSE: " (chiude)", REPLACE: " (al suo posto)"}


def as_text(current: str | None = None) -> str:
    """The map as indented text: each step, then where each of its outcomes leads."""
    lines = []
    for s in STEPS:
        mark = "▶ " if s.id == current else "  "
        code = f" [{s.code}]" if s.code != s.id else ""
        lines.append(f"{mark}{s.id}{code} · {s.title}" + (" · fine" if s.final else ""))
        for t in transitions_from(s.id):
            lines.append(f"      {t.outcome} → {t.target}{HOW_WORDS[t.how]}")
    return "\n".join(lines) + "\n"


def _node(step_id: str) -> str:
    return "n_" + "".join(ch if ch.isalnum() else "_" for ch in step_id)


def as_mermaid(current: str | None = None) -> str:
    lines = ["flowchart TD"]
    for s in STEPS:
        title = s.title.replace('"', "'")
        lines.append(f'    {_node(s.id)}["{s.id} · {title}"]')
    for t in TRANSITIONS:
        arrow = "-.->" if t.how != FORWARD else "-->"
        lines.append(f"    {_node(t.source)} {arrow}|{t.outcome}| {_node(t.target)}")
    if current is not None:
        lines.append(f"    style {_node(current)} stroke-width:4px")
    return "\n".join(lines) + "\n"


def as_dot(current: str | None = None) -> str:
    lines = ["digraph percorso {", "    rankdir=TB;", '    node [shape=box, fontname="monospace"];']
    for s in STEPS:
        title = s.title.replace('"', "'")
        extra = ", penwidth=3" if s.id == current else ""
        lines.append(f'    "{s.id}" [label="{s.id}\\n{title}"{extra}];')
    for t in TRANSITIONS:
        style = ", style=dashed" if t.how != FORWARD else ""
        lines.append(f'    "{t.source}" -> "{t.target}" [label="{t.outcome}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(fmt: str = "testo", current: str | None = None) -> str:
    if fmt == "mermaid":
        return as_mermaid(current)
    if fmt == "dot":
        return as_dot(current)
    return as_text(current)
