"""The operator's Account tab at 80×24: the accounts table fits the terminal (no sideways
scrolling to reach "Stato") with short headers and dates as GG/MM/AA; where there is room
the full headers and dates are kept."""

from __future__ import annotations

import datetime

from sqlmodel import select
from textual.widgets import DataTable

from areaclienti_tui.store.models import Account
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver
from tests.pilot.test_operator_views import ANNA, lock_anna, rows

NARROW = (80, 24)


def anna_signed_in(ctx) -> None:
    """Anna's last access: 01/03/2026 at 18:45 (UTC 17:45)."""
    with ctx.db.session() as session:
        account = session.exec(select(Account).where(Account.username == ANNA)).one()
        account.last_login_at = datetime.datetime(2026, 3, 1, 17, 45)
        session.add(account)
        session.commit()


def headers(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


def fits(table: DataTable) -> bool:
    return table.virtual_size.width <= table.scrollable_content_region.width


async def _show(make_app, size) -> tuple[list[str], list[list[str]], bool, list[str]]:
    """The Account tab at `size`: headers, rows, whether the table fits, the screen's lines."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        d = Driver(pilot)
        table = await d.accounts_tab()
        await d.settle()
        return headers(table), rows(table), fits(table), d.screen_lines()


async def test_at_80_columns_the_whole_table_shows(make_app, demo_ctx):
    anna_signed_in(demo_ctx)
    shown, [row], whole, lines = await _show(make_app, NARROW)
    assert whole, "\n".join(lines)
    assert shown == ["Nome utente", "Cliente", "Creato", "Accesso", "Err.", "Stato"]
    assert row == [ANNA, "Anna Conti", "02/03/26", "01/03/26 18:45", "0", "Attivo"]
    header_line = next(line for line in lines if "Nome utente" in line)
    assert "Stato" in header_line and len(header_line.rstrip()) <= 80


async def test_a_locked_account_fits_too(make_app, demo_ctx, clock):
    lock_anna(demo_ctx)
    shown, [row], whole, lines = await _show(make_app, NARROW)
    assert whole, "\n".join(lines)
    assert row[4:] == ["5", "Bloccato→10:01"]
    assert any("Bloccato→10:01" in line for line in lines), "\n".join(lines)


async def test_with_room_the_full_headers_and_dates_stay(make_app, demo_ctx):
    anna_signed_in(demo_ctx)
    shown, [row], whole, _lines = await _show(make_app, SIZE)
    assert whole
    assert shown == ["Nome utente", "Cliente", "Creato", "Ultimo accesso", "Errori", "Stato"]
    assert row == [ANNA, "Anna Conti", "02/03/2026", "01/03 18:45", "0", "Attivo"]
