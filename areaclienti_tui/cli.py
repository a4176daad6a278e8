"""Command line: `areaclienti-tui [--db URL] [--data-dir PATH] [COMANDO]`.

Without a command it opens the console (the Textual app, imported lazily so
this module loads without it). Every command opens the database through
`services.setup.open_context`, which migrates it and, when new, loads the
demo. Logging goes to `settings.log_file` only, never to the terminal.
Errors end with an Italian message on stderr and an exit code, no traceback:
0 done, 1 failure (database, unexpected), 2 bad input or unusable file (a
`--db` that is another program's database among them), 130 interrupted.
A database error never shows SQL or bound values: a read-only or busy
(locked) database gets its own message, whatever the command and wherever
the error happens; the log file holds the SQL at most, never the values
(the engines hide them).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Settings (pydantic), the rules (phonenumbers…) and the store (SQLAlchemy) are imported by
# the commands that use them: the console (no command) draws 1A before any of them loads.
if TYPE_CHECKING:
    from areaclienti_tui.app import AreaClientiApp
    from areaclienti_tui.services.context import Context
    from areaclienti_tui.settings import Settings

log = logging.getLogger("areaclienti_tui.cli")

PROG = "areaclienti-tui"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130
FOLLOW_INTERVAL = 1.0


class CliError(Exception):
    """Ends the command with an Italian message on stderr and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# --- argparse in Italian -----------------------------------------------------

_ARGPARSE_ERRORS = (
    (re.compile(r"the following arguments are required: (.*)"), r"mancano argomenti obbligatori: \1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"argomenti non riconosciuti: \1"),
    (
        re.compile(r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)"),
        r"argomento \1: scelta non valida: \2 (valori ammessi: \3)",
    ),
    (re.compile(r"argument (.*?): expected one argument"), r"argomento \1: serve un valore"),
    (re.compile(r"argument (.*?): invalid \S+ value: (.*)"), r"argomento \1: valore non valido: \2"),
    (re.compile(r"argument (.*?): not allowed with argument (.*)"), r"argomento \1: non si può usare insieme a \2"),
    (re.compile(r"argument (.*?): (.*)"), r"argomento \1: \2"),
)


def _italian_error(message: str) -> str:
    for pattern, replacement in _ARGPARSE_ERRORS:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return message


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001, ANN201
        return super().add_usage(usage, actions, groups, prefix if prefix is not None else "uso: ")


class _Parser(argparse.ArgumentParser):
    """ArgumentParser with Italian titles, help option and error messages."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "argomenti"
        self._optionals.title = "opzioni"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="mostra questo aiuto ed esce")

    def error(self, message: str):  # noqa: ANN201
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: errore: {_italian_error(message)}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} non è un numero intero") from None
    if value < 1:
        raise argparse.ArgumentTypeError("deve essere un numero intero maggiore di zero")
    return value


def _birth_date(text: str):  # noqa: ANN202 - a datetime.date
    from areaclienti_tui.rules.errors import RuleError
    from areaclienti_tui.rules.personal import read_date

    try:
        return read_date(text)
    except RuleError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _person_text(text: str) -> str:
    """A value typed by a person: bounded, without control characters."""
    from areaclienti_tui.rules.text import find_control_char

    if len(text) > 254:
        raise argparse.ArgumentTypeError("troppo lungo (al massimo 254 caratteri)")
    if find_control_char(text) is not None:
        raise argparse.ArgumentTypeError("contiene un carattere di controllo non ammesso")
    return text


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("la porta deve essere tra 1 e 65535")
    return value


MAX_SEATS = 60  # areaclienti_tui.aula.seats.MAX_SEATS (not imported: the CLI starts without the server)


def _seats(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_SEATS:
        raise argparse.ArgumentTypeError(f"un'aula ha da 1 a {MAX_SEATS} posti")
    return value


def _minutes(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» non è un numero di minuti") from None
    if not 0 < value <= 24 * 60:
        raise argparse.ArgumentTypeError("i minuti vanno da più di 0 a 1440")
    return value


def build_parser() -> argparse.ArgumentParser:
    # The global options live in a parent parser shared by the main parser and
    # every subcommand, so they are accepted before or after the command. Their
    # default is SUPPRESS: a subcommand that did not see them leaves the value
    # given before the command untouched.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="URL del database (es. sqlite:///percorso.db o postgresql+psycopg://utente@host/db); "
        "in alternativa la variabile AREACLIENTI_DB. Predefinito: SQLite nella cartella dati",
    )
    common.add_argument(
        "--data-dir",
        metavar="PERCORSO",
        default=argparse.SUPPRESS,
        help="cartella dei dati (database SQLite, documenti, log); in alternativa AREACLIENTI_DATA_DIR",
    )

    parser = _Parser(
        prog=PROG,
        parents=[common],
        description="Console offline del percorso di registrazione e accesso all'Area Clienti Generali "
        "per gli assicurati INARCASSA.\nSenza comando apre la console.",
        epilog="Esempi:\n"
        f"  {PROG}                          apre la console\n"
        f"  {PROG} --kiosk                  solo il percorso cliente, a schermo intero\n"
        f"  {PROG} import clienti.csv       importa un'anagrafica clienti\n"
        f"  {PROG} outbox --follow          mostra SMS ed email man mano che partono\n"
        f"  {PROG} outbox --nuovi --a 3471234567   solo i nuovi messaggi a quel cellulare\n"
        f"  {PROG} operator add mrossi --name \"Mario Rossi\"",
    )
    parser.add_argument(
        "--kiosk",
        action="store_true",
        help="modalità chiosco: solo il percorso del cliente; per uscire serve l'accesso di un operatore",
    )
    parser.add_argument(
        "--persona",
        metavar='"NOME COGNOME"',
        help="apre la console con questa persona demo già portata al passo di --passo "
        "(dati digitati dalla console, codici inviati davvero; vedi data/personas.md)",
    )
    parser.add_argument(
        "--passo",
        metavar="PASSO",
        help="il passo a cui portare la persona di --persona (es. 3B, 7A, 9A, 11A)",
    )
    parser.add_argument("--version", action=_VersionAction, help="mostra la versione ed esce")
    commands = parser.add_subparsers(dest="command", title="comandi", metavar="COMANDO")

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="importa clienti da un file CSV",
        description="Importa i clienti da un file CSV in UTF-8 con intestazione "
        "codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa. "
        "Le righe errate sono segnalate con il loro numero e saltate; il resto viene importato. "
        "Su un terminale una barra mostra l'avanzamento, le righe al secondo e il tempo che manca; "
        "altrimenti (uscita rediretta o in una pipe) righe di avanzamento semplici, sull'errore standard.",
    )
    imp.add_argument("file", metavar="FILE.csv", help="il file CSV da importare")
    imp.add_argument(
        "--processi",
        type=int,
        metavar="N",
        help="processi che controllano le righe di un file grande (predefinito: uno per CPU; "
        "0: tutto in questo processo)",
    )

    out = commands.add_parser(
        "outbox",
        parents=[common],
        help="mostra gli SMS e le email inviati, dal più recente",
        description="Mostra la casella di uscita simulata: ogni SMS ed email inviati, dal più recente.",
    )
    out.add_argument("--json", action="store_true", help="stampa un elenco JSON (canale, destinatario, oggetto, testo, codice, ora)")
    out.add_argument("--limit", type=_positive_int, metavar="N", help="mostra al massimo N messaggi")
    out.add_argument(
        "--follow",
        action="store_true",
        help="resta in attesa e mostra i nuovi messaggi appena partono (con --json una riga JSON per messaggio); Ctrl+C per uscire",
    )
    out.add_argument(
        "--nuovi",
        action="store_true",
        help="solo i messaggi che partono da adesso in poi (implica --follow)",
    )
    out.add_argument(
        "--a",
        dest="recapito",
        metavar="RECAPITO",
        help="solo i messaggi a questo recapito: email, o cellulare scritto in qualunque modo (347 123 4567, +39…)",
    )

    op = commands.add_parser(
        "operator",
        parents=[common],
        help="gestisce gli operatori",
        description="Gestione degli operatori dell'area operatore.",
    )
    op_commands = op.add_subparsers(dest="operator_command", title="comandi", metavar="COMANDO")
    op_commands.required = True
    add = op_commands.add_parser(
        "add",
        parents=[common],
        help="crea un operatore",
        description="Crea un operatore. La password viene chiesta due volte (o letta da una riga "
        "dello standard input con --password-stdin) e segue le regole della password dei clienti.",
    )
    add.add_argument("username", metavar="NOME_UTENTE", help="3-60 caratteri: lettere minuscole, cifre, punto, trattino, trattino basso")
    add.add_argument("--name", metavar='"Nome Cognome"', default="", help="nome e cognome dell'operatore (predefinito: il nome utente)")
    add.add_argument("--password-stdin", action="store_true", help="legge la password da una riga dello standard input (per l'automazione)")

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="apre la console nel browser; con --aula N, un'aula di N posti e la bacheca del formatore",
        description="Pubblica la console come pagina web: ogni scheda del browser apre una console. "
        "Con --aula N ogni allievo ha un posto (/posto/1 … /posto/N) con i propri dati demo, "
        "e il formatore segue i posti da /formatore con le credenziali di un operatore.",
    )
    serve.add_argument("--host", default="localhost",
                       help="indirizzo su cui ascoltare (predefinito: localhost; 0.0.0.0 per gli altri computer)")
    serve.add_argument("--port", type=_port, default=8000, help="porta (predefinita: 8000)")
    serve.add_argument("--kiosk", action="store_true", help="la console pubblicata è in modalità chiosco")
    serve.add_argument("--aula", type=_seats, metavar="N", default=None,
                       help=f"aula di N posti (1-{MAX_SEATS}), ognuno con la propria cartella e i propri dati demo")
    serve.add_argument("--indirizzo-pubblico", metavar="URL", default=None,
                       help="l'indirizzo con cui i browser raggiungono il server, se diverso da quello che "
                       "usano (dietro un proxy), ad es. https://aula.esempio.it")
    serve.add_argument("--inattivo-dopo", type=_minutes, metavar="MINUTI", default=10.0,
                       help="spegne la console di un posto senza scheda aperta dopo tanti minuti (predefinito: 10)")

    # -- diagnosi (why a customer is not recognised) --
    diag = commands.add_parser(
        "diagnosi",
        parents=[common],
        help="spiega perché un cliente non viene riconosciuto",
        description="Dati i dati scritti dal cliente, mostra l'esito che il percorso darebbe "
        "(riconosciuto, già registrato, senza polizza, non riconosciuto) e fino a 5 clienti "
        "dell'anagrafe più vicini, con le differenze campo per campo e un suggerimento. "
        "Esce con 0 qualunque sia l'esito, 2 se gli argomenti non sono validi.",
    )
    diag.add_argument("--nome", required=True, type=_person_text, help="il nome come l'ha scritto il cliente")
    diag.add_argument("--cognome", required=True, type=_person_text, help="il cognome come l'ha scritto il cliente")
    diag.add_argument("--data-nascita", required=True, type=_birth_date, metavar="GG/MM/AAAA", help="la data di nascita")
    diag.add_argument("--sesso", required=True, choices=["M", "F"], type=str.upper, help="M o F")
    diag.add_argument("--recapito", required=True, type=_person_text, help="email o cellulare scritti dal cliente")
    diag.add_argument("--codice-fiscale", default="", type=_person_text, metavar="CF", help="il codice fiscale, se il cliente l'ha dato")
    diag.add_argument("--json", action="store_true", help="stampa un oggetto JSON (esito, candidati, differenze)")
    # -- end diagnosi --

    commands.add_parser("version", parents=[common], help="mostra la versione", description="Mostra la versione installata.")

    # -- scenario (scenario runner) --
    scen = commands.add_parser(
        "scenario",
        parents=[common],
        help="esegue file di scenario (TOML) senza interfaccia",
        description="Esegue i file di scenario (SPEC §5), ognuno su un database nuovo e temporaneo, "
        "e stampa una riga per passo e un riepilogo. Esce con 0 solo se tutti i file sono superati "
        "(1 se uno fallisce, 2 se un file non si legge o non è valido). Una cartella vale i suoi *.toml.",
    )
    scen.add_argument("files", nargs="+", metavar="FILE", help="file di scenario .toml o cartelle che li contengono")
    scen.add_argument("--verbose", "-v", action="store_true", help="mostra descrizioni, tempi e, in caso di errore, lo schermo")
    scen.add_argument(
        "--timeout", type=_positive_seconds, default=20.0, metavar="SECONDI",
        help="quanto attendere al massimo ciò che un passo si aspetta (predefinito: 20)",
    )
    scen.add_argument(
        "--copertura", action="store_true",
        help="dopo il riepilogo, quante transizioni della mappa del percorso (areaclienti-tui mappa) i file "
        "hanno attraversato e quali mai",
    )
    scen.add_argument(
        "--json", action="store_true",
        help="la copertura come oggetto JSON sullo standard output (implica --copertura; le righe dei passi "
        "vanno sullo standard error)",
    )
    scen.add_argument(
        "--junit", metavar="FILE",
        help="scrive anche un rapporto JUnit XML (un testcase per file di scenario) per i server di CI",
    )
    # -- end scenario --

    # -- screenshots (gallery) --
    shots = commands.add_parser(
        "screenshots",
        parents=[common],
        help="disegna ogni passo della guida in SVG, con un indice README.md",
        description="Guida la console senza interfaccia attraverso ogni passo della guida (1A–11A, 1B–7B), "
        "gli esiti e l'area operatore, su un database demo temporaneo e a una data fissa, e scrive "
        "CARTELLA/<nn>-<passo>-<nome>.svg più CARTELLA/README.md (passo, schermata, testo della guida, "
        "immagine). Toglie dalla cartella gli SVG che non ha scritto. Lo stesso codice dà sempre gli stessi "
        "file: la galleria del progetto è in screens/ (areaclienti-tui screenshots screens).",
    )
    shots.add_argument("folder", metavar="CARTELLA", help="dove scrivere la galleria (creata se manca)")
    shots.add_argument(
        "--jobs", "-j", type=_positive_int, metavar="N",
        help="processi in parallelo (predefinito: uno per CPU, al massimo 4)",
    )
    # -- end screenshots --

    # -- reset-demo (trainer tools) --
    reset = commands.add_parser(
        "reset-demo",
        parents=[common],
        help="cancella tutti i dati e ricarica i dati demo",
        description="Cancella tutti i dati del database (clienti, account, messaggi, richieste di assistenza, "
        "registro audit, operatori) e ricarica le personas demo, l'account di Anna Conti e l'operatore demo. "
        "Chiede conferma, salvo con --yes.",
    )
    reset.add_argument("--yes", "-y", action="store_true", help="non chiede conferma (per l'automazione)")
    # -- end reset-demo --

    # -- mappa (journey map) --
    mappa = commands.add_parser(
        "mappa",
        parents=[common],
        help="stampa la mappa del percorso: ogni passo e dove porta ogni esito",
        description="Stampa la mappa del percorso: ogni passo della console (1A–11A, 1B–7B, gli esiti della "
        "registrazione, il recupero della password, l'area operatore) e dove porta ogni esito. Con "
        "--formato testo (predefinito) si legge nel terminale; mermaid dà un diagramma che GitHub e molti "
        "editor Markdown disegnano; dot va a Graphviz (per esempio: "
        f"{PROG} mappa --formato dot | dot -Tsvg > mappa.svg). Non usa il database.",
    )
    mappa.add_argument(
        "--formato", default="testo", choices=MAP_FORMATS,
        help="testo (predefinito), mermaid o dot",
    )
    # -- end mappa --
    return parser


# --- helpers -----------------------------------------------------------------


def version() -> str:
    from importlib import metadata  # read only when asked: the console starts without it

    try:
        return metadata.version("areaclienti-tui")
    except metadata.PackageNotFoundError:
        return "sconosciuta"


class _VersionAction(argparse.Action):
    """--version: argparse's own, with the version read only when the option is given."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, help: str | None = None) -> None:  # noqa: A002
        super().__init__(option_strings=option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        parser._print_message(f"{PROG} {version()}\n", sys.stdout)
        parser.exit()


def _settings_from(args: argparse.Namespace) -> Settings:
    from pydantic import ValidationError

    from areaclienti_tui.settings import Settings

    overrides: dict[str, object] = {}
    if getattr(args, "db", None):
        overrides["db"] = args.db
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir).expanduser().absolute()
    if getattr(args, "kiosk", False):
        overrides["kiosk"] = True
    try:
        return Settings(**overrides)
    except ValidationError as error:
        faults = "; ".join(
            f"{'AREACLIENTI_' + '_'.join(str(p) for p in e['loc']).upper() if e['loc'] else '?'}: {e['msg']}"
            for e in error.errors()
        )
        raise CliError(f"impostazioni non valide: {faults}", EXIT_INVALID) from None


class _Logging:
    """Route every log record to the rotating log file, and only there, while the command runs."""

    def __init__(self, settings: Settings, *, warnings: list[str] | None = None) -> None:
        self.settings = settings
        self.handler: logging.Handler | None = None
        self._level = logging.WARNING
        self.warnings = warnings  # kept for later (the console's own screen is up) instead of printed

    def __enter__(self) -> _Logging:
        root = logging.getLogger()
        self._level = root.level
        from logging.handlers import RotatingFileHandler

        try:
            self.settings.log_file.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = RotatingFileHandler(
                self.settings.log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
            )
        except OSError as error:
            warning = f"{PROG}: attenzione: impossibile scrivere il log in {self.settings.log_file} ({error.strerror})"
            if self.warnings is not None:
                self.warnings.append(warning)
            else:
                print(warning, file=sys.stderr)
            handler = logging.NullHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)
        self.handler = handler
        return self

    def __exit__(self, *exc_info) -> None:  # noqa: ANN002
        root = logging.getLogger()
        logging.captureWarnings(False)
        if self.handler is not None:
            root.removeHandler(self.handler)
            self.handler.close()
        root.setLevel(self._level)


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for the message
        return "(URL non valido)"


def _database_error(error: BaseException, settings: Settings) -> CliError | None:
    """The Italian message for a database error (read-only, busy, foreign…), None if not one.

    Never the SQL nor its values: only our own words, or the driver's first line.
    """
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from areaclienti_tui.store.db import NOT_A_DATABASE, PROBLEM_MESSAGES, ForeignDatabaseError, database_problem

    url = _safe_url(settings)
    if isinstance(error, ForeignDatabaseError):
        log.warning("refused database %s: %s", url, error.message)
        return CliError(f"{error.message} (database {url})", EXIT_INVALID)
    problem = database_problem(error)
    if problem is not None:
        log.warning("database %s unusable (%s): %s", url, problem, type(error).__name__)
        code = EXIT_INVALID if problem == NOT_A_DATABASE else EXIT_FAILURE
        return CliError(f"{PROBLEM_MESSAGES[problem]} (database {url})", code)
    if isinstance(error, (SQLAlchemyError, sqlite3.Error)) or type(error).__module__.startswith("psycopg"):
        log.exception("database error on %s", url)
        original = getattr(error, "orig", None) or error
        lines = str(original).strip().splitlines()
        detail = lines[0] if lines else type(original).__name__
        return CliError(f"errore del database {url}: {detail} (dettagli in {settings.log_file})")
    return None


def _is_migration_error(error: BaseException) -> bool:
    """An Alembic error (a migration that cannot run). Alembic is imported only to migrate,
    so when it is not loaded the error cannot be one of its."""
    alembic_errors = sys.modules.get("alembic.util.exc")
    return alembic_errors is not None and isinstance(error, alembic_errors.CommandError)


def _open(settings: Settings, *, write: bool = False) -> Context:
    """open_context, with an Italian message when the database can't be used.

    `write`: the command is going to write, so a database that is read-only or
    held locked by someone else is told now, before any work.
    """
    from areaclienti_tui.services.setup import open_context

    try:
        ctx = open_context(settings)
    except Exception as error:
        if (known := _database_error(error, settings)) is not None:
            raise known from None
        if not (isinstance(error, OSError) or _is_migration_error(error)):
            raise
        log.exception("cannot open database %s", _safe_url(settings))
        reason = str(error).strip().splitlines()
        detail = reason[0] if reason else type(error).__name__
        raise CliError(f"impossibile aprire il database {_safe_url(settings)}: {detail}") from None
    if write:
        try:
            ctx.db.check_writable()
        except Exception as error:
            ctx.db.dispose()
            if (known := _database_error(error, settings)) is not None:
                raise known from None
            raise
    return ctx


# --- commands ----------------------------------------------------------------


def _start_of(args: argparse.Namespace) -> tuple[str, str] | None:
    """--persona and --passo, checked before the console takes the terminal."""
    persona, passo = getattr(args, "persona", None), getattr(args, "passo", None)
    if persona is None and passo is None:
        return None
    if persona is None or passo is None:
        raise CliError("--persona e --passo vanno usati insieme (es. --persona \"Alessandro Greco\" --passo 3B)",
                       EXIT_INVALID)
    from areaclienti_tui import start_at

    try:
        who = start_at.find(start_at.load_personas(), persona)
        return who.persona, start_at.resolve_step(passo)
    except start_at.StartError as error:
        raise CliError(error.message, EXIT_INVALID) from None


_TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})  # what pydantic reads as True


def _early_look(args: argparse.Namespace) -> tuple[bool, Path]:
    """Kiosk or not, and the data folder (where the chosen theme is remembered): how 1A is
    drawn before the settings are read. Read as `Settings` reads them (flags, then the
    AREACLIENTI_* variables, names in any case; a test keeps the two in agreement), without
    pydantic; the settings loaded behind 1A have the last word."""
    environment = {name.lower(): value for name, value in os.environ.items()}
    kiosk = bool(getattr(args, "kiosk", False)) or (
        environment.get("areaclienti_kiosk", "").lower() in _TRUE_WORDS)
    if getattr(args, "data_dir", None):
        return kiosk, Path(args.data_dir).expanduser().absolute()
    if "areaclienti_data_dir" in environment:
        return kiosk, Path(environment["areaclienti_data_dir"])
    from areaclienti_tui.paths import default_user_dir

    return kiosk, default_user_dir()


class _ConsoleLoad:
    """What the console loads behind 1A (`app.loading_app`), in its worker: the settings,
    the log file, the database (migrated, seeded when new; a database problem raised as
    the CliError the commands give)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings: Settings | None = None
        self.logging: _Logging | None = None

    def __call__(self) -> Context:
        self.settings = _settings_from(self.args)
        self.logging = _Logging(self.settings, warnings=[])
        self.logging.__enter__()
        return _open(self.settings, write=True)

    def tell_warnings(self, err: Console) -> None:
        """What could not be said while the console had the screen (the log file's folder)."""
        for warning in (self.logging.warnings or ()) if self.logging is not None else ():
            err.print(warning, markup=False)

    def close(self) -> None:
        if self.logging is not None:
            self.logging.__exit__(None, None, None)
            self.logging = None


def console_app(args: argparse.Namespace) -> tuple[AreaClientiApp, _ConsoleLoad]:
    """The console as `areaclienti-tui` (no command) starts it: 1A at once, the settings,
    the database and the rest loading behind it. --persona/--passo are checked first (a
    CliError), as is the console's presence in this installation."""
    start = _start_of(args)
    try:
        from areaclienti_tui.app import loading_app
    except ImportError as error:
        raise CliError(f"la console non è disponibile in questa installazione ({error})") from None
    load = _ConsoleLoad(args)
    kiosk, data_dir = _early_look(args)
    app = loading_app(load, kiosk=kiosk, data_dir=data_dir)
    app.start_when_ready = start
    return app, load


def console_outcome(app: AreaClientiApp, load: _ConsoleLoad, err: Console) -> int:
    """After the console: its exit code, or, when it could not load, the Italian message
    and exit code a command gives for the same problem (never a traceback)."""
    load.tell_warnings(err)
    try:
        error = app.load_error
        if error is None:
            return int(getattr(app, "return_code", None) or 0)
        if isinstance(error, ImportError):
            if load.logging is not None:
                log.error("console not available", exc_info=error)
            error = CliError(f"la console non è disponibile in questa installazione ({error})")
        return _failed(error, None, load.settings, err)
    finally:
        load.close()


def _run_console(args: argparse.Namespace, err: Console) -> int:
    """No command: the console. A database problem (another program's, read-only, busy),
    or invalid settings, found behind 1A, closes it and is told here in plain text."""
    try:
        app, load = console_app(args)
    except CliError as error:
        return _failed(error, None, None, err)
    try:
        app.run()
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - never a traceback on the terminal
        app.load_error = app.load_error or error
    return console_outcome(app, load, err)


def count_rows(path: Path) -> int:
    """Data lines of a CSV (lines after the header), counted by reading bytes in blocks."""
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)


def _thousands(value: float) -> str:
    """A count or a rate as Italian writes it: 18.547, 1.000.000."""
    return f"{value:,.0f}".replace(",", ".")


NARROW_BAR = 140  # columns below which the import's bar leaves out the file's name and the time spent


def _import_progress(err: Console, bar: bool, name: str):
    """The import's progress bar on `err` (a Progress that shows nothing when `bar` is false).

    On a terminal narrower than NARROW_BAR columns (80×24) the bar is shorter and
    the file's name (said on the line above) and the time spent are left out, so
    that the count, the rows per second and the time left fit whole on one line.
    rich.progress is imported here, by the one command that draws it: not at every start.
    """
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class CountColumn(ProgressColumn):
        def render(self, task) -> Text:
            total = f"/{_thousands(task.total)}" if task.total is not None else ""
            return Text(f"{_thousands(task.completed)}{total} righe", style="progress.download")

    class RateColumn(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            if not speed:
                return Text("– righe/s", style="progress.data.speed")
            return Text(f"{_thousands(speed)} righe/s", style="progress.data.speed")

    narrow = err.width < NARROW_BAR
    if bar and narrow:
        err.print(f"Importazione di {name}", markup=False, highlight=False)
    return Progress(
        *([] if narrow else [TextColumn("{task.description}", style="progress.description", markup=False)]),
        BarColumn(bar_width=12 if narrow else 40),
        TaskProgressColumn(),
        CountColumn(),
        RateColumn(),
        *([] if narrow else [TimeElapsedColumn()]),
        TextColumn("mancano"),
        TimeRemainingColumn(),
        console=err,
        disable=not bar,
    )


def _cmd_import(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from areaclienti_tui.services import importer

    path = Path(args.file).expanduser()
    if args.processi is not None and args.processi < 0:
        raise CliError("--processi vuole un numero intero da 0 in su", EXIT_INVALID)
    if not path.exists():
        raise CliError(f"il file {path} non esiste", EXIT_INVALID)
    if not path.is_file():
        raise CliError(f"{path} non è un file", EXIT_INVALID)
    try:
        total = count_rows(path)
    except OSError as error:
        raise CliError(f"impossibile leggere il file {path}: {error.strerror or error}", EXIT_INVALID) from None

    def duration(seconds: float) -> str:
        seconds = round(seconds)
        if seconds < 60:
            return f"{seconds} s"
        if seconds < 3600:
            return f"{seconds // 60} min {seconds % 60:02d} s"
        return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"

    # A bar on a terminal; piped or redirected, a plain line now and then (every tenth
    # of the file, or every `plain_every` seconds), on standard error like the bar.
    bar = out.is_terminal and err.is_terminal
    plain_every = 5.0
    started = time.monotonic()
    last_line = {"at": started, "rows": 0}

    def plain_line(report: importer.ImportReport) -> None:
        now = time.monotonic()
        if total and report.rows >= total:
            return  # the closing line says it
        if now - last_line["at"] < plain_every and (not total or report.rows - last_line["rows"] < total / 10):
            return
        last_line.update(at=now, rows=report.rows)
        rate = report.rows / max(now - started, 1e-9)
        line = f"{path.name}: {_thousands(report.rows)}"
        if total:
            line += f" di {_thousands(total)} righe ({report.rows * 100 // total}%)"
            line += f", {_thousands(rate)} righe/s, fine stimata tra {duration((total - report.rows) / rate)}"
        else:
            line += f" righe, {_thousands(rate)} righe/s"
        err.print(line, markup=False, highlight=False, soft_wrap=True)

    ctx = _open(settings, write=True)
    try:
        progress = _import_progress(err, bar, path.name)
        task_id = progress.add_task(f"Importazione di {path.name}", total=total or None)

        def on_error(line: int, reason: str) -> None:
            progress.console.print(f"riga {line}: {reason}", markup=False, highlight=False, soft_wrap=True)

        def on_progress(report: importer.ImportReport) -> None:
            if bar:
                progress.update(task_id, completed=report.rows)
            else:
                plain_line(report)

        started = time.monotonic()
        last_line["at"] = started
        with progress:
            try:
                report = importer.import_file(
                    ctx, path, actor="cli", progress=on_progress, on_error=on_error, workers=args.processi
                )
            except importer.ImportFileError as error:
                raise CliError(f"impossibile importare {path}: {error}", EXIT_INVALID) from None
            except OSError as error:
                raise CliError(f"impossibile leggere il file {path}: {error.strerror or error}", EXIT_INVALID) from None
            progress.update(task_id, total=report.rows, completed=report.rows)
        if not bar:
            elapsed = time.monotonic() - started
            err.print(
                f"{path.name}: {_thousands(report.rows)} righe in {duration(elapsed)}, "
                f"{_thousands(report.rows / max(elapsed, 1e-9))} righe/s",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        log.info("import %s: %s", path, report.summary())
        out.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
        return EXIT_OK
    finally:
        ctx.db.dispose()


def _local_time(moment) -> str:  # noqa: ANN001
    """Italian time, as the console shows it, whatever the computer's time zone."""
    from areaclienti_tui.clock import rome  # the console's time zone: the same clock on both

    return moment.astimezone(rome()).strftime("%d/%m/%Y %H:%M:%S")


def _channel_label(channel: str) -> str:
    return {"sms": "SMS", "email": "Email"}.get(channel, channel)


def _outbox_table(messages) -> Table:  # noqa: ANN001
    from areaclienti_tui.rules.username import display_contact

    table = Table(title="Casella di uscita (dal più recente)", expand=False, show_lines=True)
    table.add_column("Canale", no_wrap=True)
    table.add_column("Destinatario", no_wrap=True)
    table.add_column("Ora", no_wrap=True)
    table.add_column("Oggetto / testo", ratio=1)
    table.add_column("Codice", no_wrap=True, style="bold")
    for message in messages:
        text = Text()
        if message.subject:
            text.append(message.subject, style="bold")
            text.append("\n")
        text.append(message.body)
        table.add_row(
            Text(_channel_label(message.channel)),
            Text(display_contact(message.to)),  # a mobile as +39 328 987 6543, as the console shows it
            Text(_local_time(message.sent_at)),
            text,
            Text(message.code or ""),
        )
    return table


def _message_line(message) -> Text:  # noqa: ANN001
    from areaclienti_tui.rules.username import display_contact

    line = Text()
    line.append(f"[{_local_time(message.sent_at)}] ", style="dim")
    line.append(f"{_channel_label(message.channel)} a {display_contact(message.to)}", style="bold")
    if message.subject:
        line.append(f" — {message.subject}")
    line.append(f": {message.body}")
    if message.code:
        line.append(f"  codice {message.code}", style="bold green")
    return line


def _follow(ctx: Context, args: argparse.Namespace, out: Console) -> int:
    from areaclienti_tui.services import outbox

    def emit(message) -> None:  # noqa: ANN001
        if args.json:
            sys.stdout.write(json.dumps(message.as_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            out.print(_message_line(message), soft_wrap=True)

    recipients = [args.recapito] if args.recapito else None
    if args.nuovi:
        recent, last_id = [], outbox.newest_id(ctx)
    else:
        recent = outbox.latest(ctx, limit=args.limit or 10, recipients=recipients)
        last_id = recent[0].id if recent else 0
    for message in reversed(recent):
        emit(message)
    if not args.json:
        out.print(Text("In attesa di nuovi messaggi (Ctrl+C per uscire)…", style="dim"))
    try:
        while True:
            time.sleep(FOLLOW_INTERVAL)
            fresh = outbox.latest(ctx, limit=None, after_id=last_id, recipients=recipients)
            for message in reversed(fresh):
                emit(message)
            if fresh:
                last_id = fresh[0].id
    except KeyboardInterrupt:
        return EXIT_OK


def _cmd_outbox(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from areaclienti_tui.services import outbox

    ctx = _open(settings)
    try:
        if args.follow or args.nuovi:
            return _follow(ctx, args, out)
        messages = outbox.latest(ctx, limit=args.limit, recipients=[args.recapito] if args.recapito else None)
        if args.json:
            sys.stdout.write(outbox.to_json(messages) + "\n")
            sys.stdout.flush()
        elif not messages:
            out.print("Nessun messaggio nella casella di uscita.")
        else:
            out.print(_outbox_table(messages))
        return EXIT_OK
    finally:
        ctx.db.dispose()


def _cmd_diagnosi(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from areaclienti_tui.services.diagnosis import Typed, diagnose

    typed = Typed(args.nome, args.cognome, args.data_nascita, args.sesso, args.recapito, args.codice_fiscale)
    ctx = _open(settings)
    try:
        result = diagnose(ctx, typed, operator=f"riga di comando ({getpass.getuser()})")
    finally:
        ctx.db.dispose()
    if args.json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return EXIT_OK
    out.print(result.summary, markup=False, highlight=False, soft_wrap=True)
    if not result.candidati:
        out.print("Nessun cliente dell'anagrafe è vicino a questi dati.", markup=False, highlight=False)
        return EXIT_OK
    for rank, candidate in enumerate(result.candidati, start=1):
        title = Text(f"{rank}. {candidate.nome} {candidate.cognome} · {candidate.codice_fiscale} · "
                     f"somiglianza {round(candidate.punteggio * 100)}%")
        table = Table(title=title, title_justify="left", show_lines=False)
        for header in ("Campo", "Scritto", "In anagrafe", "Suggerimento"):
            table.add_column(header, overflow="fold")
        for difference in candidate.differenze:
            table.add_row(Text(difference.campo), Text(difference.digitato), Text(difference.anagrafe),
                          Text(difference.suggerimento))
        if not candidate.differenze:
            table.add_row(Text("—"), Text(""), Text(""), Text("tutti i dati coincidono"))
        out.print(table)
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> tuple[str, str]:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("nessuna password ricevuta sullo standard input", EXIT_INVALID)
        password = line.rstrip("\r\n")
        return password, password
    try:
        password = getpass.getpass("Password: ")
        confirm = getpass.getpass("Ripeti la password: ")
    except EOFError:
        raise CliError("password non inserita", EXIT_INVALID) from None
    return password, confirm


def _cmd_operator_add(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from areaclienti_tui.rules.errors import RuleError
    from areaclienti_tui.services import operators

    try:
        username = operators.validate_operator_username(args.username)
        password, confirm = _read_password(args)
        operators.check_password(password, confirm, username=username, display_name=args.name)
    except RuleError as error:
        raise CliError(error.message, EXIT_INVALID) from None
    ctx = _open(settings, write=True)
    try:
        operator = operators.add_operator(ctx, username, args.name, password, actor="cli")
    except RuleError as error:
        raise CliError(error.message, EXIT_INVALID) from None
    finally:
        ctx.db.dispose()
    out.print(f"Operatore {operator.username} ({operator.display_name}) creato.", markup=False, highlight=False)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from areaclienti_tui.aula import seats, web

    try:
        public = web.public_base(args.indirizzo_pubblico)
    except web.AddressError as error:
        raise CliError(str(error), EXIT_INVALID) from None
    ctx = _open(settings, write=True)
    room = seats.Room(settings, args.aula, idle_seconds=args.inattivo_dopo * 60, kiosk=args.kiosk)
    if room.classroom:
        out.print(f"Preparo i {args.aula} posti dell'aula in {room.folder}…", markup=False, highlight=False)
        room.prepare()
    server = web.ClassroomServer(room, ctx, public_url=public, title="Area Clienti")
    port = args.port
    shown = public or f"http://{_reachable_host(args.host)}:{port}"

    def ready() -> None:
        lines = ([f"Aula di {args.aula} posti.", f"  allievi:   {shown}/  (o {shown}/posto/N)",
                  f"  formatore: {shown}/formatore  (credenziali di un operatore)"]
                 if room.classroom else [f"Console nel browser: {shown}/"])
        if args.host in ("0.0.0.0", "::") and public is None:  # noqa: S104
            lines.append("In ascolto su tutti gli indirizzi di questo computer: dagli altri computer "
                         "si usa il suo nome o il suo indirizzo IP.")
        lines.append("Ctrl+C per chiudere.")
        for line in lines:
            out.print(line, markup=False, highlight=False, soft_wrap=True)

    try:
        web.serve(server, args.host, port, ready=ready)
    except OSError as error:
        raise CliError(f"impossibile ascoltare su {args.host}:{port}: {error.strerror or error}") from None
    finally:
        ctx.db.dispose()
    return EXIT_OK


def _reachable_host(host: str) -> str:
    """What to print for the address the server listens on: never 0.0.0.0."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104
        import socket

        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


# -- scenario (scenario runner) --


def _positive_seconds(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} non è un numero di secondi") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("deve essere un numero di secondi maggiore di zero")
    return value


def _cmd_scenario(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """Each file runs on its own temporary database: --db and --data-dir only place the log.

    The exit code is the runner's (0 only if every file passes), whatever --copertura says."""
    from areaclienti_tui import scenario, scenario_coverage, scenario_junit

    junit = Path(args.junit).expanduser() if args.junit else None
    if junit is not None and junit.is_dir():
        raise CliError(f"{junit} è una cartella: --junit vuole il percorso di un file", EXIT_INVALID)
    if junit is not None and not junit.parent.is_dir():
        raise CliError(f"la cartella {junit.parent} per il rapporto JUnit non esiste", EXIT_INVALID)
    # Lines go to stdout as it is now (Textual swaps sys.stdout while each app runs);
    # with --json stdout carries the JSON object alone, and the lines go to stderr.
    lines = scenario.stdout_lines(sys.stderr if args.json else None)
    code, results = scenario.run(args.files, out=lines, verbose=args.verbose, timeout=args.timeout)
    if args.copertura or args.json:
        report = scenario_coverage.coverage(results)
        if args.json:
            sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
        else:
            lines("")
            for line in report.lines():
                lines(line)
    if junit is not None:
        try:
            scenario_junit.write_junit(junit, results)
        except OSError as error:
            raise CliError(f"impossibile scrivere il rapporto JUnit {junit}: {error.strerror or error}",
                           EXIT_INVALID) from None
    return code


# -- end scenario --


# -- screenshots (gallery) --


def _cmd_screenshots(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """The gallery uses its own temporary database: --db and --data-dir only place the log."""
    from contextlib import nullcontext

    from areaclienti_tui import gallery

    folder = Path(args.folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{folder} non è una cartella", EXIT_INVALID)
    started = time.monotonic()
    with err.status("Disegno delle schermate…") if err.is_terminal else nullcontext():
        try:
            files = gallery.write_gallery(folder, jobs=args.jobs)
        except gallery.GalleryError as error:
            raise CliError(f"galleria non completata: {error}") from None
    out.print(
        f"{len(files) - 1} schermate e l'indice {folder / gallery.INDEX} scritti in {time.monotonic() - started:.0f} s.",
        markup=False, highlight=False,
    )
    return EXIT_OK


# -- end screenshots --


# -- reset-demo (trainer tools) --

RESET_WARNING = (
    "Tutti i dati verranno cancellati (clienti, account, messaggi, richieste di assistenza, "
    "registro audit, operatori) e sostituiti con i dati demo."
)
YES_ANSWERS = frozenset({"s", "si", "sì", "y", "yes"})


def _cmd_reset_demo(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from areaclienti_tui.services import demo

    if not args.yes:
        err.print(RESET_WARNING, markup=False, highlight=False)
        try:
            answer = err.input("Continuare? [s/N] ", markup=False)
        except EOFError:
            answer = ""
        if answer.strip().lower() not in YES_ANSWERS:
            err.print("Ripristino annullato: nessun dato è stato modificato.", markup=False, highlight=False)
            return EXIT_FAILURE
    ctx = _open(settings, write=True)
    try:
        report = demo.reset(ctx, actor="cli")
    finally:
        ctx.db.dispose()
    log.info("demo reset: %s", report.summary())
    out.print(f"Dati demo ripristinati: {report.summary()}.", markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"Operatore demo: {demo.OPERATOR_USERNAME} / {demo.OPERATOR_PASSWORD} · "
        f"account demo: {demo.REGISTERED_USERNAME} / {demo.REGISTERED_PASSWORD}",
        markup=False, highlight=False, soft_wrap=True,
    )
    return EXIT_OK


# -- end reset-demo --


# -- mappa (journey map) --


# journey_map.FORMATS, written here so that building the parser (every start, the console's
# too, which draws 1A without the map) does not import the map; a test keeps the two equal.
MAP_FORMATS = ("testo", "mermaid", "dot")


def _cmd_mappa(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """The map as it is declared in journey_map: no database, written as is (no Rich markup or wrapping)."""
    from areaclienti_tui import journey_map

    sys.stdout.write(journey_map.render(args.formato))
    sys.stdout.flush()
    return EXIT_OK


# -- end mappa --


def _dispatch(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if args.command == "import":
        return _cmd_import(args, settings, out, err)
    if args.command == "outbox":
        return _cmd_outbox(args, settings, out, err)
    if args.command == "operator":
        return _cmd_operator_add(args, settings, out, err)
    if args.command == "serve":
        return _cmd_serve(args, settings, out, err)
    if args.command == "scenario":
        return _cmd_scenario(args, settings, out, err)
    if args.command == "screenshots":
        return _cmd_screenshots(args, settings, out, err)
    if args.command == "reset-demo":
        return _cmd_reset_demo(args, settings, out, err)
    if args.command == "diagnosi":
        return _cmd_diagnosi(args, settings, out, err)
    if args.command == "mappa":
        return _cmd_mappa(args, settings, out, err)
    raise CliError(f"comando sconosciuto: {args.command}", EXIT_INVALID)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `areaclienti-tui` console script; returns the exit code."""
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
    except SystemExit as stop:  # --help, --version or a usage error (already printed)
        return stop.code if isinstance(stop.code, int) else (EXIT_OK if stop.code is None else EXIT_INVALID)
    if args.command == "version":
        out.print(f"{PROG} {version()}", markup=False)
        return EXIT_OK
    if args.command is None:  # the console: its settings are read behind 1A (see _run_console)
        return _run_console(args, err)
    try:
        settings = _settings_from(args)
    except CliError as error:
        err.print(f"{PROG}: errore: {error.message}", markup=False)
        return error.exit_code
    with _Logging(settings):
        try:
            return _dispatch(args, settings, out, err)
        except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - never a traceback on the terminal
            return _failed(error, args.command, settings, err)


def _failed(error: BaseException, command: str | None, settings: Settings | None, err: Console) -> int:
    """Tell how a command (or the console) failed, in Italian, and give its exit code."""
    if isinstance(error, CliError):
        log.info("command %s failed: %s", command, error.message)
        err.print(f"{PROG}: errore: {error.message}", markup=False)
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        err.print(f"{PROG}: interrotto", markup=False)
        return EXIT_INTERRUPTED
    known = _database_error(error, settings) if settings is not None else None
    if known is not None:
        log.info("command %s failed: %s", command, known.message)
        err.print(f"{PROG}: errore: {known.message}", markup=False)
        return known.exit_code
    where = ""
    if settings is not None:  # the log file is open (without it the record would reach the terminal)
        log.error("unexpected error in command %s", command, exc_info=error)
        where = f" (dettagli in {settings.log_file})"
    err.print(f"{PROG}: errore imprevisto: {error or type(error).__name__}{where}", markup=False)
    return EXIT_FAILURE

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
