"""Step 8A: Accedi (password or simulated biometrics), then "I tuoi prodotti"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, DataTable, Input, Static

from areaclienti_tui.rules.username import display_contact
from areaclienti_tui.services import auth, customers, security
from areaclienti_tui.services.auth import CustomerLogin, LoginError
from areaclienti_tui.steps.base import StepScreen, actions, panel
from areaclienti_tui.steps.codes import request_security_code
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import Plain, PlainTable, TextInput, template
from areaclienti_tui.widgets.modals import BiometricModal, ConfirmModal

STATES = {"attiva": "Attiva", "scaduta": "Scaduta", "annullata": "Annullata", "sospesa": "Sospesa"}


def begin_session(screen: StepScreen, login: CustomerLogin, *, method: str = "password") -> None:
    """After the password (or the simulated fingerprint): 9A if the policy wants it, then in."""
    app = screen.app
    ctx, device = app.ctx, app.device

    def decided(needed: bool) -> None:
        if not needed:
            app.finish_login(login, method=method, source=screen)
            return
        request_security_code(screen, login, "accesso", "entrato", method=method)

    screen.run_busy(lambda: security.login_needs_code(ctx, login, device), decided, label="Accesso in corso…")


class LoginScreen(StepScreen):
    STEP = "8A"
    HEADING = "Accedi all'Area Clienti"
    INTRO = "Inserisci [b]nome utente e password[/b] per vedere i tuoi prodotti Generali."

    def __init__(self, username: str = "") -> None:
        """`username` prefills the field (a stored mobile is shown as ``+39 328 987 6543``;
        login accepts every way of writing it)."""
        super().__init__()
        self._username = display_contact(username) if username else ""
        self._enrolments: list[security.Enrolment] = []

    def compose_step(self) -> ComposeResult:
        yield Field(
            "Nome utente (email o cellulare)",
            TextInput(self._username or self.recall("username"), placeholder="nome@esempio.it oppure 3471234567", id="username"),
        )
        yield Field("Password", TextInput(password=True, id="password"))
        yield actions(
            Button("Accedi", id="accedi", variant="primary"),
            Button("Password dimenticata?", id="password-dimenticata"),
            Button("Indietro", id="indietro"),
        )
        biometric = Button("Accedi con il riconoscimento biometrico (simulato)", id="accesso-biometrico")
        biometric.display = False
        yield biometric

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#password" if self.value_of("username") else "#username").focus()
        ctx, device = self.app.ctx, self.app.device
        self.run_busy(lambda: security.enrolments(ctx, device), self._show_biometric, label="Preparazione…")

    def _show_biometric(self, enrolments: list[security.Enrolment]) -> None:
        self._enrolments = enrolments
        self.query_one("#accesso-biometrico").display = bool(enrolments)

    @on(Input.Submitted)
    @on(Button.Pressed, "#accedi")
    def submit(self) -> None:
        self.clear_errors()
        username, password = self.value_of("username"), self.value_of("password")
        if not username.strip():
            self.show_error("username", "Inserisci il nome utente: l'email o il cellulare con cui ti sei registrato.")
            return
        if not password:
            self.show_error("password", "Inserisci la password.")
            return
        ctx = self.app.ctx
        self.run_busy(lambda: auth.customer_login(ctx, username, password), self.logged_in, self.refused,
                      label="Accesso in corso…")

    def refused(self, error: Exception) -> None:
        message = error.message if isinstance(error, LoginError) else str(error)
        with self.prevent(Input.Changed):
            self.query_one("#password", Input).value = ""
        self.show_error("password", message)

    def logged_in(self, login: CustomerLogin, method: str = "password") -> None:
        self.query_one("#password", Input).value = ""
        begin_session(self, login, method=method)

    @on(Button.Pressed, "#password-dimenticata")
    def forgot(self) -> None:
        self.app.advance(self, "password-dimenticata", username=self.value_of("username"))

    @on(Button.Pressed, "#accesso-biometrico")
    def biometric(self) -> None:
        ctx, device = self.app.ctx, self.app.device

        def chosen(account_id: int | None) -> None:
            if account_id is None:
                return
            self.run_busy(lambda: security.biometric_login(ctx, account_id, device),
                          lambda login: self.logged_in(login, "biometrico"), self.refused,
                          label="Riconoscimento in corso…")

        self.app.push_screen(BiometricModal(self._enrolments), chosen)


class ProductsScreen(StepScreen):
    STEP = "8A"
    BADGE = "Passo 8A · I tuoi prodotti"
    HEADING = "I tuoi prodotti"
    biometric_on = False

    @property
    def login(self) -> CustomerLogin:
        login = self.app.journey.login
        assert login is not None
        return login

    def compose_step(self) -> ComposeResult:
        yield Static(
            template("Ciao [b]$nome $cognome[/b], ecco i tuoi prodotti Generali.",
                     nome=self.login.nome, cognome=self.login.cognome),
            id="benvenuto",
        )
        table: DataTable = PlainTable(id="prodotti", cursor_type="row", zebra_stripes=True)
        table.add_columns("Polizza", "Prodotto", "Stato", "Tramite")
        yield table
        yield Static("", id="nessun-prodotto")
        yield panel(
            Static("[b]Il tuo account[/b]"),
            Plain(f"Nome utente: {display_contact(self.login.username, self.login.username_kind)}",  # type: ignore[arg-type]
                  id="nome-utente"),
            actions(
                Button("Cambia password", id="cambia-password"),
                Button("Cambia nome utente", id="cambia-username"),
                Button("Attiva accesso biometrico", id="biometrico"),
            ),
            Static("", id="biometrico-stato", classes="nota"),
        )
        yield actions(Button("Esci", id="esci", variant="error"))

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def reload(self) -> None:
        ctx, login, device = self.app.ctx, self.login, self.app.device

        def job() -> tuple[list[customers.PolicyView], bool]:
            return customers.policies(ctx, login.customer_id), security.biometric_enabled(ctx, login, device)

        self.run_busy(job, self._show, label="Caricamento dei prodotti…")

    def _show(self, result: tuple[list[customers.PolicyView], bool]) -> None:
        policies, biometric = result
        table = self.query_one("#prodotti", DataTable)
        table.clear()
        for policy in policies:
            table.add_row(
                policy.numero,
                policy.prodotto,
                STATES.get(policy.stato, policy.stato),
                "INARCASSA" if policy.inarcassa else "Generali",  # short: the table fits at 120×40
                key=policy.numero,
            )
        self.query_one("#nessun-prodotto", Static).update("" if policies else "Non risultano prodotti a tuo nome.")
        self._show_biometric(biometric)
        table.focus()

    def _show_biometric(self, enabled: bool) -> None:
        self.biometric_on = enabled
        self.query_one("#biometrico", Button).label = (
            "Disattiva accesso biometrico" if enabled else "Attiva accesso biometrico"
        )
        self.query_one("#biometrico-stato", Static).update(
            "Accesso biometrico (simulato) attivo su questa console: dalla prossima volta puoi usarlo in 8A."
            if enabled
            else "Accesso biometrico (simulato: un terminale non ha sensori) non attivo su questa console."
        )

    @on(Button.Pressed, "#cambia-password")
    def change_password(self) -> None:
        login = self.login
        names = (login.nome, login.cognome, login.username)
        request_security_code(self, login, "operazione", "cambio-password", account_id=login.account_id, names=names)

    @on(Button.Pressed, "#cambia-username")
    def change_username(self) -> None:
        login = self.login
        request_security_code(self, login, "operazione", "cambio-username", login=login)

    @on(Button.Pressed, "#biometrico")
    def toggle_biometric(self) -> None:
        ctx, login, device = self.app.ctx, self.login, self.app.device
        enable = not self.biometric_on

        def job() -> bool:
            (security.enable_biometric if enable else security.disable_biometric)(ctx, login, device)
            return enable

        def done(enabled: bool) -> None:
            self._show_biometric(enabled)
            self.app.notify("Accesso biometrico attivato." if enabled else "Accesso biometrico disattivato.")

        self.run_busy(job, done, label="Aggiornamento…")

    def action_back(self) -> None:
        """Esc would end the session: ask first (Annulla has the focus)."""
        if self.busy:
            return

        def chosen(leave: bool | None) -> None:
            if leave:
                self.logout()

        self.app.push_screen(
            ConfirmModal("Vuoi uscire dall'Area Clienti?\n\nPer rientrare dovrai accedere di nuovo con nome utente "
                         "e password.", confirm_label="Esci"),
            chosen,
        )

    @on(Button.Pressed, "#esci")
    def logout(self) -> None:
        self.app.logout(self)
