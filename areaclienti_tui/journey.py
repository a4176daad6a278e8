"""What the customer has typed and chosen so far, kept across Back and forward."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    # For the outbox pane only (not compared: a journey at rest is still `== Journey()`):
    # when the journey started (1A) and every contact it has sent something to.
    started_at: datetime | None = field(default=None, compare=False)
    contacts: set[str] = field(default_factory=set, compare=False)

    def remember(self, step: str, widget_id: str, value: object) -> None:
        self.values[(step, widget_id)] = value

    def recall(self, step: str, widget_id: str, default: object = "") -> object:
        return self.values.get((step, widget_id), default)

    def forget(self, step: str, *widget_ids: str) -> None:
        for widget_id in widget_ids:
            self.values.pop((step, widget_id), None)

    def known_contacts(self) -> frozenset[str]:
        """The contacts this journey has used so far (username, code destinations, login).

        Remembered as they appear, so a contact stays known after the code that
        went to it is used and cleared.
        """
        for value in (
            self.username.value if self.username else None,
            self.pending.username.value if self.pending else None,
            self.code.destination if self.code else None,
            self.login.username if self.login else None,
        ):
            if value:
                self.contacts.add(value)
        return frozenset(self.contacts)

    def continue_from(self, previous: Journey) -> None:
        """The same customer goes on (e.g. from the new account to the login): same start, same contacts."""
        self.started_at = previous.started_at
        self.contacts |= previous.known_contacts()
