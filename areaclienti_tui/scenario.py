"""Scenario files (SPEC §5): a customer's journey written in TOML, run headless.

A scenario is a list of ``[[step]]`` tables, each with one verb::

    customers = "clienti.csv"          # imported into a fresh database first

    [[step]]
    click = "#registrati"

    [[step]]
    type = "#nome"
    text = "Mario"

Every file runs on its own temporary data folder and SQLite database, with a
fake clock that starts at the current time (``advance = SECONDS`` moves it),
through Textual's Pilot, the way a person would: widgets are scrolled into
view before a click, the runner waits for the focus before typing and waits on
conditions (workers finished, screen changed), never for a fixed time.
``expect_*`` verbs retry until the screen shows what they expect or the
timeout runs out. ``attach`` copies its ``file`` (relative to the scenario)
into the uploads folder of that data folder, the only place uploads come from.
A top-level ``settings = { mfa_policy = "never" }`` changes some rules for the
file (SCENARIO_SETTINGS); ``other_console = "register"`` is a second console on
the same database, meanwhile (scenario_console.py).

The runner prints one line per step and a summary; ``main`` returns 0 when
every file passes, 1 when one fails, 2 when a file cannot be read or is not a
valid scenario (the others still run). It never shows a traceback.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, get_args

import phonenumbers
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.driver import Driver, DriverError, quick_pilot, visible_errors, visible_text
from areaclienti_tui.driver import normal as _normal
from areaclienti_tui.driver import plain as _plain
from areaclienti_tui.driver import quote as _quote
from areaclienti_tui.scenario_coverage import Recording, ScreenRecorder
from areaclienti_tui.settings import Settings

log = logging.getLogger(__name__)

VERBS = (
    "type", "click", "press", "choose", "attach", "otp",
    "expect_step", "expect_text", "expect_outbox", "expect_error", "advance", "other_console",
)  # fmt: skip
COMPANIONS = {"type": "text", "choose": "option", "attach": "file"}
WIDGET_VERBS = ("type", "click", "choose", "attach", "otp", "expect_error")
OUTBOX_KEYS = ("channel", "to", "contains")
# other_console: what a second console on the same database does, and the keys it needs.
OTHER_CONSOLE_ACTIONS = ("register",)
OTHER_CONSOLE_KEYS = ("codice_fiscale", "username", "password")
TOP_KEYS = ("name", "description", "customers", "size", "settings", "start", "step")
# The rules a scenario may change (`settings = { mfa_policy = "never" }`), with the values
# that make sense for a test: a choice, or whole numbers from..to (the Settings field's own
# bounds, where it has them, narrow these further).
SCENARIO_SETTINGS: dict[str, tuple[int, int] | None] = {
    "mfa_policy": None,
    "code_ttl_seconds": (30, 600),
    "code_max_attempts": (1, 100),
    "resend_cooldown_seconds": (0, 3600),
    "max_resends": (0, 100),
    "login_max_failures": (1, 100),
    "lockout_base_seconds": (1, 7 * 24 * 3600),
    "lockout_max_seconds": (1, 7 * 24 * 3600),
}
DEFAULT_SIZE = (130, 44)
DEFAULT_TIMEOUT = 20.0
MAX_ADVANCE = 7 * 24 * 3600
WIDGET_ID = re.compile(r"#[A-Za-z_][A-Za-z0-9_-]*")
NOTIFICATION_SECONDS = 20.0

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


# --- the file ----------------------------------------------------------------


class ScenarioError(Exception):
    """The file cannot be read or is not a valid scenario; `message` is in Italian."""

    def __init__(self, path: Path, message: str, step: int | None = None) -> None:
        where = f"{path}: passo {step}: " if step is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.step = step
        self.message = where + message


@dataclass(frozen=True)
class Step:
    """One ``[[step]]`` table: its 1-based number, verb, value and companion."""

    number: int
    verb: str
    value: Any
    extra: str | None = None

    @property
    def target(self) -> str:
        """The widget id without the hash (``"#nome"`` → ``"nome"``)."""
        return str(self.value).removeprefix("#")

    def describe(self) -> str:
        """The step as printed: ``type #nome "Mario"``."""
        verb, value = self.verb, self.value
        if verb in ("type", "choose", "attach"):
            return f"{verb} {value} {_quote(self.extra or '')}"
        if verb in ("expect_text",):
            return f"{verb} {_quote(value)}"
        if verb == "press":
            return f"{verb} {' '.join(value)}"
        if verb == "advance":
            return f"{verb} {_seconds(value)} s"
        if verb == "expect_outbox":
            parts = [f"{key}={_quote(value[key])}" if key == "contains" else f"{key}={value[key]}"
                     for key in OUTBOX_KEYS if key in value]
            return f"{verb} {' '.join(parts) or '(qualsiasi messaggio)'}"
        if verb == "other_console":  # the password is not printed
            return f"{verb} {value['action']} codice_fiscale={value['codice_fiscale']} username={value['username']}"
        return f"{verb} {value}"


@dataclass(frozen=True)
class Scenario:
    path: Path
    steps: tuple[Step, ...]
    name: str = ""
    description: str = ""
    customers: Path | None = None
    size: tuple[int, int] = DEFAULT_SIZE
    settings: dict[str, Any] = field(default_factory=dict)  # the rules the file changes (SCENARIO_SETTINGS)
    start: tuple[str, str] | None = None  # (persona, map step) the console is taken to first (start_at.py)

    @property
    def base(self) -> Path:
        """The folder that relative paths (customers, attachments) start from."""
        return self.path.parent


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _toml_error(error: tomllib.TOMLDecodeError) -> str:
    text = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)$", text)
    if match:
        reason = text[: match.start()].strip()
        return f"TOML non valido alla riga {match.group(1)}, colonna {match.group(2)}: {reason}"
    match = re.search(r"\(at end of document\)$", text)
    if match:
        return f"TOML non valido alla fine del file: {text[: match.start()].strip()}"
    return f"TOML non valido: {text}"


KEY_MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")


def _textual_key_names() -> frozenset[str]:
    """Every multi-character key name Textual knows (without modifiers)."""
    from textual import keys as textual_keys

    names: set[str] = set()
    for key in textual_keys.Keys:
        base = key.value.rpartition("+")[2]
        if not base.startswith("<"):
            names.add(base)
    for table in (textual_keys.KEY_ALIASES, textual_keys.KEY_DISPLAY_ALIASES, textual_keys.KEY_TO_UNICODE_NAME):
        names.update(table)
    for aliases in textual_keys.KEY_ALIASES.values():
        names.update(alias.rpartition("+")[2] for alias in aliases)
    names.update(textual_keys.KEY_NAME_REPLACEMENTS.values())
    try:  # the kitty keyboard protocol's names (a private module: optional)
        from textual._keyboard_protocol import FUNCTIONAL_KEYS

        names.update(FUNCTIONAL_KEYS.values())
    except ImportError:  # pragma: no cover - depends on the Textual version
        pass
    return frozenset(name for name in names if len(name) > 1)


_KEY_NAMES: frozenset[str] | None = None


def valid_key(key: str) -> bool:
    """True when Textual's Pilot would send `key` as a real key.

    A key is one character (``"a"``, ``"@"``), or a name Textual knows
    (``"enter"``, ``"f9"``, ``"pageup"``, ``"full_stop"``), optionally after
    modifiers (``"ctrl+q"``, ``"shift+tab"``), or ``"wait:MS"``. Anything
    else (``"notakey_zz"``) would be sent as a key no binding ever matches.
    """
    global _KEY_NAMES
    if key.startswith("wait:"):
        try:
            return float(key[5:]) >= 0
        except ValueError:
            return False
    if len(key) == 1:
        return key.isprintable()
    *modifiers, base = key.split("+") if not key.endswith("++") else [*key[:-2].split("+"), "+"]
    if any(modifier not in KEY_MODIFIERS for modifier in modifiers) or len(set(modifiers)) != len(modifiers):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    if _KEY_NAMES is None:
        _KEY_NAMES = _textual_key_names()
    if base in _KEY_NAMES:
        return True
    import unicodedata

    from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key, key_to_character

    if key_to_character(base) is not None:
        return True
    try:  # the same lookup Pilot does for a named character (e.g. "left_parenthesis")
        unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(base, base)))
    except KeyError:
        return False
    return True


def _type_name(value: object) -> str:
    names = {str: "un testo", bool: "un valore vero/falso", int: "un numero", float: "un numero",
             dict: "una tabella", list: "un elenco"}
    return names.get(type(value), type(value).__name__)


def _parse_step(path: Path, number: int, table: object) -> Step:
    def fail(message: str) -> ScenarioError:
        return ScenarioError(path, message, number)

    if not isinstance(table, dict):
        raise fail("ogni passo deve essere una tabella [[step]]")
    verbs = [key for key in table if key in VERBS]
    companions = set(COMPANIONS.values()) | set(OTHER_CONSOLE_KEYS)
    unknown = [key for key in table if key not in VERBS and key not in companions]
    if unknown:
        hint = f" («{unknown[0]}» va in cima al file, prima del primo [[step]])" if unknown[0] in TOP_KEYS else ""
        raise fail(f"verbo sconosciuto «{unknown[0]}» (verbi ammessi: {', '.join(VERBS)}){hint}")
    if not verbs:
        raise fail(f"manca il verbo (uno fra: {', '.join(VERBS)})")
    if len(verbs) > 1:
        raise fail(f"un passo ha un solo verbo, qui ce ne sono {len(verbs)}: {', '.join(verbs)}")
    verb = verbs[0]
    value = table[verb]
    companion = COMPANIONS.get(verb)
    for key in companions:
        if key in table and key != companion and not (verb == "other_console" and key in OTHER_CONSOLE_KEYS):
            owner = "other_console" if key in OTHER_CONSOLE_KEYS else next(v for v, c in COMPANIONS.items() if c == key)
            raise fail(f"«{key}» si usa solo con «{owner}», non con «{verb}»")
    extra: str | None = None
    if companion is not None:
        if companion not in table:
            raise fail(f"«{verb}» richiede anche «{companion}»")
        extra = table[companion]
        if not isinstance(extra, str):
            raise fail(f"«{companion}» deve essere un testo, non {_type_name(extra)}")
        if companion in ("option", "file") and not extra.strip():
            raise fail(f"«{companion}» non può essere vuoto")

    if verb in WIDGET_VERBS:
        if not isinstance(value, str):
            raise fail(f"«{verb}» vuole l'id di un widget come \"#nome\", non {_type_name(value)}")
        if not WIDGET_ID.fullmatch(value):
            raise fail(f"«{verb}» vuole l'id di un widget come \"#nome\", non {_quote(value)}")
    elif verb == "press":
        keys = [value] if isinstance(value, str) else value
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k.strip() for k in keys):
            raise fail("«press» vuole un tasto (\"enter\") o un elenco di tasti ([\"tab\", \"enter\"])")
        value = tuple(k.strip() for k in keys)
        for key in value:
            if not valid_key(key):
                raise fail(
                    f"«press»: tasto sconosciuto {_quote(key)} (esempi validi: \"enter\", \"tab\", "
                    "\"escape\", \"f9\", \"ctrl+q\", \"shift+tab\", una lettera)"
                )
    elif verb in ("expect_step", "expect_text"):
        if not isinstance(value, str) or not value.strip():
            raise fail(f"«{verb}» vuole un testo non vuoto")
        value = value.strip() if verb == "expect_step" else value
    elif verb == "expect_outbox":
        if not isinstance(value, dict):
            raise fail("«expect_outbox» vuole una tabella, per esempio { channel = \"sms\", to = \"3471234567\" }")
        for key, item in value.items():
            if key not in OUTBOX_KEYS:
                raise fail(f"«expect_outbox» non conosce «{key}» (ammessi: {', '.join(OUTBOX_KEYS)})")
            if not isinstance(item, str) or not item.strip():
                raise fail(f"«expect_outbox.{key}» deve essere un testo non vuoto")
        if "channel" in value and value["channel"].strip().lower() not in ("sms", "email"):
            raise fail("«expect_outbox.channel» deve essere \"sms\" o \"email\"")
        value = {key: value[key].strip() for key in OUTBOX_KEYS if key in value}
        if "channel" in value:
            value["channel"] = value["channel"].lower()
    elif verb == "advance":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"«advance» vuole un numero di secondi, non {_type_name(value)}")
        if not 0 < value <= MAX_ADVANCE:
            raise fail(f"«advance» vuole un numero di secondi maggiore di zero e al massimo {MAX_ADVANCE}")
        value = float(value)
    elif verb == "other_console":
        if not isinstance(value, str) or value.strip() not in OTHER_CONSOLE_ACTIONS:
            shown = _quote(value) if isinstance(value, str) else _type_name(value)
            raise fail(f"«other_console» sa fare solo {', '.join(map(_quote, OTHER_CONSOLE_ACTIONS))}, non {shown}")
        details = {"action": value.strip()}
        for key in OTHER_CONSOLE_KEYS:
            if key not in table:
                raise fail(f"«other_console» richiede anche «{key}»")
            if not isinstance(table[key], str) or not table[key].strip():
                raise fail(f"«{key}» deve essere un testo non vuoto")
            details[key] = table[key] if key == "password" else table[key].strip()
        value = details
    return Step(number=number, verb=verb, value=value, extra=extra)


def _parse_settings(path: Path, table: object) -> dict[str, Any]:
    """The top-level ``settings = { mfa_policy = "never" }``: only the keys of
    SCENARIO_SETTINGS, each with a value that makes sense (checked against Settings too)."""
    example = "per esempio { mfa_policy = \"never\" }"
    if not isinstance(table, dict):
        raise ScenarioError(path, f"«settings» deve essere una tabella, {example}, non {_type_name(table)}")
    checked: dict[str, Any] = {}
    for key, value in table.items():
        if key not in SCENARIO_SETTINGS:
            raise ScenarioError(path, f"«settings» non conosce «{key}» (ammesse: {', '.join(SCENARIO_SETTINGS)})")
        info = Settings.model_fields[key]
        bounds = SCENARIO_SETTINGS[key]
        if bounds is None:
            choices = get_args(info.annotation)
            if not isinstance(value, str) or value not in choices:
                shown = _quote(value) if isinstance(value, str) else _type_name(value)
                raise ScenarioError(path, f"«settings.{key}» deve essere uno fra "
                                          f"{', '.join(map(_quote, choices))}, non {shown}")
        else:
            low = max([bounds[0], *(m.ge for m in info.metadata if getattr(m, "ge", None) is not None)])
            high = min([bounds[1], *(m.le for m in info.metadata if getattr(m, "le", None) is not None)])
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                shown = (str(value) if isinstance(value, int) and not isinstance(value, bool)
                         else _quote(value) if isinstance(value, str) else _type_name(value))
                raise ScenarioError(path, f"«settings.{key}» deve essere un numero intero da {low} a {high}, "
                                          f"non {shown}")
        checked[key] = value
    return checked


def parse(path: Path, text: str) -> Scenario:
    """Check a scenario's text; ScenarioError says what is wrong and where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(path, _toml_error(error)) from None
    unknown = [key for key in data if key not in TOP_KEYS]
    if unknown:
        hint = " (i passi vanno in tabelle [[step]])" if unknown[0] in VERBS else ""
        raise ScenarioError(path, f"chiave sconosciuta «{unknown[0]}» (ammesse: {', '.join(TOP_KEYS)}){hint}")
    for key in ("name", "description", "customers"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(path, f"«{key}» deve essere un testo, non {_type_name(data[key])}")
    size = data.get("size", list(DEFAULT_SIZE))
    if (
        not isinstance(size, list) or len(size) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in size)
        or not (40 <= size[0] <= 500 and 15 <= size[1] <= 300)
    ):  # fmt: skip
        raise ScenarioError(path, "«size» deve essere [colonne, righe], per esempio [130, 44] (da 40×15 a 500×300)")
    customers: Path | None = None
    if "customers" in data:
        customers = path.parent / data["customers"]
        if not customers.is_file():
            raise ScenarioError(path, f"il file dei clienti {data['customers']} non esiste (cercato in {customers})")
    settings = _parse_settings(path, data["settings"]) if "settings" in data else {}
    start = _parse_start(path, data["start"]) if "start" in data else None
    steps = data.get("step")
    if steps is None:
        raise ScenarioError(path, "nessun passo: aggiungi almeno una tabella [[step]]")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(path, "«step» deve essere un elenco di tabelle [[step]]")
    return Scenario(
        path=path,
        steps=tuple(_parse_step(path, number, table) for number, table in enumerate(steps, start=1)),
        name=data.get("name", "").strip(),
        description=" ".join(data.get("description", "").split()),
        customers=customers,
        size=(size[0], size[1]),
        settings=settings,
        start=start,
    )


def _parse_start(path: Path, table: object) -> tuple[str, str]:
    """``start = { persona = "Alessandro Greco", passo = "3B" }``: a demo persona and a step."""
    from areaclienti_tui import start_at

    example = 'per esempio start = { persona = "Alessandro Greco", passo = "3B" }'
    if not isinstance(table, dict) or set(table) != {"persona", "passo"}:
        raise ScenarioError(path, f"«start» deve avere persona e passo, {example}")
    if not all(isinstance(value, str) for value in table.values()):
        raise ScenarioError(path, f"«start»: persona e passo sono testi, {example}")
    try:
        who = start_at.find(start_at.load_personas(), table["persona"])
        return who.persona, start_at.resolve_step(table["passo"])
    except start_at.StartError as error:
        raise ScenarioError(path, f"«start»: {error.message}") from None


def load(path: Path) -> Scenario:
    """Read and check a scenario file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(path, "il file non esiste") from None
    except IsADirectoryError:
        raise ScenarioError(path, "è una cartella senza file *.toml") from None
    except OSError as error:
        raise ScenarioError(path, f"impossibile leggere il file ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(path, f"il file non è in UTF-8 ({error.reason} al byte {error.start})") from None
    return parse(path, text)


def expand(arguments: Iterable[str | Path]) -> list[Path]:
    """Files to run: a folder means its ``*.toml`` files; an unexpanded glob is expanded here."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            found.extend(sorted(path.glob("*.toml")) or [path])
        elif not path.exists() and glob.has_magic(str(argument)):
            found.extend(Path(p) for p in sorted(glob.glob(str(path))) or [str(path)])
        else:
            found.append(path)
    return found


# --- what the screen shows (read by areaclienti_tui.driver) ------------------


def describe_errors(errors: dict[str, str]) -> str:
    if not errors:
        return "nessuno"
    return "; ".join(f"{field}: {' '.join(message.split())}" for field, message in errors.items())


def normalise_recipient(text: str) -> str:
    """Emails lower case; a phone number as typed (3471234567, +39…) in E.164."""
    value = text.strip()
    if "@" in value:
        return value.lower()
    compact = re.sub(r"[\s./-]", "", value)
    if re.fullmatch(r"\+?\d{6,15}", compact):
        try:
            number = phonenumbers.parse(compact, "IT")
        except phonenumbers.NumberParseException:
            return compact
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return value


# --- running -----------------------------------------------------------------


class StepFailed(DriverError):
    """A step did not see what it expected (as the driver says what it could not do)."""

    def __init__(self, expected: str, seen: str) -> None:
        super().__init__(expected=expected, seen=seen)


@dataclass
class StepResult:
    step: Step
    status: str  # "ok", "fallito", "saltato"
    detail: str = ""
    seconds: float = 0.0

    def line(self, *, verbose: bool = False) -> str:
        icon = {"ok": "✔", "fallito": "✘", "saltato": "·"}[self.status]
        text = f"  {icon} {self.step.number} {self.step.describe()}"
        if self.status == "fallito":
            text += f" — {self.detail}"
        elif self.status == "saltato":
            text += " (saltato)"
        if verbose and self.status != "saltato":
            text += f"  [{_seconds(round(self.seconds, 1))} s]"
        return text


@dataclass
class FileResult:
    path: Path
    status: str  # "superato", "fallito", "non valido"
    steps: list[StepResult] = field(default_factory=list)
    failure: str = ""
    seconds: float = 0.0
    recording: Recording | None = None  # the map steps shown and the transitions crossed
    lines: list[str] = field(default_factory=list)  # what the runner printed for this file

    @property
    def passed(self) -> bool:
        return self.status == "superato"

    @property
    def failed_step(self) -> StepResult | None:
        return next((result for result in self.steps if result.status == "fallito"), None)


class _ScenarioSettings(Settings):
    """Settings from the arguments only: AREACLIENTI_* variables never change a scenario."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def scenario_settings(folder: Path, *, demo: bool, rules: dict[str, Any] | None = None) -> Settings:
    """A fresh data folder and SQLite database; cheap bcrypt; the scenario's `rules`
    (its ``settings`` table, already checked), default rules otherwise."""
    return _ScenarioSettings(data_dir=folder, db=f"sqlite:///{folder / 'scenario.db'}", bcrypt_rounds=4, demo=demo,
                             **(rules or {}))


class _Player(Driver):
    """Plays one scenario's steps on a running app through Pilot, with the console's
    driver (areaclienti_tui.driver): it waits, finds, clicks, types and chooses."""

    def __init__(self, scenario: Scenario, pilot, clock: FakeClock, timeout: float) -> None:  # noqa: ANN001
        super().__init__(pilot.app, pilot, timeout=timeout)
        self.scenario = scenario
        self.clock = clock
        self.unexpected: list[BaseException | None] = []

    # -- verbs -----------------------------------------------------------------

    async def play(self, step: Step) -> None:
        if not self.app.is_running:
            raise StepFailed("la console aperta", "la console chiusa da un passo precedente")
        handler = getattr(self, f"do_{step.verb}")
        await handler(step)

    async def do_type(self, step: Step, text: str | None = None) -> None:
        await self.type_keys(str(step.value), (step.extra or "") if text is None else text)

    async def do_click(self, step: Step) -> None:
        await self.click(str(step.value))

    async def do_press(self, step: Step) -> None:
        await self.key(*step.value)

    async def do_choose(self, step: Step) -> None:
        await self.choose_option(str(step.value), step.extra or "")

    def _into_uploads(self, source: Path) -> Path:
        """A file beside the scenario is copied into the uploads folder of the
        scenario's data folder (the only folder attachments may come from), under
        its own name; anything else is looked for there by name (and refused)."""
        from areaclienti_tui.services import documents

        folder = documents.ensure_uploads_dir(self.app.settings)
        if not source.is_file():
            return folder / source.name
        copy = folder / source.name
        shutil.copyfile(source, copy)
        return copy

    async def do_attach(self, step: Step) -> None:
        from textual.widgets import Static

        selector = str(step.value)
        await self.find(selector)
        screen = self.app.screen
        attach = getattr(screen, "attach", None)
        if not callable(attach):
            raise StepFailed(f"un modulo con allegati {self.at()}", f"una schermata senza allegati {self.at()}")
        path = self._into_uploads(self.scenario.base / (step.extra or ""))
        try:
            attach(step.target, path)
        except ValueError as error:
            raise StepFailed(f"un campo allegato {selector}", str(error)) from None
        line_id = f"#{step.target}-file"

        def checked() -> bool:
            lines = screen.query(line_id)
            return not lines or not _plain(lines.first(Static).render()).startswith("Controllo di")

        await self.settle()
        if not await self.eventually(checked):
            raise StepFailed(f"il controllo di {path.name} concluso", "il controllo ancora in corso")

    async def do_otp(self, step: Step) -> None:
        from areaclienti_tui.services import outbox

        codes: list[str | None] = [None]

        def arrived() -> bool:
            codes[0] = outbox.newest_code(self.app.ctx)
            return codes[0] is not None

        if not await self.eventually(arrived):
            raise StepFailed("un codice nella casella di uscita", "nessun messaggio con un codice")
        await self.do_type(step, codes[0])

    async def do_advance(self, step: Step) -> None:
        self.clock.advance(float(step.value))
        await self.settle()

    async def do_expect_step(self, step: Step) -> None:
        wanted = _normal(str(step.value))
        if not await self.eventually(lambda: _normal(self.app.current_step or "") == wanted):
            raise StepFailed(str(step.value), self.step_code)

    async def do_expect_text(self, step: Step) -> None:
        wanted = _normal(str(step.value))
        if not await self.eventually(lambda: wanted in _normal(visible_text(self.app))):
            raise StepFailed(f"il testo {_quote(step.value)}", f"uno schermo senza quel testo {self.at()}")

    def _outbox_match(self, wanted: dict[str, str]):  # noqa: ANN202
        from areaclienti_tui.services import outbox

        to = normalise_recipient(wanted["to"]) if "to" in wanted else None
        contains = _normal(wanted["contains"]) if "contains" in wanted else None
        for message in outbox.latest(self.app.ctx, limit=200):
            if "channel" in wanted and message.channel != wanted["channel"]:
                continue
            if to is not None and normalise_recipient(message.to) != to:
                continue
            if contains is not None and contains not in _normal(f"{message.subject or ''} {message.body}"):
                continue
            return message
        return None

    async def do_expect_outbox(self, step: Step) -> None:
        from areaclienti_tui.services import outbox

        wanted: dict[str, str] = step.value
        if await self.eventually(lambda: self._outbox_match(wanted) is not None):
            return
        parts = []
        if "channel" in wanted:
            parts.append("un SMS" if wanted["channel"] == "sms" else "un'email")
        else:
            parts.append("un messaggio")
        if "to" in wanted:
            parts.append(f"a {normalise_recipient(wanted['to'])}")
        if "contains" in wanted:
            parts.append(f"con {_quote(wanted['contains'])}")
        newest = outbox.latest(self.app.ctx, limit=1)
        if newest:
            last = newest[0]
            text = " ".join(f"{last.subject or ''} {last.body}".split())
            seen = f"come ultimo messaggio {last.channel} a {last.to}: {_quote(text[:80] + ('…' if len(text) > 80 else ''))}"
        else:
            seen = "la casella di uscita vuota"
        raise StepFailed(" ".join(parts), f"{seen} ({self.step_code})")

    async def do_expect_error(self, step: Step) -> None:
        target = step.target
        if not await self.eventually(lambda: target in visible_errors(self.app)):
            raise StepFailed(f"un errore al campo {step.value}", f"nessun errore a quel campo {self.at()}")

    async def do_other_console(self, step: Step) -> None:
        """A second console on the same database does something meanwhile (scenario_console.py);
        this console's screens are left as they are."""
        from areaclienti_tui import scenario_console

        wanted: dict[str, str] = step.value
        await self.settle()  # nothing of this console half-written in the database
        try:
            scenario_console.register(self.app.settings, self.clock, wanted["codice_fiscale"], wanted["username"],
                                      wanted["password"])
        except scenario_console.Refused as refused:
            raise StepFailed(f"dall'altra console {refused.expected}",
                             f"{refused.seen} (questa console {self.at()})") from None
        await self.settle()


async def play(
    scenario: Scenario,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    report: Callable[[StepResult], None] | None = None,
    verbose: bool = False,
    out: Callable[[str], None] | None = None,
    recorder: ScreenRecorder | None = None,
) -> list[StepResult]:
    """Run a scenario on a fresh database; every step's result, in order (after a failure, skipped).

    With a `recorder`, the map steps the console shows are recorded as the steps play."""
    from areaclienti_tui.app import AreaClientiApp
    from areaclienti_tui.services import importer
    from areaclienti_tui.services.setup import open_context

    results: list[StepResult] = []

    def record(result: StepResult) -> None:
        results.append(result)
        if report is not None:
            report(result)

    with tempfile.TemporaryDirectory(prefix="areaclienti-scenario-") as folder:
        settings = scenario_settings(Path(folder), demo=scenario.customers is None, rules=scenario.settings)
        clock = FakeClock(datetime.now(timezone.utc))
        ctx = open_context(settings, clock, seed_demo=scenario.customers is None)
        try:
            if scenario.customers is not None:
                loaded = importer.import_file(ctx, scenario.customers)
                if loaded.errors:
                    rows = "; ".join(f"riga {line}: {reason}" for line, reason in loaded.errors[:5])
                    raise ScenarioError(scenario.path, f"il file dei clienti {scenario.customers.name} ha righe errate: {rows}")
            app = AreaClientiApp(ctx)
            app.raise_unexpected = False
            # Notifications stay up longer than for a person (5 s), so that a loaded
            # machine can still read them with expect_text; a click that lands on one
            # dismisses it and is tried again.
            app.NOTIFICATION_TIMEOUT = NOTIFICATION_SECONDS  # type: ignore[misc]
            quick_pilot()
            async with app.run_test(headless=True, size=scenario.size, notifications=True) as pilot:
                player = _Player(scenario, pilot, clock, timeout)
                shown_6b = app.report_unexpected

                def report_unexpected(error: BaseException | None) -> None:
                    player.unexpected.append(error)
                    shown_6b(error)

                app.report_unexpected = report_unexpected  # type: ignore[method-assign]
                await player.eventually(lambda: app.current_step is not None)
                if recorder is not None:
                    recorder.attach(app)
                if scenario.start is not None:
                    await _start(scenario, player)
                failed = False
                for step in scenario.steps:
                    if failed:
                        record(StepResult(step, "saltato"))
                        continue
                    if recorder is not None:
                        recorder.doing(step.verb, step.value)
                    started = time.monotonic()
                    seen_faults = len(player.unexpected)
                    try:
                        await player.play(step)
                        if len(player.unexpected) > seen_faults:
                            raise StepFailed("nessun errore imprevisto", "un errore imprevisto")
                        result = StepResult(step, "ok")
                    except DriverError as failure:  # a StepFailed, or what the driver could not do
                        detail = str(failure)
                        if len(player.unexpected) > seen_faults:
                            fault = player.unexpected[seen_faults]
                            name = type(fault).__name__ if fault is not None else "errore"
                            detail = f"errore imprevisto nell'app ({name}: {fault}), mostrata la pagina 6B"
                        detail += f"; errori: {describe_errors(visible_errors(app))}"
                        result = StepResult(step, "fallito", detail)
                        failed = True
                    except Exception as error:  # noqa: BLE001 - reported as the step's failure
                        log.exception("scenario %s, step %s", scenario.path, step.number)
                        detail = (
                            f"errore durante il passo ({type(error).__name__}: {error}) al passo {player.step_code}; "
                            f"errori: {describe_errors(visible_errors(app))}"
                        )
                        result = StepResult(step, "fallito", detail)
                        failed = True
                    result.seconds = time.monotonic() - started
                    record(result)
                    if failed and verbose and out is not None:
                        _show_screen(app, out)
                if recorder is not None:
                    recorder.finish()
        finally:
            ctx.db.dispose()
    return results


async def _start(scenario: Scenario, driver: Driver) -> None:
    """Take the persona of ``start`` to its step, through the real screens, before the steps play."""
    from areaclienti_tui import start_at

    assert scenario.start is not None
    name, target = scenario.start
    who = start_at.find(start_at.load_personas(), name)
    start_at.record_start(driver.ctx, who.persona, target, actor="scenario")
    try:
        await start_at.drive(driver, who, target)
    except (start_at.StartError, DriverError) as error:
        raise ScenarioError(scenario.path, f"«start»: {error}") from None


def _show_screen(app, out: Callable[[str], None]) -> None:  # noqa: ANN001
    from areaclienti_tui.services import outbox

    out(f"    schermo al passo {app.current_step or '—'}:")
    for line in visible_text(app).splitlines():
        if line.strip():
            out(f"      | {' '.join(line.split())}")
    messages = outbox.latest(app.ctx, limit=3)
    out("    ultimi messaggi inviati:" if messages else "    nessun messaggio inviato")
    for message in messages:
        text = " ".join(message.body.split())
        out(f"      {message.channel} a {message.to}: {text[:100]}")


def run_file(
    path: Path,
    *,
    out: Callable[[str], None] | None = None,
    verbose: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> FileResult:
    """Load and run one scenario file, printing its header and one line per step;
    its result keeps those lines and what the file crossed on the journey map."""
    printed: list[str] = []
    emit = out or stdout_lines()

    def keep(line: str) -> None:
        printed.append(line)
        emit(line)

    result = _run_file(path, keep, verbose=verbose, timeout=timeout)
    result.lines = printed
    return result


def _run_file(path: Path, out: Callable[[str], None], *, verbose: bool, timeout: float) -> FileResult:
    started = time.monotonic()
    try:
        scenario = load(path)
    except ScenarioError as error:
        out(f"Scenario {path}")
        out(f"  ✘ file non valido: {error.message}")
        return FileResult(path, "non valido", failure=error.message, seconds=time.monotonic() - started)
    out(f"Scenario {path}" + (f" — {scenario.name}" if scenario.name else ""))
    if verbose and scenario.description:
        out(f"  {scenario.description}")
    if scenario.start is not None:
        out(f"  ▶ start {scenario.start[0]} → passo {scenario.start[1]}")

    def report(result: StepResult) -> None:
        out(result.line(verbose=verbose))

    recorder = ScreenRecorder()
    try:
        steps = asyncio.run(
            play(scenario, timeout=timeout, report=report, verbose=verbose, out=out, recorder=recorder)
        )
    except ScenarioError as error:
        out(f"  ✘ file non valido: {error.message}")
        return FileResult(path, "non valido", failure=error.message, seconds=time.monotonic() - started)
    except Exception as error:  # noqa: BLE001 - never a traceback
        log.exception("scenario %s", path)
        message = f"{path}: errore imprevisto del runner ({type(error).__name__}: {error})"
        out(f"  ✘ {message}")
        return FileResult(path, "fallito", failure=message, seconds=time.monotonic() - started)
    seconds = time.monotonic() - started
    result = FileResult(path, "superato", steps, seconds=seconds, recording=recorder.recording)
    failed = result.failed_step
    if failed is not None:
        result.status = "fallito"
        result.failure = f"{path}: passo {failed.step.number} {failed.step.describe()} — {failed.detail}"
        out(f"  → fallito al passo {failed.step.number} ({_seconds(round(seconds, 1))} s)")
    else:
        out(f"  → superato: {len(steps)} passi in {_seconds(round(seconds, 1))} s")
    return result


def stdout_lines(stream: Any = None) -> Callable[[str], None]:  # noqa: ANN401
    """Print lines to the standard output as it is now (or to `stream`, e.g. sys.stderr when
    stdout carries JSON): while an app runs, Textual swaps ``sys.stdout`` and ``sys.stderr``
    for its own captures, which must not swallow the report."""
    stream = sys.stdout if stream is None else stream

    def out(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return out


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def summary(results: Sequence[FileResult]) -> str:
    """``3 file: 2 superati, 1 fallito`` (and how many were not valid, if any)."""
    passed = sum(r.status == "superato" for r in results)
    failed = sum(r.status == "fallito" for r in results)
    invalid = sum(r.status == "non valido" for r in results)
    text = f"{len(results)} file: {_count(passed, 'superato', 'superati')}, {_count(failed, 'fallito', 'falliti')}"
    if invalid:
        text += f", {_count(invalid, 'non valido', 'non validi')}"
    return text


def run(
    arguments: Iterable[str | Path],
    *,
    out: Callable[[str], None] | None = None,
    verbose: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[int, list[FileResult]]:
    """Run every file (folders: their ``*.toml``); the exit code and each file's result."""
    out = out or stdout_lines()
    paths = expand(arguments)
    results: list[FileResult] = []
    for index, path in enumerate(paths):
        if index:
            out("")
        results.append(run_file(path, out=out, verbose=verbose, timeout=timeout))
    problems = [r for r in results if not r.passed]
    out("")
    if problems:
        out("Non superati:")
        for result in problems:
            out(f"  {result.failure}")
    out(summary(results))
    if any(r.status == "non valido" for r in results):
        return EXIT_INVALID, results
    return (EXIT_FAILED if problems else EXIT_OK), results


def main(
    arguments: Iterable[str | Path],
    *,
    out: Callable[[str], None] | None = None,
    verbose: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """Run scenario files; 0 when all pass, 1 when one fails, 2 when one is not valid."""
    code, _results = run(arguments, out=out, verbose=verbose, timeout=timeout)
    return code
