"""The Pilot tests' driver: the console's own `Driver` (areaclienti_tui.driver) with a
Pilot, which clicks, types and chooses as a person would and waits on conditions,
plus the whole steps the tests share: reaching 3A or 1B, registering until the
code, signing in as a customer or as the operator, the command palette."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable

from areaclienti_tui.driver import Driver as AppDriver
from areaclienti_tui.services.demo import OPERATOR_PASSWORD, OPERATOR_USERNAME
from areaclienti_tui.steps.operator import OperatorHomeScreen, OperatorLoginScreen
from areaclienti_tui.widgets.modals import ConfirmModal

TIMEOUT = 30.0  # seconds a condition may take before the test fails
PASSWORD = "Girasole#Verde7"


def palette_titles(commands: CommandList) -> list[str]:
    """The entries the command palette lists now, in order."""
    return [str(commands.get_option_at_index(i).hit.text) for i in range(commands.option_count)]  # type: ignore[attr-defined]


class Driver(AppDriver):
    pilot: Pilot

    def __init__(self, pilot: Pilot) -> None:
        super().__init__(pilot.app, pilot, timeout=TIMEOUT)

    # -- reading ---------------------------------------------------------------

    def text(self) -> str:
        """Every text, label and button of the current screen (hidden ones too), as plain text."""
        return " ".join(str(w.render()) for w in self.app.screen.query("Static, Label, Button"))

    def screen_lines(self) -> list[str]:
        """What the terminal shows right now, line by line (the rendered screen, not widget state)."""
        return [strip.text for strip in self.app.screen._compositor.render_strips()]

    async def expect_step(self, step: str) -> None:
        await self.until(lambda: self.step == step, f"passo {step}")

    # -- whole steps -----------------------------------------------------------

    async def to_3a(self) -> None:
        """From 1A: Registrati, then a person (2A), to the personal data (3A)."""
        await self.expect_step("1A")
        await self.click("#registrati")
        await self.expect_step("2A")
        await self.click("#persona")
        await self.expect_step("3A")

    async def personal_data(self, nome: str, cognome: str, data: str, sesso: str) -> None:
        await self.type_keys("#nome", nome)
        await self.type_keys("#cognome", cognome)
        await self.type_keys("#data-nascita", data)
        await self.choose_option("#sesso", sesso)

    async def register_until_code(
        self, *, nome: str, cognome: str, data: str, sesso: str, username: str, password: str
    ) -> None:
        await self.to_3a()
        await self.personal_data(nome, cognome, data, sesso)
        await self.click("#continua")
        await self.expect_step("4A")
        await self.type_keys("#username", username)
        await self.click("#continua")
        await self.expect_step("5A")
        await self.type_keys("#password", password)
        await self.type_keys("#conferma-password", password)
        await self.click("#privacy")
        await self.click("#registrati")

    async def to_1b(
        self, nome: str, cognome: str, data: str, sesso: str, username: str, password: str = PASSWORD
    ) -> None:
        """Registration of someone the registry does not recognise, up to path B (1B)."""
        await self.register_until_code(
            nome=nome, cognome=cognome, data=data, sesso=sesso, username=username, password=password
        )
        await self.expect_step("1B")

    async def login(self, username: str, password: str) -> None:
        await self.type_keys("#username", username)
        await self.type_keys("#password", password)
        await self.click("#accedi")

    async def login_with_code(self, username: str, password: str, mobile: str) -> None:
        """From 1A: Accedi (8A), the credentials, the code sent to `mobile` (9A), the products."""
        await self.click("#accedi")
        await self.expect_step("8A")
        await self.login(username, password)
        await self.expect_step("9A")
        await self.type_keys("#otp", self.code(mobile))
        await self.click("#continua")
        await self.until(lambda: "I tuoi prodotti" in self.text(), "i prodotti")

    # -- the operator ----------------------------------------------------------

    async def open_operator_login(self) -> None:
        """F9: the operator's sign-in."""
        await self.key("f9")
        await self.until(lambda: isinstance(self.app.screen, OperatorLoginScreen), "l'accesso operatore")
        await self.settle()

    async def operator_sign_in(self, username: str = OPERATOR_USERNAME, password: str = OPERATOR_PASSWORD) -> None:
        """On the operator's sign-in: the name, the password, Accedi."""
        await self.type_keys("#operatore-username", username)
        await self.type_keys("#operatore-password", password)
        await self.click("#operatore-accedi")

    async def operator_home(
        self, username: str = OPERATOR_USERNAME, password: str = OPERATOR_PASSWORD
    ) -> OperatorHomeScreen:
        """F9, signed in: the operator's home."""
        await self.open_operator_login()
        await self.operator_sign_in(username=username, password=password)
        await self.until(lambda: isinstance(self.app.screen, OperatorHomeScreen), "la home dell'operatore")
        await self.settle()
        return self.app.screen

    async def open_tab(self, tab_id: str) -> None:
        """Click an operator tab's label and wait until that tab is the one shown."""
        from textual.widgets import TabbedContent

        await self.click(f"#--content-tab-{tab_id}")
        await self.until(lambda: self.app.screen.query_one("#schede", TabbedContent).active == tab_id, f"tab {tab_id}")
        await self.settle()

    async def accounts_tab(self) -> DataTable:
        """Signed in, the Account tab, once its table lists the one account of the demo data."""
        await self.operator_home()
        await self.open_tab("account")
        table = self.app.screen.query_one("#elenco-account", DataTable)
        await self.until(lambda: table.row_count == 1, "l'account di Anna Conti")
        return table

    async def answer_confirmation(self, button: str) -> None:
        """A confirmation comes; `button` (#conferma, #annulla) answers it and it closes."""
        await self.until(lambda: isinstance(self.app.screen, ConfirmModal), "la conferma")
        await self.click(button)
        await self.until(lambda: not isinstance(self.app.screen, ConfirmModal), "la conferma chiusa")

    # -- the command palette ---------------------------------------------------

    async def open_palette(self) -> CommandList:
        await self.key("ctrl+p")
        await self.until(lambda: CommandPalette.is_open(self.app), "la palette dei comandi")
        return self.app.screen.query_one(CommandList)

    async def run_command(self, title: str) -> None:
        """Open the palette, type the command's name and run the matching entry."""
        commands = await self.open_palette()
        await self.pilot.press(*title)
        await self.until(lambda: title in palette_titles(commands), f"{title!r} nella palette")
        commands.highlighted = palette_titles(commands).index(title)
        await self.key("enter")
        await self.until(lambda: not CommandPalette.is_open(self.app), "la palette chiusa")
        await self.settle()
