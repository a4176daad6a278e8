"""Customer CSV import (SPEC §5): streamed in chunks, idempotent, row errors reported.

The codice fiscale is the key, read through omocodia: the omocode form of a
code and its base form (``cf_base``) are the same person, hence the same
customer. A known customer is updated when its row changed, left alone
otherwise; when a row carries the other form of a known code, the customer
keeps the form imported last (the registry's newest word), so the
``codice_fiscale`` column stays unique and lookups by either form (2B, the
operator's search) find the customer.

Bad rows are reported with their line number and reason, and skipped; the
rest of the file is imported. Bad means also: a field over its column's length
(or over the CSV reader's own limit), or a control character (ESC, C1, bidi
overrides, newlines…) in any field, which would otherwise reach the terminal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select


from areaclienti_tui.rules.codice_fiscale import base_codice_fiscale, validate_codice_fiscale
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.text import clean_person_name, normalize_name, phonetic_key, refuse_control_chars
from areaclienti_tui.rules.username import normalize_contact
from areaclienti_tui.services import audit
from areaclienti_tui.services.context import Context
from areaclienti_tui.store.models import Contact, Customer, Policy

COLUMNS = (
    "codice_fiscale",
    "nome",
    "cognome",
    "sesso",
    "data_nascita",
    "luogo_nascita",
    "email",
    "cellulare",
    "polizze",
    "inarcassa",
)
POLICY_STATES = ("attiva", "scaduta", "annullata", "sospesa")
# Longest accepted field, per column, in characters (before any other check).
FIELD_LIMITS = {
    "codice_fiscale": 32,
    "nome": 120,
    "cognome": 120,
    "sesso": 10,
    "data_nascita": 20,
    "luogo_nascita": 80,
    "email": 2000,
    "cellulare": 500,
    "polizze": 4000,
    "inarcassa": 5,
}
POLICY_NUMBER_MAX = 40
POLICY_PRODUCT_MAX = 120
CHUNK = 2000
ErrorSink = Callable[[int, str], None]


@dataclass(frozen=True)
class CustomerRow:
    line: int
    codice_fiscale: str
    nome: str
    cognome: str
    sesso: str
    data_nascita: date
    luogo_nascita: str
    contacts: frozenset[tuple[str, str]]
    policies: tuple[tuple[str, str, str], ...]
    inarcassa: bool


MAX_KEPT_ERRORS = 1000


@dataclass
class ImportReport:
    """Counts of one import; `errors` keeps the first bad rows (all go to `on_error`)."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    def reject(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append((line, reason))

    def summary(self) -> str:
        return (
            f"{self.rows} righe lette: {self.inserted} clienti nuovi, {self.updated} aggiornati, "
            f"{self.unchanged} invariati, {self.error_count} righe scartate"
        )


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing columns, not UTF-8)."""


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _policies(value: str | None) -> tuple[tuple[str, str, str], ...]:
    result: dict[str, tuple[str, str, str]] = {}
    for item in _split(value):
        numero, _, rest = item.partition(":")
        prodotto, _, stato = rest.partition(":")
        numero, prodotto, stato = numero.strip(), prodotto.strip(), (stato.strip().lower() or "attiva")
        if not numero or len(numero) > POLICY_NUMBER_MAX:
            raise RuleError(f"numero di polizza non valido: {item!r}")
        if len(prodotto) > POLICY_PRODUCT_MAX:
            raise RuleError(f"nome del prodotto della polizza {numero} troppo lungo (al massimo {POLICY_PRODUCT_MAX} caratteri)")
        if stato not in POLICY_STATES:
            raise RuleError(f"stato della polizza {numero} non valido: {stato!r} (ammessi: {', '.join(POLICY_STATES)})")
        result[numero] = (numero, prodotto or "Polizza Generali", stato)
    return tuple(sorted(result.values()))


def parse_row(line: int, raw: dict[str, str | None]) -> CustomerRow:
    """One CSV record to a CustomerRow; RuleError names what is wrong."""
    for column in COLUMNS:
        value = raw.get(column) or ""
        limit, length = FIELD_LIMITS[column], len(value.strip())
        if length > limit:
            raise RuleError(f"il campo {column} è troppo lungo ({length} caratteri, al massimo {limit})")
        refuse_control_chars(value, column)
    try:
        info = validate_codice_fiscale(raw.get("codice_fiscale") or "")
    except RuleError as error:
        raise RuleError(f"codice fiscale: {error.message}") from None
    nome = clean_person_name(raw.get("nome") or "", "nome")
    cognome = clean_person_name(raw.get("cognome") or "", "cognome")
    sesso = (raw.get("sesso") or "").strip().upper()
    if sesso not in ("M", "F"):
        raise RuleError("sesso deve essere M o F")
    try:
        born = date.fromisoformat((raw.get("data_nascita") or "").strip())
    except ValueError:
        raise RuleError("data_nascita deve essere nel formato AAAA-MM-GG") from None
    if info.birth_date != born or info.sex != sesso:
        raise RuleError("il codice fiscale non corrisponde a data di nascita e sesso")
    contacts: set[tuple[str, str]] = set()
    for kind, column in (("email", "email"), ("mobile", "cellulare")):
        for value in _split(raw.get(column)):
            try:
                contacts.add((kind, normalize_contact(kind, value)))
            except RuleError as error:
                raise RuleError(f"{column} {value!r}: {error.message}") from None
    inarcassa = (raw.get("inarcassa") or "").strip()
    if inarcassa not in ("0", "1"):
        raise RuleError("inarcassa deve essere 1 o 0")
    return CustomerRow(
        line=line,
        codice_fiscale=info.code,
        nome=nome,
        cognome=cognome,
        sesso=sesso,
        data_nascita=born,
        luogo_nascita=(raw.get("luogo_nascita") or "").strip(),
        contacts=frozenset(contacts),
        policies=_policies(raw.get("polizze")),
        inarcassa=inarcassa == "1",
    )


def _csv_reason(error: csv.Error) -> str:
    """The csv module's complaint about a record, in Italian."""
    text = str(error)
    if "field larger than field limit" in text:
        return f"un campo supera la lunghezza massima che si può leggere ({csv.field_size_limit()} caratteri)"
    if "NUL" in text:
        return "la riga contiene un carattere nullo (NUL)"
    if "new-line character seen in unquoted field" in text:
        return "a capo non valido dentro un campo senza virgolette"
    return f"riga CSV non leggibile ({text})"


def read_rows(lines: Iterable[str], report: ImportReport, on_error: ErrorSink) -> Iterator[CustomerRow]:
    """Parse the CSV lazily; bad rows go to `on_error` and are skipped.

    A record the csv module cannot read (a field over its size limit, a NUL)
    is a bad row too: the reader drops the rest of that line and goes on.
    """
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as error:
        raise ImportFileError(f"intestazione non leggibile: {_csv_reason(error)}") from None
    missing = [c for c in COLUMNS if c not in fieldnames]
    if missing:
        raise ImportFileError(f"intestazione del file senza le colonne: {', '.join(missing)}")
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.rows += 1
            on_error(reader.reader.line_num, _csv_reason(error))
            continue
        line = reader.line_num
        report.rows += 1
        try:
            if None in raw:
                raise RuleError("la riga ha più colonne dell'intestazione")
            yield parse_row(line, raw)
        except RuleError as error:
            on_error(line, error.message)


def _chunks(rows: Iterator[CustomerRow], size: int, on_error: ErrorSink) -> Iterator[dict[str, CustomerRow]]:
    """Rows by base codice fiscale, `size` at a time; a repeat within a chunk is a bad row.

    Either omocode form of one code counts as a repeat: same person.
    """
    chunk: dict[str, CustomerRow] = {}
    for row in rows:
        base = base_codice_fiscale(row.codice_fiscale)
        earlier = chunk.get(base)
        if earlier is not None:
            form = "" if earlier.codice_fiscale == row.codice_fiscale else f" (come {earlier.codice_fiscale}, per omocodia)"
            on_error(row.line, f"codice fiscale {row.codice_fiscale} già presente in una riga precedente{form}")
            continue
        chunk[base] = row
        if len(chunk) >= size:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk


def _customer_fields(row: CustomerRow) -> dict[str, object]:
    return {
        "nome": row.nome,
        "cognome": row.cognome,
        "nome_norm": normalize_name(row.nome),
        "cognome_norm": normalize_name(row.cognome),
        "cognome_fon": phonetic_key(normalize_name(row.cognome)),
        "sesso": row.sesso,
        "data_nascita": row.data_nascita,
        "luogo_nascita": row.luogo_nascita,
        "inarcassa": row.inarcassa,
    }


class _Chunk:
    """One chunk of rows written with a handful of bulk statements."""

    def __init__(self, session: Session, started: datetime, now: datetime) -> None:
        self.session = session
        self.started = started
        self.now = now

    def _existing(self, rows: dict[str, CustomerRow]) -> dict[str, dict]:
        """The known customer of each base code: the one with the very same form, else the oldest."""
        table = Customer.__table__
        codes = [row.codice_fiscale for row in rows.values()]
        found = self.session.execute(
            select(table).where(table.c.cf_base.in_(list(rows)) | table.c.codice_fiscale.in_(codes)).order_by(table.c.id)
        ).mappings().all()
        by_base: dict[str, dict] = {}
        for customer in found:
            base = customer["cf_base"]
            row = rows.get(base)
            if row is None:
                continue
            current = by_base.get(base)
            if current is None or (
                customer["codice_fiscale"] == row.codice_fiscale and current["codice_fiscale"] != row.codice_fiscale
            ):
                by_base[base] = dict(customer)
        return by_base

    def _links(self, ids: list[int]) -> tuple[dict[int, set], dict[int, set]]:
        contacts: dict[int, set[tuple[str, str]]] = {}
        policies: dict[int, set[tuple[str, str, str]]] = {}
        if ids:
            contact_table, policy_table = Contact.__table__, Policy.__table__
            query = select(contact_table.c.customer_id, contact_table.c.kind, contact_table.c.value).where(
                contact_table.c.customer_id.in_(ids), contact_table.c.source == "registro"
            )
            for customer_id, kind, value in self.session.execute(query):
                contacts.setdefault(customer_id, set()).add((kind, value))
            query = select(
                policy_table.c.customer_id, policy_table.c.numero, policy_table.c.prodotto, policy_table.c.stato
            ).where(policy_table.c.customer_id.in_(ids))
            for customer_id, numero, prodotto, stato in self.session.execute(query):
                policies.setdefault(customer_id, set()).add((numero, prodotto, stato))
        return contacts, policies

    def apply(self, rows: dict[str, CustomerRow], report: ImportReport) -> None:
        existing = self._existing(rows)
        contacts, policies = self._links([c["id"] for c in existing.values()])

        fresh: list[CustomerRow] = []
        changed: list[tuple[int, CustomerRow]] = []
        for base, row in rows.items():
            current = existing.get(base)
            if current is None:
                fresh.append(row)
                continue
            fields = {"codice_fiscale": row.codice_fiscale, **_customer_fields(row)}
            same = all(current[key] == value for key, value in fields.items())
            same = same and contacts.get(current["id"], set()) == set(row.contacts)
            same = same and policies.get(current["id"], set()) == set(row.policies)
            if same:
                report.unchanged += 1
            else:
                changed.append((current["id"], row))

        if fresh:
            self.session.execute(
                insert(Customer.__table__),
                [
                    {
                        "codice_fiscale": row.codice_fiscale,
                        "cf_base": base_codice_fiscale(row.codice_fiscale),
                        "created_at": self.started,
                        "updated_at": self.started,
                        **_customer_fields(row),
                    }
                    for row in fresh
                ],
            )
        if changed:
            ids = [customer_id for customer_id, _ in changed]
            self.session.execute(
                update(Customer),
                [
                    {
                        "id": customer_id,
                        "codice_fiscale": row.codice_fiscale,
                        "updated_at": self.started,
                        **_customer_fields(row),
                    }
                    for customer_id, row in changed
                ],
            )
            self.session.execute(delete(Contact).where(col(Contact.customer_id).in_(ids), Contact.source == "registro"))
            self.session.execute(delete(Policy).where(col(Policy.customer_id).in_(ids)))

        targets = list(changed)
        if fresh:
            fresh_ids = {
                code: customer_id
                for code, customer_id in self.session.execute(
                    select(Customer.__table__.c.codice_fiscale, Customer.__table__.c.id).where(
                        Customer.__table__.c.codice_fiscale.in_([row.codice_fiscale for row in fresh])
                    )
                )
            }
            targets += [(fresh_ids[row.codice_fiscale], row) for row in fresh]
        contact_rows = [
            {"customer_id": customer_id, "kind": kind, "value": value, "source": "registro", "created_at": self.now}
            for customer_id, row in targets
            for kind, value in sorted(row.contacts)
        ]
        policy_rows = [
            {"customer_id": customer_id, "numero": numero, "prodotto": prodotto, "stato": stato}
            for customer_id, row in targets
            for numero, prodotto, stato in row.policies
        ]
        if contact_rows:
            self.session.execute(insert(Contact.__table__), contact_rows)
        if policy_rows:
            self.session.execute(insert(Policy.__table__), policy_rows)
        report.inserted += len(fresh)
        report.updated += len(changed)


def import_lines(
    ctx: Context,
    lines: Iterable[str],
    *,
    source: str = "csv",
    actor: str = "sistema",
    progress: Callable[[ImportReport], None] | None = None,
    on_error: ErrorSink | None = None,
    chunk_size: int = CHUNK,
) -> ImportReport:
    """Import customers from CSV text lines, committing one chunk at a time.

    Memory stays flat whatever the file's length: rows are parsed lazily, each
    chunk is written with a few bulk statements, and only the first
    MAX_KEPT_ERRORS bad rows are kept in the report (`on_error` sees them all).
    A codice fiscale repeated within one chunk (in either omocode form) is
    reported as a bad row; repeated farther apart, the later row updates the
    customer (last one wins, its form of the code included), which keeps
    memory from growing with the file. Inside `Database.atomic` (the demo
    seed) the chunks' commits only flush: the whole import is one transaction.
    """
    report = ImportReport()

    def rejected(line: int, reason: str) -> None:
        report.reject(line, reason)
        if on_error:
            on_error(line, reason)

    started = ctx.clock.now()
    for chunk in _chunks(read_rows(lines, report, rejected), chunk_size, rejected):
        with ctx.db.transaction() as session:
            _Chunk(session, started, ctx.clock.now()).apply(chunk, report)
        if progress:
            progress(report)
    with ctx.db.transaction() as session:
        audit.record(
            ctx,
            session,
            "import_clienti",
            actor=actor,
            subject=source,
            outcome="ok" if not report.errors else "con errori",
            righe=report.rows,
            nuovi=report.inserted,
            aggiornati=report.updated,
            scartate=report.error_count,
        )
    if progress:
        progress(report)
    return report


def import_file(ctx: Context, path: Path, **kwargs) -> ImportReport:  # noqa: ANN003
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return import_lines(ctx, handle, source=path.name, **kwargs)
    except UnicodeDecodeError as error:
        raise ImportFileError(f"il file non è in UTF-8 ({error.reason} al byte {error.start})") from None


def import_text(ctx: Context, text: str, **kwargs) -> ImportReport:  # noqa: ANN003
    return import_lines(ctx, io.StringIO(text), **kwargs)
