"""The operator area's tab labels are whole at the supported sizes: at 120×40 the messages
pane beside the area leaves it fewer columns than 80×24 does (the pane is a one-line strip
there), and "Verifica dati", the last tab, was cut to "Verifica da"."""

from __future__ import annotations

import pytest
from textual.widgets import Tab, Tabs

from tests.pilot.driver import Driver


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (130, 44)])
async def test_every_operator_tab_label_is_whole(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        d = Driver(pilot)
        home = await d.operator_home()
        row = home.query_one("#schede").query_one(Tabs)
        tabs = list(row.query(Tab))
        assert [str(tab.label) for tab in tabs][-1] == "Verifica dati"
        for tab in tabs:
            shown = tab.region.intersection(row.region)
            assert shown == tab.region, f"«{tab.label}» at {tab.region}, the row at {row.region}"
            assert tab.label.cell_length <= tab.content_region.width, f"«{tab.label}» cut"
