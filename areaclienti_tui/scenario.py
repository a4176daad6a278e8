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
from typing import Any

import phonenumbers
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.scenario_coverage import Recording, ScreenRecorder
from areaclienti_tui.settings import Settings

log = logging.getLogger(__name__)

VERBS = (
    "type", "click", "press", "choose", "attach", "otp",
    "expect_step", "expect_text", "expect_outbox", "expect_error", "advance",
)  # fmt: skip
COMPANIONS = {"type": "text", "choose": "option", "attach": "file"}
WIDGET_VERBS = ("type", "click", "choose", "attach", "otp", "expect_error")
OUTBOX_KEYS = ("channel", "to", "contains")
TOP_KEYS = ("name", "description", "customers", "size", "step")
DEFAULT_SIZE = (130, 44)
DEFAULT_TIMEOUT = 20.0
MAX_ADVANCE = 7 * 24 * 3600
WIDGET_ID = re.compile(r"#[A-Za-z_][A-Za-z0-9_-]*")
POLL_SECONDS = 0.05
SETTLE_ROUNDS = 50
CLICK_TRIES = 3
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


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        return f"{verb} {value}"


@dataclass(frozen=True)
class Scenario:
    path: Path
    steps: tuple[Step, ...]
    name: str = ""
    description: str = ""
    customers: Path | None = None
    size: tuple[int, int] = DEFAULT_SIZE

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
    companions = set(COMPANIONS.values())
    unknown = [key for key in table if key not in VERBS and key not in companions]
    if unknown:
        raise fail(f"verbo sconosciuto «{unknown[0]}» (verbi ammessi: {', '.join(VERBS)})")
    if not verbs:
        raise fail(f"manca il verbo (uno fra: {', '.join(VERBS)})")
    if len(verbs) > 1:
        raise fail(f"un passo ha un solo verbo, qui ce ne sono {len(verbs)}: {', '.join(verbs)}")
    verb = verbs[0]
    value = table[verb]
    companion = COMPANIONS.get(verb)
    for key in companions:
        if key in table and key != companion:
            owner = next(v for v, c in COMPANIONS.items() if c == key)
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
    return Step(number=number, verb=verb, value=value, extra=extra)


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
    )


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


# --- what the screen shows ---------------------------------------------------


def _plain(value: object) -> str:
    plain = getattr(value, "plain", None)
    if isinstance(plain, str):
        return plain
    return "" if value is None else str(value)


def _shown(widget, screen) -> bool:  # noqa: ANN001
    """Displayed with all its ancestors, and visible (visibility is inherited unless
    a widget sets its own, as notifications do inside their hidden rack)."""
    if not widget.visible:
        return False
    node = widget
    while node is not None and node is not screen:
        if not node.display:
            return False
        node = node.parent
    return True


def _visible_screens(app) -> list:  # noqa: ANN001
    """The top screen and, when it is a modal, the screens it is drawn over."""
    stack = list(app.screen_stack)
    for index in range(len(stack) - 1, -1, -1):
        if not stack[index].is_modal:
            return stack[index:]
    return stack


def _widget_text(widget) -> list[str]:  # noqa: ANN001
    from textual.widgets import Button, DataTable, Input, OptionList, Static

    if isinstance(widget, Input):
        return [] if widget.password else [widget.value]
    if isinstance(widget, Button):
        return [_plain(widget.label)]
    if isinstance(widget, DataTable):
        texts = [_plain(column.label) for column in widget.columns.values()]
        for row_key in widget.rows:
            texts.extend(_plain(cell) for cell in widget.get_row(row_key))
        return texts
    if isinstance(widget, OptionList):
        return [_plain(option.prompt) for option in widget.options]
    if isinstance(widget, Static):
        return [_plain(widget.render())]
    return []


def visible_text(app) -> str:  # noqa: ANN001
    """Everything the customer can read on the current screen (modals included),
    as plain text: texts, labels, buttons, Markdown, table cells, list options,
    field values (not passwords) and notifications. The outbox pane is left out:
    its messages are checked with ``expect_outbox``."""
    from areaclienti_tui.widgets.outbox_pane import OutboxPane

    parts: list[str] = []
    for screen in _visible_screens(app):
        for widget in screen.walk_children(with_self=False):
            if any(isinstance(node, OutboxPane) for node in widget.ancestors_with_self):
                continue
            if not _shown(widget, screen):
                continue
            parts.extend(text for text in _widget_text(widget) if text)
    return "\n".join(parts)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def visible_errors(app) -> dict[str, str]:  # noqa: ANN001
    """The field errors shown by the topmost journey screen, by field id."""
    for screen in reversed(app.screen_stack):
        errors = getattr(screen, "errors", None)
        if callable(errors):
            try:
                return dict(errors())
            except Exception:  # noqa: BLE001 - a screen being torn down
                return {}
    return {}


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


class StepFailed(Exception):
    """A step did not see what it expected."""

    def __init__(self, expected: str, seen: str) -> None:
        super().__init__(f"atteso {expected}, visto {seen}")
        self.expected = expected
        self.seen = seen


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


def scenario_settings(folder: Path, *, demo: bool) -> Settings:
    """A fresh data folder and SQLite database; cheap bcrypt; default rules otherwise."""
    return _ScenarioSettings(data_dir=folder, db=f"sqlite:///{folder / 'scenario.db'}", bcrypt_rounds=4, demo=demo)


class _Player:
    """Plays one scenario's steps on a running app through Pilot."""

    def __init__(self, scenario: Scenario, pilot, clock: FakeClock, timeout: float) -> None:  # noqa: ANN001
        self.scenario = scenario
        self.pilot = pilot
        self.app = pilot.app
        self.clock = clock
        self.timeout = timeout
        self.unexpected: list[BaseException | None] = []

    # -- waiting ---------------------------------------------------------------

    async def settle(self) -> None:
        """Let every worker finish (and the ones their results start), then the screen catch up.

        A cancelled worker (an outbox reload replaced by a newer one) is not a
        failure; a failed one reaches the app's own handler, which shows 6B.
        """
        from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

        deadline = time.monotonic() + self.timeout
        for _ in range(SETTLE_ROUNDS):
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    await self.app.workers.wait_for_complete()
            except (WorkerCancelled, WorkerFailed, TimeoutError):
                pass
            await self.pilot.pause()
            busy = any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.app.workers)
            if not busy or time.monotonic() >= deadline:
                return

    async def wait_for(self, condition: Callable[[], bool], timeout: float | None = None) -> bool:
        """True as soon as `condition` holds; False when the timeout runs out (at least 3 tries)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        tries = 0
        while True:
            if condition():
                return True
            tries += 1
            if tries > 3 and time.monotonic() >= deadline:
                return False
            await self.settle()
            if condition():
                return True
            await self.pilot.pause(POLL_SECONDS)

    # -- what is on screen -----------------------------------------------------

    @property
    def step_code(self) -> str:
        return self.app.current_step or "nessun passo"

    def at(self) -> str:
        return f"al passo {self.step_code}"

    def _query(self, selector: str):  # noqa: ANN202
        results = self.app.screen.query(selector)
        return results.first() if results else None

    async def find(self, selector: str, *, enabled: bool = True):  # noqa: ANN201
        """The widget, once it is on the current screen, shown and (if asked) enabled."""

        def ready() -> bool:
            widget = self._query(selector)
            return (
                widget is not None
                and _shown(widget, self.app.screen)
                and not (enabled and widget.is_disabled)
            )

        if await self.wait_for(ready):
            return self._query(selector)
        widget = self._query(selector)
        if widget is None:
            raise StepFailed(f"{selector} sullo schermo", f"nessun {selector} {self.at()}")
        if not _shown(widget, self.app.screen):
            raise StepFailed(f"{selector} visibile", f"{selector} nascosto {self.at()}")
        raise StepFailed(f"{selector} attivo", f"{selector} disattivato {self.at()}")

    async def click_widget(self, widget, selector: str) -> None:  # noqa: ANN001
        """Scroll the widget into view, as a person would, then click it."""
        from textual.pilot import OutOfBounds

        for _ in range(CLICK_TRIES):
            screen = self.app.screen
            viewport = screen.query_one("#journey").region if screen.query("#journey") else screen.region
            if not viewport.contains_region(widget.region):
                widget.scroll_visible(animate=False, immediate=True)
                await self.pilot.pause()
            try:
                hit = await self.pilot.click(widget)
            except OutOfBounds:
                hit = False
            await self.settle()
            if hit:
                return
        raise StepFailed(f"un clic su {selector}", f"{selector} coperto da un altro elemento {self.at()}")

    async def focus(self, widget, selector: str) -> None:  # noqa: ANN001
        widget.focus()
        if not await self.wait_for(lambda: self.app.focused is widget):
            raise StepFailed(f"il cursore su {selector}", f"il cursore altrove {self.at()}")

    # -- verbs -----------------------------------------------------------------

    async def play(self, step: Step) -> None:
        if not self.app.is_running:
            raise StepFailed("la console aperta", "la console chiusa da un passo precedente")
        handler = getattr(self, f"do_{step.verb}")
        await handler(step)

    async def do_type(self, step: Step, text: str | None = None) -> None:
        from textual.widgets import Input

        selector = str(step.value)
        text = (step.extra or "") if text is None else text
        widget = await self.find(selector)
        if not isinstance(widget, Input):
            raise StepFailed(f"un campo di testo {selector}", f"un {type(widget).__name__} (per le scelte usa choose)")
        await self.click_widget(widget, selector)
        await self.focus(widget, selector)
        if widget.value:
            await self.pilot.press("home", "ctrl+k")  # the Input's own "delete all to the right"
        if text:
            await self.pilot.press(*text)
        await self.settle()
        # A field that formats as one types (the date: 14031975 → 14/03/1975) says what it shows.
        shown_after_typing = getattr(widget, "shown_after_typing", None)
        expected = shown_after_typing(text) if shown_after_typing else text
        if widget.value != expected:
            raise StepFailed(f"{selector} con {_quote(text)}", f"{_quote(widget.value)} (il campo non accetta quel testo)")

    async def do_click(self, step: Step) -> None:
        selector = str(step.value)
        widget = await self.find(selector)
        await self.click_widget(widget, selector)

    async def do_press(self, step: Step) -> None:
        await self.pilot.press(*step.value)
        await self.settle()

    async def do_choose(self, step: Step) -> None:
        from textual.widgets import OptionList, RadioSet, Select

        selector, wanted = str(step.value), step.extra or ""
        widget = await self.find(selector)
        if isinstance(widget, Select):
            await self._choose_select(widget, selector, wanted)
        elif isinstance(widget, RadioSet):
            await self._choose_radio(widget, selector, wanted)
        elif isinstance(widget, OptionList):
            await self._choose_option(widget, selector, wanted)
        else:
            raise StepFailed(f"una scelta (Select, RadioSet, OptionList) {selector}", f"un {type(widget).__name__}")

    @staticmethod
    def _match(labels: Sequence[str], wanted: str, *, values: Sequence[str] = (), substring: bool = False) -> int:
        """Index of the label (or value) equal to `wanted`, ignoring case; else the only one that
        starts with it (or contains it, with `substring`); -1 when none, -2 when several."""
        key = _normal(wanted)
        for index, label in enumerate(labels):
            if _normal(label) == key or (index < len(values) and _normal(values[index]) == key):
                return index
        near = [i for i, label in enumerate(labels)
                if (key in _normal(label) if substring else _normal(label).startswith(key))]
        if len(near) == 1:
            return near[0]
        return -2 if near else -1

    def _no_match(self, selector: str, wanted: str, labels: Sequence[str], found: int) -> StepFailed:
        listed = ", ".join(_quote(label) for label in labels) or "nessuna"
        what = "più opzioni" if found == -2 else "nessuna opzione"
        return StepFailed(f"l'opzione {_quote(wanted)} in {selector}", f"{what} corrispondenti (opzioni: {listed})")

    async def _move_highlight(self, option_list, index: int) -> bool:  # noqa: ANN001
        for _ in range(option_list.option_count * 2 + 2):
            if option_list.highlighted == index:
                return True
            key = "down" if option_list.highlighted is None or option_list.highlighted < index else "up"
            await self.pilot.press(key)
        return option_list.highlighted == index

    async def _choose_select(self, select, selector: str, wanted: str) -> None:  # noqa: ANN001
        from textual.widgets._select import SelectOverlay

        options = [(prompt, value) for prompt, value in select._options if value is not select.NULL]
        labels = [_plain(prompt) for prompt, _value in options]
        index = self._match(labels, wanted, values=[str(value) for _prompt, value in options])
        if index < 0:
            raise self._no_match(selector, wanted, labels, index)
        value = options[index][1]
        overlay_index = next(i for i, (_p, v) in enumerate(select._options) if v == value)
        await self.focus(select, selector)
        await self.pilot.press("enter")
        if not await self.wait_for(lambda: select.expanded):
            raise StepFailed(f"il menu di {selector} aperto", f"il menu chiuso {self.at()}")
        overlay = select.query_one(SelectOverlay)
        if not await self._move_highlight(overlay, overlay_index):
            raise StepFailed(f"{_quote(labels[index])} evidenziato in {selector}", "un'altra opzione")
        await self.pilot.press("enter")
        await self.settle()
        if select.value != value:
            raise StepFailed(f"{selector} = {_quote(labels[index])}", f"{_quote(_plain(select.value))}")

    async def _choose_radio(self, radio_set, selector: str, wanted: str) -> None:  # noqa: ANN001
        from textual.widgets import RadioButton

        buttons = list(radio_set.query(RadioButton))
        labels = [_plain(button.label) for button in buttons]
        index = self._match(labels, wanted, values=[button.id or "" for button in buttons])
        if index < 0:
            raise self._no_match(selector, wanted, labels, index)
        button = buttons[index]
        if not button.value:
            await self.click_widget(button, f"{selector} {_quote(labels[index])}")
        if not await self.wait_for(lambda: button.value):
            raise StepFailed(f"{_quote(labels[index])} scelto in {selector}", "il pulsante non selezionato")

    async def _choose_option(self, option_list, selector: str, wanted: str) -> None:  # noqa: ANN001
        labels = [_plain(option.prompt) for option in option_list.options]
        index = self._match(labels, wanted, substring=True)
        if index < 0:
            raise self._no_match(selector, wanted, labels, index)
        if option_list.get_option_at_index(index).disabled:
            raise StepFailed(f"l'opzione {_quote(labels[index])} utilizzabile", "un'opzione disattivata")
        await self.focus(option_list, selector)
        if not await self._move_highlight(option_list, index):
            raise StepFailed(f"{_quote(labels[index])} evidenziato in {selector}", "un'altra opzione")
        await self.settle()

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
        if not await self.wait_for(checked):
            raise StepFailed(f"il controllo di {path.name} concluso", "il controllo ancora in corso")

    async def do_otp(self, step: Step) -> None:
        from areaclienti_tui.services import outbox

        codes: list[str | None] = [None]

        def arrived() -> bool:
            codes[0] = outbox.newest_code(self.app.ctx)
            return codes[0] is not None

        if not await self.wait_for(arrived):
            raise StepFailed("un codice nella casella di uscita", "nessun messaggio con un codice")
        await self.do_type(step, codes[0])

    async def do_advance(self, step: Step) -> None:
        self.clock.advance(float(step.value))
        await self.settle()

    async def do_expect_step(self, step: Step) -> None:
        wanted = _normal(str(step.value))
        if not await self.wait_for(lambda: _normal(self.app.current_step or "") == wanted):
            raise StepFailed(str(step.value), self.step_code)

    async def do_expect_text(self, step: Step) -> None:
        wanted = _normal(str(step.value))
        if not await self.wait_for(lambda: wanted in _normal(visible_text(self.app))):
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
        if await self.wait_for(lambda: self._outbox_match(wanted) is not None):
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
        if not await self.wait_for(lambda: target in visible_errors(self.app)):
            raise StepFailed(f"un errore al campo {step.value}", f"nessun errore a quel campo {self.at()}")


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
        settings = scenario_settings(Path(folder), demo=scenario.customers is None)
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
            async with app.run_test(headless=True, size=scenario.size, notifications=True) as pilot:
                player = _Player(scenario, pilot, clock, timeout)
                shown_6b = app.report_unexpected

                def report_unexpected(error: BaseException | None) -> None:
                    player.unexpected.append(error)
                    shown_6b(error)

                app.report_unexpected = report_unexpected  # type: ignore[method-assign]
                await player.wait_for(lambda: app.current_step is not None)
                if recorder is not None:
                    recorder.attach(app)
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
                    except StepFailed as failure:
                        detail = f"atteso {failure.expected}, visto {failure.seen}"
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
