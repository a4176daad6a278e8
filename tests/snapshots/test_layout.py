"""Layout snapshots (textual and rich are pinned in pyproject.toml).

Regenerate after an intended change with `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets import Input

from areaclienti_tui.app import AreaClientiApp
from areaclienti_tui.services import codes
from tests.pilot.driver import Driver

SIZE = (120, 40)


def test_welcome_1a(snap_compare, demo_ctx):
    assert snap_compare(AreaClientiApp(demo_ctx), terminal_size=SIZE)


def test_password_5a_with_errors(snap_compare, demo_ctx):
    async def run_before(pilot) -> None:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.personal_data("Mario", "Rossi", "14/03/1975", "Maschio")
        await d.click("#continua")
        await d.type_keys("#username", "mario.rossi@gmail.com")
        await d.click("#continua")
        await d.type_keys("#password", "rossi12")
        await d.click("#registrati")
        # The button just clicked looks pressed for a moment (Textual's press effect): the
        # picture is of the page once it is over.
        await d.until(lambda: not pilot.app.screen.query("Button.-active"), "the end of the press effect")
        pilot.app.screen.query_one("#journey").scroll_home(animate=False)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # the cursor stays drawn, however long the snapshot takes
        await pilot.pause()

    assert snap_compare(AreaClientiApp(demo_ctx), terminal_size=SIZE, run_before=run_before)


def test_code_sent_6a_beside_the_outbox(snap_compare, demo_ctx, monkeypatch):
    monkeypatch.setattr(codes, "_generate", lambda: "482913")

    async def run_before(pilot) -> None:
        d = Driver(pilot)
        await d.register_until_code(
            nome="Giulia", cognome="Marino", data="22/07/1982", sesso="Femmina",
            username="3289876543", password="Girasole#Verde7",
        )
        await d.expect_step("6A")

    assert snap_compare(AreaClientiApp(demo_ctx), terminal_size=SIZE, run_before=run_before)
