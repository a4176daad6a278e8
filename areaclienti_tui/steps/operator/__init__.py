"""The operator area (SPEC §3): operator login, then a home with one tab per tool.

The first tab is the assistance queue (requests from 11A and 7B): open a
request, look at its data and documents, approve it (the contact is added to
the customer) or reject it with a reason. Every screen here needs a signed-in
operator (``app.operator``); without one it gives way to the operator login.

One module per part, layered without cycles (an import-linter contract in
pyproject.toml keeps it so): ``common`` (the screen frame, the tab base,
helpers) and ``preview`` at the bottom; the tabs (``requests``, ``registry``,
``accounts``, ``audit``, ``personas``, ``trainer``, ``diagnosis``), ``login``,
``request_detail`` and ``kiosk``, none importing another; ``home``, which lists
the tabs; ``commands`` (the command palette) on top. A tab is added by
appending ``(tab id, label, widget class)`` to ``OperatorHomeScreen.TABS``.

The names the app, the journey map (``"operator:OperatorLoginScreen"``) and
the tests use are importable from here.
"""

from areaclienti_tui.steps.operator.commands import (
    OPERATOR_COMMANDS,
    OperatorCommand,
    OperatorCommands,
    run_operator_command,
)
from areaclienti_tui.steps.operator.common import OperatorScreen, OperatorTab, leave_operator_area, sign_out_operator
from areaclienti_tui.steps.operator.home import OperatorHomeScreen
from areaclienti_tui.steps.operator.kiosk import KioskUnlockModal, kiosk_unlocked
from areaclienti_tui.steps.operator.login import OperatorLoginScreen
from areaclienti_tui.steps.operator.preview import PREVIEW_COLUMNS, PREVIEW_ROWS, half_block_preview
from areaclienti_tui.steps.operator.request_detail import ReasonModal, RequestDetailScreen

__all__ = [
    "OPERATOR_COMMANDS",
    "PREVIEW_COLUMNS",
    "PREVIEW_ROWS",
    "KioskUnlockModal",
    "OperatorCommand",
    "OperatorCommands",
    "OperatorHomeScreen",
    "OperatorLoginScreen",
    "OperatorScreen",
    "OperatorTab",
    "ReasonModal",
    "RequestDetailScreen",
    "half_block_preview",
    "kiosk_unlocked",
    "leave_operator_area",
    "run_operator_command",
    "sign_out_operator",
]
