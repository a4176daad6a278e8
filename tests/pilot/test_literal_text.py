"""One rule for text on screen (SPEC §4): data and typed text are shown literally,
never parsed as markup; control characters are refused at every input.

Regression tests for what a hostile tester found (a username ``a@[/]`` at 8A, an
operator named ``[/]``, a product ``[/]Polizza``, ESC pasted into a field), then a
property-based test that pushes arbitrary strings through the journey's inputs, the
import and the operator views, on one app per test.
"""

from __future__ import annotations

import textwrap
from datetime import date

import pytest

from codicefiscale import codicefiscale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from textual import events
from textual.widgets import DataTable, Input, Static, TabbedContent

from areaclienti_tui.rules.text import find_control_char
from areaclienti_tui.services import audit, demo, importer
from areaclienti_tui.services.operators import add_operator
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.store.models import Account, AssistanceRequest, Customer
from areaclienti_tui.widgets.literal import PlainTable, TextInput, shown, template
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

OPERATOR_PASSWORD = demo.OPERATOR_PASSWORD
CONTROL_MESSAGE = "carattere di controllo non ammesso"


# -- helpers -----------------------------------------------------------------------------


def screen_text(app) -> str:
    """What the terminal shows right now, line by line (the rendered screen, not widget state)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row(key)] for key in table.rows]


def no_fault(app) -> None:
    assert app.current_step != "6B", "the generic error page (6B) was shown"
    assert app._exception is None, f"the app failed: {app._exception!r}"


async def open_tab(d: Driver, tab_id: str) -> None:
    d.app.screen.query_one("#schede", TabbedContent).active = tab_id
    await d.until(lambda: d.app.screen.query_one("#schede", TabbedContent).active == tab_id, f"tab {tab_id}")
    await d.settle()


def add_account(ctx, codice_fiscale: str, username: str, password: str) -> None:
    with ctx.db.transaction() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == codice_fiscale)).one()
        session.add(Account(customer_id=customer.id, username=username, username_kind="email",
                            password_hash=hash_password(password, 4), created_at=ctx.clock.now()))


# -- the literal-text helpers --------------------------------------------------------------


def test_template_fills_placeholders_literally():
    for data in ("[/]", "a@[/]", "[bold", "[link=x]y", "\\[", "x\\", "[$x]", "$nome", "[b]x[/b]"):
        content = template("Ciao [b]$nome[/b]!", nome=data)
        assert content.plain == f"Ciao {data}!"
    assert template("x $v", v="a\x1bb\u202ec").plain == "x a␛b\ufffdc"


def test_shown_makes_control_characters_visible():
    assert shown("a\x1b[31mb") == "a␛[31mb"
    assert shown("\u202e\u2066\u2028\x85\x7f") == "\ufffd\ufffd\ufffd\ufffd␡"
    assert shown("riga\nriga", keep_newlines=True) == "riga\nriga"
    assert shown("riga\nriga") == "riga␊riga"
    assert shown("Polizza Vita") == "Polizza Vita"


# -- regressions ---------------------------------------------------------------------------


async def test_bracket_username_at_8a_then_operator_sign_in_and_audit_shows_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        await d.expect_step("8A")
        await d.login("a@[/]", "Qualsiasi#1")
        await d.until(lambda: d.error("password") is not None, "login refused")
        no_fault(app)
        await d.operator_home()
        no_fault(app)
        assert "Operatore: operatore" in screen_text(app)
        await open_tab(d, "registro-audit")
        table = app.screen.query_one("#audit", DataTable)
        # The audit keeps the username masked ("a***@[/]"): its brackets are shown as typed.
        await d.until(lambda: any(row[1] == "accesso" and row[4] == "a***@[/]" for row in rows(table)),
                      "the 8A attempt in the audit log")
        assert "a***@[/]" in screen_text(app)
        no_fault(app)


async def test_operator_named_with_markup_signs_in_and_is_shown_literally(make_app, demo_ctx):
    add_operator(demo_ctx, "sportello.due", "[/]", "Girasole#Verde7", actor="cli")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home("sportello.due", "Girasole#Verde7")
        no_fault(app)
        await open_tab(d, "registro-audit")
        table = app.screen.query_one("#audit", DataTable)
        await d.until(lambda: any("nome=[/]" in row for row in rows(table)), "operatore_creato row")
        await d.key("f2")  # hide the outbox: the details column comes into view
        await d.until(lambda: "nome=[/]" in screen_text(app), "nome=[/] on screen")
        no_fault(app)


async def test_imported_product_with_markup_is_shown_literally_at_8a(make_app, demo_ctx, tmp_path):
    csv = tmp_path / "clienti.csv"
    csv.write_text(textwrap.dedent("""\
        codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa
        BNCLRA80A41H501D,Laura,Bianchi,F,1980-01-01,Roma,laura.b@example.it,3401112233,P-77:[/]Polizza,1
        """), encoding="utf-8")
    report = importer.import_file(demo_ctx, csv)
    assert not getattr(report, "errors", None), report
    add_account(demo_ctx, "BNCLRA80A41H501D", "laura.b@example.it", "Girasole#Verde7")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#accedi")
        await d.login("laura.b@example.it", "Girasole#Verde7")
        await d.expect_step("9A")
        await d.type_keys("#otp", d.code("+393401112233"))
        await d.click("#continua")
        await d.until(lambda: "I tuoi prodotti" in d.text(), "products")
        table = app.screen.query_one("#prodotti", DataTable)
        await d.until(lambda: table.row_count == 1, "the product row")
        assert rows(table)[0][:2] == ["P-77", "[/]Polizza"]
        assert "[/]Polizza" in screen_text(app)
        no_fault(app)


async def test_control_character_typed_or_pasted_gets_its_message_and_nothing_else_is_lost(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        await d.type_keys("#nome", "Mario")
        await d.type_keys("#cognome", "Ros")
        cognome = app.screen.query_one("#cognome", Input)
        assert isinstance(cognome, TextInput)
        # Pasted: the ESC is taken out, the rest of the paste and of the field stay.
        cognome.post_message(events.Paste("\x1b[31msi"))
        await d.settle()
        assert cognome.value == "Ros[31msi"
        assert CONTROL_MESSAGE in (d.error("cognome") or "")
        assert "ESC" in d.error("cognome")
        assert "Il campo Cognome" in d.error("cognome")
        assert CONTROL_MESSAGE in screen_text(app)
        assert app.screen.query_one("#nome", Input).value == "Mario"
        # Typed: a bidi override arrives as a key; Input alone would drop it in silence.
        await d.type_keys("#cognome", "Rossi")
        assert d.error("cognome") is None
        cognome.post_message(events.Key("u202e", "\u202e"))
        await d.settle()
        assert cognome.value == "Rossi"
        assert "U+202E" in (d.error("cognome") or "")
        # Typing again clears the message; the journey remembers only clean text.
        await d.pilot.press("x")
        await d.settle()
        assert d.error("cognome") is None
        # Set by the program (e.g. a scenario): refused the same way.
        nome = app.screen.query_one("#nome", Input)
        nome.value = "Ma\u2066rio"
        await d.settle()
        assert nome.value == "Mario"
        assert CONTROL_MESSAGE in (d.error("nome") or "")
        assert app.journey.recall("3A", "nome") == "Mario"
        assert app.screen.query_one("#cognome", Input).value == "Rossix"
        no_fault(app)


async def test_control_character_in_an_operator_filter_is_refused_next_to_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await open_tab(d, "registro-audit")
        box = app.screen.query_one("#filtro-audit", Input)
        box.value = "oper\x1batore"
        await d.settle()
        assert box.value == "operatore"
        line = app.screen.query_one("#filtro-audit-errore", Static)
        assert line.display and CONTROL_MESSAGE in str(line.render())
        box.value = "operatore demo"
        await d.settle()
        assert not line.display
        no_fault(app)


# -- property: arbitrary text everywhere -------------------------------------------------------

FRAGMENTS = [
    "[/]", "[bold", "[link=x]", "\\[", "[b]", "[/b]", "[$x]", "[@click=app.quit]", "$nome", "\\",
    "\x1b[31m", "\x1b]0;t\x07", "\u202e", "\u2066", "\u200f", "\x85", "\x9b", "\x7f", "\u2028", "\t", "\x00",
]
PLAIN = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("àèéìòù’"),
                max_size=6)
TEXTS = st.lists(st.one_of(st.sampled_from(FRAGMENTS), PLAIN), min_size=1, max_size=4).map("".join)


def examples(count: int) -> list[str]:
    """Strings drawn by hypothesis (its edge cases included), pushed through one app per test."""
    drawn: list[str] = []

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(TEXTS)
    def draw(text: str) -> None:
        drawn.append(text)

    draw()
    return drawn


def clean(text: str) -> str:
    return "".join(ch for ch in text if find_control_char(ch) is None)


async def push(d: Driver, widget_id: str, text: str) -> None:
    """Put `text` in a field (as a program or a scenario would) and check the rule held."""
    field = d.app.screen.query_one(f"#{widget_id}", Input)
    field.value = text
    await d.pilot.pause()
    kept = text[: field.max_length] if field.max_length else text  # no value longer than typing allows
    expected = clean(kept)
    assert find_control_char(field.value) is None, (widget_id, text, field.value)
    assert field.value == expected, (widget_id, text, field.value)
    if find_control_char(kept) is not None:
        await d.until(lambda: CONTROL_MESSAGE in (d.error(widget_id) or ""), f"message for {widget_id}")


async def back_to(d: Driver, step: str) -> None:
    """A submit that happened to be valid moved on: come back to the step under test."""
    while d.step != step and len(d.app.screen_stack) > 2:
        d.app.pop_screen()
        await d.settle()


JOURNEY_FIELDS = {
    "3A": ("nome", "cognome", "data-nascita"),
    "4A": ("username",),
    "8A": ("username", "password"),
    "2B": ("codice-fiscale",),
}


@pytest.mark.long(35)
async def test_property_journey_inputs_refuse_control_characters_and_never_fail(make_app):
    texts = examples(30)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        # 3A, 4A (after a valid 3A), 8A, recovery, 2B and the 11A/7B form, one screen at a time.
        await d.click("#registrati")
        await d.click("#persona")
        await d.expect_step("3A")
        for text in texts:
            for widget_id in JOURNEY_FIELDS["3A"]:
                await push(d, widget_id, text)
            await d.click("#continua")
            no_fault(app)
            await back_to(d, "3A")
        await d.personal_data("Mario", "Rossi", "14/03/1975", "Maschio")
        await d.click("#continua")
        await d.expect_step("4A")
        for text in texts:
            await push(d, "username", text)
            await d.click("#continua")
            no_fault(app)
            await back_to(d, "4A")
        app.restart()
        await d.settle()
        await d.click("#accedi")
        await d.expect_step("8A")
        for text in texts[:12]:
            await push(d, "username", text)
            await push(d, "password", text)
            await d.click("#accedi")
            no_fault(app)
            await back_to(d, "8A")
        await d.click("#password-dimenticata")
        recovery = app.current_step
        for text in texts:
            await push(d, "username", text)
            no_fault(app)
        assert app.current_step == recovery
        app.restart()
        await d.settle()
        from areaclienti_tui.steps.assistance import FORM_FIELDS, AssistanceFormScreen
        from areaclienti_tui.steps.pathb import CodiceFiscaleScreen

        app.go(CodiceFiscaleScreen())
        await d.expect_step("2B")
        await d.until(lambda: bool(app.screen.query("#codice-fiscale")), "2B shown")
        for text in texts:
            await push(d, "codice-fiscale", text)
            no_fault(app)
        app.restart()
        await d.settle()
        app.go(AssistanceFormScreen(origin="7B"))
        await d.expect_step("7B")
        await d.until(lambda: bool(app.screen.query("#invia-richiesta")), "7B shown")
        inputs = [w.id for w in app.screen.query(Input) if w.id in FORM_FIELDS]
        assert {"nome", "cognome", "luogo-nascita", "indirizzo", "citta", "email", "cellulare"} <= set(inputs)
        for text in texts[:15]:
            for widget_id in inputs:
                await push(d, widget_id, text)
            await d.click("#invia-richiesta")
            no_fault(app)
            await back_to(d, "7B")
        no_fault(app)


async def test_property_import_and_operator_views_show_data_literally(make_app, demo_ctx, tmp_path):
    texts = [t for t in examples(25) if clean(t).strip()]
    # The import (read-only use of the importer): a hostile luogo_nascita and product per row.
    lines = ["codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa"]
    for index, text in enumerate(texts[:10]):
        field = '"' + clean(text).replace('"', '""').replace(";", ",").replace(":", ".") + '"'
        born = date(1975, 3, index + 1)
        cf = codicefiscale.encode(lastname="Rossi", firstname="Mario", gender="M",
                                  birthdate=born.strftime("%d/%m/%Y"), birthplace="Roma")
        lines.append(f"{cf},Mario,Rossi,M,{born.isoformat()},{field},,,P-{index}:{field},0")
    csv = tmp_path / "ostile.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer.import_file(demo_ctx, csv)  # bad rows are reported and skipped: either way, no fault
    # Data that reached the store some other way (an older version, another tool).
    with demo_ctx.db.transaction() as session:
        for text in texts[:8]:
            session.add(AssistanceRequest(
                created_at=demo_ctx.clock.now(), origin="11A", variant="desktop", nome=text[:80], cognome="Rossi",
                luogo_nascita=text[:80], data_nascita=date(1975, 3, 14), sesso="M", contact_kind="email",
                contact_value=text[:254], indirizzo=text[:200], citta=text[:80],
            ))
    for text in texts:
        with demo_ctx.db.transaction() as session:
            audit.record(demo_ctx, session, "accesso", outcome="rifiutato", actor=text, subject=text, dettaglio=text)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        home = await d.operator_home()
        no_fault(app)
        # Every table of the area holds text cells, equal to the data with controls made visible.
        for table in home.query(DataTable):
            assert isinstance(table, PlainTable), table.id
        await open_tab(d, "registro-audit")
        table = app.screen.query_one("#audit", DataTable)
        await d.until(lambda: table.row_count > len(texts), "audit rows")
        shown_subjects = {row[4] for row in rows(table)}
        for text in texts:
            assert shown(text) in shown_subjects, text
        newest = shown(texts[-1])
        if len(newest) <= 20:
            assert newest.strip() in screen_text(app)
        no_fault(app)
        # The queue: names and contacts as text.
        await open_tab(d, "coda")
        queue = app.screen.query_one("#richieste", DataTable)
        await d.until(lambda: queue.row_count >= 8, "queue rows")
        no_fault(app)
        # The registry: the search text echoed literally, results and file shown.
        await open_tab(d, "anagrafe")
        for text in texts[:10]:
            box = app.screen.query_one("#ricerca-anagrafe", Input)
            box.value = text
            await d.pilot.pause()
            assert find_control_char(box.value) is None
            await d.click("#cerca-anagrafe")
            typed = " ".join(box.value.split())
            if len(typed) >= 2:
                await d.until(lambda: f"«{typed}»" in str(app.screen.query_one("#anagrafe-esito", Static).render()),
                              f"results for {typed!r}")
            no_fault(app)
        box.value = "Rossi"
        await d.click("#cerca-anagrafe")
        await d.until(lambda: "«Rossi»" in str(app.screen.query_one("#anagrafe-esito", Static).render()), "Rossi")
        no_fault(app)
        # The accounts: filtered by arbitrary text.
        await open_tab(d, "account")
        for text in texts[:10]:
            app.screen.query_one("#filtro-account", Input).value = text
            await d.settle()
            no_fault(app)
        no_fault(app)
