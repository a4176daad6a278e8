"""Assistance requests: the forms of 11A (app and desktop) and 7B, and the
operator's queue that approves them (the contact is added to the customer's
record) or rejects them with a reason. Every outcome is told by email.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.codice_fiscale import base_codice_fiscale, validate_codice_fiscale
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.personal import parse_birth_date, parse_sex
from areaclienti_tui.rules.text import clean_person_name, normalize_name
from areaclienti_tui.rules.username import Username, is_pec_domain, parse_email, parse_mobile
from areaclienti_tui.services import audit, documents, outbox
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.documents import DocumentInfo, UploadArea
from areaclienti_tui.services.privacy import load_notice
from areaclienti_tui.store.models import (
    Account,
    AssistanceRequest,
    Contact,
    Customer,
    Document,
    PrivacyConsent,
)

ORIGINS = ("11A", "7B")
VARIANTS = ("app", "desktop")
DOCUMENT_TYPES = ("Carta d'identità", "Patente di guida", "Passaporto")

OPEN = "aperta"
APPROVED = "approvata"
REJECTED = "respinta"
STATUSES = (OPEN, APPROVED, REJECTED)

REASON_MIN, REASON_MAX = 3, 500
ADDRESS_MAX = 200
PLACE_MAX = 80

PRIVACY_REQUIRED = "Per inviare la richiesta devi accettare l'informativa privacy"
FRONT_REQUIRED = "Allega il fronte del documento"
BACK_REQUIRED = "Allega il retro del documento"
EMAIL_REQUIRED = "Inserisci l'email su cui vuoi essere avvisato"
EMAIL_PEC = "Non indicare un indirizzo PEC: scegli un'email ordinaria, dove riceverai la risposta"


class AssistanceInvalid(RuleError):
    """The form has errors: ``errors`` maps widget ids to Italian messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Controlla i campi segnalati", "invalid")
        self.errors = dict(errors)


class AssistanceError(RuleError):
    """An operator action that cannot be done, with the Italian reason."""


@dataclass
class AssistanceForm:
    """What the customer typed in 11A or 7B, as typed."""

    origin: str = "11A"  # "11A" | "7B"
    variant: str = "desktop"  # "app" | "desktop" (7B is always desktop)
    nome: str = ""
    cognome: str = ""
    luogo_nascita: str = ""
    data_nascita: str = ""  # GG/MM/AAAA
    sesso: str = ""
    cellulare: str = ""
    email: str = ""
    indirizzo: str = ""
    citta: str = ""
    tipo_documento: str = ""
    fronte: Path | None = None
    retro: Path | None = None
    privacy: bool = False
    customer_id: int | None = None

    @property
    def desktop(self) -> bool:
        """Desktop fields (indirizzo, città) apply: the desktop variant of 11A and 7B."""
        return self.origin == "7B" or self.variant != "app"

    @property
    def email_optional(self) -> bool:
        """In the app a logged-in customer may leave the email out: their username is used."""
        return self.origin == "11A" and self.variant == "app" and self.customer_id is not None


@dataclass(frozen=True)
class _Checked:
    nome: str
    cognome: str
    luogo_nascita: str
    data_nascita: date
    sesso: str
    mobile: Username
    email: str  # "" when left out in the app variant
    indirizzo: str
    citta: str
    tipo_documento: str
    fronte: DocumentInfo
    retro: DocumentInfo


@dataclass(frozen=True)
class RequestSummary:
    id: int
    created_at: datetime
    origin: str
    variant: str
    status: str
    nome: str
    cognome: str
    data_nascita: date
    contact_value: str
    customer_id: int | None


@dataclass(frozen=True)
class DocumentView:
    id: int
    side: str
    mime: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    pages: int | None
    original_name: str
    path: Path


@dataclass(frozen=True)
class RequestDetail:
    summary: RequestSummary
    luogo_nascita: str
    sesso: str
    notify_email: str
    indirizzo: str
    citta: str
    tipo_documento: str
    documents: tuple[DocumentView, ...] = field(default_factory=tuple)
    customer_label: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    comparison: RegistryComparison | None = None  # the request beside the recognised customer


SAME, TOLERATED, DIFFERENT = "uguale", "tollerato", "diverso"


@dataclass(frozen=True)
class FieldCheck:
    """One datum of the request beside the registry's."""

    label: str
    request: str
    registry: str
    state: str  # SAME, TOLERATED (differs only in case, accents, spaces) or DIFFERENT


@dataclass(frozen=True)
class RegistryComparison:
    customer_label: str
    codice_fiscale: str
    checks: tuple[FieldCheck, ...]

    @property
    def mismatches(self) -> tuple[FieldCheck, ...]:
        return tuple(check for check in self.checks if check.state == DIFFERENT)


def _text_check(label: str, request: str, registry: str) -> FieldCheck:
    if " ".join(request.split()) == registry:
        state = SAME
    elif normalize_name(request) == normalize_name(registry) and normalize_name(request):
        state = TOLERATED
    else:
        state = DIFFERENT
    return FieldCheck(label, request, registry, state)


def compare_with(row: AssistanceRequest, customer: Customer) -> RegistryComparison:
    """The request's personal data beside the customer's registry data."""
    sexes = {"M": "Maschio", "F": "Femmina"}
    checks = (
        _text_check("Nome", row.nome, customer.nome),
        _text_check("Cognome", row.cognome, customer.cognome),
        FieldCheck("Sesso", sexes.get(row.sesso, row.sesso), sexes.get(customer.sesso, customer.sesso),
                   SAME if row.sesso == customer.sesso else DIFFERENT),
        FieldCheck("Data di nascita", f"{row.data_nascita:%d/%m/%Y}", f"{customer.data_nascita:%d/%m/%Y}",
                   SAME if row.data_nascita == customer.data_nascita else DIFFERENT),
        _text_check("Luogo di nascita", row.luogo_nascita, customer.luogo_nascita or "—"),
    )
    return RegistryComparison(_customer_label(customer) or "", customer.codice_fiscale, checks)


def compare(ctx: Context, request_id: int, *, codice_fiscale: str | None = None) -> RegistryComparison:
    """The request beside the customer it would be approved for (the one given by codice
    fiscale, else the recognised one)."""
    with ctx.db.session() as session:
        row = _load(session, request_id)
        if codice_fiscale and codice_fiscale.strip():
            customer = _find_by_codice_fiscale(session, codice_fiscale, ctx.clock.now().date())
        elif row.customer_id is not None and (linked := session.get(Customer, row.customer_id)) is not None:
            customer = linked
        else:
            raise AssistanceError(
                "La richiesta non corrisponde a un cliente in anagrafe: indica il codice fiscale del cliente",
                "cf-needed",
            )
        return compare_with(row, customer)


# --- the customer's form -------------------------------------------------------


def _clean_text(text: str, *, required: str, label: str, limit: int, letters_only: bool) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise RuleError(required, "empty")
    if len(cleaned) > limit:
        raise RuleError(f"{label} può avere al massimo {limit} caratteri", "length")
    if not any(ch.isalpha() for ch in cleaned):
        raise RuleError(f"{label} deve contenere almeno una lettera", "letter")
    if letters_only and any(not (ch.isalpha() or ch in " '’-.") for ch in cleaned):
        raise RuleError(f"{label} può contenere solo lettere, spazi, apostrofi, trattini e punti", "chars")
    if not letters_only and any(not ch.isprintable() for ch in cleaned):
        raise RuleError(f"{label} contiene caratteri non ammessi", "chars")
    return cleaned


def _check(
    form: AssistanceForm,
    today: date,
    pec_domains: frozenset[str] | set[str] | tuple[str, ...],
    uploads: UploadArea,
):
    """Validate every field; return (errors by widget id, the cleaned values or None)."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def check(widget_id: str, rule) -> None:  # noqa: ANN001
        try:
            values[widget_id] = rule()
        except RuleError as error:
            errors[widget_id] = error.message

    check("nome", lambda: clean_person_name(form.nome, "nome"))
    check("cognome", lambda: clean_person_name(form.cognome, "cognome"))
    check(
        "luogo-nascita",
        lambda: _clean_text(
            form.luogo_nascita,
            required="Inserisci il luogo di nascita" if not form.desktop else "Inserisci la città di nascita",
            label="Il luogo di nascita",
            limit=PLACE_MAX,
            letters_only=True,
        ),
    )
    check("data-nascita", lambda: parse_birth_date(form.data_nascita, today))
    check("sesso", lambda: parse_sex(form.sesso))
    check("cellulare", lambda: parse_mobile(form.cellulare))

    def email() -> str:
        if not form.email.strip():
            if form.email_optional:
                return ""
            raise RuleError(EMAIL_REQUIRED, "empty")
        try:
            return parse_email(form.email, pec_domains).value
        except RuleError as error:
            if error.code == "pec":
                raise RuleError(EMAIL_PEC, "pec") from None
            raise

    check("email", email)
    if form.desktop:
        check(
            "indirizzo",
            lambda: _clean_text(
                form.indirizzo,
                required="Inserisci il tuo indirizzo (via e numero civico)",
                label="L'indirizzo",
                limit=ADDRESS_MAX,
                letters_only=False,
            ),
        )
        check(
            "citta",
            lambda: _clean_text(
                form.citta, required="Inserisci la città", label="La città", limit=PLACE_MAX, letters_only=True
            ),
        )
    else:
        values["indirizzo"], values["citta"] = "", ""

    def document_type() -> str:
        if form.tipo_documento not in DOCUMENT_TYPES:
            raise RuleError("Scegli il tipo di documento d'identità", "empty")
        return form.tipo_documento

    check("tipo-documento", document_type)

    def upload(path: Path | None, missing: str) -> DocumentInfo:
        if path is None or not str(path).strip():
            raise RuleError(missing, "empty")
        return documents.inspect_upload(Path(path), uploads)  # only from the uploads folder

    check("allega-fronte", lambda: upload(form.fronte, FRONT_REQUIRED))
    check("allega-retro", lambda: upload(form.retro, BACK_REQUIRED))
    if not form.privacy:
        errors["privacy"] = PRIVACY_REQUIRED
    if errors:
        return errors, None
    return errors, _Checked(
        nome=values["nome"],  # type: ignore[arg-type]
        cognome=values["cognome"],  # type: ignore[arg-type]
        luogo_nascita=values["luogo-nascita"],  # type: ignore[arg-type]
        data_nascita=values["data-nascita"],  # type: ignore[arg-type]
        sesso=values["sesso"],  # type: ignore[arg-type]
        mobile=values["cellulare"],  # type: ignore[arg-type]
        email=values["email"],  # type: ignore[arg-type]
        indirizzo=values["indirizzo"],  # type: ignore[arg-type]
        citta=values["citta"],  # type: ignore[arg-type]
        tipo_documento=values["tipo-documento"],  # type: ignore[arg-type]
        fronte=values["allega-fronte"],  # type: ignore[arg-type]
        retro=values["allega-retro"],  # type: ignore[arg-type]
    )


def validate(form: AssistanceForm, *, today: date, pec_domains, uploads: UploadArea) -> dict[str, str]:  # noqa: ANN001
    """Italian messages by widget id (``nome``, ``allega-retro``, ``privacy``…); empty when all is right.

    ``uploads`` is where attachments may come from (``UploadArea.from_settings``).
    """
    errors, _checked = _check(form, today, pec_domains, uploads)
    return errors


def _login_email(session: Session, customer_id: int, pec_domains) -> str:  # noqa: ANN001
    """The address a logged-in customer is told at when the app form leaves it out."""
    username = session.exec(
        select(Account.username).where(Account.customer_id == customer_id, Account.username_kind == "email")
    ).first()
    if username:
        return username
    emails = session.exec(
        select(Contact.value).where(Contact.customer_id == customer_id, Contact.kind == "email").order_by(col(Contact.id))
    ).all()
    ordinary = [e for e in emails if not is_pec_domain(e.rpartition("@")[2], pec_domains)]
    return ordinary[0] if ordinary else ""


def _match_customer(session: Session, checked: _Checked) -> int | None:
    """The single registry customer with these personal data, if exactly one."""
    matches = session.exec(
        select(Customer.id).where(
            Customer.nome_norm == normalize_name(checked.nome),
            Customer.cognome_norm == normalize_name(checked.cognome),
            Customer.data_nascita == checked.data_nascita,
            Customer.sesso == checked.sesso,
        )
    ).all()
    return matches[0] if len(matches) == 1 else None


def _stored_error(error: RuleError, side: str) -> AssistanceInvalid:
    return AssistanceInvalid({f"allega-{side}": error.message})


def submit(ctx: Context, form: AssistanceForm, *, today: date, pec_domains) -> int:  # noqa: ANN001
    """Validate, store the documents and save the request; returns its number.

    Raises AssistanceInvalid (errors by widget id) when something is wrong.
    """
    errors, checked = _check(form, today, pec_domains, UploadArea.from_settings(ctx.settings))
    if errors or checked is None:
        raise AssistanceInvalid(errors)
    variant = "desktop" if form.origin == "7B" else form.variant
    origin = form.origin if form.origin in ORIGINS else "11A"
    notice = load_notice(ctx.settings.privacy_file)

    notify_email = checked.email
    customer_id = form.customer_id
    with ctx.db.session() as session:
        if customer_id is not None and session.get(Customer, customer_id) is None:
            customer_id = None
        if not notify_email and customer_id is not None:
            notify_email = _login_email(session, customer_id, pec_domains)
    if not notify_email:
        raise AssistanceInvalid({"email": EMAIL_REQUIRED})

    folder = ctx.settings.documents_dir
    try:
        front_name = documents.store_document(checked.fronte, folder)
    except RuleError as error:
        raise _stored_error(error, "fronte") from None
    try:
        back_name = documents.store_document(checked.retro, folder)
    except RuleError as error:
        documents.delete_stored(folder, front_name)
        raise _stored_error(error, "retro") from None
    except BaseException:
        documents.delete_stored(folder, front_name)
        raise

    try:
        with ctx.db.transaction() as session:
            if customer_id is None:
                customer_id = _match_customer(session, checked)
            now = ctx.clock.now()
            request = AssistanceRequest(
                created_at=now,
                origin=origin,
                variant=variant,
                status=OPEN,
                nome=checked.nome,
                cognome=checked.cognome,
                luogo_nascita=checked.luogo_nascita,
                data_nascita=checked.data_nascita,
                sesso=checked.sesso,
                contact_kind="mobile",
                contact_value=checked.mobile.value,
                notify_email=notify_email,
                indirizzo=checked.indirizzo,
                citta=checked.citta,
                tipo_documento=checked.tipo_documento,
                customer_id=customer_id,
            )
            session.add(request)
            session.flush()
            request_id = request.id or 0
            for side, info, stored in (("fronte", checked.fronte, front_name), ("retro", checked.retro, back_name)):
                session.add(
                    Document(
                        request_id=request_id,
                        side=side,
                        mime=info.mime,
                        size=info.size,
                        sha256=info.sha256,
                        stored_name=stored,
                        original_name=info.original_name[:255],
                        width=info.width,
                        height=info.height,
                        pages=info.pages,
                    )
                )
            session.add(
                PrivacyConsent(
                    customer_id=customer_id,
                    assistance_request_id=request_id,
                    context="assistenza",
                    notice_version=notice.version,
                    accepted_at=now,
                )
            )
            outbox.send(
                ctx,
                session,
                channel="email",
                to=notify_email,
                subject=f"Richiesta di assistenza n. {request_id} ricevuta",
                body=(
                    f"Gentile {checked.nome} {checked.cognome},\n\n"
                    f"Abbiamo ricevuto la tua richiesta di assistenza n. {request_id} per aggiungere "
                    f"il cellulare {checked.mobile.display} alla tua Area Clienti.\n\n"
                    "Una volta verificata la tua identità e recepita la modifica sui sistemi, "
                    "ti avviseremo via email a questo indirizzo.\n\n"
                    "Generali Italia - Area Clienti"
                ),
            )
            audit.record(
                ctx,
                session,
                "assistenza_richiesta",
                actor=mask_contact("email", notify_email),
                subject=f"richiesta {request_id}",
                origin=origin,
                variant=variant,
                cellulare=mask_contact("mobile", checked.mobile.value),
                cliente_riconosciuto=customer_id is not None,
                privacy=notice.version,
            )
    except BaseException:
        documents.delete_stored(folder, front_name)
        documents.delete_stored(folder, back_name)
        raise
    return request_id


# --- the operator's queue ----------------------------------------------------------


def _summary(row: AssistanceRequest) -> RequestSummary:
    return RequestSummary(
        id=row.id or 0,
        created_at=as_utc(row.created_at),
        origin=row.origin,
        variant=row.variant,
        status=row.status,
        nome=row.nome,
        cognome=row.cognome,
        data_nascita=row.data_nascita,
        contact_value=row.contact_value,
        customer_id=row.customer_id,
    )


def list_requests(ctx: Context, status: str | None = OPEN) -> list[RequestSummary]:
    """Requests with that status (all when None): open ones oldest first, the others newest first."""
    query = select(AssistanceRequest)
    if status is not None:
        query = query.where(AssistanceRequest.status == status)
    if status == OPEN:
        query = query.order_by(col(AssistanceRequest.created_at), col(AssistanceRequest.id))
    else:
        query = query.order_by(col(AssistanceRequest.created_at).desc(), col(AssistanceRequest.id).desc())
    with ctx.db.session() as session:
        return [_summary(row) for row in session.exec(query).all()]


def _customer_label(customer: Customer | None) -> str | None:
    if customer is None:
        return None
    return f"{customer.nome} {customer.cognome} · {customer.codice_fiscale} · nato/a il {customer.data_nascita:%d/%m/%Y}"


def _load(session: Session, request_id: int) -> AssistanceRequest:
    row = session.get(AssistanceRequest, request_id)
    if row is None:
        raise AssistanceError(f"La richiesta n. {request_id} non esiste", "missing")
    return row


def get_request(ctx: Context, request_id: int) -> RequestDetail:
    folder = ctx.settings.documents_dir
    with ctx.db.session() as session:
        row = _load(session, request_id)
        docs = session.exec(
            select(Document).where(Document.request_id == request_id).order_by(col(Document.side), col(Document.id))
        ).all()
        customer = session.get(Customer, row.customer_id) if row.customer_id is not None else None
        views = tuple(
            DocumentView(
                id=d.id or 0,
                side=d.side,
                mime=d.mime,
                size=d.size,
                sha256=d.sha256,
                width=d.width,
                height=d.height,
                pages=d.pages,
                original_name=d.original_name,
                path=documents.stored_path(folder, d.stored_name),
            )
            # fronte before retro
            for d in sorted(docs, key=lambda d: (d.side != "fronte", d.id or 0))
        )
        return RequestDetail(
            summary=_summary(row),
            luogo_nascita=row.luogo_nascita,
            sesso=row.sesso,
            notify_email=row.notify_email,
            indirizzo=row.indirizzo,
            citta=row.citta,
            tipo_documento=row.tipo_documento,
            documents=views,
            customer_label=_customer_label(customer),
            comparison=compare_with(row, customer) if customer is not None else None,
            decided_at=as_utc(row.decided_at) if row.decided_at else None,
            decided_by=row.decided_by,
            reason=row.reason,
        )


def _decide(session: Session, row: AssistanceRequest, status: str, *, operator: str, now: datetime, **values) -> None:  # noqa: ANN003
    """Mark an open request decided; another console deciding first makes this fail."""
    result = session.exec(
        update(AssistanceRequest)
        .where(col(AssistanceRequest.id) == row.id, col(AssistanceRequest.status) == OPEN)
        .values(status=status, decided_at=now, decided_by=operator[:60], **values)
    )
    if result.rowcount != 1:
        raise AssistanceError(f"La richiesta n. {row.id} è già stata decisa", "decided")


def _require_open(row: AssistanceRequest) -> None:
    if row.status != OPEN:
        by = f" da {row.decided_by}" if row.decided_by else ""
        raise AssistanceError(f"La richiesta n. {row.id} è già stata {row.status}{by}", "decided")


def _require_operator(operator: str) -> str:
    operator = (operator or "").strip()
    if not operator:
        raise AssistanceError("Manca il nome dell'operatore", "operator")
    return operator


def _find_by_codice_fiscale(session: Session, text: str, today: date) -> Customer:
    try:
        info = validate_codice_fiscale(text, today=today)
    except RuleError as error:
        raise AssistanceError(error.message, error.code) from None
    customer = session.exec(
        select(Customer).where(
            (Customer.codice_fiscale == info.code) | (Customer.cf_base == base_codice_fiscale(info.code))
        )
    ).first()
    if customer is None:
        raise AssistanceError(f"Nessun cliente in anagrafe con il codice fiscale {info.code}", "cf-unknown")
    return customer


def approve(ctx: Context, request_id: int, *, operator: str, codice_fiscale: str | None = None,
            document_checked: bool = False) -> None:
    """Add the requested mobile to the customer's record and tell the customer by email.

    Without a customer linked to the request the operator gives the customer's
    codice fiscale; when given, the codice fiscale decides the customer. When the
    request's personal data differ from the customer's registry data the operator
    must say they checked the identity document (`document_checked`).
    """
    operator = _require_operator(operator)
    with ctx.db.transaction() as session:
        row = _load(session, request_id)
        _require_open(row)
        now = ctx.clock.now()
        if codice_fiscale and codice_fiscale.strip():
            customer = _find_by_codice_fiscale(session, codice_fiscale, now.date())
        elif row.customer_id is not None:
            customer = session.get(Customer, row.customer_id)
            if customer is None:
                raise AssistanceError(
                    "Il cliente collegato alla richiesta non è più in anagrafe: indica il codice fiscale", "cf-needed"
                )
        else:
            raise AssistanceError(
                "La richiesta non corrisponde a un cliente in anagrafe: indica il codice fiscale del cliente",
                "cf-needed",
            )
        mismatches = [check.label for check in compare_with(row, customer).mismatches]
        if mismatches and not document_checked:
            raise AssistanceError(
                "I dati della richiesta non coincidono con l'anagrafe ("
                + ", ".join(label.lower() for label in mismatches)
                + "): conferma di aver controllato il documento d'identità",
                "mismatch",
            )
        existing = session.exec(
            select(Contact.id).where(
                Contact.customer_id == customer.id,
                Contact.kind == row.contact_kind,
                Contact.value == row.contact_value,
            )
        ).first()
        if existing is None:
            session.add(
                Contact(
                    customer_id=customer.id,
                    kind=row.contact_kind,
                    value=row.contact_value,
                    source="assistenza",
                    created_at=now,
                )
            )
        _decide(session, row, APPROVED, operator=operator, now=now, customer_id=customer.id)
        shown = Username(row.contact_kind, row.contact_value).display  # type: ignore[arg-type]
        if row.notify_email:
            outbox.send(
                ctx,
                session,
                channel="email",
                to=row.notify_email,
                subject=f"Richiesta di assistenza n. {row.id} accolta",
                body=(
                    f"Gentile {row.nome} {row.cognome},\n\n"
                    f"Il recapito {shown} è stato aggiunto alla tua Area Clienti: ora puoi ricevere "
                    "su questo cellulare i codici di verifica e accedere ai tuoi servizi.\n\n"
                    "Generali Italia - Area Clienti"
                ),
            )
        audit.record(
            ctx,
            session,
            "assistenza_approvata",
            actor=operator,
            subject=f"richiesta {row.id}",
            customer_id=customer.id,
            codice_fiscale=customer.codice_fiscale,
            cellulare=mask_contact(row.contact_kind, row.contact_value),  # type: ignore[arg-type]
            gia_presente=existing is not None,
            differenze=mismatches,
            documento_verificato=document_checked,
        )


def reject(ctx: Context, request_id: int, *, operator: str, reason: str) -> None:
    """Refuse the request with a reason, which the customer receives by email."""
    operator = _require_operator(operator)
    reason = " ".join((reason or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise AssistanceError(
            f"Scrivi il motivo del rifiuto (da {REASON_MIN} a {REASON_MAX} caratteri): il cliente lo riceverà via email",
            "reason",
        )
    with ctx.db.transaction() as session:
        row = _load(session, request_id)
        _require_open(row)
        now = ctx.clock.now()
        _decide(session, row, REJECTED, operator=operator, now=now, reason=reason)
        if row.notify_email:
            outbox.send(
                ctx,
                session,
                channel="email",
                to=row.notify_email,
                subject=f"Richiesta di assistenza n. {row.id} non accolta",
                body=(
                    f"Gentile {row.nome} {row.cognome},\n\n"
                    f"Non abbiamo potuto accogliere la tua richiesta di assistenza n. {row.id} "
                    f"per questo motivo:\n\n{reason}\n\n"
                    "Puoi inviare una nuova richiesta dall'Area Clienti con i dati corretti.\n\n"
                    "Generali Italia - Area Clienti"
                ),
            )
        audit.record(ctx, session, "assistenza_respinta", actor=operator, subject=f"richiesta {row.id}", motivo=reason)


def prefill_for_customer(ctx: Context, customer_id: int) -> dict[str, str]:
    """The 11A form's fields for a logged-in customer (empty when unknown)."""
    with ctx.db.session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return {}
        username = session.exec(
            select(Account.username).where(Account.customer_id == customer_id, Account.username_kind == "email")
        ).first()
    return {
        "nome": customer.nome,
        "cognome": customer.cognome,
        "luogo-nascita": customer.luogo_nascita,
        "data-nascita": customer.data_nascita.strftime("%d/%m/%Y"),
        "sesso": customer.sesso,
        "email": username or "",
    }
