"""Issue 8: F1 help, Textual's own words in Italian, marks without colour, the high-contrast theme."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Checkbox, Input, RadioButton

from areaclienti_tui import preferences
from areaclienti_tui.widgets.help import HelpModal, guide_texts
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver


async def _help(d: Driver) -> HelpModal:
    await d.until(lambda: isinstance(d.app.screen, HelpModal), "the help")
    screen = d.app.screen
    assert isinstance(screen, HelpModal)
    return screen


async def test_f1_opens_the_help_of_1a_and_esc_closes_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        await d.key("f1")
        help_screen = await _help(d)
        text = help_screen.text()
        assert "Tasti di questa schermata" in text
        assert "F2" in text and "Messaggi" in text and "F1" in text and "Aiuto" in text
        assert "Ctrl+P" in text and "Comandi" in text
        assert "credenziali già in tuo possesso" in text  # the guide's 1A
        await d.key("escape")
        await d.until(lambda: not isinstance(app.screen, HelpModal), "the help closed")
        assert d.step == "1A"


async def test_help_of_3a_has_the_guide_text_and_back_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        app.screen.query_one("#registrati, #continua").focus()  # not in a field: ? opens the help
        await d.key("question_mark")
        help_screen = await _help(d)
        text = help_screen.text()
        assert "come comunicati ad Inarcassa" in text
        assert "Esc" in text and "Indietro" in text
        await d.key("escape")
        await d.until(lambda: d.step == "3A" and not isinstance(app.screen, HelpModal), "back on 3A")


async def test_question_mark_in_a_field_is_text(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        await d.click("#nome")
        await d.key("question_mark")
        assert not isinstance(app.screen, HelpModal)
        assert app.screen.query_one("#nome", Input).value == "?"


def test_every_journey_step_has_the_guide_text():
    texts = guide_texts()
    for step in ("1A 2A 3A 4A 5A 6A 7A 8A 9A 10A 11A 1B 2B 3B 4B 5B 6B 7B").split():
        assert texts.get(step), step


async def test_palette_in_italian(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for english in ("Theme", "Quit", "Keys", "Maximize", "Screenshot", "Minimize"):
            assert english not in titles
        assert "Tema ad alto contrasto" in titles and "Esci" in titles and "Aiuto" in titles
        await pilot.press("ctrl+p")
        await d.until(lambda: isinstance(app.screen, CommandPalette), "the palette")
        palette_input = app.screen.query_one(Input)
        assert palette_input.placeholder == "Cerca un comando…"
        descriptions = {b.description for _, b in app.screen._bindings}
        assert "Chiudi la palette" in descriptions and "Exit the command palette" not in descriptions
        await d.key("escape")
    from textual.widgets._select import SelectOverlay

    overlay = {binding.description for _, binding in SelectOverlay._merged_bindings}
    assert "Chiudi il menu" in overlay and "Dismiss menu" not in overlay  # the footer said "esc Dismiss menu"


async def test_high_contrast_theme_is_remembered(make_app, demo_ctx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Tema ad alto contrasto")
        command.callback()
        await d.settle()
        assert app.theme == "alto-contrasto"
    assert preferences.load(demo_ctx.settings.data_dir)["tema"] == "alto-contrasto"

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        assert again.theme == "alto-contrasto"
        titles = [c.title for c in again.get_system_commands(again.screen)]
        assert "Tema normale" in titles


async def test_checkbox_and_radio_marks_without_colour(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box, radio = Checkbox("Ho letto e accetto"), RadioButton("App")
        await app.screen.mount(box, radio)
        await pilot.pause()
        assert str(box._button) == "▐ ▌" and "X" not in str(box.render())
        box.value = True
        assert str(box._button) == "▐X▌" and "X" in str(box.render())
        assert "○" in str(radio.render())
        radio.value = True
        assert "●" in str(radio.render())


async def test_enter_on_the_consent_does_not_untick_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.personal_data("Mario", "Rossi", "14/03/1975", "Maschio")
        await d.click("#continua")
        await d.type_keys("#username", "mario.rossi@gmail.com")
        await d.click("#continua")
        await d.expect_step("5A")
        privacy = app.screen.query_one("#privacy", Checkbox)
        privacy.focus()
        await d.key("space")
        assert privacy.value is True
        assert "X" in str(privacy.render())
        await d.key("enter")
        assert privacy.value is True  # Enter moves on, it does not untick
        assert app.focused is not privacy
