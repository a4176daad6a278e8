"""80×24 and 120×40 are supported sizes: nothing the operator must press or type is clipped.

Every screen of the gallery (``gallery.shots()``) is reached at each size; there
every enabled, displayed Button and Input is scrolled into view and must then lie
whole inside the screen and inside what its scrolling containers show, and every
button's label must fit its button.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Button, Input

from areaclienti_tui import gallery


def _displayed(widget: Widget) -> bool:
    return all(node.display and node.visible for node in widget.ancestors_with_self if isinstance(node, Widget))


async def _check_screen(stage: gallery.Stage, where: str, problems: list[str]) -> None:
    app = stage.app
    screen = app.screen
    for widget in list(screen.query(Button)) + list(screen.query(Input)):
        if widget.disabled or not _displayed(widget) or not widget.is_mounted:
            continue
        # A screen may still scroll on its own just after its work (a result brought into
        # view once drawn): bring the control into view again until it stays there.
        for _ in range(3):
            widget.scroll_visible(animate=False, immediate=True)
            await stage.pilot.pause()
            await stage.pilot.wait_for_scheduled_animations()
            await stage.pilot.pause()
            if widget.region and screen.region.contains_region(widget.region):
                break
        name = f"{where}: {type(widget).__name__} #{widget.id or '?'}"
        region = widget.region
        if not region or not screen.region.contains_region(region):
            problems.append(f"{name} è fuori dallo schermo ({region} in {screen.region})")
            continue
        shown = screen._compositor.visible_widgets.get(widget)
        if shown is None:
            problems.append(f"{name} non si vede")
            continue
        full, clip = shown
        if full.intersection(clip) != full:
            problems.append(f"{name} è tagliato ({full}, visibile {clip})")
        if isinstance(widget, Button):
            label = widget.label.cell_length if hasattr(widget.label, "cell_length") else len(str(widget.label))
            if label > widget.content_region.width:
                problems.append(f"{name}: l'etichetta «{widget.label}» non entra ({widget.content_region.width} colonne)")


def _walk(size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    problems: list[str] = []
    table = gallery.shots()
    current: dict[str, str] = {}

    async def check(self: gallery.Stage) -> str:
        await self.settle()
        await _check_screen(self, current["where"], problems)
        return ""

    original_reach: dict[int, gallery.Reach] = {}
    shots = []
    for shot in table:
        async def reach(stage: gallery.Stage, shot: gallery.Shot = shot) -> None:
            current["where"] = f"{size[0]}×{size[1]} {shot.step} {shot.slug}"
            await original_reach[id(shot)](stage)
        original_reach[id(shot)] = shot.reach
        shots.append(gallery.Shot(shot.step, shot.slug, shot.screen, shot.guide, shot.scene, reach, shot.label))

    monkeypatch.setattr(gallery, "SIZE", size)
    monkeypatch.setattr(gallery.Stage, "picture", check)
    by_scene: dict[str, list[gallery.Shot]] = {}
    for shot in shots:
        by_scene.setdefault(shot.scene, []).append(shot)
    with tempfile.TemporaryDirectory(prefix="areaclienti-misure-") as tmp:
        workdir = Path(tmp)
        template = gallery._template(workdir / "modello")
        for name, scene_shots in by_scene.items():
            asyncio.run(gallery._run_scene(gallery.SCENES[name], scene_shots, template, workdir))
    return problems


@pytest.mark.long(27)
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_every_button_and_field_fits(size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _walk(size, monkeypatch)
    assert not problems, "\n".join(problems)
