"""An unexpected fault is logged and shown as the 6B generic error, never as a traceback."""

from __future__ import annotations

import logging

from areaclienti_tui.app import AreaClientiApp
from areaclienti_tui.services import registration
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver


async def test_a_fault_in_a_worker_shows_6b_and_is_logged(demo_ctx, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(registration, "username_taken", broken)
    app = AreaClientiApp(demo_ctx)  # as users run it: raise_unexpected stays False
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.personal_data("Mario", "Rossi", "14/03/1975", "Maschio")
        await d.click("#continua")
        await d.type_keys("#username", "mario.rossi@gmail.com")
        with caplog.at_level(logging.ERROR):
            await d.click("#continua")
        await d.expect_step("6B")
        assert "problema imprevisto" in d.text()
        assert "Traceback" not in d.text()
        assert any("database went away" in str(r.exc_info) for r in caplog.records if r.exc_info)
        await d.click("#inizio")
        await d.expect_step("1A")
    assert app.return_code in (None, 0)


async def test_a_fault_while_building_a_screen_shows_6b(demo_ctx, monkeypatch):
    from areaclienti_tui.steps import registration as steps

    def broken(self):  # noqa: ANN001, ANN202
        raise ValueError("screen bug")

    monkeypatch.setattr(steps.PersonalDataScreen, "compose_step", broken)
    app = AreaClientiApp(demo_ctx)
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("6B")
        await d.click("#inizio")
        await d.expect_step("1A")
