"""The kiosk file picker stays in the uploads folder (issue 7 item 4): it opens
there, cannot go up or be typed out of it, and every refusal of the documents
service shows at the attach field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from textual_fspicker.parts import DirectoryNavigation

from areaclienti_tui.services import documents
from areaclienti_tui.steps.assistance import AssistanceFormScreen, DocumentPicker
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver
from tests.pilot.test_assistance_form import attach, file_line, open_form, requests
from tests.unit.test_uploads import blank_png


@pytest.fixture
def uploads(settings) -> Path:
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (640, 400), (30, 120, 60)).save(folder / "fronte.png", format="PNG")
    return folder


@pytest.fixture
def stored(settings) -> Path:
    """Another customer's stored identity document."""
    settings.documents_dir.mkdir(parents=True, exist_ok=True)
    path = settings.documents_dir / "0b4d6f8a1c3e5a7b9d0f2a4c6e8b1d3f.jpg"
    Image.new("RGB", (200, 120), (200, 10, 10)).save(path, format="JPEG")
    return path


async def open_picker(d: Driver, widget_id: str = "allega-fronte") -> DocumentPicker:
    await d.click(f"#{widget_id}")
    await d.until(lambda: isinstance(d.app.screen, DocumentPicker), "the file picker")
    await d.settle()
    return d.app.screen


def location(d: Driver) -> Path:
    return d.app.screen.query_one(DirectoryNavigation).location


def entries(d: Driver) -> list[str]:
    navigation = d.app.screen.query_one(DirectoryNavigation)
    return [navigation.get_option_at_index(i).location.name for i in range(navigation.option_count)]


def picker_error(d: Driver) -> str:
    from textual_fspicker.base_dialog import Dialog

    return str(d.app.screen.query_one(Dialog).border_subtitle or "")


async def type_in_picker(d: Driver, text: str) -> None:
    await d.type_keys("Input", text)
    await d.key("enter")


async def test_picker_opens_in_the_uploads_folder_and_cannot_leave_it(make_app, uploads, stored, tmp_path):
    (tmp_path / "fuori").mkdir()
    (uploads / "scorciatoia").symlink_to(tmp_path / "fuori")  # a linked folder leading out
    (uploads / "scansioni").mkdir()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        await open_picker(d)
        assert location(d) == uploads
        await d.until(lambda: "fronte.png" in entries(d), "the folder's files")
        assert ".." not in entries(d)  # no way up at the top
        # Backspace (go up), "..", an absolute path, a home path, a link out: still in the uploads folder.
        app.screen.query_one(DirectoryNavigation).focus()
        await d.key("backspace")
        assert location(d) == uploads
        for typed in ("..", "../..", "/", str(tmp_path), "~", "scorciatoia"):
            await type_in_picker(d, typed)
            assert isinstance(app.screen, DocumentPicker), typed
            assert location(d) == uploads, typed
            assert picker_error(d) == DocumentPicker.ERROR_OUTSIDE, typed
        # Into a folder inside it and back up to the top, never above.
        await type_in_picker(d, "scansioni")
        assert location(d) == uploads / "scansioni"
        await d.until(lambda: ".." in entries(d), "the way back up")
        app.screen.query_one(DirectoryNavigation).focus()
        await d.key("backspace")
        assert location(d) == uploads
        await d.key("backspace")
        assert location(d) == uploads
        # The attack: another customer's stored document, by absolute or relative path.
        for typed in (str(stored), f"../documenti/{stored.name}"):
            await type_in_picker(d, typed)
            assert isinstance(app.screen, DocumentPicker), typed
            assert picker_error(d) == DocumentPicker.ERROR_OUTSIDE, typed
        await d.key("escape")
        assert isinstance(app.screen, AssistanceFormScreen)
        assert "Nessun file allegato" in file_line(d, "allega-fronte")


async def test_stored_document_refused_at_the_field_whatever_the_picker_returns(make_app, uploads, stored):
    """Defence in depth: a path handed to the form directly is checked again by the service."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        screen = await open_form(app, d, "7B")
        await attach(d, screen, "allega-fronte", stored)
        assert d.error("allega-fronte") == documents.OUTSIDE_UPLOADS
        assert screen.attachment("allega-fronte") is None
        await attach(d, screen, "allega-retro", Path("..") / "documenti" / stored.name)
        assert d.error("allega-retro") == documents.OUTSIDE_UPLOADS
        await d.click("#invia-richiesta")
        assert d.error("allega-fronte") == documents.OUTSIDE_UPLOADS
        assert requests(app) == []


async def test_data_folder_refused_even_when_it_is_the_uploads_folder(make_app, demo_ctx, stored):
    demo_ctx.settings.upload_dir = demo_ctx.settings.data_dir  # a careless configuration
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        await open_picker(d)
        assert location(d) == demo_ctx.settings.data_dir
        await type_in_picker(d, f"documenti/{stored.name}")  # inside the uploads folder, but reserved
        await d.until(lambda: not isinstance(app.screen, DocumentPicker), "the picker to close")
        await d.settle()
        assert d.error("allega-fronte") == documents.RESERVED
        assert "✘" in file_line(d, "allega-fronte")


async def test_link_fifo_and_huge_image_refused_at_the_field(make_app, uploads, tmp_path):
    Image.new("RGB", (50, 50)).save(tmp_path / "privato.jpg", format="JPEG")
    (uploads / "collegamento.jpg").symlink_to(tmp_path / "privato.jpg")
    os.mkfifo(uploads / "tubo.pdf")
    blank_png(uploads / "enorme.png", 9000, 9000)  # 16-bit grey, a few hundred KB
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await open_form(app, d, "7B")
        expected = {
            "collegamento.jpg": documents.SYMLINK_OUTSIDE,
            "tubo.pdf": "tubo.pdf non è un file: scegli il documento da allegare",
            "enorme.png": "L'immagine ha troppi pixel (9000×9000, più dei 40 milioni consentiti)",
        }
        for name, message in expected.items():
            await open_picker(d, "allega-retro")
            await type_in_picker(d, name)
            await d.until(lambda: not isinstance(app.screen, DocumentPicker), "the picker to close")
            await d.until(lambda: d.error("allega-retro") is not None, f"the refusal of {name}")
            assert (d.error("allega-retro") or "").startswith(message), (name, d.errors())
            assert app.screen.attachment("allega-retro") is None
        # A good file from the same folder is still attached.
        await open_picker(d, "allega-retro")
        await type_in_picker(d, "fronte.png")
        await d.until(lambda: app.screen.attachment("allega-retro") is not None, "the good file")
        assert d.errors() == {} and "640×400 pixel" in file_line(d, "allega-retro")
