"""Issue 12: what a step change costs the event loop (bench/cambio_passo.py measures it).

The step frame avoids work Textual would otherwise do again and again: the footer's keys
are rebuilt only when they change, a new step is not restyled a second and third time
(its width class is set from the start, its first showing skips Textual's restyle), the
busy state restyles the waiting line only, the garbage collector's full pass runs
between step changes with start-up frozen out of it, and closed steps let their drawn
lines go. Nothing drawn changes (tests/test_gallery.py compares the pictures).
"""

from __future__ import annotations

import gc
import weakref
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

from areaclienti_tui.steps import base
from areaclienti_tui.steps.base import StepScreen
from areaclienti_tui.widgets.footer import StepFooter
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver


class Counted:
    """How often a method ran (wrapping it keeps its behaviour)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> None:
        self.calls = 0
        original = getattr(owner, name)

        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


class Restyled:
    """How many widgets Textual restyled after they were first styled."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.nodes = 0
        original = Stylesheet.update_nodes

        def update_nodes(stylesheet, nodes, animate=False):  # noqa: ANN001, ANN202
            nodes = list(nodes)
            self.nodes += len(nodes)
            return original(stylesheet, nodes, animate)

        monkeypatch.setattr(Stylesheet, "update_nodes", update_nodes)


# -- the footer ------------------------------------------------------------------------


class Keys(Screen):
    BINDINGS: ClassVar = [Binding("f5", "act", "Azione"), Binding("f6", "other", "Altro")]
    allowed = True

    def compose(self) -> ComposeResult:
        yield Input(id="uno")
        yield Input(id="due")
        yield StepFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.allowed if action == "act" else True

    def action_act(self) -> None: ...

    def action_other(self) -> None: ...


class KeysApp(App):
    def on_mount(self) -> None:
        self.push_screen(Keys())


def shown_keys(screen: Screen) -> list[tuple[str, str]]:
    return [(key.key, key.description) for key in screen.query(FooterKey)]


async def test_the_footer_rebuilds_its_keys_only_when_they_change(monkeypatch: pytest.MonkeyPatch) -> None:
    rebuilt = Counted(monkeypatch, StepFooter, "recompose")
    app = KeysApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        assert ("f5", "Azione") in shown_keys(screen) and ("f6", "Altro") in shown_keys(screen)
        first = rebuilt.calls
        assert first == 1  # the keys, once the screen's bindings are ready

        for _ in range(4):  # focus moving between fields: the same keys
            await pilot.press("tab")
            await pilot.pause()
        screen.refresh_bindings()
        screen.refresh_bindings()
        await pilot.pause()
        assert rebuilt.calls == first

        screen.allowed = False  # a key goes away: rebuilt, once for the two refreshes
        screen.refresh_bindings()
        screen.refresh_bindings()
        await pilot.pause()
        assert rebuilt.calls == first + 1
        assert ("f5", "Azione") not in shown_keys(screen) and ("f6", "Altro") in shown_keys(screen)


async def test_the_footer_keys_are_born_as_textual_makes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    app = KeysApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.screen.query_one(StepFooter)
        assert isinstance(footer, Footer)
        for key in app.screen.query(FooterKey):
            palette = key.has_class("-command-palette")
            # Bound to the footer's (not compact), except the palette's key, left as Textual makes it.
            assert key.compact is (True if palette else footer.compact)
            assert key.has_class("-compact") is key.compact


# -- a step change ---------------------------------------------------------------------


async def test_a_new_step_is_styled_about_once(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.click("#registrati")
        await d.expect_step("2A")
        await d.settle()
        restyled = Restyled(monkeypatch)
        await d.press("persona")
        await d.expect_step("3A")
        await d.settle()
        nodes = len(list(app.screen.walk_children(with_self=True)))
        # Footer keys rebuilt at every focus change, restyled twice each, the width class
        # given on the first Resize, Textual's restyle on showing, the frame focused then
        # blurred: some five times the step's widgets before issue 12.
        assert restyled.nodes <= nodes, f"{restyled.nodes} widgets restyled for a step of {nodes}"
        assert app.focused is app.screen.query_one("#nome")


async def test_a_step_built_in_the_app_has_its_width_class_from_the_start(make_app) -> None:
    for size, wanted, other in (((130, 44), "-largo", "-stretto"), ((80, 24), "-stretto", "-largo")):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await Driver(pilot).expect_step("1A")
            step = StepScreen()
            assert step.has_class(wanted) and not step.has_class(other)
    assert not StepScreen().has_class("-largo")  # outside a running app: the first Resize gives it


async def test_the_busy_state_restyles_the_waiting_line_only(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.settle()
        screen = app.screen
        waiting = screen.query_one("#attesa")
        restyled = Restyled(monkeypatch)
        screen.set_busy(True, "Verifica…")
        assert screen.busy and waiting.styles.display == "block"
        screen.set_busy(False)
        assert not screen.busy and waiting.styles.display == "none"
        # The waiting line (its text, the spinner) and the buttons going disabled and back.
        assert restyled.nodes <= 2 * (len(list(waiting.walk_children(with_self=True))) + 1 + 2)


# -- the garbage collector -------------------------------------------------------------


async def test_start_up_is_frozen_out_of_the_collector_once_a_step_is_shown(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.settle()
        assert base._start_up_frozen
        assert gc.get_freeze_count() > 0


def test_the_full_pass_runs_between_steps_when_it_is_half_due(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_start_up_frozen", True)
    passes: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "collect", lambda *generation: passes.append(generation) or 0)
    monkeypatch.setattr(gc, "get_threshold", lambda: (700, 10, 10))
    for younger, wanted in ((1, []), (4, []), (5, [()]), (9, [()])):
        passes.clear()
        monkeypatch.setattr(gc, "get_count", lambda younger=younger: (100, 3, younger))
        base.collect_between_steps()
        assert passes == wanted, f"{younger} younger passes since the full one"


async def test_a_closed_step_lets_its_drawn_lines_go(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.settle()
        drawn = [(weakref.ref(widget), weakref.ref(widget._styles_cache)) for widget in app.screen.query("*")]
        await d.key("escape")
        await d.expect_step("2A")
        await d.settle()
        gc.collect()
        gone = [cache for widget, cache in drawn if widget() is None]
        assert len(gone) > len(drawn) // 2  # the form, its fields and buttons are gone…
        kept = [cache for cache in gone if cache() is not None]
        assert not kept, f"{len(kept)} style caches of widgets of the closed 3A still alive"  # …with their lines


async def test_a_step_gone_back_to_is_drawn_again_after_letting_its_lines_go(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.personal_data("Mario", "Rossi", "14/03/1975", "Maschio")
        await d.settle()
        await pilot.pause()
        drawn_before = d.screen_lines()
        personal = app.screen

        monkeypatch.setattr(gc, "get_count", lambda: (0, 0, gc.get_threshold()[2]))  # a full pass is due
        await d.click("#continua")
        await d.expect_step("4A")
        await d.settle()
        assert all(not widget._styles_cache._cache for widget in personal.walk_children(with_self=True))

        await d.key("escape")
        await d.expect_step("3A")
        await d.settle()
        await pilot.pause()
        assert d.screen_lines() == drawn_before
