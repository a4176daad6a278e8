"""Issue 8: keys typed in one burst are handled in arrival order.

A terminal delivers fast typing in one read: ``Mario``, Tab, ``Rossi``, Tab,
``14/03/1975``. Each field must get its own text, and an Enter that submits a
step must take effect before the keys typed after it (they belong to the next
step). The bursts here are posted to the app all at once, without letting it
run in between, as the terminal driver does.
"""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input, TextArea

from areaclienti_tui.key_order import KeysInOrder

from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

NAMED = {"tab": "\t", "enter": "\r", "escape": "\x1b", "shift+tab": None, "backspace": "\x7f", "end": None, "left": None}


def burst(app, *keys: str) -> None:
    """Post every key to the app at once, as one read from the terminal would."""
    for key in keys:
        if key in NAMED:
            app.post_message(events.Key(key, NAMED[key]))
        else:
            assert len(key) == 1, key
            app.post_message(events.Key(key if key.isalnum() else _character_to_key(key), key))


def values(app, *ids: str) -> tuple[str, ...]:
    return tuple(app.screen.query_one(f"#{widget_id}", Input).value for widget_id in ids)


async def at_3a(d: Driver) -> None:
    await d.to_3a()
    assert d.app.focused is d.app.screen.query_one("#nome")


async def test_pilot_burst_fills_each_field(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        await pilot.press(*"Mario", "tab", *"Rossi", "tab", *"14/03/1975")
        await d.settle()
        assert values(app, "nome", "cognome", "data-nascita") == ("Mario", "Rossi", "14/03/1975"), values(app, "nome", "cognome", "data-nascita")


async def test_posted_burst_fills_each_field(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        burst(app, *"Mario", "tab", *"Rossi", "tab", *"14/03/1975")
        await d.until(lambda: values(app, "data-nascita") == ("14/03/1975",), "the date typed")
        assert values(app, "nome", "cognome", "data-nascita") == ("Mario", "Rossi", "14/03/1975"), values(app, "nome", "cognome", "data-nascita")
        assert app.focused is app.screen.query_one("#data-nascita")


async def test_posted_burst_with_shift_tab_goes_back_a_field(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        burst(app, "tab", *"Rossi", "shift+tab", *"Mario", "tab", "tab", *"14/03/1975")
        await d.until(lambda: values(app, "data-nascita") == ("14/03/1975",), "the date typed")
        assert values(app, "nome", "cognome", "data-nascita") == ("Mario", "Rossi", "14/03/1975"), values(app, "nome", "cognome", "data-nascita")


async def test_enter_that_changes_step_takes_effect_before_the_next_keys(make_app):
    """From 1A in one burst: Enter (Registrati), Enter (Persona), then the 3A fields."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        assert app.focused is app.screen.query_one("#registrati")
        burst(app, "enter", "enter", *"Mario", "tab", *"Rossi", "tab", *"14/03/1975")
        await d.until(lambda: d.step == "3A" and values(app, "data-nascita") == ("14/03/1975",),
                      "3A with the date typed")
        assert values(app, "nome", "cognome", "data-nascita") == ("Mario", "Rossi", "14/03/1975"), values(app, "nome", "cognome", "data-nascita")


async def test_enter_that_submits_with_a_check_moves_the_typing_to_the_next_step(make_app):
    """At 4A Enter checks the username in a worker, then opens 5A: the password typed right
    after the Enter belongs to 5A's fields, not to 4A's username."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        for widget_id, text in (("nome", "Mario"), ("cognome", "Rossi"), ("data-nascita", "14/03/1975")):
            app.screen.query_one(f"#{widget_id}", Input).value = text
        app.screen.query_one("#sesso").value = "M"
        await d.click("#continua")
        await d.expect_step("4A")
        burst(app, *"mario.rossi@gmail.com", "enter", *"Girasole#Verde7", "tab", *"Girasole#Verde7")
        await d.until(lambda: d.step == "5A" and values(app, "conferma-password") == ("Girasole#Verde7",),
                      "5A with the confirmation typed")
        assert values(app, "password") == ("Girasole#Verde7",)
        assert app.journey.username is not None and app.journey.username.value == "mario.rossi@gmail.com"


async def test_enter_that_refuses_keeps_the_typing_on_the_same_step(make_app):
    """Enter on an incomplete 3A stays at 3A: what follows still goes to the focused field."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        burst(app, *"Mario", "tab", *"Rossi", "tab", *"14/03/1975", "enter")
        # The sex is missing: Enter submits, the form stays at 3A with the error on #sesso.
        await d.until(lambda: "sesso" in d.errors(), "the missing sex reported")
        assert d.step == "3A"
        assert values(app, "nome", "cognome", "data-nascita") == ("Mario", "Rossi", "14/03/1975"), values(app, "nome", "cognome", "data-nascita")


async def test_keys_typed_slowly_still_work(make_app):
    """Nothing changes for one key at a time: Backspace, arrows and Enter in a field."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        await pilot.press(*"Marioo", "backspace", "left", "left", "right", "right", "tab")
        await d.settle()
        assert values(app, "nome") == ("Mario",)
        assert app.focused is app.screen.query_one("#cognome")


# -- the mechanism on a bare app -------------------------------------------------------------


class Bare(KeysInOrder):
    def compose(self):
        yield Input(id="a")
        yield TextArea(id="t", tab_behavior="indent")
        yield Input(id="b")


async def test_a_bare_app_keeps_the_order_and_a_widget_that_takes_tab_keeps_it():
    app = Bare()
    async with app.run_test() as pilot:
        app.query_one("#a").focus()
        await pilot.pause()
        burst(app, *"xy", "tab", *"zz", "tab", "shift+tab", "end", *"w")  # focus selects: End, then type
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        for _ in range(50):
            if app.query_one("#a", Input).value == "xyw":
                break
            await pilot.pause(0.01)
        # Tab into the text area moved the focus; Tab inside it indents; Shift+Tab leaves it.
        assert app.query_one("#a", Input).value == "xyw"
        assert app.query_one("#t", TextArea).text.startswith("zz")
        assert app.query_one("#t", TextArea).text.rstrip() == "zz" != app.query_one("#t", TextArea).text  # indented
        assert app.query_one("#b", Input).value == ""


async def test_arrows_on_the_operator_tabs_keep_the_focus_on_the_tabs(make_app):
    from textual.widgets import Tabs

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        app.screen.query_one(Tabs).focus()
        await d.key("right")
        await d.until(lambda: app.screen.query_one("#schede").active == "anagrafe", "the registry tab")
        assert isinstance(app.focused, Tabs)


async def test_editing_keys_in_a_burst_act_before_the_next_characters(make_app):
    """Arrows, End and Backspace act through bindings: ``Mrio`` ←←← → ``a`` End ``!`` ⌫ gives Mario."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await at_3a(d)
        burst(app, *"Mrio", "left", "left", "left", "a", "end", "!", "backspace")
        await d.until(lambda: values(app, "nome") == ("Mario",), "Mario")
