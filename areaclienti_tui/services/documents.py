"""Identity documents attached to an assistance request (SPEC §4, documents).

A document is accepted when its *content* is a PDF, a JPEG or a PNG that can
really be opened, of at most 10 MB (an image of at most ``image_max_pixels``,
read from its header without decoding it), and when it is a regular file inside
the uploads folder (``caricamenti/``): a path outside it, a link that leads out
of it, anything in the data or documents folders, FIFOs, devices, sockets and
folders are refused before anything is opened. Files are read in chunks and
never past the limit. Accepted files are copied under the data folder with
generated names; nothing is written anywhere else. Previews of stored images
are decoded with bounded memory (``preview_image``).
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from areaclienti_tui.rules.errors import RuleError

MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
KIND_WORDS = {PDF: "PDF", JPEG: "immagine JPEG", PNG: "immagine PNG"}

_PDF_MAGIC = b"%PDF-"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SYMLINK_OUTSIDE = "Il file è un collegamento a un'altra cartella: scegli direttamente il documento"
DAMAGED = "Il file sembra danneggiato: non riusciamo ad aprirlo. Allega un'altra foto o un altro PDF"
OUTSIDE_UPLOADS = (
    "Puoi allegare solo i file della cartella dei caricamenti: copia lì il documento e sceglilo da quella cartella"
)
RESERVED = "Questo file è tra i dati riservati dell'applicazione e non si può allegare: scegli un documento caricato"
UPLOADS_UNUSABLE = "La cartella dei caricamenti non è disponibile: chiedi aiuto al personale"
TOO_MANY_PIXELS = "L'immagine ha troppi pixel: allega una foto di dimensioni normali"

DEFAULT_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class UploadArea:
    """Where uploads may come from: only regular files inside ``folder``.

    Whatever the folder holds, nothing inside ``documents_dir`` (other
    customers' stored documents) is ever accepted, and nothing inside
    ``data_dir`` (database, keys, logs) unless the uploads folder itself lies
    inside the data folder (the default ``<data>/caricamenti``).
    """

    folder: Path
    data_dir: Path | None = None
    documents_dir: Path | None = None
    max_pixels: int = DEFAULT_MAX_PIXELS

    @classmethod
    def from_settings(cls, settings: Any) -> UploadArea:
        return cls(
            folder=Path(settings.uploads_dir),
            data_dir=Path(settings.data_dir),
            documents_dir=Path(settings.documents_dir),
            max_pixels=int(settings.image_max_pixels),
        )

    @property
    def absolute_folder(self) -> Path:
        return Path(os.path.abspath(Path(self.folder).expanduser()))


def ensure_uploads_dir(settings: Any) -> Path:
    """Create the uploads folder (mode 0700 when new) and return it, or raise RuleError."""
    folder = UploadArea.from_settings(settings).absolute_folder
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        raise RuleError(UPLOADS_UNUSABLE, "uploads-folder") from None
    if not folder.is_dir():
        raise RuleError(UPLOADS_UNUSABLE, "uploads-folder")
    return folder


@dataclass(frozen=True)
class DocumentInfo:
    """An inspected upload: where its content really is and what it holds."""

    path: Path  # the real file (links resolved), read again when it is stored
    mime: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    pages: int | None
    original_name: str  # the name the customer picked

    @property
    def description(self) -> str:
        """e.g. ``PDF, 2 pagine, 1,2 MB`` or ``immagine JPEG, 1200×800 pixel, 340 KB``."""
        parts = [KIND_WORDS.get(self.mime, self.mime)]
        if self.pages is not None:
            parts.append("1 pagina" if self.pages == 1 else f"{self.pages} pagine")
        if self.width is not None and self.height is not None:
            parts.append(f"{self.width}×{self.height} pixel")
        parts.append(human_size(self.size))
        return ", ".join(parts)


def human_size(size: int) -> str:
    """Bytes in Italian units: ``512 byte``, ``340 KB``, ``1,2 MB``."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def _mb(size: int) -> str:
    """Megabytes with one decimal, rounded up (10 MB + 1 byte reads 10,1, never 10,0)."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f}".replace(".", ",")


def _sniff(head: bytes) -> str | None:
    if head.startswith(_PDF_MAGIC):
        return PDF
    if head.startswith(_JPEG_MAGIC):
        return JPEG
    if head.startswith(_PNG_MAGIC):
        return PNG
    return None


@contextmanager
def _open_regular(path: Path, expect: os.stat_result | None = None) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """Open a regular file for reading, without blocking on FIFOs or following a last link.

    With ``expect`` (an earlier lstat) the opened file must be that very file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise RuleError("Il file non esiste più: sceglilo di nuovo", "missing") from None
    except PermissionError:
        raise RuleError("Non hai il permesso di leggere questo file", "permission") from None
    except OSError:
        raise RuleError("Il file non si può leggere: scegli un documento", "unreadable") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RuleError("Non è un file: scegli il documento da allegare", "not-file")
        if expect is not None and (info.st_dev, info.st_ino) != (expect.st_dev, expect.st_ino):
            raise RuleError("Il file è cambiato mentre lo controllavamo: sceglilo di nuovo", "changed")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle, info


def _hash_limited(handle: BinaryIO) -> tuple[str, int]:
    """SHA-256 and size of the content, reading at most MAX_BYTES + 1 bytes."""
    digest = hashlib.sha256()
    total = 0
    while total <= MAX_BYTES:
        chunk = handle.read(min(CHUNK, MAX_BYTES + 1 - total))
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def _too_big(size: int) -> RuleError:
    return RuleError(
        f"Il file pesa {_mb(size)} MB, più dei {MAX_BYTES // (1024 * 1024)} MB consentiti: "
        "allega una foto più leggera o un PDF più piccolo",
        "too-big",
    )


_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_structure_ok(handle: BinaryIO, size: int) -> bool:
    """Walk the JPEG segments up to the frame header: garbage after FF D8 FF fails fast.

    (Pillow would scan such a file byte by byte before giving up.)
    """
    handle.seek(2)
    for _ in range(4096):
        if handle.read(1) != b"\xff":
            return False
        marker = handle.read(1)
        while marker == b"\xff":  # fill bytes
            marker = handle.read(1)
        if not marker:
            return False
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD7:  # markers without a segment
            continue
        if code in (0x00, 0xD8, 0xD9):
            return False
        length = handle.read(2)
        if len(length) < 2 or int.from_bytes(length, "big") < 2:
            return False
        if code in _SOF_MARKERS or code == 0xDA:
            return True
        handle.seek(int.from_bytes(length, "big") - 2, os.SEEK_CUR)
        if handle.tell() >= size:
            return False
    return False


def _too_many_pixels(width: int, height: int, max_pixels: int) -> RuleError:
    millions = f"{max_pixels / 1_000_000:.1f}".replace(".0", "").replace(".", ",")
    return RuleError(
        f"L'immagine ha troppi pixel ({width}×{height}, più dei {millions} milioni consentiti): "
        "allega una foto più piccola o ridotta",
        "pixels",
    )


def _image_facts(handle: BinaryIO, mime: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """Size of an image, checked against ``max_pixels`` from its header before anything is decoded."""
    from PIL import Image, ImageFile, UnidentifiedImageError

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    expected = "JPEG" if mime == JPEG else "PNG"
    try:
        with warnings.catch_warnings():
            # Pillow refuses (error) or warns about huge images at open: both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle, formats=[expected]) as image:  # reads the header only
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height, max_pixels)
                image.verify()
            if mime == JPEG:
                # verify() checks little in a JPEG: decode it, scaled down, to find a broken one.
                handle.seek(0)
                with Image.open(handle, formats=[expected]) as image:
                    image.draft("L", (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except RuleError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RuleError(TOO_MANY_PIXELS, "pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError):
        raise RuleError(DAMAGED, "damaged") from None
    if width <= 0 or height <= 0:
        raise RuleError(DAMAGED, "damaged")
    return width, height


def _pdf_pages(handle: BinaryIO) -> int:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    pypdf_log = logging.getLogger("pypdf")
    previous = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise FileNotDecryptedError("password")
            except FileNotDecryptedError:
                raise
            except Exception:  # noqa: BLE001 - any failure to decrypt means a password is needed
                raise FileNotDecryptedError("password") from None
        pages = len(reader.pages)
    except FileNotDecryptedError:
        raise RuleError("Il PDF è protetto da password: allega un PDF senza password", "encrypted") from None
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of errors on broken files
        raise RuleError(DAMAGED, "damaged") from None
    finally:
        pypdf_log.setLevel(previous)
    if pages < 1:
        raise RuleError(DAMAGED, "damaged")
    return pages


def _inside(target: Path, folder: Path) -> bool:
    return target == folder or target.is_relative_to(folder)


def _real(folder: Path | None) -> Path | None:
    if folder is None:
        return None
    try:
        return Path(os.path.abspath(Path(folder).expanduser())).resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(Path(folder).expanduser()))


def _reserved(target: Path, real_uploads: Path, area: UploadArea) -> bool:
    """Is the real file among the application's own data (never attachable)?"""
    documents_dir, data_dir = _real(area.documents_dir), _real(area.data_dir)
    if documents_dir is not None and _inside(target, documents_dir):
        return True
    if data_dir is not None and _inside(target, data_dir):
        # Only the default layout, <data>/caricamenti, opens a door in the data folder.
        uploads_within_data = real_uploads != data_dir and _inside(real_uploads, data_dir)
        return not (uploads_within_data and _inside(target, real_uploads))
    return False


def resolve_in_uploads(path: Path | str, area: UploadArea) -> Path:
    """The absolute path of a picked file: a relative one starts from the uploads folder."""
    path = Path(path)
    if not path.is_absolute():
        path = area.absolute_folder / path
    return Path(os.path.normpath(path))


def inspect_upload(path: Path, area: UploadArea) -> DocumentInfo:
    """Check a picked file and describe it, or raise RuleError with an Italian message.

    The file must be a regular file inside ``area.folder`` (its real location
    too: a link leading out is refused), outside the application's data, and
    its content a PDF, JPEG or PNG within the limits. Nothing is opened before
    the path passed these checks; a FIFO or a device is never opened.
    """
    path = resolve_in_uploads(path, area)
    name = path.name
    folder = area.absolute_folder
    try:
        real_folder = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        raise RuleError(UPLOADS_UNUSABLE, "uploads-folder") from None
    if not (_inside(path, folder) or _inside(path, real_folder)):
        raise RuleError(OUTSIDE_UPLOADS, "outside-uploads")
    try:
        path.lstat()
    except FileNotFoundError:
        raise RuleError(f"Il file {name} non esiste: controlla il nome e la cartella", "missing") from None
    except OSError:
        raise RuleError(f"Il file {name} non si può leggere", "unreadable") from None
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        raise RuleError(
            f"Il file {name} è un collegamento a un file che non esiste più: scegli direttamente il documento",
            "broken-link",
        ) from None
    except (OSError, RuntimeError):
        raise RuleError(f"Il file {name} non si può leggere", "unreadable") from None
    if not _inside(target, real_folder):
        raise RuleError(SYMLINK_OUTSIDE, "outside")
    if _reserved(target, real_folder, area):
        raise RuleError(RESERVED, "reserved")
    try:
        status = os.lstat(target)
    except OSError:
        raise RuleError(f"Il file {name} non si può leggere", "unreadable") from None
    if not stat.S_ISREG(status.st_mode):  # FIFO, device, socket, folder: never opened
        raise RuleError(f"{name} non è un file: scegli il documento da allegare", "not-file")

    with _open_regular(target, status) as (handle, info):
        if info.st_size == 0:
            raise RuleError(f"Il file {name} è vuoto", "empty")
        if info.st_size > MAX_BYTES:
            raise _too_big(info.st_size)
        head = handle.read(8)
        mime = _sniff(head)
        if mime is None:
            raise RuleError(
                f"Il file non è un PDF, JPEG o PNG: {name} non contiene un documento in uno di questi formati",
                "type",
            )
        handle.seek(0)
        sha256, size = _hash_limited(handle)
        if size == 0:
            raise RuleError(f"Il file {name} è vuoto", "empty")
        if size > MAX_BYTES:
            raise _too_big(max(size, info.st_size))
        handle.seek(0)
        width = height = pages = None
        if mime == PDF:
            pages = _pdf_pages(handle)
        else:
            if mime == JPEG:
                if not _jpeg_structure_ok(handle, size):
                    raise RuleError(DAMAGED, "damaged")
                handle.seek(0)
            width, height = _image_facts(handle, mime, area.max_pixels)
    return DocumentInfo(
        path=target,
        mime=mime,
        size=size,
        sha256=sha256,
        width=width,
        height=height,
        pages=pages,
        original_name=name,
    )


_REDUCIBLE_MODES = frozenset({"L", "LA", "PA", "RGB", "RGBA", "RGBX", "RGBa", "La", "I", "F", "CMYK", "YCbCr"})


def _flatten(picture: Any) -> Any:
    """A small picture in RGB: 16-bit scaled to 8-bit, transparency laid on white."""
    from PIL import Image

    if picture.mode.startswith("I"):  # "I;16…" and "I": 16-bit greys
        picture = picture.convert("I") if picture.mode != "I" else picture
        picture = picture.point(lambda value: value * (1 / 256)).convert("L")
    if picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        picture.mode == "P" and "transparency" in picture.info
    ):
        rgba = picture.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(paper, rgba)
    return picture.convert("RGB")


def preview_image(path: Path, box: tuple[int, int], *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Any:
    """A small RGB ``PIL.Image`` of a stored JPEG or PNG that fits ``box``, decoded with bounded memory.

    The size is read from the header first: an image over ``max_pixels`` is
    refused (RuleError) without being decoded. A JPEG is decoded already
    scaled down (``draft``: 1/2 to 1/8); a PNG is decoded once in its own mode
    and at once reduced by an integer factor, before any copy, rotation or
    conversion, so the peak is one decoded image (at most ``max_pixels`` × 4
    bytes) and everything after it is small.
    """
    from PIL import Image, ImageOps

    columns, rows = max(1, box[0]), max(1, box[1])
    target = Path(path)
    try:
        status = os.lstat(target)
    except OSError:
        raise RuleError("Il file del documento non è disponibile", "missing") from None
    if not stat.S_ISREG(status.st_mode):
        raise RuleError("Il file del documento non è un file", "not-file")
    with _open_regular(target, status) as (handle, _info), warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(handle, formats=["JPEG", "PNG"]) as source:
                width, height = source.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height, max_pixels)
                # Twice the box, so the final thumbnail still has pixels to average.
                source.draft("RGB", (columns * 2, rows * 2))  # JPEG only; PNG ignores it
                width, height = source.size
                factor = max(1, min(width // (columns * 2), height // (rows * 2)))
                if source.mode in _REDUCIBLE_MODES:
                    picture = source.reduce(factor) if factor > 1 else source.copy()
                else:  # "P", "1", "I;16…": keep every factor-th pixel
                    size = (max(1, width // factor), max(1, height // factor))
                    picture = source.resize(size, Image.Resampling.NEAREST)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise RuleError(TOO_MANY_PIXELS, "pixels") from None
    picture = ImageOps.exif_transpose(picture)
    picture = _flatten(picture)
    picture.thumbnail((columns, rows), Image.Resampling.LANCZOS)
    return picture


def _safe_name(stored_name: str) -> str:
    if (
        not stored_name
        or stored_name in (".", "..")
        or "/" in stored_name
        or "\\" in stored_name
        or "\x00" in stored_name
        or os.sep in stored_name
        or (os.altsep and os.altsep in stored_name)
    ):
        raise RuleError(f"Nome di documento non valido: {stored_name!r}", "name")
    return stored_name


def stored_path(documents_dir: Path, stored_name: str) -> Path:
    """Where a stored document lives; names with path separators are refused."""
    return Path(documents_dir) / _safe_name(stored_name)


def _ensure_folder(documents_dir: Path) -> Path:
    documents_dir = Path(documents_dir)
    documents_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if documents_dir.is_symlink() or not documents_dir.is_dir():
        raise RuleError("La cartella dei documenti non è utilizzabile", "folder")
    os.chmod(documents_dir, 0o700)
    return documents_dir


def store_document(info: DocumentInfo, documents_dir: Path) -> str:
    """Copy an inspected document into ``documents_dir`` under a generated name.

    The content is hashed again while copying: if it is no longer the file that
    was inspected (swapped or changed meanwhile) nothing is kept and RuleError
    is raised. Returns the stored name.
    """
    folder = _ensure_folder(documents_dir)
    stored_name = _safe_name(uuid.uuid4().hex + EXTENSIONS[info.mime])
    destination = folder / stored_name
    changed = RuleError(
        f"Il file {info.original_name} è cambiato dopo che l'hai allegato: allegalo di nuovo", "changed"
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with _open_regular(info.path) as (source, _info):
        fd = os.open(destination, flags, 0o600)
        try:
            digest = hashlib.sha256()
            total = 0
            with os.fdopen(fd, "wb") as target:
                while True:
                    chunk = source.read(CHUNK)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > info.size:
                        raise changed
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            if total != info.size or digest.hexdigest() != info.sha256:
                raise changed
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
    return stored_name


def delete_stored(documents_dir: Path, stored_name: str) -> None:
    """Remove a stored document (used when the request that needed it was not saved)."""
    stored_path(documents_dir, stored_name).unlink(missing_ok=True)
