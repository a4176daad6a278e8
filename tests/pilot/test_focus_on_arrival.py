"""Issue 8: every screen arrives with the focus where the operator acts next.

The gallery's own walk (``areaclienti_tui.gallery``: every step of the guide and every
operator tab, reached the way the screenshots reach them) is replayed scene by scene;
on each screen something the keyboard can act on has the focus: a field, a button, a
list, a table… never nothing, never the scrolling frame (Enter would do nothing and
typed text would be lost).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import (
    Button, Checkbox, DataTable, DirectoryTree, Input, Markdown, OptionList, RadioButton, RadioSet, Select, Tabs,
)

from areaclienti_tui import gallery
from areaclienti_tui.app import AreaClientiApp
from areaclienti_tui.clock import FakeClock
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.steps.base import StepScreen
from areaclienti_tui.widgets.modals import DocumentModal
from tests.pilot.conftest import SIZE
from tests.pilot.driver import Driver

CONTROLS = (Button, Checkbox, DataTable, DirectoryTree, Input, Markdown, OptionList, RadioButton, RadioSet, Select, Tabs)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gallery._template(tmp_path_factory.mktemp("galleria") / "modello")


def describe(app: AreaClientiApp) -> str:
    return f"{app.current_step} {type(app.screen).__name__}: focus on {app.focused!r}"


def sensible_focus(app: AreaClientiApp) -> bool:
    focused = app.focused
    if isinstance(app.screen, DocumentModal):  # a text to read: its scrolling text (or Chiudi) is right
        return focused is not None
    if isinstance(app.screen, StepScreen) and app.screen.READ_FIRST:  # read first, act with keys (A, R)
        return focused is not None
    return isinstance(focused, CONTROLS) and not focused.disabled


async def walk_scene(name: str, template: Path, workdir: Path) -> list[str]:
    """Every shot of one gallery scene; the screens whose focus is not sensible."""
    scene = gallery.SCENES[name]
    data = workdir / "dati"
    data.mkdir(parents=True)
    shutil.copyfile(template, data / gallery.DB_NAME)
    (data / "device-id").write_text(gallery.DEVICE_ID + "\n", encoding="ascii")
    ctx = open_context(gallery._settings(data), FakeClock(gallery.START), seed_demo=False)
    wrong: list[str] = []
    try:
        with gallery.fixed_codes():
            if scene.setup is not None:
                scene.setup(ctx, workdir / "file")
            app = AreaClientiApp(ctx)
            app.raise_unexpected = True
            async with app.run_test(size=gallery.SIZE, notifications=False, tooltips=False) as pilot:
                stage = gallery.Stage(pilot, workdir / "file")
                await stage.on_step("1A")
                for shot in (shot for shot in gallery.shots() if shot.scene == name):
                    await shot.reach(stage)
                    await stage.settle()
                    await pilot.pause()
                    if not sensible_focus(app):
                        wrong.append(f"{shot.step} {shot.slug}: {describe(app)}")
    finally:
        ctx.db.dispose()
    return wrong


@pytest.mark.parametrize("scene", list(gallery.SCENES))
async def test_every_gallery_screen_arrives_with_a_control_focused(scene, template, tmp_path):
    assert await walk_scene(scene, template, tmp_path) == []


# -- the screens the issue names ------------------------------------------------------------


async def test_6b_focuses_its_primary_action(make_app):
    from areaclienti_tui.steps.pathb import GenericErrorScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        app.push_screen(GenericErrorScreen())
        await d.expect_step("6B")
        await d.settle()
        assert isinstance(app.focused, Button), describe(app)


async def test_focus_comes_back_when_a_busy_step_ends(make_app):
    """A button pressed while the step works is disabled (and loses the focus): it comes back."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        screen = app.screen
        assert isinstance(screen, StepScreen)
        screen.set_busy(True)
        await d.settle()
        screen.set_busy(False)
        await d.until(lambda: isinstance(app.focused, Button) and not app.focused.disabled, "a button focused")


async def test_operator_queue_focuses_the_requests_not_the_sign_out(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await d.until(lambda: isinstance(app.focused, DataTable), "the queue focused")
        assert app.focused.id == "richieste", describe(app)


async def test_clicking_the_registry_tab_focuses_its_search(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.operator_home()
        await pilot.click("#--content-tab-anagrafe")
        await d.until(lambda: getattr(app.focused, "id", None) == "ricerca-anagrafe", "the registry search focused")
        await pilot.press(*"Ferrari")
        assert app.focused.value == "Ferrari"
