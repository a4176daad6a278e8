"""3A at speed (the date without slashes, Sesso with one letter) and the mobile shown one
way, from 7A to a login with the prefilled username."""

from __future__ import annotations

import datetime

from textual import events
from textual.widgets import Select

from areaclienti_tui.widgets.date_input import DateInput
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

PASSWORD = "Girasole#Verde7"
SHOWN = "+39 328 987 6543"


async def _clear(d: Driver, field: DateInput) -> None:
    field.focus()
    await d.pilot.press("end", *(["backspace"] * len(field.value)))
    assert field.value == ""


async def test_date_typed_without_slashes_gets_them_as_one_types(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        field = app.screen.query_one("#data-nascita", DateInput)
        await d.click("#data-nascita")
        shown = []
        for key in "14031975":
            await pilot.press(key)
            shown.append(field.value)
        assert shown == ["1", "14/", "14/0", "14/03/", "14/03/1", "14/03/19", "14/03/197", "14/03/1975"]
        # Backspace works naturally: one character at a time, slashes included, nothing comes back.
        await pilot.press(*["backspace"] * 5)
        assert field.value == "14/03"
        await pilot.press("backspace")
        assert field.value == "14/0"
        await pilot.press("backspace", "backspace")
        assert field.value == "14"
        await pilot.press("backspace")
        assert field.value == "1"
        for typed in ("14-03-1975", "14.03.1975", "14/3/1975", "14/03/1975", "1403-1975"):
            await _clear(d, field)
            await pilot.press(*typed)
            assert field.value == "14/03/1975", typed
        # Letters are refused; an edit in the middle stays as typed.
        await pilot.press("x")
        assert field.value == "14/03/1975"
        await pilot.press(*["left"] * 5, "backspace", "4")  # the month's 3 becomes a 4
        assert field.value == "14/04/1975"
        assert not d.errors()


async def test_date_pasted_or_set_is_shown_as_gg_mm_aaaa_on_blur_and_submit(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        field = app.screen.query_one("#data-nascita", DateInput)
        await _clear(d, field)
        field.post_message(events.Paste("14.3.1975"))
        await d.settle()
        assert field.value == "14/03/1975"
        field.value = "1-2-1980"  # as a program or a half-finished edit may leave it
        await d.settle()
        await d.click("#nome")  # leaving the field shows the date in its one form
        assert field.value == "01/02/1980"
        field.value = "14 3 1975"
        await d.settle()
        await d.type_keys("#nome", "Mario")
        await d.type_keys("#cognome", "Rossi")
        field.value = "14-3-1975"
        await d.choose_option("#sesso", "Maschio")
        await d.click("#continua")
        await d.expect_step("4A")
        person = app.journey.person
        assert person is not None and person.data_nascita == datetime.date(1975, 3, 14) and person.sesso == "M"
        app.pop_screen()
        await d.expect_step("3A")
        assert app.screen.query_one("#data-nascita", DateInput).value == "14/03/1975"


async def test_date_error_after_normalising_stays_shown(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        await d.type_keys("#nome", "Mario")
        await d.type_keys("#cognome", "Rossi")
        field = app.screen.query_one("#data-nascita", DateInput)
        field.value = "1-1-2015"
        await d.choose_option("#sesso", "Maschio")
        await d.click("#continua")
        assert d.step == "3A"
        assert field.value == "01/01/2015"
        assert "18" in (d.error("data-nascita") or ""), d.errors()
        # An ISO date typed key by key is read day first, and said not to exist.
        await d.click("#data-nascita")
        await _clear(d, field)
        await pilot.press(*"1975-03-14")
        assert field.value == "19/75/0314"
        await d.click("#continua")
        assert "non esiste" in (d.error("data-nascita") or ""), d.errors()


async def test_sesso_takes_m_and_f_typed_on_the_closed_menu(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        select = app.screen.query_one("#sesso", Select)
        select.focus()
        await d.settle()
        await pilot.press("m")
        await d.settle()
        assert select.value == "M" and not select.expanded
        assert "Maschio" in d.text()
        await pilot.press("F")
        await d.settle()
        assert select.value == "F" and not select.expanded
        await pilot.press("x")  # no option starts with it: nothing changes
        await d.settle()
        assert select.value == "F"
        # Enter and the arrows still open the menu, and typing there still searches.
        await pilot.press("enter")
        await d.settle()
        assert select.expanded
        await pilot.press("m", "a", "enter")
        await d.settle()
        assert select.value == "M" and not select.expanded
        await d.choose_option("#sesso", "Femmina")
        assert select.value == "F"


async def test_3a_filled_at_speed_with_the_keyboard_only(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.to_3a()
        assert app.focused is app.screen.query_one("#nome")
        await pilot.press(*"Mario", "tab", *"Rossi", "tab", *"14031975", "tab", "m")
        await d.settle()
        assert app.screen.query_one("#data-nascita", DateInput).value == "14/03/1975"
        await d.click("#continua")
        await d.expect_step("4A")
        person = app.journey.person
        assert person is not None
        assert (person.nome, person.cognome, person.data_nascita, person.sesso) == (
            "Mario", "Rossi", datetime.date(1975, 3, 14), "M")


async def test_mobile_user_goes_from_7a_to_login_with_the_prefilled_username(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.register_until_code(
            nome="Giulia", cognome="Marino", data="22/07/1982", sesso="Femmina",
            username="3289876543", password=PASSWORD,
        )
        await d.expect_step("6A")
        await d.click("#continua")
        await d.expect_step("7A")
        await d.type_keys("#otp", d.code("+393289876543"))
        await d.click("#continua")
        await d.until(lambda: "account è stato creato" in d.text(), "account created")
        assert SHOWN in d.text()  # the 7A success page
        await d.click("#accedi")
        await d.expect_step("8A")
        assert app.screen.query_one("#username").value == SHOWN  # the same form, prefilled
        assert app.focused is app.screen.query_one("#password")
        await pilot.press(*PASSWORD, "enter")
        await d.settle()
        await d.until(lambda: d.step == "9A" or "I tuoi prodotti" in d.text(), "9A or the products")
        if d.step == "9A":
            await d.type_keys("#otp", d.code("+393289876543"))
            await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
        assert f"Nome utente: {SHOWN}" in d.text()
        assert app.journey.login is not None and app.journey.login.username == "+393289876543"
