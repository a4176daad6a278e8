"""Typing in a field as a person does: a long text scrolls inside the box and comes back
with Home, and a key redraws the field without laying the whole step out again (each
key used to, through the Input's virtual size: see widgets/literal.py TextInput)."""

from __future__ import annotations

from textual.screen import Screen

from tests.pilot.driver import Driver

LONG = "abcdefghij" * 9


def _shown(field) -> str:  # noqa: ANN001
    """The text drawn in the field's box (its middle line, without the border)."""
    return "".join(segment.text for segment in field.render_lines(field.region.reset_offset)[1]).strip("▊▎ ")


async def test_a_long_name_scrolls_inside_the_field_and_home_brings_its_start_back(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.type_keys("#nome", LONG)
        field = app.screen.query_one("#nome")
        assert field.value == LONG
        assert field.scroll_x == field.max_scroll_x > 0  # the end of the text, where the cursor is
        assert field.content_region.x < field.cursor_screen_offset.x < field.region.right  # inside the box
        assert _shown(field).endswith("hij") and not _shown(field).startswith("abc")
        await d.key("home")
        assert field.scroll_x == 0 and _shown(field).startswith("abcdefghij")
        await d.key("end")
        assert field.scroll_x == field.max_scroll_x


async def test_keys_in_a_field_do_not_lay_the_step_out_again(make_app, monkeypatch):
    app = make_app()
    layouts = []
    original = Screen._refresh_layout

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        layouts.append(self)
        return original(self, *args, **kwargs)

    async with app.run_test(size=(80, 24)) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.click("#cognome")
        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        await pilot.press(*"Rossi De Luca Bianchi")
        await d.settle()
        assert app.screen.query_one("#cognome").value == "Rossi De Luca Bianchi"
        # Twenty-one keys: the step's layout is at most refreshed a few times (focus, a timer),
        # not once per key.
        assert len(layouts) < 5, len(layouts)
