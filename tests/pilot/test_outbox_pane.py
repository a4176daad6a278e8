"""The messages pane: the current journey's messages by default (F3: all of them);
below 110 columns a one-line strip with the journey's latest code (F2 opens it full)."""

from __future__ import annotations

from textual.widgets import Static

from areaclienti_tui.services import codes
from areaclienti_tui.widgets.outbox_pane import OutboxPane
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

GIULIA = dict(nome="Giulia", cognome="Marino", data="22/07/1982", sesso="Femmina",
              username="3289876543", password="Girasole#Verde7")


def earlier_customer(ctx) -> None:  # noqa: ANN001
    """A code sent to someone else before this journey (the previous caller)."""
    codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="registrazione", channel="email",
                destination="cliente.precedente@example.com", actor="test")


def pane_recipients(app) -> list[str]:  # noqa: ANN001
    return [m.to for m in app.screen.query_one(OutboxPane)._messages]


async def test_the_pane_shows_only_the_current_journey_and_f3_shows_all(make_app, demo_ctx) -> None:
    earlier_customer(demo_ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.until(lambda: app.screen.query_one(OutboxPane)._scope is not None, "the pane")
        assert pane_recipients(app) == []  # the previous customer's code is not shown
        await d.register_until_code(**GIULIA)
        await d.expect_step("6A")
        await d.until(lambda: pane_recipients(app) == ["+393289876543"], "Giulia's code in the pane")
        assert "Messaggi di questo percorso" in str(app.screen.query_one("#outbox-titolo", Static).render())

        await d.key("f3")
        await d.until(lambda: pane_recipients(app) == ["+393289876543", "cliente.precedente@example.com"],
                      "every message")
        assert "Tutti i messaggi" in str(app.screen.query_one("#outbox-titolo", Static).render())
        await d.key("f3")
        await d.until(lambda: pane_recipients(app) == ["+393289876543"], "the journey's messages again")

        # A new customer starts at 1A: Giulia's code goes out of the pane.
        app.restart()
        await d.expect_step("1A")
        await d.settle()
        app.screen.query_one(OutboxPane).reload()
        await d.until(lambda: pane_recipients(app) == [], "an empty pane for the next customer")


async def test_narrow_terminal_folds_the_pane_into_a_strip_that_f2_opens(make_app, demo_ctx, monkeypatch) -> None:
    monkeypatch.setattr(codes, "_generate", lambda: "482913")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        d = Driver(pilot)
        await d.register_until_code(**GIULIA)
        await d.expect_step("6A")
        pane = app.screen.query_one(OutboxPane)
        strip = app.screen.query_one("#outbox-striscia", Static)
        await d.until(lambda: "482913" in str(strip.render()), "the code in the strip")
        assert "+39 328 987 6543" in str(strip.render())  # a mobile is shown one way everywhere
        assert app.screen.has_class("-stretto")
        assert pane.region.height == 1 and strip.region.width == 80 - 2
        journey = app.screen.query_one("#journey")
        focused = app.focused

        await d.key("f2")  # open full: the journey makes room, the list takes the focus
        await d.until(lambda: app.screen.has_class("-messaggi-aperti"), "the pane open")
        await d.settle()
        assert pane.region.height == 24 - 2 and not journey.region  # the journey is hidden meanwhile
        assert app.focused is app.screen.query_one("#outbox-lista")

        await d.key("f2")  # fold back: the journey returns with its focus
        await d.until(lambda: not app.screen.has_class("-messaggi-aperti"), "the pane folded")
        await d.settle()
        assert pane.region.height == 1 and app.focused is focused


async def test_wide_terminal_f2_hides_and_shows_the_pane(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        pane = app.screen.query_one(OutboxPane)
        assert app.screen.has_class("-largo") and pane.display and pane.region.width == 46
        await d.key("f2")
        assert not pane.display
        await d.key("f2")
        assert pane.display


async def test_title_names_the_screen_once(make_app, demo_ctx) -> None:
    from areaclienti_tui.steps.assistance import AssistanceSentScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        app.push_screen(AssistanceSentScreen(7, origin="11A"))
        await d.expect_step("11A")
        await d.settle()
        assert app.screen.sub_title == "Passo 11A · Richiesta inviata"
