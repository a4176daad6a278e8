"""Assistance requests (11A, 7B) and the operator's queue (SPEC §2, §3)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func
from sqlmodel import select

from areaclienti_tui.rules.username import load_pec_domains
from areaclienti_tui.services import assistance, audit, customers, outbox
from areaclienti_tui.services.assistance import (
    AssistanceError,
    AssistanceForm,
    AssistanceInvalid,
    approve,
    get_request,
    list_requests,
    prefill_for_customer,
    reject,
    submit,
)
from areaclienti_tui.services.documents import UploadArea
from areaclienti_tui.services.privacy import load_notice
from areaclienti_tui.store.models import AssistanceRequest, Contact, Customer, Document, PrivacyConsent

TODAY = date(2026, 3, 2)
STEFANO_CF = "MRTSFN72B18A794L"  # demo persona with no mobile on file (10A)


@pytest.fixture
def pec(demo_ctx) -> frozenset[str]:
    return load_pec_domains(demo_ctx.settings.pec_domains_file)


@pytest.fixture
def uploads(settings) -> UploadArea:
    """The uploads folder of the test's settings (``<tmp>/caricamenti``), the only source of attachments."""
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    return UploadArea.from_settings(settings)


@pytest.fixture
def validate(uploads):
    """``assistance.validate`` with the test's uploads folder."""
    return lambda form, **kwargs: assistance.validate(form, uploads=uploads, **kwargs)


@pytest.fixture
def files(uploads) -> dict[str, Path]:
    folder = uploads.folder
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with (folder / "fronte.pdf").open("wb") as handle:
        writer.write(handle)
    Image.new("RGB", (400, 250), (90, 90, 200)).save(folder / "retro.jpg", format="JPEG")
    (folder / "finto.pdf").write_text("solo testo", encoding="utf-8")
    return {"fronte": folder / "fronte.pdf", "retro": folder / "retro.jpg", "finto": folder / "finto.pdf"}


def good_form(files: dict[str, Path], **changes) -> AssistanceForm:
    form = AssistanceForm(
        origin="7B",
        variant="desktop",
        nome="Stefano",
        cognome="Moretti",
        luogo_nascita="Bergamo",
        data_nascita="18/02/1972",
        sesso="M",
        cellulare="3471112222",
        email="stefano.moretti@tiscali.it",
        indirizzo="Via Roma 1",
        citta="Bergamo",
        tipo_documento="Carta d'identità",
        fronte=files["fronte"],
        retro=files["retro"],
        privacy=True,
    )
    return replace(form, **changes)


def count(ctx, model) -> int:
    with ctx.db.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def customer_id(ctx, cf: str) -> int:
    with ctx.db.session() as session:
        return session.exec(select(Customer.id).where(Customer.codice_fiscale == cf)).one()


# --- validation ----------------------------------------------------------------------


def test_good_form_has_no_errors(files, pec, validate):
    assert validate(good_form(files), today=TODAY, pec_domains=pec) == {}


def test_empty_desktop_form_reports_every_required_field(pec, validate):
    errors = validate(AssistanceForm(origin="7B"), today=TODAY, pec_domains=pec)
    assert set(errors) == {
        "nome", "cognome", "luogo-nascita", "data-nascita", "sesso", "cellulare", "email",
        "indirizzo", "citta", "tipo-documento", "allega-fronte", "allega-retro", "privacy",
    }  # fmt: skip
    assert errors["allega-fronte"] == "Allega il fronte del documento"
    assert errors["allega-retro"] == "Allega il retro del documento"
    assert errors["privacy"] == "Per inviare la richiesta devi accettare l'informativa privacy"
    assert errors["cellulare"] == "Inserisci il numero di cellulare"


def test_app_variant_has_no_address_fields(pec, validate):
    errors = validate(AssistanceForm(origin="11A", variant="app"), today=TODAY, pec_domains=pec)
    assert "indirizzo" not in errors and "citta" not in errors
    assert {"cellulare", "email", "allega-fronte", "allega-retro", "tipo-documento"} <= set(errors)


def test_7b_is_always_desktop(pec, validate):
    errors = validate(AssistanceForm(origin="7B", variant="app"), today=TODAY, pec_domains=pec)
    assert {"indirizzo", "citta"} <= set(errors)


def test_email_optional_only_in_app_for_a_logged_in_customer(files, pec, validate):
    app_logged = good_form(files, origin="11A", variant="app", email="", customer_id=1)
    assert "email" not in validate(app_logged, today=TODAY, pec_domains=pec)
    for form in (
        replace(app_logged, customer_id=None),
        replace(app_logged, variant="desktop"),
        good_form(files, email=""),
    ):
        assert validate(form, today=TODAY, pec_domains=pec)["email"] == assistance.EMAIL_REQUIRED


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("nome", {"nome": ""}, "Inserisci il nome"),
        ("nome", {"nome": "Stef4no"}, "solo lettere"),
        ("cognome", {"cognome": ""}, "Inserisci il cognome"),
        ("luogo-nascita", {"luogo_nascita": ""}, "città di nascita"),
        ("luogo-nascita", {"luogo_nascita": "123"}, "lettera"),
        ("data-nascita", {"data_nascita": "1972-02-18"}, "GG/MM/AAAA"),
        ("data-nascita", {"data_nascita": "30/02/1972"}, "non esiste"),
        ("sesso", {"sesso": ""}, "Seleziona il sesso"),
        ("cellulare", {"cellulare": "+393471112222"}, "senza +39"),
        ("cellulare", {"cellulare": "347.111.2222"}, "senza punti"),
        ("cellulare", {"cellulare": "0612345678"}, "cellulare italiano"),
        ("email", {"email": "stefano@"}, "email non valid"),
        ("email", {"email": "stefano@pec.it"}, "PEC"),
        ("email", {"email": "stefano@studio.pec.ordine.it"}, "PEC"),
        ("indirizzo", {"indirizzo": "  "}, "indirizzo"),
        ("citta", {"citta": ""}, "città"),
        ("tipo-documento", {"tipo_documento": "Tessera sanitaria"}, "tipo di documento"),
        ("allega-retro", {"retro": None}, "Allega il retro del documento"),
        ("privacy", {"privacy": False}, "informativa privacy"),
    ],
)
def test_each_field_error_under_its_own_id(files, pec, field, changes, message, validate):
    errors = validate(good_form(files, **changes), today=TODAY, pec_domains=pec)
    assert set(errors) == {field}, errors
    assert message.lower() in errors[field].lower()


def test_app_variant_calls_it_luogo_di_nascita(files, pec, validate):
    errors = validate(good_form(files, origin="11A", variant="app", luogo_nascita=""), today=TODAY, pec_domains=pec)
    assert errors["luogo-nascita"] == "Inserisci il luogo di nascita"


def test_document_errors_at_their_own_field(files, pec, validate):
    errors = validate(
        good_form(files, fronte=files["finto"], retro=files["fronte"].parent / "sparito.jpg"),
        today=TODAY,
        pec_domains=pec,
    )
    assert set(errors) == {"allega-fronte", "allega-retro"}
    assert errors["allega-fronte"].startswith("Il file non è un PDF, JPEG o PNG")
    assert "non esiste" in errors["allega-retro"]


# --- submission ------------------------------------------------------------------------


def test_submit_stores_request_documents_consent_email_and_audit(demo_ctx, files, pec):
    ctx = demo_ctx
    request_id = submit(ctx, good_form(files), today=TODAY, pec_domains=pec)
    with ctx.db.session() as session:
        row = session.get(AssistanceRequest, request_id)
        docs = session.exec(select(Document).where(Document.request_id == request_id)).all()
        consent = session.exec(select(PrivacyConsent).where(PrivacyConsent.assistance_request_id == request_id)).one()
    assert (row.status, row.origin, row.variant) == ("aperta", "7B", "desktop")
    assert (row.contact_kind, row.contact_value) == ("mobile", "+393471112222")
    assert row.data_nascita == date(1972, 2, 18)
    assert (row.indirizzo, row.citta, row.tipo_documento) == ("Via Roma 1", "Bergamo", "Carta d'identità")
    assert row.customer_id == customer_id(ctx, STEFANO_CF)  # matched on personal data
    assert row.notify_email == "stefano.moretti@tiscali.it"

    by_side = {d.side: d for d in docs}
    assert set(by_side) == {"fronte", "retro"}
    assert (by_side["fronte"].mime, by_side["fronte"].pages) == ("application/pdf", 1)
    assert (by_side["retro"].mime, by_side["retro"].width, by_side["retro"].height) == ("image/jpeg", 400, 250)
    folder = ctx.settings.documents_dir
    for side, doc in by_side.items():
        stored = folder / doc.stored_name
        assert stored.is_file()
        assert doc.sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
        assert doc.sha256 == hashlib.sha256(files[side].read_bytes()).hexdigest()
        assert doc.original_name == files[side].name
    assert sorted(p.name for p in folder.iterdir()) == sorted(d.stored_name for d in docs)

    assert consent.context == "assistenza"
    assert consent.notice_version == load_notice(ctx.settings.privacy_file).version
    assert consent.customer_id == row.customer_id

    mail = outbox.latest(ctx, limit=1)[0]
    assert (mail.channel, mail.to) == ("email", "stefano.moretti@tiscali.it")
    assert f"Abbiamo ricevuto la tua richiesta di assistenza n. {request_id}" in mail.body
    assert "ti avviseremo via email" in mail.body
    event = audit.latest(ctx, kind="assistenza_richiesta")[0]
    assert event.subject == f"richiesta {request_id}"
    assert event.details["origin"] == "7B"


def test_submit_invalid_raises_with_errors_and_stores_nothing(demo_ctx, files, pec):
    with pytest.raises(AssistanceInvalid) as caught:
        submit(demo_ctx, good_form(files, cellulare="+393471112222", privacy=False), today=TODAY, pec_domains=pec)
    assert set(caught.value.errors) == {"cellulare", "privacy"}
    assert count(demo_ctx, AssistanceRequest) == 0
    assert not demo_ctx.settings.documents_dir.exists() or not any(demo_ctx.settings.documents_dir.iterdir())


def test_unmatched_person_gets_no_customer(demo_ctx, files, pec):
    # Two Luca Ferrari born the same day: personal data alone cannot choose.
    form = good_form(files, nome="Luca", cognome="Ferrari", data_nascita="10/05/1980", email="luca@example.com")
    request_id = submit(demo_ctx, form, today=TODAY, pec_domains=pec)
    assert get_request(demo_ctx, request_id).summary.customer_id is None
    form = good_form(files, nome="Nessuno", cognome="Sconosciuto", email="n@example.com")
    assert get_request(demo_ctx, submit(demo_ctx, form, today=TODAY, pec_domains=pec)).customer_label is None


def test_app_form_of_logged_in_customer_defaults_email_to_username(demo_ctx, files, pec):
    anna = customer_id(demo_ctx, "CNTNNA79P70L219K")  # account anna.conti@outlook.it
    form = good_form(
        files, origin="11A", variant="app", nome="Anna", cognome="Conti", data_nascita="30/09/1979", sesso="F",
        email="", indirizzo="", citta="", customer_id=anna,
    )  # fmt: skip
    request_id = submit(demo_ctx, form, today=TODAY, pec_domains=pec)
    detail = get_request(demo_ctx, request_id)
    assert detail.notify_email == "anna.conti@outlook.it"
    assert (detail.summary.variant, detail.summary.customer_id) == ("app", anna)
    assert (detail.indirizzo, detail.citta) == ("", "")
    assert outbox.latest(demo_ctx, limit=1)[0].to == "anna.conti@outlook.it"


def test_failed_transaction_removes_stored_files(demo_ctx, files, pec, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database giù")

    monkeypatch.setattr(assistance.outbox, "send", broken)
    with pytest.raises(RuntimeError):
        submit(demo_ctx, good_form(files), today=TODAY, pec_domains=pec)
    assert list(demo_ctx.settings.documents_dir.iterdir()) == []
    assert count(demo_ctx, AssistanceRequest) == 0


def test_prefill_for_customer(demo_ctx):
    anna = customer_id(demo_ctx, "CNTNNA79P70L219K")
    assert prefill_for_customer(demo_ctx, anna) == {
        "nome": "Anna",
        "cognome": "Conti",
        "luogo-nascita": "Torino",
        "data-nascita": "30/09/1979",
        "sesso": "F",
        "email": "anna.conti@outlook.it",
    }
    assert prefill_for_customer(demo_ctx, 999999) == {}


# --- operator side ---------------------------------------------------------------------


def test_list_and_get(demo_ctx, files, pec, clock):
    first = submit(demo_ctx, good_form(files), today=TODAY, pec_domains=pec)
    clock.advance(60)
    second = submit(demo_ctx, good_form(files, cellulare="3479998888"), today=TODAY, pec_domains=pec)
    assert [r.id for r in list_requests(demo_ctx)] == [first, second]
    detail = get_request(demo_ctx, first)
    assert detail.summary.status == "aperta"
    assert [d.side for d in detail.documents] == ["fronte", "retro"]
    assert all(d.path.is_file() and d.path.parent == demo_ctx.settings.documents_dir for d in detail.documents)
    assert "MRTSFN72B18A794L" in (detail.customer_label or "")
    reject(demo_ctx, second, operator="operatore", reason="Documento illeggibile")
    assert [r.id for r in list_requests(demo_ctx)] == [first]
    assert [r.id for r in list_requests(demo_ctx, "respinta")] == [second]
    assert [r.id for r in list_requests(demo_ctx, None)] == [second, first]
    with pytest.raises(AssistanceError):
        get_request(demo_ctx, 424242)


def test_approve_adds_the_mobile_emails_and_audits(demo_ctx, files, pec):
    request_id = submit(demo_ctx, good_form(files), today=TODAY, pec_domains=pec)
    stefano = customer_id(demo_ctx, STEFANO_CF)
    assert customers.mobile_on_file(demo_ctx, stefano) is None
    approve(demo_ctx, request_id, operator="operatore")
    assert customers.mobile_on_file(demo_ctx, stefano) == "+393471112222"
    assert [c.source for c in customers.contacts(demo_ctx, stefano) if c.kind == "mobile"] == ["assistenza"]
    detail = get_request(demo_ctx, request_id)
    assert (detail.summary.status, detail.decided_by) == ("approvata", "operatore")
    assert detail.decided_at is not None
    mail = outbox.latest(demo_ctx, limit=1)[0]
    assert mail.to == "stefano.moretti@tiscali.it"
    assert "Il recapito +39 347 111 2222 è stato aggiunto alla tua Area Clienti: ora puoi" in mail.body
    event = audit.latest(demo_ctx, kind="assistenza_approvata")[0]
    assert (event.actor, event.subject) == ("operatore", f"richiesta {request_id}")


def test_approve_does_not_duplicate_an_existing_mobile(demo_ctx, files, pec):
    mario = customer_id(demo_ctx, "RSSMRA75C14H501L")  # already has 3471234567
    form = good_form(
        files, nome="Mario", cognome="Rossi", data_nascita="14/03/1975", cellulare="3471234567",
        email="mario.rossi@gmail.com", luogo_nascita="Roma",
    )  # fmt: skip
    request_id = submit(demo_ctx, form, today=TODAY, pec_domains=pec)
    approve(demo_ctx, request_id, operator="operatore")
    with demo_ctx.db.session() as session:
        mobiles = session.exec(select(Contact).where(Contact.customer_id == mario, Contact.kind == "mobile")).all()
    assert [m.value for m in mobiles] == ["+393471234567"]
    assert audit.latest(demo_ctx, kind="assistenza_approvata")[0].details["gia_presente"] is True


def test_approve_needs_codice_fiscale_when_unmatched(demo_ctx, files, pec):
    form = good_form(files, nome="Luca", cognome="Ferrari", data_nascita="10/05/1980", email="luca@example.com")
    request_id = submit(demo_ctx, form, today=TODAY, pec_domains=pec)
    with pytest.raises(AssistanceError) as caught:
        approve(demo_ctx, request_id, operator="operatore")
    assert "codice fiscale" in caught.value.message
    with pytest.raises(AssistanceError) as caught:
        approve(demo_ctx, request_id, operator="operatore", codice_fiscale="RSSMRA75C14H501X")
    assert "controllo" in caught.value.message  # wrong check character
    with pytest.raises(AssistanceError) as caught:
        approve(demo_ctx, request_id, operator="operatore", codice_fiscale="BNCLRA80A41H501D")
    assert "Nessun cliente" in caught.value.message
    assert get_request(demo_ctx, request_id).summary.status == "aperta"

    # The form says born in another town than the registry: the operator must have checked the document.
    with pytest.raises(AssistanceError) as caught:
        approve(demo_ctx, request_id, operator="operatore", codice_fiscale="frrlcu80e10f257g")
    assert caught.value.code == "mismatch" and "luogo di nascita" in caught.value.message
    approve(demo_ctx, request_id, operator="operatore", codice_fiscale="frrlcu80e10f257g", document_checked=True)
    event = audit.latest(demo_ctx, kind="assistenza_approvata")[0]
    assert event.details["differenze"] == ["Luogo di nascita"] and event.details["documento_verificato"] is True
    modena = customer_id(demo_ctx, "FRRLCU80E10F257G")
    assert get_request(demo_ctx, request_id).summary.customer_id == modena
    assert "+393471112222" in [c.value for c in customers.contacts(demo_ctx, modena)]


def test_reject_needs_a_reason_and_emails_it(demo_ctx, files, pec):
    request_id = submit(demo_ctx, good_form(files), today=TODAY, pec_domains=pec)
    for reason in ("", "  ", "no", "x" * 501):
        with pytest.raises(AssistanceError) as caught:
            reject(demo_ctx, request_id, operator="operatore", reason=reason)
        assert "motivo" in caught.value.message
    reject(demo_ctx, request_id, operator="operatore", reason="Il documento allegato è scaduto")
    detail = get_request(demo_ctx, request_id)
    assert (detail.summary.status, detail.reason, detail.decided_by) == (
        "respinta",
        "Il documento allegato è scaduto",
        "operatore",
    )
    mail = outbox.latest(demo_ctx, limit=1)[0]
    assert mail.to == "stefano.moretti@tiscali.it"
    assert "Il documento allegato è scaduto" in mail.body
    event = audit.latest(demo_ctx, kind="assistenza_respinta")[0]
    assert event.actor == "operatore"
    assert customers.mobile_on_file(demo_ctx, customer_id(demo_ctx, STEFANO_CF)) is None


def test_deciding_twice_is_refused(demo_ctx, files, pec):
    first = submit(demo_ctx, good_form(files), today=TODAY, pec_domains=pec)
    approve(demo_ctx, first, operator="operatore")
    with pytest.raises(AssistanceError) as caught:
        approve(demo_ctx, first, operator="altro")
    assert "già stata" in caught.value.message
    with pytest.raises(AssistanceError):
        reject(demo_ctx, first, operator="altro", reason="Ripensamento")
    second = submit(demo_ctx, good_form(files), today=TODAY, pec_domains=pec)
    reject(demo_ctx, second, operator="operatore", reason="Dati non corrispondenti")
    with pytest.raises(AssistanceError):
        approve(demo_ctx, second, operator="altro")
    assert get_request(demo_ctx, first).decided_by == "operatore"
    emails = [m for m in outbox.latest(demo_ctx) if m.to == "stefano.moretti@tiscali.it"]
    assert len(emails) == 4  # two receipts, one approval, one rejection
    assert json.loads(json.dumps([e.as_json() for e in emails]))


def test_demo_reset_also_drops_uploaded_documents(demo_ctx, tmp_path):
    from areaclienti_tui.services import demo

    folder = demo_ctx.settings.documents_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abc123.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    outside = tmp_path / "fuori.txt"
    outside.write_text("resta")
    (folder / "collegamento").symlink_to(outside)
    demo.reset(demo_ctx, actor="test")
    assert not (folder / "abc123.png").exists()
    assert outside.read_text() == "resta"


def test_the_request_is_compared_with_the_recognised_customer(demo_ctx, files, pec):
    """A request recognised by name, surname, date and sex, but born elsewhere than the registry says."""
    form = good_form(files, nome="mario", cognome="ROSSI", data_nascita="14/03/1975", luogo_nascita="Verona")
    request_id = submit(demo_ctx, form, today=TODAY, pec_domains=pec)
    detail = get_request(demo_ctx, request_id)
    comparison = detail.comparison
    assert comparison is not None and comparison.codice_fiscale == "RSSMRA75C14H501L"
    states = {check.label: (check.request, check.registry, check.state) for check in comparison.checks}
    assert states["Nome"] == ("mario", "Mario", assistance.TOLERATED)
    assert states["Data di nascita"] == ("14/03/1975", "14/03/1975", assistance.SAME)
    assert states["Luogo di nascita"] == ("Verona", "Roma", assistance.DIFFERENT)
    assert [check.label for check in comparison.mismatches] == ["Luogo di nascita"]
    with pytest.raises(AssistanceError) as caught:
        approve(demo_ctx, request_id, operator="operatore")
    assert caught.value.code == "mismatch"
    assert get_request(demo_ctx, request_id).summary.status == "aperta"
    # Against another customer by codice fiscale: compared with that one.
    other = assistance.compare(demo_ctx, request_id, codice_fiscale="FRRLCU80E10F257G")
    assert {check.label for check in other.mismatches} >= {"Nome", "Cognome", "Data di nascita"}


def test_a_request_matching_the_registry_is_approved_without_the_document_question(demo_ctx, files, pec):
    form = good_form(files, nome="Mario", cognome="Rossi", data_nascita="14/03/1975", luogo_nascita="Roma")
    request_id = submit(demo_ctx, form, today=TODAY, pec_domains=pec)
    assert get_request(demo_ctx, request_id).comparison.mismatches == ()  # type: ignore[union-attr]
    approve(demo_ctx, request_id, operator="operatore")
    assert get_request(demo_ctx, request_id).summary.status == "approvata"
