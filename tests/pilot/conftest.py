"""Pilot fixtures: the app on a per-test copy of the demo database."""

from __future__ import annotations

import pytest

from areaclienti_tui.app import AreaClientiApp

SIZE = (130, 44)


@pytest.fixture
def make_app(demo_ctx):
    """Build the app on the demo database; faults surface in the test instead of the 6B page."""

    def factory(ctx=None) -> AreaClientiApp:
        app = AreaClientiApp(ctx or demo_ctx)
        app.raise_unexpected = True
        return app

    return factory
