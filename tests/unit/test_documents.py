"""Identity documents (SPEC §4): recognised by content, 10 MB at most, stored
under the data folder with generated names and their SHA-256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.services import documents
from areaclienti_tui.services.documents import MAX_BYTES, UploadArea, store_document, stored_path


def inspect_upload(path: Path, *, chosen_folder: Path | None = None) -> documents.DocumentInfo:
    """The upload check, with the uploads folder where the test put the file (or ``chosen_folder``)."""
    return documents.inspect_upload(path, UploadArea(chosen_folder or Path(path).parent))


def make_pdf(path: Path, pages: int = 2) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def make_image(path: Path, fmt: str, size: tuple[int, int] = (120, 80)) -> Path:
    Image.new("RGB", size, (200, 30, 40)).save(path, format=fmt)
    return path


def sparse(path: Path, head: bytes, size: int) -> Path:
    """A file of `size` bytes starting with `head`, the rest a hole (fast to make)."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def refused(path: Path, **kwargs) -> RuleError:
    with pytest.raises(RuleError) as caught:
        inspect_upload(path, **kwargs)
    return caught.value


# --- accepted ------------------------------------------------------------------------


def test_pdf_recognised_with_pages_and_hash(tmp_path):
    path = make_pdf(tmp_path / "carta.pdf", pages=2)
    info = inspect_upload(path)
    assert (info.mime, info.pages, info.width, info.height) == ("application/pdf", 2, None, None)
    assert info.size == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.original_name == "carta.pdf"
    assert "2 pagine" in info.description


def handwritten_pdf() -> bytes:
    """A one-page PDF written by hand, with its cross-reference table."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_handwritten_minimal_pdf(tmp_path):
    (tmp_path / "mini.pdf").write_bytes(handwritten_pdf())
    assert inspect_upload(tmp_path / "mini.pdf").pages == 1


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_images_recognised_with_pixels(tmp_path, fmt, mime):
    info = inspect_upload(make_image(tmp_path / "foto.img", fmt, (321, 123)))
    assert (info.mime, info.width, info.height, info.pages) == (mime, 321, 123, None)
    assert "321×123 pixel" in info.description


def test_type_by_content_not_by_name(tmp_path):
    """A PNG called .pdf is a PNG; a JPEG without extension is a JPEG."""
    assert inspect_upload(make_image(tmp_path / "documento.pdf", "PNG")).mime == "image/png"
    assert inspect_upload(make_image(tmp_path / "scansione", "JPEG")).mime == "image/jpeg"


def test_exif_and_progressive_jpeg_accepted(tmp_path):
    image = Image.new("RGB", (640, 480), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Fotocamera"
    image.save(tmp_path / "exif.jpg", format="JPEG", exif=exif, progressive=True)
    assert inspect_upload(tmp_path / "exif.jpg").width == 640


def test_exactly_ten_megabytes_is_allowed(tmp_path):
    path = make_pdf(tmp_path / "grande.pdf", pages=1)
    data = path.read_bytes()
    # Pad with a PDF comment after %%EOF up to exactly the limit: still a valid PDF.
    path.write_bytes(data + b"%" + b"x" * (MAX_BYTES - len(data) - 1))
    assert path.stat().st_size == MAX_BYTES
    info = inspect_upload(path)
    assert (info.size, info.pages) == (MAX_BYTES, 1)


# --- refused -----------------------------------------------------------------------


def test_text_named_pdf_is_refused(tmp_path):
    path = tmp_path / "documento.pdf"
    path.write_text("Questo non è un PDF, è solo testo.", encoding="utf-8")
    error = refused(path)
    assert error.code == "type"
    assert error.message.startswith("Il file non è un PDF, JPEG o PNG: ")


def test_other_formats_refused(tmp_path):
    Image.new("RGB", (10, 10)).save(tmp_path / "foto.gif", format="GIF")
    assert refused(tmp_path / "foto.gif").code == "type"


def test_over_ten_megabytes_refused_with_size(tmp_path):
    path = sparse(tmp_path / "enorme.pdf", b"%PDF-1.4\n", MAX_BYTES + 1)
    error = refused(path)
    assert error.code == "too-big"
    assert "10,1 MB" in error.message and "10 MB" in error.message
    big = sparse(tmp_path / "enorme.jpg", b"\xff\xd8\xff\xe0", 25 * 1024 * 1024)
    assert "25,0 MB" in refused(big).message


def test_ten_megabytes_of_jpeg_prefixed_garbage_is_recognised_but_damaged(tmp_path):
    """Exactly at the limit the size is fine, the type is recognised by its first
    bytes, and the content is found broken (quickly, without scanning it all)."""
    for head in (b"\xff\xd8\xff", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"):
        error = refused(sparse(tmp_path / "foto.jpg", head, MAX_BYTES))
        assert error.code == "damaged"
        assert "Il file sembra danneggiato" in error.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_image_is_damaged(tmp_path, fmt):
    good = make_image(tmp_path / "intera", fmt, (300, 200)).read_bytes()
    (tmp_path / "mezza").write_bytes(good[: len(good) // 2])
    assert refused(tmp_path / "mezza").code == "damaged"


def test_pdf_header_only_or_broken_is_damaged(tmp_path):
    (tmp_path / "finto.pdf").write_bytes(b"%PDF-1.7\nniente altro\n")
    assert refused(tmp_path / "finto.pdf").code == "damaged"
    good = make_pdf(tmp_path / "buono.pdf").read_bytes()
    (tmp_path / "rotto.pdf").write_bytes(good[:150])
    assert "danneggiato" in refused(tmp_path / "rotto.pdf").message


def test_encrypted_pdf_refused(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt(user_password="segreta", owner_password="proprietario", algorithm="RC4-128")
    with (tmp_path / "protetto.pdf").open("wb") as handle:
        writer.write(handle)
    error = refused(tmp_path / "protetto.pdf")
    assert error.code == "encrypted" and "password" in error.message


def test_missing_empty_and_not_a_file(tmp_path):
    missing = refused(tmp_path / "non-esiste.pdf")
    assert missing.code == "missing" and "non esiste" in missing.message
    (tmp_path / "vuoto.pdf").write_bytes(b"")
    empty = refused(tmp_path / "vuoto.pdf")
    assert empty.code == "empty" and "vuoto" in empty.message
    (tmp_path / "cartella").mkdir()
    assert refused(tmp_path / "cartella").code == "not-file"
    os.mkfifo(tmp_path / "tubo.pdf")
    assert refused(tmp_path / "tubo.pdf").code == "not-file"
    messages = {missing.message, empty.message}
    assert len(messages) == 2


def test_symlink_leading_out_of_the_chosen_folder_is_refused(tmp_path):
    (tmp_path / "altrove").mkdir()
    outside = make_pdf(tmp_path / "altrove" / "segreto.pdf")
    chosen = tmp_path / "scelta"
    chosen.mkdir()
    (chosen / "documento.pdf").symlink_to(outside)
    error = refused(chosen / "documento.pdf")
    assert error.code == "outside"
    assert error.message == "Il file è un collegamento a un'altra cartella: scegli direttamente il documento"
    # ...also when the folder is given explicitly, and for a link to a system file.
    assert refused(chosen / "documento.pdf", chosen_folder=chosen).code == "outside"
    (chosen / "sistema.pdf").symlink_to("/etc/hostname")
    assert refused(chosen / "sistema.pdf").code == "outside"
    # A dangling link is refused too.
    (chosen / "rotto.pdf").symlink_to(tmp_path / "sparito.pdf")
    assert refused(chosen / "rotto.pdf").code == "broken-link"


def test_symlink_inside_the_chosen_folder_is_accepted(tmp_path):
    real = make_pdf(tmp_path / "vero.pdf")
    (tmp_path / "alias.pdf").symlink_to(real)
    info = inspect_upload(tmp_path / "alias.pdf")
    assert info.original_name == "alias.pdf"
    assert info.path == real.resolve()


def test_file_outside_the_uploads_folder_is_refused(tmp_path):
    path = make_pdf(tmp_path / "doc.pdf")
    (tmp_path / "sotto").mkdir()
    error = refused(path, chosen_folder=tmp_path / "sotto")
    assert (error.code, error.message) == ("outside-uploads", documents.OUTSIDE_UPLOADS)
    assert inspect_upload(path, chosen_folder=tmp_path).pages == 2


# --- storing ----------------------------------------------------------------------------


def test_store_copies_into_documents_dir_only(tmp_path):
    (tmp_path / "origine").mkdir()
    source = make_image(tmp_path / "origine" / "fronte.jpg", "JPEG")
    info = inspect_upload(source)
    folder = tmp_path / "dati" / "documenti"
    before = {p for p in tmp_path.rglob("*")}
    name = store_document(info, folder)
    after = {p for p in tmp_path.rglob("*")}
    stored = folder / name
    assert after - before == {tmp_path / "dati", folder, stored}
    assert name.endswith(".jpg") and len(name) == 32 + 4 and name[:32].isalnum()
    assert "fronte" not in name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == info.sha256
    assert stored.read_bytes() == source.read_bytes()
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert stored_path(folder, name) == stored
    # Two stores of the same document get two different names.
    assert store_document(info, folder) != name


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", ".png")])
def test_store_extension_follows_content(tmp_path, fmt, ext):
    info = inspect_upload(make_image(tmp_path / "immagine.pdf", fmt))
    assert store_document(info, tmp_path / "doc").endswith(ext)
    pdf = inspect_upload(make_pdf(tmp_path / "x.bin"))
    assert store_document(pdf, tmp_path / "doc").endswith(".pdf")


def test_store_refuses_a_file_swapped_after_inspection(tmp_path):
    path = make_image(tmp_path / "fronte.png", "PNG")
    info = inspect_upload(path)
    make_image(path, "PNG", (50, 50))  # same name, other content
    folder = tmp_path / "documenti"
    with pytest.raises(RuleError) as caught:
        store_document(info, folder)
    assert caught.value.code == "changed"
    assert list(folder.iterdir()) == []


def test_store_refuses_a_file_that_grew(tmp_path):
    path = make_pdf(tmp_path / "doc.pdf")
    info = inspect_upload(path)
    with path.open("ab") as handle:
        handle.write(b"%" * 1000)
    with pytest.raises(RuleError):
        store_document(info, tmp_path / "documenti")
    assert list((tmp_path / "documenti").iterdir()) == []


@pytest.mark.parametrize("name", ["../fuori.pdf", "a/b.pdf", "a\\b.pdf", "", "..", "/etc/passwd"])
def test_stored_path_refuses_path_separators(tmp_path, name):
    with pytest.raises(ValueError):
        stored_path(tmp_path, name)


def test_human_sizes():
    assert documents.human_size(512) == "512 byte"
    assert documents.human_size(2048) == "2 KB"
    assert documents.human_size(1536 * 1024) == "1,5 MB"
