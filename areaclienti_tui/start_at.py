"""Start a journey where the lesson starts: a demo persona taken to a step of the map.

``areaclienti-tui --persona "Alessandro Greco" --passo 3B``, the "Avvia" of the
operator's Personas tab and ``start = { persona = "...", passo = "3B" }`` in a
scenario all come here. Nothing is faked: from 1A the console is driven through
the real screens with what the persona types (``data/personas_percorso.toml``),
so codes are really sent, recognition really runs and the audit log really
records the journey; each step does what a person would do to go on towards
the step asked for, and the drive stops there, with that step on screen and
the persona's data in its fields as if typed.

The data and the choice of steps are plain Python (`load_personas`, `find`,
`resolve_step`); `drive` needs the running app, through the shared `Driver`.
"""

from __future__ import annotations

import difflib
import tomllib
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from areaclienti_tui import journey_map
from areaclienti_tui.paths import data_file

if TYPE_CHECKING:
    from areaclienti_tui.driver import Driver
    from areaclienti_tui.services.context import Context

PERSONAS_FILE = "personas_percorso.toml"
PASSWORD = "Girasole#Verde7"
MAX_MOVES = 25  # more than the longest way (1A … 7A-fatto → 8A → 9A → 10A → 11A)

# Steps the drive can stop at: every step a persona's own data lead to. Left out: the
# operator's area (F9, not a persona's journey), the final "request sent" pages (the lesson
# fills the form itself) and the steps behind a choice made on "I tuoi prodotti".
STARTABLE: tuple[str, ...] = (
    "1A", "2A", "2A-azienda", "3A", "4A", "5A", "6A", "7A", "7A-fatto", "8A", "8A-prodotti", "9A", "10A",
    "11A", "1B", "2B", "3B", "4B", "4B-fatto", "5B", "6B", "7B", "gia-registrato", "senza-polizza",
    "recupero-password",
)
# Targets reached through the login (8A): a persona without an account registers first.
LOGIN_SIDE = frozenset({"8A", "8A-prodotti", "9A", "10A", "11A", "recupero-password"})


class _Stops(Exception):
    """The persona's journey does not go on towards the target from this step."""


class StartError(Exception):
    """The persona or the step is unknown, or the persona's journey does not reach the step."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LessonPersona:
    persona: str
    nome: str
    cognome: str
    data_nascita: str
    sesso: str
    recapito: str
    codice_fiscale: str = ""
    nome_utente: str = ""
    recapito_3b: str = ""
    cellulare: str = ""
    password: str = PASSWORD

    @property
    def username(self) -> str:
        """What is typed in 8A: the account's username."""
        return self.nome_utente or self.recapito


FIELDS = frozenset(LessonPersona.__dataclass_fields__)
REQUIRED = ("persona", "nome", "cognome", "data_nascita", "sesso", "recapito")


def _key(text: str) -> str:
    """A name as compared: no accents, no case, single spaces."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def load_personas(path: Path | None = None) -> list[LessonPersona]:
    """The personas of the TOML file (``[[persona]]`` tables); StartError for a bad file."""
    path = path or data_file(PERSONAS_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StartError(f"il file delle personas {path} non si legge: {error}") from None
    personas: list[LessonPersona] = []
    for number, table in enumerate(data.get("persona", []), start=1):
        if not isinstance(table, dict):
            raise StartError(f"{path}: la persona n. {number} non è una tabella")
        unknown = sorted(set(table) - FIELDS)
        missing = [name for name in REQUIRED if not table.get(name)]
        if unknown or missing:
            what = "; ".join(filter(None, (
                f"campi sconosciuti {', '.join(unknown)}" if unknown else "",
                f"mancano {', '.join(missing)}" if missing else "",
            )))
            raise StartError(f"{path}: persona n. {number}: {what}")
        if not all(isinstance(value, str) for value in table.values()):
            raise StartError(f"{path}: persona n. {number}: ogni valore va scritto tra virgolette")
        personas.append(LessonPersona(**table))
    keys = [_key(p.persona) for p in personas]
    if len(set(keys)) != len(keys):
        raise StartError(f"{path}: due personas con lo stesso nome")
    return personas


def find(personas: list[LessonPersona], name: str) -> LessonPersona:
    """The persona called `name` (case, accents and spaces do not matter)."""
    wanted = _key(name)
    for persona in personas:
        if _key(persona.persona) == wanted:
            return persona
    starting = [p for p in personas if _key(p.persona).startswith(wanted + " ")] if wanted else []
    if len(starting) == 1:
        return starting[0]
    names = [p.persona for p in personas]
    if len(starting) > 1:
        raise StartError(f"«{name}» indica più personas: {', '.join(p.persona for p in starting)}")
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Forse: {', '.join(close)}?" if close else f" Le personas: {', '.join(names)}."
    raise StartError(f"nessuna persona si chiama «{name}».{hint}")


def resolve_step(text: str) -> str:
    """The map step for what a trainer typed (``3b``, ``7A-fatto``); StartError if it cannot be a start."""
    by_key = {step.casefold(): step for step in STARTABLE}
    found = by_key.get(text.strip().casefold())
    if found is None:
        known = text.strip() in journey_map.steps_by_id()
        why = "non si può usare come partenza" if known else "non è un passo della mappa"
        raise StartError(f"il passo «{text}» {why}. Passi possibili: {', '.join(STARTABLE)}")
    return found


def record_start(ctx: Context, persona: str, target: str, *, actor: str) -> None:
    """The audit event of a journey started at a step (the journey's own events follow it)."""
    from areaclienti_tui.services import audit

    with ctx.db.transaction() as session:
        audit.record(ctx, session, "avvio_lezione", actor=actor, subject=persona, passo=target)


# -- the drive ------------------------------------------------------------------------------

Move = Callable[["Driver", LessonPersona, str], Awaitable[None]]


def _has_account(driver: Driver, persona: LessonPersona) -> bool:
    from areaclienti_tui.rules.username import parse_username
    from areaclienti_tui.services import registration

    return registration.username_taken(driver.ctx, parse_username(persona.username, driver.app.pec_domains))


async def _welcome(d: Driver, p: LessonPersona, target: str) -> None:
    await d.press("accedi" if target in LOGIN_SIDE and _has_account(d, p) else "registrati")


async def _customer_type(d: Driver, p: LessonPersona, target: str) -> None:
    await d.press("azienda" if target == "2A-azienda" else "persona")


async def _personal_data(d: Driver, p: LessonPersona, target: str) -> None:
    await d.fill("nome", p.nome)
    await d.fill("cognome", p.cognome)
    await d.fill("data-nascita", p.data_nascita)
    await d.choose("sesso", p.sesso)
    await d.press("continua")


async def _username(d: Driver, p: LessonPersona, target: str) -> None:
    await d.fill("username", p.recapito)
    await d.press("continua")


async def _password(d: Driver, p: LessonPersona, target: str) -> None:
    await d.fill("password", p.password)
    await d.fill("conferma-password", p.password)
    await d.tick("privacy")
    await d.press("registrati")


async def _code(d: Driver, p: LessonPersona, target: str) -> None:
    await d.fill("otp", d.code())
    await d.press("continua")


def _pressing(button: str) -> Move:
    async def move(d: Driver, p: LessonPersona, target: str) -> None:
        await d.press(button)

    return move


async def _codice_fiscale(d: Driver, p: LessonPersona, target: str) -> None:
    if not p.codice_fiscale:
        raise StartError(f"per {p.persona} manca il codice fiscale da scrivere in 2B")
    await d.fill("codice-fiscale", p.codice_fiscale)
    await d.press("continua")


async def _contact(d: Driver, p: LessonPersona, target: str) -> None:
    from textual.widgets import OptionList

    lists = d.app.screen.query("#recapiti")
    if target == "5B" or not lists:
        await d.press("nessun-recapito")
        return
    options: OptionList = lists.first(OptionList)
    usable = [i for i in range(options.option_count) if not options.get_option_at_index(i).disabled]
    wanted = _key(p.recapito_3b)
    chosen = next((i for i in usable if wanted and _key(str(options.get_option_at_index(i).prompt)).startswith(wanted)),
                  usable[0] if usable else None)
    if chosen is None:
        await d.press("nessun-recapito")
        return
    options.highlighted = chosen
    await d.settle()
    await d.press("continua")


async def _login(d: Driver, p: LessonPersona, target: str) -> None:
    await d.fill("username", p.username)
    if target == "recupero-password":
        await d.press("password-dimenticata")
        return
    await d.fill("password", p.password)
    await d.press("accedi")


async def _after_account(d: Driver, p: LessonPersona, target: str) -> None:
    if target not in LOGIN_SIDE:
        raise _Stops
    await d.press("accedi")


MOVES: dict[str, Move] = {
    "1A": _welcome,
    "2A": _customer_type,
    "3A": _personal_data,
    "4A": _username,
    "5A": _password,
    "6A": _pressing("continua"),
    "7A": _code,
    "7A-fatto": _after_account,
    "4B-fatto": _after_account,
    "gia-registrato": _after_account,
    "8A": _login,
    "9A": _code,
    "10A": _pressing("richiedi-assistenza"),
    "1B": _pressing("continua"),
    "2B": _codice_fiscale,
    "3B": _contact,
    "4B": _code,
    "5B": _pressing("contatta-assistenza"),
    "6B": _pressing("contatta-assistenza"),
}

# What the lesson fills itself on the forms it stops at: the new mobile of 11A and 7B.
PREFILL: dict[str, Callable[[LessonPersona], dict[str, str]]] = {
    "11A": lambda p: {"cellulare": p.cellulare} if p.cellulare else {},
    "7B": lambda p: {"cellulare": p.cellulare} if p.cellulare else {},
}


async def drive(driver: Driver, persona: LessonPersona, target: str) -> None:
    """From 1A, take `persona` to the map step `target`; StartError when the journey goes elsewhere."""
    app = driver.app

    def here() -> str | None:
        screen = app.screen
        return journey_map.step_of(screen) if screen.is_mounted else None

    await driver.until(lambda: here() == journey_map.START, "il passo 1A")
    for _ in range(MAX_MOVES):
        step = here()
        if step == target:
            for field, text in PREFILL.get(target, lambda _: {})(persona).items():
                if driver.has(f"#{field}"):
                    await driver.fill(field, text)
            return
        move = MOVES.get(step or "")
        try:
            if move is None:
                raise _Stops
            await move(driver, persona, target)
        except _Stops:
            raise StartError(f"il percorso di {persona.persona} non passa dal passo {target}: si ferma a {step}") from None
        await driver.until(lambda: here() not in (step, None) or bool(driver.errors()), f"il passo dopo {step}")
        if here() == step:
            errors = "; ".join(driver.errors().values())
            raise StartError(f"{persona.persona} non va oltre il passo {step}: {errors}")
    raise StartError(f"{persona.persona} non arriva al passo {target} in {MAX_MOVES} passaggi")
