"""What the customer has typed and chosen so far, kept across Back and forward."""

from __future__ import annotations

from dataclasses import dataclass, field

from areaclienti_tui.rules.username import Username
from areaclienti_tui.services.auth import CustomerLogin
from areaclienti_tui.services.codes import IssuedCode
from areaclienti_tui.services.registration import PendingAccount, PersonalData


@dataclass
class Journey:
    """One customer's way through the steps; cleared when the journey restarts."""

    values: dict[tuple[str, str], object] = field(default_factory=dict)
    person: PersonalData | None = None
    username: Username | None = None
    password_hash: str | None = None
    pending: PendingAccount | None = None
    code: IssuedCode | None = None
    login: CustomerLogin | None = None

    def remember(self, step: str, widget_id: str, value: object) -> None:
        self.values[(step, widget_id)] = value

    def recall(self, step: str, widget_id: str, default: object = "") -> object:
        return self.values.get((step, widget_id), default)

    def forget(self, step: str, *widget_ids: str) -> None:
        for widget_id in widget_ids:
            self.values.pop((step, widget_id), None)
