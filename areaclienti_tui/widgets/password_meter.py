"""The 5A live checklist and strength meter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, ProgressBar, Static

from areaclienti_tui.rules.password import MAX_LEN, checklist, strength
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput


def password_fields(password: str = "", confirm: str = "", *, label: str = "Password") -> list[Widget]:
    """`#password`, the live meter and `#conferma-password`, as 5A shows them.

    The inputs take a few characters more than the policy allows, so that a too
    long password gets its message instead of being silently cut.
    """
    return [
        Field(label, TextInput(password, password=True, id="password", max_length=MAX_LEN + 8)),
        PasswordMeter(),
        Field("Conferma password", TextInput(confirm, password=True, id="conferma-password", max_length=MAX_LEN + 8)),
    ]


class PasswordMeter(Vertical):
    """Shows, as the person types, which rules are met and how strong the password is."""

    DEFAULT_CSS = """
    PasswordMeter {
        height: auto;
        border: round $primary-muted;
        padding: 0 1;
        margin: 0 0 1 0;
    }
    PasswordMeter .check { color: $text-muted; }
    PasswordMeter .check.-ok { color: $success; }
    PasswordMeter #forza-etichetta { margin-top: 1; }
    PasswordMeter ProgressBar Bar { width: 1fr; }
    """

    def __init__(self, *, id: str | None = "requisiti-password") -> None:  # noqa: A002
        super().__init__(id=id)
        self._user_inputs: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        for check in checklist(""):
            yield Static(f"○ {check.label}", id=f"requisito-{check.key}", classes="check")
        yield Static("Sicurezza: —", id="forza-etichetta")
        yield ProgressBar(total=4, show_eta=False, show_percentage=False, id="forza")

    def update_for(self, password: str, user_inputs: tuple[str, ...] = ()) -> None:
        for check in checklist(password):
            line = self.query_one(f"#requisito-{check.key}", Static)
            line.update(f"{'✔' if check.ok else '○'} {check.label}")
            line.set_class(check.ok, "-ok")
        result = strength(password, user_inputs)
        label = result.label if password else "—"
        self.query_one("#forza-etichetta", Static).update(f"Sicurezza: {label}")
        self.query_one("#forza", ProgressBar).update(progress=result.score if password else 0)
