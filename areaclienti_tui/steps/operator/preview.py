"""What the request detail screen shows of a stored document: its facts and a preview.

An image is drawn with real pixels where the terminal speaks a graphics protocol,
elsewhere as a small half-block picture; a PDF shows the text of its first page.
Documents are read off the UI thread and only from inside the documents folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.content import Content
from textual.widget import Widget

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.services import assistance
from areaclienti_tui.services.documents import DEFAULT_MAX_PIXELS, KIND_WORDS, human_size, preview_image
from areaclienti_tui.steps.operator.common import SIDES, short_hash
from areaclienti_tui.widgets.literal import template

log = logging.getLogger(__name__)

# -- image preview "where the terminal allows" ----------------------------------
#
# textual-image draws real pixels on terminals that speak a graphics protocol
# (Kitty TGP, Sixel), but only when it could ask the terminal what it supports,
# which must happen before Textual takes over the terminal. The console draws 1A
# first and loads the operator area behind it (app.loading_app), once Textual owns
# the terminal: there app.py makes textual-image's questions fail at once, and the
# preview is the small picture made with Pillow and drawn with half blocks, as in
# headless tests and in the browser. A program that imports this module before
# starting Textual still gets the graphics protocol.

try:  # pragma: no cover - depends on the terminal the console starts in
    from textual_image.renderable import Image as _AutoRenderable
    from textual_image.renderable import SixelImage as _SixelRenderable
    from textual_image.renderable import TGPImage as _TGPRenderable
    from textual_image.widget import Image as _GraphicsImage

    GRAPHICS_IMAGE: type[Widget] | None = (
        _GraphicsImage if _AutoRenderable in (_SixelRenderable, _TGPRenderable) else None
    )
except Exception:  # noqa: BLE001 - not installed, or no terminal to ask
    GRAPHICS_IMAGE = None

PREVIEW_COLUMNS = 48
PREVIEW_ROWS = 16
EXCERPT_CHARS = 400


def half_block_preview(
    path: Path, *, columns: int = PREVIEW_COLUMNS, rows: int = PREVIEW_ROWS, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Text:
    """A low-resolution picture of an image: each cell is "▀", top pixel as ink, bottom as paper.

    Decoded with bounded memory (documents.preview_image): an image over
    ``max_pixels`` is refused from its header, a JPEG is decoded scaled down.
    """
    # Two pixel rows per cell: cells are about twice as tall as wide.
    picture = preview_image(path, (columns, rows * 2), max_pixels=max_pixels)
    width, height = picture.size
    pixels = picture.load()
    text = Text(no_wrap=True, end="")
    for y in range(0, height, 2):
        if y:
            text.append("\n")
        for x in range(width):
            top = pixels[x, y]
            bottom = pixels[x, y + 1] if y + 1 < height else None
            text.append("▀", Style(color=f"rgb({top[0]},{top[1]},{top[2]})",
                                   bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})" if bottom else None))
    return text


def pdf_excerpt(path: Path, *, limit: int = EXCERPT_CHARS) -> str:
    """The text of the first page, on one line and cut to `limit` characters ("" if none)."""
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    previous = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return ""
        if not reader.pages:
            return ""
        words = " ".join((reader.pages[0].extract_text() or "").split())
    finally:
        pypdf_log.setLevel(previous)
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def preview_cells(width: int | None, height: int | None) -> tuple[int, int]:
    """Columns and rows that fit an image of that many pixels in the preview box, proportions kept."""
    if not width or not height:
        return PREVIEW_COLUMNS, PREVIEW_ROWS
    # A cell is about twice as tall as it is wide.
    columns = max(1, min(PREVIEW_COLUMNS, round(PREVIEW_ROWS * 2 * width / height)))
    rows = max(1, min(PREVIEW_ROWS, round(columns * height / width / 2)))
    return columns, rows


@dataclass(frozen=True)
class Preview:
    """What the detail screen shows for one document, prepared off the UI thread."""

    picture: Text | None = None  # half-block picture of an image
    excerpt: str | None = None  # first-page text of a PDF ("" when it has none)
    problem: str | None = None  # why nothing can be shown
    image: Any = None  # small PIL image for a graphics terminal (never the full-size file)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


GRAPHICS_PIXELS_PER_CELL = (12, 24)  # a generous terminal cell: enough pixels for a sharp picture


def prepare_preview(
    document: assistance.DocumentView,
    documents_dir: Path,
    *,
    picture: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Preview:
    """Read a stored document (only inside the documents folder) for its preview.

    Images are decoded with bounded memory: the half-block picture (``picture``)
    or a small image for a graphics terminal, never the full-size file.
    """
    path = Path(document.path)
    if not _inside(path, documents_dir) or not path.is_file():
        return Preview(problem="Il file del documento non è disponibile.")
    try:
        if document.mime == "application/pdf":
            return Preview(excerpt=pdf_excerpt(path))
        if document.mime.startswith("image/"):
            if picture:
                return Preview(picture=half_block_preview(path, max_pixels=max_pixels))
            box = (PREVIEW_COLUMNS * GRAPHICS_PIXELS_PER_CELL[0], PREVIEW_ROWS * GRAPHICS_PIXELS_PER_CELL[1])
            return Preview(image=preview_image(path, box, max_pixels=max_pixels))
    except RuleError as error:
        if error.code == "pixels":
            return Preview(problem="Anteprima non disponibile: l'immagine ha troppi pixel.")
        log.warning("preview of document %s refused: %s", document.id, error.code)
        return Preview(problem="Anteprima non disponibile: il file non si può leggere.")
    except Exception:
        log.warning("preview of document %s failed", document.id, exc_info=True)
        return Preview(problem="Anteprima non disponibile: il file non si può leggere.")
    return Preview()


def document_facts(document: assistance.DocumentView) -> Content:
    """One line: side, type, size, pixels or pages, shortened SHA-256, original name."""
    parts = [SIDES.get(document.side, document.side.capitalize()), KIND_WORDS.get(document.mime, document.mime)]
    parts.append(human_size(document.size))
    if document.width and document.height:
        parts.append(f"{document.width}×{document.height} pixel")
    if document.pages is not None:
        parts.append("1 pagina" if document.pages == 1 else f"{document.pages} pagine")
    parts.append(f"SHA-256 {short_hash(document.sha256)}")
    return template("$facts\nNome originale: [i]$name[/i]", facts=" · ".join(parts), name=document.original_name)
