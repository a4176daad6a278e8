"""The journey map in the console ("Mappa del percorso"): from the palette and from the trainer tab,
the customer's step marked, the keyboard moves along it, Esc gives the journey back as it was."""

from __future__ import annotations

import pytest
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, TabbedContent

from areaclienti_tui import journey_map
from areaclienti_tui.widgets.journey_map_view import MARK, JourneyMapScreen
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

TITLE = "Mappa del percorso"


async def from_the_palette(d: Driver) -> JourneyMapScreen:
    await d.run_command(TITLE)
    return await the_map(d)


async def the_map(d: Driver) -> JourneyMapScreen:
    await d.until(lambda: isinstance(d.app.screen, JourneyMapScreen) and d.app.screen.is_mounted, "the map")
    await d.settle()
    view = d.app.screen
    assert isinstance(view, JourneyMapScreen)
    return view


def prompts(view: JourneyMapScreen) -> dict[str, Content]:
    steps = view.query_one("#mappa-passi", OptionList)
    return {option.id: option.prompt for option in steps.options}  # type: ignore[misc]


def assert_marked(view: JourneyMapScreen, step_id: str) -> None:
    """The step is highlighted, and marked by ▶ and bold: a mark and a style, not a colour alone."""
    assert view.current == step_id and view.highlighted_step() == step_id
    marked = {sid: prompt for sid, prompt in prompts(view).items() if prompt.plain.startswith(MARK)}
    assert list(marked) == [step_id], f"marked: {list(marked)}"
    prompt = marked[step_id]
    assert prompt.plain.startswith(f"{MARK} {step_id} · {journey_map.step(step_id).title}")
    assert any("b" in str(span.style).split() for span in prompt.spans), prompt.spans
    assert f"{MARK} {step_id}" in str(view.query_one("#mappa-titolo").render())
    assert str(view.query_one("#mappa-passo").render()).startswith(f"{MARK} {step_id}")


def detail(view: JourneyMapScreen, widget_id: str) -> str:
    return str(view.query_one(f"#{widget_id}").render())


async def test_from_the_palette_at_3a_the_3a_entry_is_highlighted(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.type_keys("#nome", "Mario")
        view = await from_the_palette(d)
        assert_marked(view, "3A")
        assert "come comunicati ad Inarcassa" in detail(view, "mappa-guida")
        assert "continua → 4A · Scegli il nome utente" in detail(view, "mappa-esiti")
        assert "2A · Che tipo di cliente sei? (persona)" in detail(view, "mappa-provenienze")
        assert app.focused is view.query_one("#mappa-passi")
        assert any(line.lstrip("█ ▊").startswith(f"{MARK} 3A · I tuoi dati") for line in d.screen_lines()), \
            "the 3A entry is not on screen"
        assert app.current_step == "3A"  # the map is not a step


async def test_the_keyboard_moves_along_the_map_and_the_details_follow(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        view = await from_the_palette(d)
        await d.key("down")
        assert view.highlighted_step() == "4A"
        assert detail(view, "mappa-passo").startswith("4A · Scegli il nome utente")
        assert "la mail non dovrà essere una PEC" in detail(view, "mappa-guida")
        await d.key("end")
        last = journey_map.STEPS[-1]
        assert view.highlighted_step() == last.id
        assert detail(view, "mappa-passo").startswith(f"{last.id}")
        assert any(f"{last.id} [{last.code}] · {last.title}" in line for line in d.screen_lines())
        await d.key("home", "pagedown")
        assert view.highlighted_step() not in (None, journey_map.START)
        await d.key("home")
        assert view.highlighted_step() == journey_map.START
        assert "clicca su \"Registrati\" per iniziare" in detail(view, "mappa-guida")
        await d.key("enter")  # to the details, which scroll with the keys too
        assert app.focused is view.query_one("#mappa-dettaglio")


async def test_esc_closes_and_the_journey_goes_on_where_it_was(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.type_keys("#nome", "Mario")
        await d.type_keys("#cognome", "Ros")
        cognome = app.screen.query_one("#cognome", Input)
        under = app.screen
        await from_the_palette(d)
        await d.key("down", "down")
        await d.key("escape")
        await d.until(lambda: app.screen is under, "the map closed")
        assert d.step == "3A" and not any(isinstance(screen, JourneyMapScreen) for screen in app.screen_stack)
        assert app.screen.query_one("#nome", Input).value == "Mario"
        assert cognome.value == "Ros"
        await d.until(lambda: app.focused is cognome, "the focus back on the field typed last")
        await d.pilot.press("s", "i")  # the customer goes on typing where they were
        assert cognome.value == "Rossi"
        await d.type_keys("#data-nascita", "14/03/1975")
        await d.choose_option("#sesso", "Maschio")
        await d.click("#continua")
        await d.expect_step("4A")


@pytest.mark.long(11)
async def test_from_the_trainer_tab_the_customers_step_is_highlighted(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.type_keys("#nome", "Mario")
        home = await d.operator_home()  # F9 from 3A: the operator area over the customer's journey
        await d.click("#--content-tab-formatore")
        await d.until(lambda: home.query_one("#schede", TabbedContent).active == "formatore", "the trainer tab")
        assert str(home.query_one("#mappa-percorso", Button).label) == TITLE
        await d.click("#mappa-percorso")
        view = await the_map(d)
        assert_marked(view, "3A")  # where the customer is, under the operator area
        await d.key("escape")
        await d.until(lambda: app.screen is home, "back in the operator home")
        assert home.query_one("#schede", TabbedContent).active == "formatore"
        assert app.focused is home.query_one("#mappa-percorso")
        await d.key("escape")  # out of the operator area: the customer's 3A, as it was
        await d.until(lambda: d.step == "3A", "3A again")
        assert app.screen.query_one("#nome", Input).value == "Mario"


async def test_the_palette_does_not_open_a_second_map(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        view = await from_the_palette(d)
        command = next(c for c in app.get_system_commands(view) if c.title == TITLE)
        command.callback()
        await d.settle()
        assert app.screen is view
        assert sum(isinstance(screen, JourneyMapScreen) for screen in app.screen_stack) == 1


def _whole(widget: Widget) -> bool:
    screen = widget.screen
    shown = screen._compositor.visible_widgets.get(widget)
    if shown is None:
        return False
    full, clip = shown
    return screen.region.contains_region(full) and full.intersection(clip) == full


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_map_fits(make_app, size: tuple[int, int]):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        view = await from_the_palette(d)
        for selector in ("#mappa-riquadro", "#mappa-titolo", "#mappa-passi", "#mappa-dettaglio", "#chiudi-mappa"):
            widget = view.query_one(selector)
            assert _whole(widget), f"{size}: {selector} does not fit ({widget.region} in {view.region})"
        steps = view.query_one("#mappa-passi", OptionList)
        assert steps.size.height >= 5 and view.query_one("#mappa-dettaglio").size.height >= 5
        close = view.query_one("#chiudi-mappa", Button)
        assert close.label.cell_length <= close.content_region.width
        lines = d.screen_lines()
        assert len(lines) == size[1] and all(len(line) <= size[0] for line in lines)
        assert sum(line.count(f"{MARK} 3A · I tuoi dati") for line in lines) == 3, "\n".join(lines)  # title, list, details
        await d.click("#chiudi-mappa")
        await d.until(lambda: not isinstance(app.screen, JourneyMapScreen), "the map closed")
        assert d.step == "3A"
