"""Small events that services publish and the UI, the audit view and tests listen to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OutboxChanged:
    message_id: int
    channel: str
    recipient: str


@dataclass(frozen=True)
class AuditRecorded:
    kind: str
    actor: str
    outcome: str


@dataclass(frozen=True)
class AccountCreated:
    account_id: int
    username: str


Event = OutboxChanged | AuditRecorded | AccountCreated
Listener = Callable[[Event], None]


class EventBus:
    """Synchronous publish/subscribe; listeners may be called from worker threads."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)
