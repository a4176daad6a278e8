"""Uploads come only from the uploads folder (SPEC §4, documents; issue 7 item 4).

The documents service checks every picked path again, whatever the picker
returned: inside the uploads folder (also once links are followed), never the
application's data, never a FIFO, device, socket or folder, and an image's
pixels from its header before anything is decoded. Previews of stored images
are decoded with bounded memory.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.services import assistance, documents
from areaclienti_tui.services.assistance import AssistanceForm
from areaclienti_tui.services.documents import UploadArea, ensure_uploads_dir, inspect_upload, preview_image

ROOT = Path(__file__).resolve().parents[2]


def blank_png(path: Path, width: int, height: int, *, depth: int = 16, color: int = 0) -> Path:
    """A valid PNG of any size, made cheaply: a few hundred KB of compressed zero rows.

    ``color`` is the PNG colour type (0 grey, 2 RGB, 6 RGBA).
    """
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    row = b"\x00" * (1 + width * channels * depth // 8)  # filter byte + samples

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def jpeg(path: Path, size: tuple[int, int] = (120, 80)) -> Path:
    Image.new("RGB", size, (40, 90, 160)).save(path, format="JPEG")
    return path


@pytest.fixture
def area(settings) -> UploadArea:
    """The default layout: uploads in ``<data>/caricamenti``, stored documents in ``<data>/documenti``."""
    ensure_uploads_dir(settings)
    return UploadArea.from_settings(settings)


@pytest.fixture
def stored(settings) -> Path:
    """Another customer's identity document, as the service stores it."""
    settings.documents_dir.mkdir(parents=True, exist_ok=True)
    return jpeg(settings.documents_dir / "4f2c9a0b7d1e4c3a9b8e6f5d4c3b2a10.jpg")


def refused(path: Path | str, area: UploadArea) -> RuleError:
    with pytest.raises(RuleError) as caught:
        inspect_upload(Path(path), area)
    return caught.value


# --- the uploads folder -------------------------------------------------------------


def test_uploads_folder_is_created_where_the_settings_say(settings, tmp_path):
    assert not settings.uploads_dir.exists()
    assert ensure_uploads_dir(settings) == settings.data_dir / "caricamenti"
    assert settings.uploads_dir.is_dir()
    settings.upload_dir = tmp_path / "altrove" / "scansioni"
    assert ensure_uploads_dir(settings) == tmp_path / "altrove" / "scansioni"
    assert (tmp_path / "altrove" / "scansioni").is_dir()


def test_the_app_creates_the_uploads_folder_on_start(demo_ctx):
    from areaclienti_tui.app import AreaClientiApp

    assert not demo_ctx.settings.uploads_dir.exists()
    AreaClientiApp(demo_ctx)
    assert demo_ctx.settings.uploads_dir.is_dir()


def test_a_file_in_the_uploads_folder_or_below_is_accepted(area):
    assert inspect_upload(jpeg(area.folder / "fronte.jpg"), area).width == 120
    (area.folder / "scansioni").mkdir()
    assert inspect_upload(jpeg(area.folder / "scansioni" / "retro.jpg"), area).mime == documents.JPEG
    # A relative path starts from the uploads folder, not from the working directory.
    assert inspect_upload(Path("scansioni/retro.jpg"), area).original_name == "retro.jpg"


def test_a_file_outside_the_uploads_folder_is_refused(area, tmp_path):
    outside = jpeg(tmp_path / "fuori.jpg")
    error = refused(outside, area)
    assert (error.code, error.message) == ("outside-uploads", documents.OUTSIDE_UPLOADS)
    assert refused("../fuori.jpg", area).code == "outside-uploads"
    assert refused(area.folder / ".." / "fuori.jpg", area).code == "outside-uploads"
    assert refused("/etc/hostname", area).code == "outside-uploads"


def test_typed_path_of_a_stored_document_is_refused(area, stored):
    """The attack of the issue: ``<data>/documenti/<uuid>.jpg`` typed in the picker."""
    for typed in (stored, f"../documenti/{stored.name}", area.folder / ".." / "documenti" / stored.name):
        error = refused(typed, area)
        assert error.code == "outside-uploads", typed
        assert error.message == documents.OUTSIDE_UPLOADS


@pytest.mark.parametrize("uploads", ["data", "parent"])
def test_data_and_documents_refused_even_inside_a_wide_uploads_folder(settings, stored, uploads):
    """An uploads folder configured as the data folder (or above it) still never
    opens the stored documents, the database or the keys."""
    settings.upload_dir = settings.data_dir if uploads == "data" else settings.data_dir.parent
    area = UploadArea.from_settings(settings)
    error = refused(stored, area)
    assert (error.code, error.message) == ("reserved", documents.RESERVED)
    key = jpeg(settings.data_dir / "chiave-codici")
    assert refused(key, area).code == "reserved"
    if uploads == "parent":  # beside the data folder, uploads are fine
        assert inspect_upload(jpeg(settings.data_dir.parent / "scansione.jpg"), area).width == 120


def test_service_refuses_a_stored_document_whatever_the_form_says(settings, area, stored, demo_ctx):
    """Defence in depth: submit() checks the paths again, with the settings' uploads folder."""
    from areaclienti_tui.rules.username import load_pec_domains

    good = jpeg(area.folder / "retro.jpg")
    form = AssistanceForm(
        origin="7B", nome="Stefano", cognome="Moretti", luogo_nascita="Bergamo", data_nascita="18/02/1972",
        sesso="M", cellulare="3471112222", email="stefano.moretti@tiscali.it", indirizzo="Via Roma 1",
        citta="Bergamo", tipo_documento="Carta d'identità", fronte=stored, retro=good, privacy=True,
    )  # fmt: skip
    pec = load_pec_domains(demo_ctx.settings.pec_domains_file)
    with pytest.raises(assistance.AssistanceInvalid) as caught:
        assistance.submit(demo_ctx, form, today=demo_ctx.clock.now().date(), pec_domains=pec)
    assert caught.value.errors == {"allega-fronte": documents.OUTSIDE_UPLOADS}
    assert sorted(p.name for p in settings.documents_dir.iterdir()) == [stored.name]  # nothing copied


# --- links ---------------------------------------------------------------------------------


def test_symlink_in_uploads_pointing_outside_is_refused(area, stored, tmp_path):
    (area.folder / "fronte.jpg").symlink_to(jpeg(tmp_path / "privato.jpg"))
    (area.folder / "altrui.jpg").symlink_to(stored)
    (area.folder / "sistema.pdf").symlink_to("/etc/hostname")
    for name in ("fronte.jpg", "altrui.jpg", "sistema.pdf"):
        error = refused(area.folder / name, area)
        assert (error.code, error.message) == ("outside", documents.SYMLINK_OUTSIDE), name
    # A linked folder that leads out is refused the same way.
    (tmp_path / "fuori").mkdir()
    jpeg(tmp_path / "fuori" / "foto.jpg")
    (area.folder / "cartella").symlink_to(tmp_path / "fuori")
    assert refused(area.folder / "cartella" / "foto.jpg", area).code == "outside"


def test_symlink_inside_the_uploads_folder_is_accepted(area):
    real = jpeg(area.folder / "vero.jpg")
    (area.folder / "alias.jpg").symlink_to(real)
    info = inspect_upload(area.folder / "alias.jpg", area)
    assert (info.path, info.original_name) == (real.resolve(), "alias.jpg")


# --- special files ---------------------------------------------------------------------------


def _in_thread(job, seconds: float = 5.0):  # noqa: ANN001
    """Run ``job``; fail (instead of hanging the suite) if it blocks."""
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_capture(job)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the upload check blocked"
    return outcome[0]


def _capture(job):  # noqa: ANN001, ANN202
    try:
        return job()
    except RuleError as error:
        return error


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_hanging(area):
    fifo = area.folder / "documento.jpg"
    os.mkfifo(fifo)
    started = time.monotonic()
    error = _in_thread(lambda: inspect_upload(fifo, area))
    assert isinstance(error, RuleError) and error.code == "not-file"
    assert "non è un file" in error.message
    assert time.monotonic() - started < 2
    # A link to the FIFO inside the folder: refused the same way.
    (area.folder / "tubo.pdf").symlink_to(fifo)
    assert _in_thread(lambda: inspect_upload(area.folder / "tubo.pdf", area)).code == "not-file"


def test_socket_folder_and_device_are_refused(area):
    (area.folder / "cartella.pdf").mkdir()
    assert refused(area.folder / "cartella.pdf", area).code == "not-file"
    if hasattr(socket, "AF_UNIX") and len(str(area.folder / "s.pdf")) < 100:
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(area.folder / "s.pdf"))
            assert _in_thread(lambda: inspect_upload(area.folder / "s.pdf", area)).code == "not-file"
        finally:
            server.close()
    (area.folder / "zero.jpg").symlink_to("/dev/zero")  # a device, and outside
    assert _in_thread(lambda: inspect_upload(area.folder / "zero.jpg", area)).code == "outside"


# --- pixels ---------------------------------------------------------------------------------


def test_16_bit_9000_square_png_refused_from_its_header(area):
    """The issue's 615 KB PNG: 9000×9000 16-bit grey, 81 megapixels."""
    path = blank_png(area.folder / "scansione.png", 9000, 9000)
    assert path.stat().st_size < documents.MAX_BYTES
    started = time.monotonic()
    error = refused(path, area)
    assert error.code == "pixels"
    assert error.message.startswith("L'immagine ha troppi pixel (9000×9000, più dei 40 milioni consentiti)")
    assert time.monotonic() - started < 1.5  # refused from the header, never decoded


def test_pixel_limit_follows_the_settings(settings, area):
    path = blank_png(area.folder / "foto.png", 400, 300, depth=8, color=2)
    assert inspect_upload(path, area).description.startswith("immagine PNG, 400×300 pixel")
    settings.image_max_pixels = 100_000
    error = refused(path, UploadArea.from_settings(settings))
    assert error.code == "pixels" and "0,1 milioni" in error.message


def test_absurd_header_is_refused_as_too_many_pixels(area):
    path = blank_png(area.folder / "bomba.png", 1, 1)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 200_000, 200_000)  # IHDR size, CRC fixed below
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    assert refused(path, area).code == "pixels"


# --- bounded previews ------------------------------------------------------------------------------

PREVIEW_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from areaclienti_tui.rules.errors import RuleError
    from areaclienti_tui.services.documents import preview_image
    started = time.monotonic()
    try:
        picture = preview_image(Path(sys.argv[1]), (48, 32), max_pixels=int(sys.argv[2]))
        result = [picture.mode, list(picture.size)]
    except RuleError as error:
        result = error.code
    # VmHWM: this process's own peak (ru_maxrss would also count the parent it was forked from).
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = [int(line.split()[1]) for line in status if line.startswith("VmHWM:")]
    peak = (hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024
    print(json.dumps({"result": result, "peak_mb": peak, "seconds": time.monotonic() - started}))
    """
)


def _preview_in_subprocess(path: Path, max_pixels: int = documents.DEFAULT_MAX_PIXELS) -> dict:
    import json

    completed = subprocess.run(
        [sys.executable, "-c", PREVIEW_PROBE, str(path), str(max_pixels)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory read from /proc")
@pytest.mark.parametrize(
    ("size", "depth", "color"),
    [((6000, 6000), 16, 0), ((5000, 4000), 8, 2), ((4000, 3000), 16, 6)],
    ids=["36Mpx-grey16", "20Mpx-rgb", "12Mpx-rgba16"],
)
def test_preview_of_a_big_allowed_image_stays_under_200_mb(tmp_path, size, depth, color):
    path = blank_png(tmp_path / "grande.png", *size, depth=depth, color=color)
    probe = _preview_in_subprocess(path)
    assert probe["result"][0] == "RGB" and max(probe["result"][1]) <= 48, probe
    assert probe["peak_mb"] < 200, probe
    assert probe["seconds"] < 5, probe


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory read from /proc")
def test_preview_of_an_image_over_the_limit_is_refused_without_decoding(tmp_path):
    """A document stored before the limit existed is not decoded for the operator either."""
    probe = _preview_in_subprocess(blank_png(tmp_path / "scansione.png", 9000, 9000))
    assert probe["result"] == "pixels", probe
    assert probe["peak_mb"] < 100 and probe["seconds"] < 1.5, probe


def test_preview_of_a_jpeg_is_decoded_scaled_down(tmp_path):
    picture = preview_image(jpeg(tmp_path / "foto.jpg", (1600, 1200)), (48, 32))
    assert picture.mode == "RGB" and picture.size == (43, 32)


@pytest.mark.parametrize("mode", ["P", "1", "LA", "RGBA", "I;16", "L"])
def test_preview_handles_every_png_mode(tmp_path, mode):
    path = tmp_path / f"immagine-{mode.replace(';', '')}.png"
    Image.new(mode, (300, 200)).save(path, format="PNG")
    picture = preview_image(path, (48, 32))
    assert picture.mode == "RGB" and picture.size == (48, 32)


def test_preview_refuses_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "tubo.png")
    error = _in_thread(lambda: preview_image(tmp_path / "tubo.png", (48, 32)))
    assert isinstance(error, RuleError) and error.code == "not-file"
