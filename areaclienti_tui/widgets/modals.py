"""Modal screens that return a value with dismiss()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown, OptionList, Static

from areaclienti_tui.widgets.actions import Actions
from areaclienti_tui.widgets.literal import option, template

if TYPE_CHECKING:
    from areaclienti_tui.services import security


class DocumentModal(ModalScreen[None]):
    """A long text to read, such as the privacy notice."""

    BINDINGS = [Binding("escape", "close", "Chiudi")]
    DEFAULT_CSS = """
    DocumentModal { align: center middle; }
    DocumentModal > Vertical {
        width: 90%; max-width: 100; height: 85%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    DocumentModal VerticalScroll { height: 1fr; }
    DocumentModal Horizontal { height: auto; align-horizontal: right; }
    """

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title = title
        self._text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(template("[b]$title[/b]", title=self._title))
            with VerticalScroll(id="testo-documento"):
                yield Markdown(self._text)
            with Horizontal():
                yield Button("Chiudi", id="chiudi", variant="primary")

    @on(Button.Pressed, "#chiudi")
    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question: fixed markup, or Content from `template()` when it quotes data.

    Annulla has the focus: Enter pressed by habit never confirms.
    """

    BINDINGS = [Binding("escape", "cancel", "Annulla")]
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 60; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmModal Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmModal Button { margin-left: 1; }
    """

    def __init__(self, question: str | Content, *, confirm_label: str = "Conferma") -> None:
        super().__init__()
        self._question = question
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._question)
            with Horizontal():
                yield Button("Annulla", id="annulla")
                yield Button(self._confirm_label, id="conferma", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#annulla", Button).focus()

    @on(Button.Pressed, "#conferma")
    def confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#annulla")
    def action_cancel(self) -> None:
        self.dismiss(False)


class BiometricModal(ModalScreen[int | None]):
    """The simulated fingerprint: choose the enrolled account and confirm."""

    BINDINGS = [Binding("escape", "cancel", "Annulla")]

    DEFAULT_CSS = """
    BiometricModal { align: center middle; }
    BiometricModal > Vertical {
        width: 70; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    BiometricModal OptionList { height: auto; max-height: 8; margin: 1 0; }
    """

    def __init__(self, enrolments: list[security.Enrolment]) -> None:
        super().__init__()
        self.enrolments = enrolments

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "[b]Riconoscimento biometrico (SIMULATO)[/b]\n\n"
                "Questa console non ha un sensore: la conferma qui sotto simula l'impronta o il volto "
                "riconosciuti dal dispositivo."
            )
            yield OptionList(*(option(e.masked, id=str(e.account_id)) for e in self.enrolments), id="account-biometrici")
            yield Actions(
                Button("Simula riconoscimento", id="conferma-biometrico", variant="primary"),
                Button("Annulla", id="annulla"),
                classes="azioni",
            )

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = 0
        option_list.focus()

    @on(OptionList.OptionSelected)
    @on(Button.Pressed, "#conferma-biometrico")
    def confirm(self) -> None:
        index = self.query_one(OptionList).highlighted
        self.dismiss(self.enrolments[index].account_id if index is not None else None)

    @on(Button.Pressed, "#annulla")
    def action_cancel(self) -> None:
        self.dismiss(None)
