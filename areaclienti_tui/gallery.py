"""The screenshot gallery: every step of the guide as the console draws it.

`areaclienti-tui screenshots DIR` (that is `write_gallery(DIR)`) drives the real
console headless through the demo personas, saves one SVG per shot as
``DIR/<nn>-<step>-<slug>.svg`` and writes the index ``DIR/README.md`` (step,
screen, the guide's text in one line, link to the picture), and ``DIR/mappa.md``,
the journey map (``journey_map.py``) as a Mermaid diagram and as text. SVGs in
DIR that it did not write are removed.

Everything that could change between two runs is fixed, so the files are
reproducible byte for byte (``tests/test_gallery.py`` compares them with
``screens/``): a fresh temporary database with the demo personas, a FakeClock
at 02/03/2026 10:00 (Rome), one-time codes from a fixed list, a fixed device
id, a 120×40 terminal, cursor blink off, no toasts, no mouse, the same order.
A screenshot is taken only when two in a row come out identical.

Each scene runs on its own copy of the demo database, so scenes can run at
the same time: ``write_gallery(jobs=N)`` runs them in N child processes
(``python -m areaclienti_tui.gallery SCENE …``); the files are the same.

``shots()`` is the index, in order. Shots of the same *scene* run in one app,
in their order in the index: each shot's ``reach`` goes on from where the
previous shot of its scene left the console; the first starts at 1A, after
the scene's ``setup`` has prepared the database. Adding a screen means adding
a ``Shot`` (and, if it needs its own data, a ``Scene``). Every tab of the
operator home (``OperatorHomeScreen.TABS``) gets a shot without changes here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from areaclienti_tui.driver import Driver, DriverError, quick_pilot

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from areaclienti_tui.app import AreaClientiApp
    from areaclienti_tui.services.context import Context
    from areaclienti_tui.settings import Settings

SIZE = (120, 40)
NARROW = (80, 24)  # the classic terminal: the registration path is shown at this size too
NARROW_SCENE = "registrazione-80x24"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Rome
DEVICE_ID = "0123456789abcdef" * 2
CODES = ("482913", "736250", "159384", "604127", "271845", "918362", "345071", "850296", "523619", "067438")
PASSWORD = "Girasole#Verde7"
INDEX = "README.md"
MAP_PAGE = "mappa.md"  # the journey map (journey_map.py) as a Mermaid diagram and as text
MAP_SCENE = "mappa"
DB_NAME = "areaclienti.db"
GUIDE = "Come registrarsi all'Area Clienti Generali.it"
BEYOND = "*Oltre la guida:* "


class GalleryError(DriverError):
    """A shot could not be taken (the screen never came, or kept changing)."""


Reach = Callable[["Stage"], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    """One run of the console on its own copy of the demo database."""

    name: str
    setup: Callable[[Context, Path], None] | None = None  # (context, a folder for files) before the app starts
    size: tuple[int, int] = SIZE  # the terminal's columns and rows


@dataclass(frozen=True)
class Shot:
    step: str  # what app.current_step says on that screen (checked before the picture)
    slug: str
    screen: str  # the screen's name in the index
    guide: str  # one line: the guide's words for the step, or what the screen is for
    scene: str
    reach: Reach
    label: str = ""  # the index's "passo" column; the step code when empty

    @property
    def shown_step(self) -> str:
        return self.label or self.step

    def filename(self, number: int) -> str:
        return f"{number:02d}-{slugify(self.step)}-{self.slug}.svg"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# -- driving the console -------------------------------------------------------------


class Stage(Driver):
    """The running console, driven without mouse and without typing delays.

    Fields are filled by setting their value (the screen sees the same Changed
    messages as when typing) and buttons are pressed by their Pressed message:
    the screens' own code decides where the journey goes.
    """

    def __init__(self, pilot: Pilot, folder: Path) -> None:
        super().__init__(pilot.app, pilot, repaint=False)  # the pictures were made without a forced repaint
        self.folder = folder

    async def show_top(self, selector: str) -> None:
        """Scroll the journey so that this widget is at the top."""
        widget = self.query(selector)
        self.query("#journey").scroll_to_widget(widget, animate=False, top=True)
        await self.settle()

    async def picture(self) -> str:
        """The screen as SVG, once two pictures in a row are the same."""
        from textual.widgets import DataTable, Input

        previous = None
        for _ in range(20):
            await self.settle()
            for control in self.app.screen.query(Input):
                control.cursor_blink = False  # the cursor stays drawn on the focused field
            for table in self.app.screen.query(DataTable):
                # A DataTable may keep cells drawn before it measured its columns (rows
                # added and drawn before its idle pass): draw every table afresh.
                table._clear_caches()
                table.refresh()
            await self.pilot.wait_for_scheduled_animations()
            await self.pilot.pause()
            svg = self.app.export_screenshot(title=self.app.title, simplify=True)
            if svg == previous:
                return svg
            previous = svg
        raise GalleryError(f"la schermata del passo {self.app.current_step} continua a cambiare")


# -- the journeys ----------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    nome: str
    cognome: str
    data: str
    sesso: str
    username: str


MARIO = Persona("Mario", "Rossi", "14/03/1975", "M", "mario.rossi@gmail.com")
ANNA = Persona("Anna", "Conti", "30/09/1979", "F", "3381234567")
PAOLO = Persona("Paolo", "Esposito", "02/11/1968", "M", "paolo.esposito@libero.it")
ALESSANDRO = Persona("Alessandro", "Greco", "21/04/1985", "M", "alessandro.greco@gmail.com")
ROBERTO = Persona("Roberto", "Villa", "01/01/1970", "M", "roberto.villa@gmail.com")
MARIO_CF = "RSSMRA75C14H501L"
ALESSANDRO_CF = "GRCLSN85D12E506M"
ROBERTO_CF = "VLLRRT70A01C933Q"
MORETTI_CF = "MRTSFN72B18A794L"
MORETTI_USERNAME = "stefano.moretti@tiscali.it"
ANNA_USERNAME = "anna.conti@outlook.it"


async def personal_data(s: Stage, p: Persona) -> None:
    await s.fill("nome", p.nome)
    await s.fill("cognome", p.cognome)
    await s.fill("data-nascita", p.data)
    await s.choose("sesso", p.sesso)


async def register(s: Stage, p: Persona) -> None:
    """From 1A to the end of 5A with Registrati pressed: recognition decides the next screen."""
    await s.press("registrati")
    await s.on_step("2A")
    await s.press("persona")
    await s.on_step("3A")
    await personal_data(s, p)
    await s.press("continua")
    await s.on_step("4A")
    await s.fill("username", p.username)
    await s.press("continua")
    await s.on_step("5A")
    await s.fill("password", PASSWORD)
    await s.fill("conferma-password", PASSWORD)
    await s.tick("privacy")
    await s.press("registrati")


async def login(s: Stage, username: str, password: str = PASSWORD) -> None:
    from areaclienti_tui.steps.login import LoginScreen

    await s.press("accedi")
    await s.on_screen(LoginScreen)
    await s.fill("username", username)
    await s.fill("password", password)
    await s.press("accedi")


def add_account(ctx: Context, codice_fiscale: str, username: str) -> None:
    """An Area Clienti account (email username, password PASSWORD) for a registry customer."""
    from sqlmodel import select

    from areaclienti_tui.services.passwords import hash_password
    from areaclienti_tui.store.models import Account, Customer

    with ctx.db.transaction() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == codice_fiscale)).one()
        session.add(Account(customer_id=customer.id, username=username, username_kind="email",
                            password_hash=hash_password(PASSWORD, ctx.settings.bcrypt_rounds),
                            created_at=ctx.clock.now()))


def wrong(code: str) -> str:
    return f"{(int(code) + 111111) % 1_000_000:06d}"


# Scene "registrazione": Mario Rossi registers by email, logs in, asks to change the password.


async def welcome(s: Stage) -> None:
    await s.on_step("1A")


async def customer_type(s: Stage) -> None:
    await s.press("registrati")
    await s.on_step("2A")


async def company(s: Stage) -> None:
    from areaclienti_tui.steps.welcome import CompanyScreen

    await s.press("azienda")
    await s.on_screen(CompanyScreen)


async def personal(s: Stage) -> None:
    from areaclienti_tui.steps.welcome import CustomerTypeScreen

    await s.press("indietro")
    await s.on_screen(CustomerTypeScreen)
    await s.press("persona")
    await s.on_step("3A")


async def personal_errors(s: Stage) -> None:
    await s.fill("nome", "Mario")
    await s.fill("data-nascita", "31/02/1975")
    await s.press("continua")
    await s.until(lambda: len(s.errors()) >= 3, "gli errori di 3A")


async def username_pec(s: Stage) -> None:
    await s.fill("cognome", MARIO.cognome)
    await s.fill("data-nascita", MARIO.data)
    await s.choose("sesso", MARIO.sesso)
    await s.press("continua")
    await s.on_step("4A")
    await s.fill("username", "mario.rossi@legalmail.it")
    await s.press("continua")
    await s.until(lambda: "username" in s.errors(), "l'errore PEC di 4A")


async def password_checklist(s: Stage) -> None:
    await s.fill("username", MARIO.username)
    await s.press("continua")
    await s.on_step("5A")
    await s.fill("password", "girasole7")


async def privacy_notice(s: Stage) -> None:
    from areaclienti_tui.widgets.modals import DocumentModal

    await s.fill("password", PASSWORD)
    await s.fill("conferma-password", PASSWORD)
    await s.press("informativa")
    await s.on_screen(DocumentModal)


async def code_sent(s: Stage) -> None:
    from areaclienti_tui.steps.registration import PasswordScreen

    await s.press("chiudi")
    await s.on_screen(PasswordScreen)
    await s.tick("privacy")
    await s.press("registrati")
    await s.on_step("6A")


async def code_wrong(s: Stage) -> None:
    from areaclienti_tui.steps.verification import VerifyCodeScreen

    await s.press("continua")
    await s.on_screen(VerifyCodeScreen)
    await s.fill("otp", wrong(s.code(MARIO.username)))
    await s.press("continua")
    await s.until(lambda: "otp" in s.errors(), "l'errore del codice in 7A")


async def account_created(s: Stage) -> None:
    from areaclienti_tui.steps.verification import AccountCreatedScreen

    await s.fill("otp", s.code(MARIO.username))
    await s.press("continua")
    await s.on_screen(AccountCreatedScreen)


# Scene "accesso": Mario Rossi, now registered, logs in on this console for the first time.


def mario_account(ctx: Context, folder: Path) -> None:
    add_account(ctx, MARIO_CF, MARIO.username)


async def login_form(s: Stage) -> None:
    from areaclienti_tui.steps.login import LoginScreen

    await s.press("accedi")
    await s.on_screen(LoginScreen)
    await s.fill("username", MARIO.username)
    await s.fill("password", PASSWORD)


async def products(s: Stage) -> None:
    from areaclienti_tui.steps.login import ProductsScreen

    await s.press("accedi")
    await s.on_step("9A")
    await s.fill("otp", s.code("+393471234567"))
    await s.press("continua")
    await s.on_screen(ProductsScreen)
    await s.until(lambda: s.query("#prodotti").row_count > 0, "i prodotti")


async def security_code(s: Stage) -> None:
    await s.press("cambia-password")
    await s.on_step("9A")


# Scenes "gia-registrato" (Anna Conti) and "senza-polizza" (Paolo Esposito).


async def already_registered(s: Stage) -> None:
    await register(s, ANNA)
    await s.on_step("gia-registrato")


async def no_policy(s: Stage) -> None:
    await register(s, PAOLO)
    await s.on_step("senza-polizza")


# Scene "cellulare-mancante": Stefano Moretti has an account but no mobile on file.


def moretti_account(ctx: Context, folder: Path) -> None:
    add_account(ctx, MORETTI_CF, MORETTI_USERNAME)


async def missing_mobile(s: Stage) -> None:
    await login(s, MORETTI_USERNAME)
    await s.on_step("10A")


async def assistance_app(s: Stage) -> None:
    await s.press("richiedi-assistenza")
    await s.on_step("11A")
    await s.until(lambda: s.query("#cognome").value == "Moretti", "il modulo precompilato")
    await s.tick("variante-app")
    await s.until(lambda: s.app.screen.variant == "app", "la versione App del modulo")


async def assistance_desktop(s: Stage) -> None:
    await s.tick("variante-desktop")
    await s.until(lambda: s.app.screen.variant == "desktop", "la versione Desktop del modulo")
    front, back = identity_documents(s.ctx.settings.uploads_dir)  # attachments come only from there
    await s.fill("cellulare", "3405550123", focus=False)
    await s.fill("indirizzo", "Via Borfuro 4", focus=False)
    await s.fill("citta", "Bergamo", focus=False)
    await s.choose("tipo-documento", "Carta d'identità")
    s.app.screen.attach("allega-fronte", front)
    s.app.screen.attach("allega-retro", back)
    await s.until(lambda: s.app.screen.attachment("allega-retro") is not None, "gli allegati")
    await s.show_top("#campo-cellulare")


# Scene "percorso-b": Alessandro Greco is not recognised; his codice fiscale finds "Grieco".


async def not_recognised(s: Stage) -> None:
    await register(s, ALESSANDRO)
    await s.on_step("1B")


async def codice_fiscale_error(s: Stage) -> None:
    await s.press("continua")
    await s.on_step("2B")
    await s.fill("codice-fiscale", ALESSANDRO_CF[:-1] + "X")
    await s.press("continua")
    await s.until(lambda: "codice-fiscale" in s.errors(), "l'errore del codice fiscale")


async def choose_contact(s: Stage) -> None:
    await s.fill("codice-fiscale", ALESSANDRO_CF)
    await s.press("continua")
    await s.on_step("3B")


async def contact_code(s: Stage) -> None:
    await s.press("continua")
    await s.on_step("4B")
    await s.fill("otp", s.code())


async def no_contact(s: Stage) -> None:
    await s.press("indietro")
    await s.on_step("3B")
    await s.press("nessun-recapito")
    await s.on_step("5B")


# Scene "errore-generico": Roberto Villa's codice fiscale is valid but unknown.


async def generic_error(s: Stage) -> None:
    await register(s, ROBERTO)
    await s.on_step("1B")
    await s.press("continua")
    await s.on_step("2B")
    await s.fill("codice-fiscale", ROBERTO_CF)
    await s.press("continua")
    await s.on_step("6B")


async def assistance_form_7b(s: Stage) -> None:
    await s.press("contatta-assistenza")
    await s.on_step("7B")


# Scene "recupero": Anna Conti forgot her password.


async def recovery(s: Stage) -> None:
    from areaclienti_tui.steps.login import LoginScreen

    await s.press("accedi")
    await s.on_screen(LoginScreen)
    await s.fill("username", ANNA_USERNAME)
    await s.press("password-dimenticata")
    await s.on_step("recupero-password")


async def recovery_code(s: Stage) -> None:
    from areaclienti_tui.steps.security import RecoveryCodeScreen

    await s.press("continua")
    await s.on_screen(RecoveryCodeScreen)


# Scene "operatore": a request with an identity document waits in the queue.


def identity_documents(folder: Path) -> tuple[Path, Path]:
    """The front (PNG) and back (PDF) of an identity card, the same bytes every time."""
    folder.mkdir(parents=True, exist_ok=True)
    front, back = folder / "carta-identita-fronte.png", folder / "carta-identita-retro.pdf"
    front.write_bytes(card_png())
    back.write_bytes(card_pdf())
    return front, back


def operator_request(ctx: Context, folder: Path) -> None:
    from areaclienti_tui.rules.username import load_pec_domains
    from areaclienti_tui.services import assistance

    front, back = identity_documents(ctx.settings.uploads_dir / "documento")  # attachments come only from there
    form = assistance.AssistanceForm(
        origin="11A", variant="desktop", nome="Stefano", cognome="Moretti", luogo_nascita="Bergamo",
        data_nascita="18/02/1972", sesso="M", cellulare="3405550123", email=MORETTI_USERNAME,
        indirizzo="Via Borfuro 4", citta="Bergamo", tipo_documento="Carta d'identità",
        fronte=front, retro=back, privacy=True,
    )  # fmt: skip
    assistance.submit(ctx, form, today=ctx.clock.now().date(), pec_domains=load_pec_domains(ctx.settings.pec_domains_file))
    ctx.clock.advance(minutes=12)


async def operator_login(s: Stage) -> None:
    from areaclienti_tui.services.demo import OPERATOR_PASSWORD, OPERATOR_USERNAME
    from areaclienti_tui.steps.operator import OperatorLoginScreen

    await s.key("f9")
    await s.on_screen(OperatorLoginScreen)
    await s.fill("operatore-username", OPERATOR_USERNAME)
    await s.fill("operatore-password", OPERATOR_PASSWORD)


async def operator_queue(s: Stage) -> None:
    from areaclienti_tui.steps.operator import OperatorHomeScreen

    await s.press("operatore-accedi")
    await s.on_screen(OperatorHomeScreen)
    await s.until(lambda: s.query("#richieste").row_count > 0, "la coda delle richieste")


async def request_detail(s: Stage) -> None:
    from areaclienti_tui.steps.operator import RequestDetailScreen

    table = s.query("#richieste")
    table.focus()
    table.move_cursor(row=0, animate=False)
    await s.key("enter")
    await s.on_screen(RequestDetailScreen)
    await s.until(lambda: s.app.screen.detail is not None and s.app.screen.query(".documento"), "la richiesta")
    s.query("#journey").scroll_home(animate=False)  # the focused Approva button is at the bottom


async def request_documents(s: Stage) -> None:
    await s.show_top("#documenti-titolo")


def operator_tab(tab_id: str) -> Reach:
    async def reach(s: Stage) -> None:
        from textual.widgets import TabbedContent

        from areaclienti_tui.steps.operator import OperatorHomeScreen

        if not isinstance(s.app.screen, OperatorHomeScreen):
            await s.key("escape")
            await s.on_screen(OperatorHomeScreen)
        home = s.app.screen
        home.open_tool(tab_id)  # as the command palette does: the tab, with its main control focused
        await s.until(lambda: s.query("#schede", TabbedContent).active == tab_id, f"la scheda {tab_id}")
        action = OPERATOR_TAB_ACTIONS.get(tab_id)
        if action is not None:
            await action(s)
        await s.settle()
        if s.query("#schede", TabbedContent).active != tab_id:
            raise GalleryError(f"la scheda {tab_id} non è rimasta aperta")

    return reach


# Scene "mappa": the journey map opened over 3B (Alessandro Greco, path B), as a trainer shows it.


async def journey_map_view(s: Stage) -> None:
    from areaclienti_tui.widgets.journey_map_view import JourneyMapScreen, open_journey_map

    await register(s, ALESSANDRO)
    await s.on_step("1B")
    await s.press("continua")
    await s.on_step("2B")
    await s.fill("codice-fiscale", ALESSANDRO_CF)
    await s.press("continua")
    await s.on_step("3B")
    open_journey_map(s.app)  # as the command palette's "Mappa del percorso" does
    await s.on_screen(JourneyMapScreen)


# -- the index ---------------------------------------------------------------------------

SCENES = {
    scene.name: scene
    for scene in (
        Scene("registrazione"),
        Scene(NARROW_SCENE, size=NARROW),
        Scene("accesso", mario_account),
        Scene("gia-registrato"),
        Scene("senza-polizza"),
        Scene("cellulare-mancante", moretti_account),
        Scene("percorso-b"),
        Scene("errore-generico"),
        Scene("recupero"),
        Scene("operatore", operator_request),
        Scene(MAP_SCENE),
    )
}

# What each operator tab is for, by tab id; a tab not listed here is described by its label.
OPERATOR_TABS = {
    "coda": "le richieste di assistenza arrivate da 11A e 7B: si aprono, si approvano o si respingono con un motivo.",
    "anagrafe": "ricerca dei clienti per nome, codice fiscale o recapito, con polizze, recapiti e stato dell'account.",
    "account": "gli account dei clienti: sblocco di un account bloccato dai tentativi errati.",
    "registro-audit": "il registro di audit: ogni evento di sicurezza, con chi l'ha compiuto.",
    "personas": "le personas demo per i formatori: Avvia porta una persona a un passo del percorso (dati digitati "
                "dalla console, codici inviati davvero); sotto, chi digitare per arrivare a ogni ramo.",
    "formatore": "gli strumenti del formatore: ripristino dei dati demo e percorsi registrati (scenari).",
    "verifica-dati": "perché un cliente non viene riconosciuto: l'esito del percorso e i clienti più vicini, "
                     "con le differenze e il suggerimento da leggere al cliente; gli ultimi esiti 1B e 6B.",
}


async def registry_search(s: Stage) -> None:
    """The registry tab with a search done: the two Luca Ferrari, the first one's card open."""
    await s.fill("ricerca-anagrafe", "Ferrari")
    await s.press("cerca-anagrafe")
    await s.until(lambda: s.query("#scheda-cliente").display, "la scheda del cliente")


async def data_check(s: Stage) -> None:
    """The data check of "Alessandro Greco", who is Alessandro Grieco born on 12/04 in the registry."""
    await s.fill("diagnosi-nome", "Alessandro")
    await s.fill("diagnosi-cognome", "Greco")
    await s.fill("diagnosi-data-nascita", "21/04/1985")
    await s.choose("diagnosi-sesso", "M")
    await s.fill("diagnosi-recapito", "alessandro.greco@gmail.com")
    await s.fill("diagnosi-codice-fiscale", ALESSANDRO_CF)
    await s.press("diagnosi-verifica")
    await s.until(lambda: bool(s.app.screen.query("#diagnosi-differenze-1")), "la verifica dei dati")


# What a tab's picture shows beyond the tab just opened, by tab id.
OPERATOR_TAB_ACTIONS: dict[str, Reach] = {"anagrafe": registry_search, "verifica-dati": data_check}


def shots() -> list[Shot]:
    """The gallery in index order (the operator tabs are read from the operator home)."""
    from areaclienti_tui.steps.operator import OperatorHomeScreen

    def g(text: str) -> str:  # the guide's own words
        return text

    def beyond(text: str) -> str:  # a screen the guide does not show
        return BEYOND + text

    table = [
        Shot("1A", "benvenuto", "Benvenuto", g(
            "Clicca su \"Registrati\" per iniziare! Se ti sei già registrato sul sito in passato, puoi utilizzare "
            "le credenziali già in tuo possesso."), "registrazione", welcome),
        Shot("2A", "tipo-cliente", "Che tipo di cliente sei?", g(
            "Se sei un Cliente assistito Inarcassa seleziona \"Persona\"."), "registrazione", customer_type),
        Shot("2A", "azienda", "Registrazione come Azienda", beyond(
            "la scelta «Azienda» spiega che le aziende non si registrano qui; i clienti Inarcassa scelgono «Persona»."),
            "registrazione", company),
        Shot("3A", "i-tuoi-dati", "Inserisci i tuoi dati", g(
            "Inserisci i tuoi dati correttamente, come comunicati ad Inarcassa."), "registrazione", personal),
        Shot("3A", "errori", "Inserisci i tuoi dati: campi da correggere", g(
            "Inserisci i tuoi dati correttamente, come comunicati ad Inarcassa."), "registrazione", personal_errors),
        Shot("4A", "pec-rifiutata", "Nome utente: la PEC non è ammessa", g(
            "Inserisci ora il recapito email o cellulare da utilizzare come Nome Utente (la mail non dovrà essere "
            "una PEC) e non deve essere già utilizzato da altri utenti in Area Clienti."), "registrazione",
            username_pec),
        Shot("5A", "password", "Crea la tua password: requisiti e sicurezza", g(
            "Crea la tua password, che deve avere tra 8 e 16 caratteri, contenere una lettera maiuscola, una "
            "lettera minuscola e un numero."), "registrazione", password_checklist),
        Shot("5A", "informativa-privacy", "Informativa privacy", g(
            "Leggi l'Informativa Privacy e concludi cliccando \"Registrati\"."), "registrazione", privacy_notice),
        Shot("gia-registrato", "esito", "Esito: risulti già registrato", beyond(
            "chi ha già un account viene invitato ad accedere con le credenziali che possiede."),
            "gia-registrato", already_registered, label="esito"),
        Shot("senza-polizza", "esito", "Esito: serve almeno una polizza", g(
            "Per registrarti ad Area Clienti devi avere almeno una polizza Generali."),
            "senza-polizza", no_policy, label="esito"),
        Shot("6A", "codice-inviato", "Ti abbiamo inviato un codice", g(
            "In base al recapito prescelto, riceverai un'email o un sms contenente il codice di verifica "
            "temporaneo. Attenzione: non chiudere l'app o il sito fino a che non avrai inserito il codice."),
            "registrazione", code_sent),
        Shot("7A", "codice-errato", "Inserisci il codice di verifica: codice errato", g(
            "Inserisci il codice di verifica temporaneo e clicca su \"Continua\" per concludere il processo di "
            "creazione del tuo nuovo account."), "registrazione", code_wrong),
        Shot("7A", "account-creato", "Il tuo account è stato creato", g(
            "Inserisci il codice di verifica temporaneo e clicca su \"Continua\" per concludere il processo di "
            "creazione del tuo nuovo account."), "registrazione", account_created),
        Shot("8A", "accedi", "Accedi all'Area Clienti", g(
            "Inserisci Nome utente e password per accedere. Per rendere il tuo accesso ancora più semplice, puoi "
            "attivare il riconoscimento biometrico."), "accesso", login_form),
        Shot("8A", "i-tuoi-prodotti", "I tuoi prodotti", g(
            "Adesso puoi visionare i tuoi prodotti Generali e accedere a tutte le funzionalità disponibili."),
            "accesso", products),
        Shot("9A", "codice-di-sicurezza", "Codice di sicurezza", g(
            "Quando effettui l'accesso e quando esegui operazioni che richiedono maggiore livello di sicurezza, "
            "potresti ricevere sul cellulare un codice di verifica temporaneo di sei cifre: inseriscilo per "
            "confermare la tua identità."), "accesso", security_code),
        Shot("10A", "cellulare-mancante", "Cellulare non registrato", g(
            "Se non risulta registrato nei nostri sistemi o non hai comunicato ad Inarcassa un numero di cellulare, "
            "registra il tuo cellulare cliccando su \"Richiedi assistenza\" e compila il form."),
            "cellulare-mancante", missing_mobile),
        Shot("11A", "assistenza-app", "Richiedi assistenza, versione App", g(
            "Per inserire un nuovo numero di cellulare sul tuo profilo in tua Area Clienti completa tutti i campi."),
            "cellulare-mancante", assistance_app),
        Shot("11A", "assistenza-desktop", "Richiedi assistenza, versione desktop: recapito e documento", g(
            "Per aggiungere un recapito alla tua Area Clienti, completa tutti i campi nel form e allega fronte e "
            "retro del tuo documento d'identità."), "cellulare-mancante", assistance_desktop),
        Shot("1B", "dati-non-riconosciuti", "Non riusciamo a riconoscerti", g(
            "Se dopo aver inserito i tuoi dati visualizzi un messaggio di errore, è possibile che il sistema non ti "
            "riconosca: assicurati di aver inserito i dati e i recapiti correttamente e clicca su \"Continua\"."),
            "percorso-b", not_recognised),
        Shot("2B", "codice-fiscale-errato", "Inserisci il tuo codice fiscale: codice errato", g(
            "Inserisci ora il tuo Codice Fiscale. Clicca \"Continua\" per proseguire."), "percorso-b",
            codice_fiscale_error),
        Shot("3B", "scegli-recapito", "Scegli il recapito", g(
            "Quando il sistema ti identifica, seleziona il recapito che vuoi utilizzare come Nome Utente e a cui "
            "invieremo un codice di verifica temporaneo."), "percorso-b", choose_contact),
        Shot("4B", "codice-di-verifica", "Inserisci il codice di verifica", g(
            "Per continuare, inserisci il codice di verifica temporaneo e clicca su \"Continua\" per concludere il "
            "processo di creazione del tuo nuovo account."), "percorso-b", contact_code),
        Shot("5B", "nessun-recapito", "Nessun recapito adatto", g(
            "Se non vuoi ricevere il codice di conferma temporaneo su nessuno dei recapiti indicati, clicca su "
            "\"Contatta l'Assistenza\"."), "percorso-b", no_contact),
        Shot("6B", "errore-generico", "Si è verificato un errore", g(
            "Se stai visualizzando questa pagina di errore generico, è probabile che tu necessiti di assistenza "
            "specifica: consulta generali.it/assistenza/area-employee-benefits-salute-e-assistenza, sezione "
            "«Accesso»."), "errore-generico", generic_error),
        Shot("7B", "form-assistenza", "Form assistenza", g(
            "Compila il form inserendo tutti i valori dei campi visualizzati incluso il recapito cellulare "
            "(inserire il numero senza punti e senza +39)."), "errore-generico", assistance_form_7b),
        Shot("recupero-password", "nome-utente", "Password dimenticata?", beyond(
            "il recupero della password manda un codice al nome utente (email o cellulare)."),
            "recupero", recovery, label="recupero password"),
        Shot("recupero-password", "codice", "Inserisci il codice di recupero", beyond(
            "lo stesso messaggio compare anche per un nome utente che non esiste."),
            "recupero", recovery_code, label="recupero password"),
        Shot("operatore", "accesso", "Accesso operatore", beyond(
            "l'area operatore (F9) è riservata: gli operatori accedono con le proprie credenziali."),
            "operatore", operator_login, label="operatore"),
    ]
    tabs = list(OperatorHomeScreen.TABS)
    first_id, first_label, _ = tabs[0]
    table.append(Shot("operatore", slugify(first_id), f"Area operatore: {first_label}",
                      beyond(OPERATOR_TABS.get(first_id, f"la scheda «{first_label}» dell'area operatore.")),
                      "operatore", operator_queue, label="operatore"))
    table += [
        Shot("operatore", "richiesta", "Richiesta di assistenza: dati", beyond(
            "l'operatore controlla i dati della richiesta e il cliente riconosciuto, poi approva o respinge."),
            "operatore", request_detail, label="operatore"),
        Shot("operatore", "richiesta-documenti", "Richiesta di assistenza: documento allegato", beyond(
            "fronte e retro del documento d'identità, con anteprima dell'immagine e testo della prima pagina "
            "del PDF."), "operatore", request_documents, label="operatore"),
    ]
    for tab_id, tab_label, _content in tabs[1:]:
        table.append(Shot("operatore", slugify(tab_id), f"Area operatore: {tab_label}",
                          beyond(OPERATOR_TABS.get(tab_id, f"la scheda «{tab_label}» dell'area operatore.")),
                          "operatore", operator_tab(tab_id), label="operatore"))
    # The registration path again on the classic 80×24 terminal: the messages fold into one line.
    table += [
        replace(shot, slug=f"{shot.slug}-80x24", screen=f"{shot.screen} (80×24)", scene=NARROW_SCENE)
        for shot in table if shot.scene == "registrazione"
    ]
    # Last, so that adding it numbered no other picture anew: the map of the journey for trainers.
    table.append(Shot("3B", "mappa-del-percorso", "Mappa del percorso (il cliente è in 3B)", beyond(
        "la mappa di tutti i passi e di dove porta ogni esito, con il passo del cliente evidenziato: dalla "
        "palette dei comandi o dalla scheda Formatore (vedi mappa.md)."), MAP_SCENE, journey_map_view,
        label="mappa (3B)"))
    return table


# -- deterministic files and codes ---------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _stored_zlib(data: bytes) -> bytes:
    """A zlib stream of stored (uncompressed) blocks: the same bytes with any zlib."""
    out = bytearray(b"\x78\x01")
    for start in range(0, max(len(data), 1), 65535):
        block = data[start:start + 65535]
        last = 1 if start + 65535 >= len(data) else 0
        out += bytes([last]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
    out += struct.pack(">I", zlib.adler32(data))
    return bytes(out)


def card_png(width: int = 48, height: int = 30) -> bytes:
    """A small picture of an identity card (small enough to be previewed pixel for pixel)."""
    paper, band, ink, photo = (226, 236, 246), (32, 84, 150), (70, 80, 96), (150, 160, 172)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            if y < 5:
                colour = band
            elif 3 <= x < 16 and 8 <= y < 26:
                colour = photo
            elif x >= 19 and y in (9, 10, 14, 15, 19, 20, 24) and x < (44 if y % 5 else 36):
                colour = ink
            else:
                colour = paper
            rows += bytes(colour)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", _stored_zlib(bytes(rows)))
            + _png_chunk(b"IEND", b""))


def card_pdf() -> bytes:
    """A one-page PDF with a line of text, written by hand (the same bytes every time)."""
    text = b"BT /F1 14 Tf 24 120 Td (REPUBBLICA ITALIANA - CARTA D'IDENTITA - retro) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 260] /Resources << /Font << /F1 4 0 R >> >> "
         b"/Contents 5 0 R >>"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@contextmanager
def fixed_codes() -> Iterator[None]:
    """One-time codes from CODES, in order, instead of random ones."""
    from areaclienti_tui.services import codes

    lock = threading.Lock()
    sequence = iter(range(1 << 30))

    def generate() -> str:
        with lock:
            return CODES[next(sequence) % len(CODES)]

    original = codes._generate
    codes._generate = generate
    try:
        yield
    finally:
        codes._generate = original


# -- running -------------------------------------------------------------------------------


def _settings(folder: Path) -> Settings:
    """Settings that ignore the AREACLIENTI_* environment for everything a picture shows."""
    from areaclienti_tui.paths import data_file
    from areaclienti_tui.settings import Settings

    return Settings(
        data_dir=folder, db=f"sqlite:///{folder / DB_NAME}", demo=True, bcrypt_rounds=4,
        code_ttl_seconds=300, code_max_attempts=5, resend_cooldown_seconds=30, max_resends=3,
        login_max_failures=5, lockout_base_seconds=60, lockout_max_seconds=900, mfa_policy="new_device",
        kiosk=False, idle_timeout_seconds=300, smtp_host=None,
        pec_domains_file=data_file("pec_domains.txt"), privacy_file=data_file("privacy.md"),
        personas_file=data_file("personas.csv"),
    )  # fmt: skip


def _template(folder: Path) -> Path:
    """The demo database, migrated and seeded once, then copied for every scene."""
    from areaclienti_tui.clock import FakeClock
    from areaclienti_tui.services.setup import open_context

    folder.mkdir(parents=True)
    ctx = open_context(_settings(folder), FakeClock(START), seed_demo=True)
    with ctx.db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.db.dispose()
    return folder / DB_NAME


def _normalise(svg: str, folder: Path) -> str:
    for path in {str(folder.resolve()), str(folder)}:
        svg = svg.replace(path, "…")
    return svg


async def _run_scene(scene: Scene, scene_shots: list[Shot], template: Path, workdir: Path) -> dict[str, str]:
    from areaclienti_tui.app import AreaClientiApp
    from areaclienti_tui.clock import FakeClock
    from areaclienti_tui.services.setup import open_context

    folder = workdir / scene.name
    data = folder / "dati"
    data.mkdir(parents=True)
    shutil.copyfile(template, data / DB_NAME)
    (data / "device-id").write_text(DEVICE_ID + "\n", encoding="ascii")
    ctx = open_context(_settings(data), FakeClock(START), seed_demo=False)
    pictures: dict[str, str] = {}
    try:
        with fixed_codes():
            if scene.setup is not None:
                scene.setup(ctx, folder / "file")
            app = AreaClientiApp(ctx)
            app.raise_unexpected = True  # a fault stops the gallery instead of becoming the 6B page
            app.animation_level = "none"  # bars and scrolls drawn at their end, never halfway
            quick_pilot()
            async with app.run_test(size=scene.size, notifications=False, tooltips=False) as pilot:
                stage = Stage(pilot, folder / "file")
                await stage.on_step("1A")
                for shot in scene_shots:
                    try:
                        await shot.reach(stage)
                        await stage.settle()
                    except DriverError as error:
                        raise GalleryError(f"{shot.step} {shot.slug}: {error}") from None
                    if app.current_step != shot.step:
                        raise GalleryError(f"{shot.step} {shot.slug}: la console è al passo {app.current_step}")
                    pictures[shot.slug + "@" + shot.step] = _normalise(await stage.picture(), workdir)
    finally:
        ctx.db.dispose()
    return pictures


def default_jobs() -> int:
    """Processes for the scenes: one per CPU this process may use, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def _scene_process(name: str, template: Path, workdir: Path) -> dict[str, str]:
    """Run one scene in a fresh Python process (``python -m areaclienti_tui.gallery``)."""
    result = workdir / f"{name}.json"
    command = [sys.executable, "-m", "areaclienti_tui.gallery", name, str(template), str(workdir), str(result)]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace", check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise GalleryError(f"scena {name}: il processo è uscito con il codice {done.returncode}\n{tail}")
    return json.loads(result.read_text(encoding="utf-8"))


def capture(jobs: int = 1) -> list[tuple[Shot, str]]:
    """Every shot of ``shots()`` as (shot, SVG), in index order.

    With ``jobs`` > 1 the scenes run in that many child processes at once;
    the pictures are the same either way.
    """
    table = shots()
    keys = [shot.slug + "@" + shot.step for shot in table]
    if len(set(keys)) != len(keys):
        raise GalleryError("due schermate con lo stesso passo e lo stesso nome")
    by_scene: dict[str, list[Shot]] = {}
    for shot in table:
        if shot.scene not in SCENES:
            raise GalleryError(f"scena sconosciuta: {shot.scene}")
        by_scene.setdefault(shot.scene, []).append(shot)
    pictures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="areaclienti-galleria-") as tmp:
        workdir = Path(tmp)
        template = _template(workdir / "modello")
        if jobs <= 1 or len(by_scene) == 1:
            for name, scene_shots in by_scene.items():
                pictures |= asyncio.run(_run_scene(SCENES[name], scene_shots, template, workdir))
        else:
            # Longest scenes first, so that the last one to finish starts early.
            order = sorted(by_scene, key=lambda name: -len(by_scene[name]))
            with ThreadPoolExecutor(min(jobs, len(order))) as pool:
                for result in pool.map(lambda name: _scene_process(name, template, workdir), order):
                    pictures |= result
    return [(shot, pictures[key]) for shot, key in zip(table, keys)]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def index(entries: list[tuple[Shot, str]]) -> str:
    """The README.md of the gallery: a table of every shot, then the pictures."""
    lines = [
        "# Galleria delle schermate",
        "",
        f"Ogni passo della guida «{GUIDE}» (1A–11A, 1B–7B) com'è nella console, più gli esiti della",
        "registrazione, il recupero della password e l'area operatore. Terminale 120×40, personas demo,",
        "data simulata 02/03/2026 10:00. In fondo, il percorso di registrazione sul terminale classico",
        "80×24, dove i messaggi si riducono a una riga con l'ultimo codice (F2 li apre); per ultima, la mappa",
        "del percorso com'è nella console.",
        "",
        f"**[La mappa del percorso]({MAP_PAGE})**: tutti i passi e dove porta ogni esito, disegnati (Mermaid)",
        "e in forma di testo.",
        "",
        "File generati da `areaclienti-tui screenshots screens`: non modificarli a mano. Quando una",
        "schermata cambia, rigenerali e fanne il commit insieme al codice (`tests/test_gallery.py` lo controlla).",
        "",
        "| # | passo | schermata | testo della guida | immagine |",
        "|---:|---|---|---|---|",
    ]
    for number, (shot, _svg) in enumerate(entries, start=1):
        name = shot.filename(number)
        lines.append(f"| {number} | {_cell(shot.shown_step)} | {_cell(shot.screen)} | {_cell(shot.guide)} | "
                     f"[{name}]({name}) |")
    lines += ["", "## Le schermate", ""]
    for number, (shot, _svg) in enumerate(entries, start=1):
        name = shot.filename(number)
        lines += [f"### {number:02d} · {shot.shown_step} · {shot.screen}", "", f"![{_cell(shot.screen)}]({name})", ""]
    return "\n".join(lines)


def map_page(entries: list[tuple[Shot, str]]) -> str:
    """mappa.md: the journey map as a Mermaid diagram (GitHub draws it) and as text."""
    from areaclienti_tui import journey_map

    view = next((shot.filename(number) for number, (shot, _svg) in enumerate(entries, start=1)
                 if shot.scene == MAP_SCENE), None)
    lines = [
        "# Mappa del percorso",
        "",
        f"Ogni passo della console (i passi della guida «{GUIDE}», 1A–11A e 1B–7B, più gli esiti della",
        "registrazione, il recupero della password, le operazioni del cliente e l'area operatore) e dove porta",
        "ogni esito. Una freccia continua apre la schermata seguente (Esc torna indietro); una freccia",
        "tratteggiata ricomincia da 1A con un percorso pulito (lo stesso cliente prosegue) oppure chiude la",
        "schermata e mostra quella sotto.",
        "",
        "Nella console la mappa si apre dalla palette dei comandi (Ctrl+P, «Mappa del percorso») o dalla scheda",
        "Formatore dell'area operatore, con il passo del cliente evidenziato"
        + (f" ([immagine]({view}))." if view else "."),
        "Da terminale: `areaclienti-tui mappa --formato testo|mermaid|dot`.",
        "",
        "File generato da `areaclienti-tui screenshots screens` a partire da `areaclienti_tui/journey_map.py`:",
        "non modificarlo a mano.",
        "",
        "## Il disegno",
        "",
        "```mermaid",
        journey_map.render("mermaid").rstrip("\n"),
        "```",
        "",
        "## In forma di testo",
        "",
        "Ogni passo (tra parentesi quadre il codice che mostra, quando è diverso), poi i suoi esiti.",
        "",
        "```text",
        journey_map.render("testo").rstrip("\n"),
        "```",
    ]
    return "\n".join(lines)


def write_gallery(folder: Path | str, *, jobs: int | None = None) -> list[Path]:
    """Write every SVG, the README.md and mappa.md into `folder`; remove the SVGs it did not write.

    Returns the pictures (the SVGs in index order) and then the index README.md;
    the map page (MAP_PAGE) is written beside them.
    """
    folder = Path(folder)
    entries = capture(default_jobs() if jobs is None else jobs)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for number, (shot, svg) in enumerate(entries, start=1):
        path = folder / shot.filename(number)
        _write_if_changed(path, svg)
        written.append(path)
    readme = folder / INDEX
    _write_if_changed(readme, index(entries) + "\n")
    _write_if_changed(folder / MAP_PAGE, map_page(entries) + "\n")
    keep = {path.name for path in written}
    for stale in folder.glob("*.svg"):
        if stale.name not in keep:
            stale.unlink()
    return written + [readme]


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def _scene_main(argv: list[str]) -> int:
    """``python -m areaclienti_tui.gallery SCENE TEMPLATE WORKDIR RESULT.json``: one scene, for capture()."""
    name, template, workdir, result = argv
    scene_shots = [shot for shot in shots() if shot.scene == name]
    pictures = asyncio.run(_run_scene(SCENES[name], scene_shots, Path(template), Path(workdir)))
    Path(result).write_text(json.dumps(pictures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_scene_main(sys.argv[1:]))
