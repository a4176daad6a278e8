"""Steps 11A (Richiedi assistenza, app and desktop versions) and 7B (Form
assistenza): the customer asks to add a mobile to their Area Clienti and
attaches the front and back of an identity document."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import phonenumbers
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Select, Static
from textual.worker import Worker, WorkerState
from textual_fspicker import FileOpen, Filters
from textual_fspicker.parts import CurrentDirectory, DirectoryNavigation
from textual_fspicker.base_dialog import Dialog, InputBar
from textual_fspicker.suggest_path import SuggestPath

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.services import assistance, documents
from areaclienti_tui.services.assistance import AssistanceForm, AssistanceInvalid
from areaclienti_tui.services.documents import DocumentInfo, UploadArea
from areaclienti_tui.services.privacy import load_notice
from areaclienti_tui.steps.base import SEX_OPTIONS, StepScreen, actions, form_error, panel
from areaclienti_tui.widgets.date_input import DateInput
from areaclienti_tui.widgets.field import Field, error_id
from areaclienti_tui.widgets.literal import Plain, TextInput, template
from areaclienti_tui.widgets.modals import DocumentModal
from areaclienti_tui.widgets.quick_select import quick_select

ATTACHMENTS = {"allega-fronte": "fronte", "allega-retro": "retro"}
DOCUMENT_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png"})
CONFIRMATION = (
    "Una volta verificata la tua identità e recepita la modifica sui sistemi, "
    "sarai avvisato sulla email che hai indicato."
)
MOBILE_HINT = "Inserire il numero senza punti e senza +39 (per esempio 3471234567)."
FORM_FIELDS = (
    "nome", "cognome", "luogo-nascita", "data-nascita", "sesso", "cellulare", "email",
    "indirizzo", "citta", "tipo-documento", "privacy", "allega-fronte", "allega-retro", "variante",
)  # fmt: skip


class AttachField(Field):
    """An attach button with what was attached beside it and the error line below."""

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label")
        with Horizontal(classes="allegato"):
            yield self._control
            yield Plain("Nessun file allegato", id=f"{self._control.id}-file", classes="allegato-file")
        yield Plain("", id=error_id(self._control.id or ""), classes="field-error")


def _within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


class ConfinedNavigation(DirectoryNavigation):
    """The picker's folder list, kept inside the uploads folder.

    Every move (``..``, backspace, a typed folder, a link to a folder) that
    would leave the folder lands back on it; at the top there is no ``..``.
    """

    def __init__(self, root: Path, location: Path, **options) -> None:  # noqa: ANN003
        self._confined_to = Path(os.path.abspath(root))
        self._confined_real = _real(self._confined_to)
        super().__init__(location, **options)

    def allows(self, location: Path | str) -> bool:
        """Is this folder inside the uploads folder, also once its links are followed?"""
        path = Path(os.path.normpath(os.path.abspath(location)))
        if not (_within(path, self._confined_to) or _within(path, self._confined_real)):
            return False
        return _within(_real(path), self._confined_real)

    def validate__location(self, location: Path) -> Path:
        return location if self.allows(location) else self._confined_to

    @property
    def is_root(self) -> bool:
        here = Path(os.path.normpath(self._location))
        return here in (self._confined_to, self._confined_real) or super().is_root


class ConfinedSuggestPath(SuggestPath):
    """Completions only for names inside the folder on show (no absolute paths, no ``..``)."""

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value.startswith(("~", "/", os.sep)) or ".." in Path(value).parts:
            return None
        if not _within(_real(self.root / value), _real(self.root)):
            return None
        return await super().get_suggestion(value)


class DocumentPicker(FileOpen):
    """The file picker, in Italian, confined to the uploads folder, returning the
    path as picked (a link is not followed: the form checks where it leads).

    It opens in the uploads folder (or a folder inside it) and cannot leave it:
    no ``..`` at the top, and a typed path outside it is refused here; the
    documents service checks the returned path again.
    """

    ERROR_A_FILE_MUST_EXIST = "Il file non esiste"
    ERROR_A_FILE_MUST_BE_CHOSEN = "Scegli un file"
    ERROR_PERMISSION_ERROR = "Non hai il permesso di aprire questa cartella"
    ERROR_OUTSIDE = "Puoi scegliere solo i file della cartella dei caricamenti"

    def __init__(self, location: Path, title: str, *, root: Path | None = None) -> None:
        self.root = Path(os.path.abspath(root if root is not None else location))
        super().__init__(
            location,
            title,
            open_button="Allega",
            cancel_button="Annulla",
            filters=Filters(
                ("PDF, JPEG, PNG", lambda p: p.suffix.lower() in DOCUMENT_SUFFIXES),
                ("Tutti i file", lambda _p: True),
            ),
        )
        self._suggest_path = ConfinedSuggestPath(root=self.root)

    def compose(self) -> ComposeResult:
        # FileOpen's layout, with the confined folder list (and no drive list).
        with Dialog() as dialog:
            dialog.border_title = self._title
            yield from self._header_area()
            with Horizontal():
                yield ConfinedNavigation(
                    self.root, Path(self._location), double_click_directories=self._double_click_directories
                )
            with InputBar():
                yield from self._input_bar()
                yield Button(self._label(self._select_button, "Select"), id="select")
                yield Button(self._label(self._cancel_button, "Cancel"), id="cancel")

    def on_mount(self) -> None:  # FileOpen's own on_mount runs as well
        # The folder's path is data (a folder may be named "[/]"): shown as text, not markup.
        for label in self.query(CurrentDirectory):
            label._render_markup = False

    @on(Input.Submitted)
    @on(Button.Pressed, "#select")
    def _confirm_in_uploads(self, event: Input.Submitted | Button.Pressed) -> None:
        """Replaces textual-fspicker's confirmation (which resolves links and
        accepts any path): a typed path must stay inside the uploads folder."""
        event.prevent_default()  # FileOpen's own handler does not run
        event.stop()
        typed = self.query_one(Input).value.strip()
        if not typed:
            self._set_error(self.ERROR_A_FILE_MUST_BE_CHOSEN)
            return
        navigation = self.query_one(ConfinedNavigation)
        if typed.startswith("~"):
            self._set_error(self.ERROR_OUTSIDE)
            return
        picked = Path(os.path.normpath(navigation.location / typed))  # an absolute path replaces the folder
        if not (_within(picked, self.root) or _within(picked, _real(self.root))):
            self._set_error(self.ERROR_OUTSIDE)
            return
        if os.path.isdir(picked):
            if not navigation.allows(picked):
                self._set_error(self.ERROR_OUTSIDE)
                return
            navigation.location = picked
            navigation.focus()
            self.query_one(Input).value = ""
            return
        if not os.path.lexists(picked):
            self._set_error(self.ERROR_A_FILE_MUST_EXIST)
            return
        self.dismiss(picked)


def _inspect(path: Path, area: UploadArea) -> DocumentInfo | RuleError:
    """Check an upload; a refusal is the result, not a failure of the worker."""
    try:
        return documents.inspect_upload(path, area)
    except RuleError as error:
        return error


def _selected(select: Select) -> str:
    return "" if select.value is Select.NULL else str(select.value)


class AssistanceFormScreen(StepScreen):
    """11A (from 10A, app or desktop version) or 7B (from 5B/6B, desktop version, mobile required)."""

    HEADING = "Richiedi assistenza"
    DEFAULT_CSS = """
    AssistanceFormScreen .sezione { margin-top: 1; text-style: bold; color: $primary; }
    AssistanceFormScreen .nota { color: $text-muted; margin-bottom: 1; }
    AssistanceFormScreen #variante { margin-bottom: 1; width: auto; }
    AssistanceFormScreen .allegato { height: auto; }
    AssistanceFormScreen .allegato-file { width: 1fr; padding: 0 2; content-align-vertical: middle; height: 3; }
    AssistanceFormScreen .allegato-file.-ok { color: $success; }
    """

    STEP: ClassVar[str] = "11A"

    def __init__(self, *, origin: str = "11A", customer_id: int | None = None) -> None:
        super().__init__()
        self.origin = origin if origin in assistance.ORIGINS else "11A"
        self.STEP = self.origin  # type: ignore[misc]
        self.customer_id = customer_id
        self._attached: dict[str, Path] = {}
        self._documents: dict[str, DocumentInfo] = {}
        self._attach_jobs: dict[Worker, tuple[str, Path]] = {}

    # -- layout -----------------------------------------------------------------

    @property
    def variant(self) -> str:
        if self.origin == "7B":
            return "desktop"
        return "app" if self.recall("variante", "desktop") == "app" else "desktop"

    def _defaults(self) -> dict[str, str]:
        """What the journey already knows (3A, 4A) for a form opened without a login."""
        journey = self.app.journey
        known: dict[str, str] = {}
        if journey.person is not None:
            known |= {
                "nome": journey.person.nome,
                "cognome": journey.person.cognome,
                "data-nascita": journey.person.data_nascita.strftime("%d/%m/%Y"),
                "sesso": journey.person.sesso,
            }
        if journey.username is not None:
            if journey.username.kind == "email":
                known["email"] = journey.username.value
            else:
                number = phonenumbers.parse(journey.username.value)
                known["cellulare"] = phonenumbers.national_significant_number(number)
        return known

    def _input(self, widget_id: str, defaults: dict[str, str], **options) -> Input:  # noqa: ANN003
        return TextInput(str(self.recall(widget_id, defaults.get(widget_id, ""))), id=widget_id, **options)

    def compose_step(self) -> ComposeResult:
        defaults = self._defaults() if self.customer_id is None else {}
        if self.origin == "7B":
            yield Static(
                "[b]Compila il form[/b] inserendo tutti i valori dei campi visualizzati, incluso "
                "[b]il recapito cellulare (inserire il numero senza punti e senza +39)[/b].",
                classes="step-intro",
            )
        else:
            yield Static(
                "Per inserire un nuovo numero di cellulare sul tuo profilo in tua Area Clienti completa tutti i campi.",
                classes="step-intro solo-app",
            )
            yield Static(
                "Per aggiungere un recapito alla tua Area Clienti, completa tutti i campi nel form.",
                classes="step-intro solo-desktop",
            )
            yield Label("Versione del modulo", classes="nota")
            yield RadioSet(
                RadioButton("App", value=self.variant == "app", id="variante-app"),
                RadioButton("Desktop", value=self.variant == "desktop", id="variante-desktop"),
                id="variante",
            )
        yield Static(
            "Tieni sotto mano un documento di identità valido: dovrai allegarlo al form, insieme agli altri dati richiesti.",
            classes="nota",
        )

        yield Static("Inserisci i tuoi dati", classes="sezione")
        yield Static(
            "Verifica che i dati corrispondano a quelli presenti nel tuo documento d'identità.", classes="nota"
        )
        yield Field("Nome", self._input("nome", defaults, placeholder="es. Mario"))
        yield Field("Cognome", self._input("cognome", defaults, placeholder="es. Rossi"))
        yield Field("Città di nascita", self._input("luogo-nascita", defaults, placeholder="es. Roma"))
        # The same date field and sex choice as 3A: 14031975 shows as 14/03/1975, M or F typed chooses.
        birth_date = str(self.recall("data-nascita", defaults.get("data-nascita", "")))
        yield Field(
            "Data di nascita",
            DateInput(birth_date, placeholder="GG/MM/AAAA", id="data-nascita", max_length=10),
            hint="Anche senza barre: 14031975 diventa 14/03/1975.",
        )
        yield Field(
            "Sesso",
            quick_select(SEX_OPTIONS, self.recall("sesso", defaults.get("sesso")), prompt="Seleziona", id="sesso"),
            hint="Scrivi M o F, oppure premi Invio per scegliere.",
        )

        yield Static("Inserisci il tuo nuovo numero di cellulare", classes="sezione solo-app")
        yield Static("Inserisci il nuovo recapito che vuoi far consistere in Area Clienti.", classes="nota solo-app")
        yield Static("Aggiungi un recapito", classes="sezione solo-desktop")
        yield Field(
            "Cellulare",
            self._input("cellulare", defaults, placeholder="3471234567", max_length=20),
            hint=MOBILE_HINT,
        )
        optional = " Se la lasci vuota, useremo l'email con cui accedi." if self.customer_id is not None else ""
        yield Field(
            "Email su cui vuoi essere avvisato",
            self._input("email", defaults, placeholder="nome@esempio.it"),
            hint=f"Non indicare una PEC.{optional}",
        )
        yield Field("Indirizzo", self._input("indirizzo", defaults, placeholder="es. Via Roma 1")).add_class(
            "solo-desktop"
        )
        yield Field("Città", self._input("citta", defaults, placeholder="es. Milano")).add_class("solo-desktop")

        yield Static("Documento d'identità valido", classes="sezione")
        yield Static(
            "Carica una foto o un PDF del fronte e del retro del tuo documento d'identità "
            f"(PDF, JPEG o PNG, al massimo {documents.MAX_BYTES // (1024 * 1024)} MB ciascuno).",
            classes="nota",
        )
        kind = self.recall("tipo-documento", None)
        yield Field(
            "Tipo di documento",
            Select(
                [(name, name) for name in assistance.DOCUMENT_TYPES],
                prompt="Seleziona",
                id="tipo-documento",
                value=kind if kind in assistance.DOCUMENT_TYPES else Select.NULL,
            ),
        )
        yield AttachField("Fronte del documento", Button("Allega fronte", id="allega-fronte"))
        yield AttachField("Retro del documento", Button("Allega retro", id="allega-retro"))

        yield panel(
            Static(
                "Prima della sottoscrizione Privacy: cliccando su [b]Richiedi assistenza[/b] autorizzi la "
                "Compagnia a utilizzare i tuoi dati personali per l'attività in oggetto."
            ),
            Button("Leggi l'informativa privacy", id="informativa"),
        )
        yield Field("Privacy", Checkbox("Ho letto e accetto", bool(self.recall("privacy", False)), id="privacy"))
        yield form_error("invia-richiesta")
        yield actions(
            Button("Richiedi assistenza", id="invia-richiesta", variant="primary"),
            Button("Indietro", id="indietro"),
        )
        yield Static(CONFIRMATION, classes="nota")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_variant()
        for widget_id in ATTACHMENTS:
            remembered = self.recall(widget_id, "")
            if remembered:
                self.attach(widget_id, Path(str(remembered)))
        if self.customer_id is not None:
            ctx, customer_id = self.app.ctx, self.customer_id
            self.run_worker(
                lambda: assistance.prefill_for_customer(ctx, customer_id),
                thread=True,
                exit_on_error=False,
                group="precompila",
                name="precompila",
            )
        self.query_one("#nome").focus()

    def _show_variant(self) -> None:
        app_variant = self.variant == "app"
        for widget in self.query(".solo-app"):
            widget.display = app_variant
        for widget in self.query(".solo-desktop"):
            widget.display = not app_variant
        label = "Luogo di nascita" if app_variant else "Città di nascita"
        self.query_one("#campo-luogo-nascita .field-label", Label).update(label)
        if app_variant:
            self.clear_error("indirizzo")
            self.clear_error("citta")

    @on(RadioSet.Changed, "#variante")
    def variant_changed(self, event: RadioSet.Changed) -> None:
        self.remember("variante", "app" if event.pressed.id == "variante-app" else "desktop")
        self._show_variant()

    def _prefilled(self, values: dict[str, str]) -> None:
        for widget_id, value in values.items():
            if not value:
                continue
            if widget_id == "sesso":
                select = self.query_one("#sesso", Select)
                if select.value is Select.NULL and value in ("M", "F"):
                    select.value = value
                continue
            for field_input in self.query(f"Input#{widget_id}").results(Input):
                if not field_input.value:
                    field_input.value = value

    # -- attachments -----------------------------------------------------------

    @on(Button.Pressed, "#allega-fronte, #allega-retro")
    def pick_document(self, event: Button.Pressed) -> None:
        widget_id = event.button.id or ""
        side = ATTACHMENTS[widget_id]
        try:  # the picker opens only the uploads folder
            root = documents.ensure_uploads_dir(self.app.settings)
        except RuleError as error:
            self.show_error(widget_id, error.message)
            return
        remembered = str(self.recall("cartella", ""))
        folder = Path(remembered) if remembered else root
        if not folder.is_dir() or not (_within(folder, root) and _within(_real(folder), _real(root))):
            folder = root

        def picked(path: Path | None) -> None:
            if path is not None:
                self.attach(widget_id, path)

        self.app.push_screen(DocumentPicker(folder, f"Allega il {side} del documento", root=root), picked)

    @property
    def upload_area(self) -> UploadArea:
        return UploadArea.from_settings(self.app.settings)

    def attach(self, widget_id: str, path: Path) -> None:
        """Attach a file to ``allega-fronte`` or ``allega-retro``: checked in a thread,
        then described beside the button, or refused at that field."""
        if widget_id not in ATTACHMENTS:
            raise ValueError(f"not an attachment field: {widget_id!r}")
        area = self.upload_area
        path = documents.resolve_in_uploads(path, area)  # a relative path starts in the uploads folder
        self._attached[widget_id] = path
        self._documents.pop(widget_id, None)
        self.remember(widget_id, str(path))
        self.remember("cartella", str(path.parent))
        self.clear_error(widget_id)
        line = self.query_one(f"#{widget_id}-file", Static)
        line.remove_class("-ok")
        line.update(template("Controllo di $name…", name=path.name))
        worker = self.run_worker(
            lambda: _inspect(path, area),
            thread=True,
            exit_on_error=False,
            group=widget_id,
            exclusive=True,
            name=widget_id,
        )
        self._attach_jobs[worker] = (widget_id, path)

    @on(Worker.StateChanged)
    def _background_done(self, event: Worker.StateChanged) -> None:
        worker, state = event.worker, event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.name == "precompila" and worker.group == "precompila":
            if state == WorkerState.SUCCESS and isinstance(worker.result, dict):
                self._prefilled(worker.result)
            elif state == WorkerState.ERROR:
                self.app.report_unexpected(worker.error)
            return
        job = self._attach_jobs.pop(worker, None)
        if job is None:
            return
        widget_id, path = job
        if state == WorkerState.CANCELLED or self._attached.get(widget_id) != path:
            return  # replaced by a newer choice
        line = self.query_one(f"#{widget_id}-file", Static)
        if state == WorkerState.ERROR:
            self.app.report_unexpected(worker.error)
        elif isinstance(worker.result, DocumentInfo):
            info = worker.result
            self._documents[widget_id] = info
            line.add_class("-ok")
            line.update(template("✔ $name — $description", name=info.original_name, description=info.description))
        elif isinstance(worker.result, RuleError):
            line.update(template("✘ $name", name=path.name))
            self.show_error(widget_id, worker.result.message, focus=False)

    def attachment(self, widget_id: str) -> DocumentInfo | None:
        """The checked document attached at that field, if any."""
        return self._documents.get(widget_id)

    # -- privacy and submission ------------------------------------------------

    @on(Button.Pressed, "#informativa")
    def show_notice(self) -> None:
        notice = load_notice(self.app.settings.privacy_file)
        self.app.push_screen(DocumentModal(f"Informativa privacy (versione {notice.version})", notice.text))

    def form(self) -> AssistanceForm:
        """The form as typed so far."""
        return AssistanceForm(
            origin=self.origin,
            variant=self.variant,
            nome=self.value_of("nome"),
            cognome=self.value_of("cognome"),
            luogo_nascita=self.value_of("luogo-nascita"),
            data_nascita=self.value_of("data-nascita"),
            sesso=_selected(self.query_one("#sesso", Select)),
            cellulare=self.value_of("cellulare"),
            email=self.value_of("email"),
            indirizzo=self.value_of("indirizzo") if self.variant == "desktop" else "",
            citta=self.value_of("citta") if self.variant == "desktop" else "",
            tipo_documento=_selected(self.query_one("#tipo-documento", Select)),
            fronte=self._attached.get("allega-fronte"),
            retro=self._attached.get("allega-retro"),
            privacy=self.query_one("#privacy", Checkbox).value,
            customer_id=self.customer_id,
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#invia-richiesta")
    def submit(self) -> None:
        self.clear_errors()
        birth_date = self.query_one("#data-nascita", DateInput)
        with self.prevent(Input.Changed):  # its Changed would clear the message shown below
            if birth_date.normalize():  # as on 3A: 14.3.1975 is sent and shown as 14/03/1975
                self.remember("data-nascita", birth_date.value)
        form = self.form()
        ctx, today, pec = self.app.ctx, self.app.today(), self.app.pec_domains

        def job() -> int | RuleError:
            # Refusals come back as results: only faults make the worker fail.
            try:
                return assistance.submit(ctx, form, today=today, pec_domains=pec)
            except RuleError as error:
                return error

        def done(result: int | RuleError) -> None:
            if isinstance(result, RuleError):
                self._refused(result)
            else:
                self._sent(result, form)

        self.run_busy(job, done, self._refused, label="Invio della richiesta…")

    def _refused(self, error: Exception) -> None:
        if isinstance(error, AssistanceInvalid):
            first = True
            for widget_id in FORM_FIELDS:
                message = error.errors.get(widget_id)
                if message:
                    self.show_error(widget_id, message, focus=first)
                    first = False
                    if widget_id in ATTACHMENTS:
                        self._documents.pop(widget_id, None)
                        self.query_one(f"#{widget_id}-file", Static).remove_class("-ok")
            return
        message = error.message if isinstance(error, RuleError) else str(error)
        self.show_error("invia-richiesta", message)

    def _sent(self, request_id: int, form: AssistanceForm) -> None:
        self.app.journey.forget(self.STEP, *FORM_FIELDS)
        email = form.email.strip()
        if email:
            self.app.journey.contacts.add(email)  # the confirmation email belongs to this journey
        self.app.advance(self, "inviata", request_id=request_id, origin=self.origin, email=email)


class AssistanceSentScreen(StepScreen):
    """The request went out: the customer will be told by email."""

    HEADING = "Richiesta inviata"
    STEP: ClassVar[str] = "11A"
    DONE = True  # Esc stays here: the way on is Torna all'inizio

    def __init__(self, request_id: int, *, origin: str = "11A", email: str = "") -> None:
        super().__init__()
        self.request_id = request_id
        self.STEP = origin  # type: ignore[misc]
        self.BADGE = f"Passo {origin} · Richiesta inviata"  # type: ignore[misc]
        self.email = email

    def compose_step(self) -> ComposeResult:
        where = "\n\nEmail indicata: [b]$email[/b]" if self.email else ""
        yield panel(
            Static(
                template(
                    "[b]GRAZIE[/b]: abbiamo ricevuto la tua richiesta di assistenza [b]n. $numero[/b].\n\n"
                    f"$conferma{where}",
                    numero=self.request_id, conferma=CONFIRMATION, email=self.email,
                ),
                id="esito",
            ),
            classes="riquadro successo",
        )
        yield actions(Button("Torna all'inizio", id="inizio", variant="primary"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#inizio").focus()

    @on(Button.Pressed, "#inizio")
    def home(self) -> None:
        self.app.advance(self, "inizio")

    def action_back(self) -> None:
        """The request is sent: going back to the form would only send it again, and Esc
        never goes forward either (Torna all'inizio does)."""
