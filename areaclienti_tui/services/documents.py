"""Identity documents attached to an assistance request (SPEC §4, documents).

A document is accepted when its *content* is a PDF, a JPEG or a PNG that can
really be opened, of at most 10 MB, picked directly in the folder the customer
chose (a link that leads elsewhere is refused). Files are read in chunks and
never past the limit. Accepted files are copied under the data folder with
generated names; nothing is written anywhere else.
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
from typing import BinaryIO

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
def _open_regular(path: Path) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """Open a regular file for reading, without blocking on FIFOs or following a last link."""
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


def _image_facts(handle: BinaryIO, mime: str) -> tuple[int, int]:
    from PIL import Image, ImageFile, UnidentifiedImageError

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    expected = "JPEG" if mime == JPEG else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle, formats=[expected]) as image:
                width, height = image.size
                image.verify()
            if mime == JPEG:
                # verify() checks little in a JPEG: decode it, scaled down, to find a broken one.
                handle.seek(0)
                with Image.open(handle, formats=[expected]) as image:
                    image.draft("L", (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RuleError("L'immagine ha troppi pixel: allega una foto di dimensioni normali", "pixels") from None
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


def inspect_upload(path: Path, *, chosen_folder: Path | None = None) -> DocumentInfo:
    """Check a picked file and describe it, or raise RuleError with an Italian message.

    ``chosen_folder`` is the folder the customer browsed to (default: the folder
    the picked path is in); the file's real location must lie inside it.
    """
    path = Path(path).expanduser()
    if not path.is_absolute():
        path = Path(os.path.abspath(path))
    name = path.name
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
    folder = Path(os.path.abspath(chosen_folder.expanduser())) if chosen_folder is not None else path.parent
    try:
        real_folder = folder.resolve()
    except (OSError, RuntimeError):
        raise RuleError(SYMLINK_OUTSIDE, "outside") from None
    if not _inside(target, real_folder):
        raise RuleError(SYMLINK_OUTSIDE, "outside")
    if not target.is_file():
        raise RuleError(f"{name} non è un file: scegli il documento da allegare", "not-file")

    with _open_regular(target) as (handle, info):
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
            width, height = _image_facts(handle, mime)
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
