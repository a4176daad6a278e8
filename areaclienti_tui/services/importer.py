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

How a big file goes through (issue 12), memory flat whatever its length:

* this process reads the file and hands it on in batches (`_batches`): lines
  as they are when none has a quote character (the worker reads them), else
  records;
* checking a row (services/import_rows.py: codice fiscale, names, email,
  mobile, policies) is the costly part: the first POOL_AFTER records are
  checked here, the rest by worker processes (`_Checker`, a
  ProcessPoolExecutor started with spawn), never more than a few batches
  ahead; their answers are taken back in file order;
* this process alone writes: repeats are found per chunk of CHUNK customers
  exactly as before (`_chunks`), and each chunk is written all or nothing
  with a few bulk statements (`_Chunk`, `_BulkInsert`): its own transaction,
  or, in a big import on SQLite, a savepoint in a transaction that carries
  SQLITE_CHUNKS_PER_COMMIT chunks (`_Writer`).

Workers only ever see records and give back rows or reasons; everything that
depends on the order of the file (repeats, updates, counts, progress, the
audit event) happens here, in that order. So the report, the messages and
their line numbers, the database and the audit are the same whether the rows
were checked here or by the pool (tests/test_import_pool.py compares the two).

Worker processes are started with spawn, which imports the `__main__` module
again in each: a script that imports big files must keep its work under
``if __name__ == "__main__":`` (the console script does), or pass workers=0.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import chain
from pathlib import Path

from sqlalchemy import bindparam, delete, insert, text, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from areaclienti_tui.services import audit
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.import_rows import (  # noqa: F401 - the importer's public names, as before
    COLUMNS,
    FIELD_LIMITS,
    POLICY_NUMBER_MAX,
    POLICY_PRODUCT_MAX,
    POLICY_STATES,
    CustomerRow,
    Lines,
    Record,
    check_batch,
    check_record,
    csv_reason,
    ignore_interrupts,
    parse_row,
    read_records,
)
from areaclienti_tui.store.db import committing
from areaclienti_tui.store.models import Contact, Customer, Policy

CHUNK = 2000  # distinct customers written per transaction
BATCH = 1000  # records checked per unit of work (in a worker process, or here)
POOL_AFTER = 5000  # records checked in this process before worker processes take over (see _Checker)
IN_FLIGHT = 2  # batches waiting per worker process: bounds what is held in memory
# The import's own SQLite connection, once the file proves big (see _Writer).
SQLITE_BIG_IMPORT = {"cache_size": -128 * 1024, "wal_autocheckpoint": 50_000}  # 128 MiB; 50 000 pages (~200 MB of log)
SQLITE_CHUNKS_PER_COMMIT = 25
ErrorSink = Callable[[int, str], None]

MAX_KEPT_ERRORS = 1000
log = logging.getLogger(__name__)


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


def default_workers() -> int:
    """Worker processes for a big file: one per CPU this process may use; none on a single CPU."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return cpus if cpus > 1 else 0


# --- reading ---------------------------------------------------------------------


def _open_csv(lines: Iterable[str]) -> tuple[Iterator[str], int, list[str]]:
    """The lines past the header, how many lines the header took, and the header;
    ImportFileError if a column is missing."""
    rest = iter(lines)
    reader = csv.DictReader(rest)  # reads a line only when asked for a record: `rest` goes on after the header
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as error:
        raise ImportFileError(f"intestazione non leggibile: {csv_reason(error)}") from None
    missing = [c for c in COLUMNS if c not in fieldnames]
    if missing:
        raise ImportFileError(f"intestazione del file senza le colonne: {', '.join(missing)}")
    return rest, reader.reader.line_num, list(fieldnames)


def _raise(error: Exception) -> Iterator[str]:
    raise error
    yield  # a generator: raises when the reader asks it for a line


Batch = list[Record] | Lines  # what a worker process is given to check


def _batches(lines: Iterator[str], before: int, size: int) -> Iterator[Batch]:
    """The records past the header, about `size` lines at a time, as `csv.DictReader` would
    give them (`read_records`).

    Lines with no quote character are handed on as they are (`Lines`): each is a
    whole record, read by the process that checks them. When some line has one (a
    quoted field may run over several lines), the lines are read here, into
    records, up to the end of the record the last of them is in. When reading
    fails midway (not UTF-8, a disk error) the records read before are still
    handed on, and the error comes after them: the rows before the fault are
    imported exactly as when the file is read row by row.
    """
    while True:
        block: list[str] = []
        failure: Exception | None = None
        try:
            for line in lines:
                block.append(line)
                if len(block) >= size:
                    break
        except Exception as error:  # noqa: BLE001 - raised below, after what was read before it
            failure = error
        if not block:
            if failure is not None:
                raise failure
            return
        if '"' not in "".join(block):
            yield Lines(before, block)
            before += len(block)
            if failure is not None:
                raise failure
            continue
        reader = csv.reader(chain(block, lines if failure is None else _raise(failure)))
        records: list[Record] = []
        try:
            for record in read_records(reader, before):
                records.append(record)
                if reader.line_num >= len(block):
                    break
        except Exception:
            if records:
                yield records
            raise
        if records:
            yield records
        if failure is not None:
            raise failure
        before += reader.line_num


def _start_pool(workers: int):  # noqa: ANN202 - a ProcessPoolExecutor
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the workers start clean, whatever threads this process runs (the progress bar's).
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=ignore_interrupts)


class _Checker:
    """What each record is (a row, or its line and reason), in file order.

    The first `pool_after` records are checked here, one batch at a time. If the
    file goes on (`big` turns true), a pool of `workers` processes checks the
    rest, at most IN_FLIGHT batches per worker ahead of the rows being written;
    results are taken in submission order, so what follows sees the file in its
    own order whichever process checked it. With the input's size known
    (`size_hint`, bytes), the number of records is estimated from the first
    batch: a file of at least twice `pool_after` goes to the workers from there
    (this process need not load what the checks need), one with only a few
    records left past `pool_after` stays here. Should the pool break (a worker
    killed, a program that cannot start workers), the batches it had are
    checked here and so is the rest: same answers, only slower. A failure while
    reading is raised once everything read before it has been handed on.
    `close()` stops the pool.
    """

    def __init__(
        self,
        fieldnames: list[str],
        batches: Iterator[Batch],
        workers: int,
        pool_after: int,
        size_hint: int | None = None,
    ) -> None:
        self.fieldnames, self.batches, self.workers, self.pool_after = fieldnames, batches, workers, pool_after
        self.size_hint = size_hint
        self.per_record: float | None = None  # bytes, estimated from the first batch
        self.big = False
        self.pool = None

    def _records_left(self, read: int, batch: Batch) -> float | None:
        """About how many records follow the `read` ones (None: the input's size is unknown)."""
        if self.size_hint is None:
            return None
        if self.per_record is None:
            if isinstance(batch, Lines):
                lengths = [len(line) for line in batch.lines if line.strip()]
            else:
                lengths = [sum(map(len, fields)) + len(fields) for _, fields in batch if not isinstance(fields, str)]
            if not lengths:
                return None
            self.per_record = sum(lengths) / len(lengths)
        return (self.size_hint - self.per_record * read) / self.per_record

    def _decide(self, read: int, batch: Batch) -> None:
        """After each batch read, until decided: big or not, pool or not."""
        left = self._records_left(read, batch)
        if read <= self.pool_after and not (left is not None and read + left >= 2 * self.pool_after):
            return  # not yet: the first records are checked here
        self.big = True
        if self.workers > 0 and (left is None or left >= self.pool_after):
            self.pool = _start_pool(self.workers)
        else:
            self.workers = 0  # only a few left: not worth starting the workers

    def __iter__(self) -> Iterator[CustomerRow | tuple[int, str]]:
        pending: deque[tuple[Future | None, Batch]] = deque()
        read = 0
        failure: Exception | None = None
        exhausted = False
        while True:
            while not exhausted and failure is None and len(pending) < (self.workers * IN_FLIGHT if self.pool else 1):
                try:
                    batch = next(self.batches)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as error:  # noqa: BLE001 - raised below, in its place in the file
                    failure = error
                    break
                read += len(batch)
                if not self.big:
                    self._decide(read, batch)
                pending.append((self._submit(batch), batch))
            if not pending:
                break
            future, batch = pending.popleft()
            yield from self._result(future, batch)
        if failure is not None:
            raise failure

    def _submit(self, batch: Batch) -> Future | None:
        if self.pool is None:
            return None
        try:
            return self.pool.submit(check_batch, self.fieldnames, batch)
        except BrokenProcessPool:
            self._give_up_pool()
            return None

    def _result(self, future: Future | None, batch: Batch) -> list[CustomerRow | tuple[int, str]]:
        if future is not None:
            try:
                return future.result()
            except (BrokenProcessPool, CancelledError):
                self._give_up_pool()
        return check_batch(self.fieldnames, batch)

    def _give_up_pool(self) -> None:
        if self.workers:
            log.warning("import: i processi di controllo si sono interrotti; il controllo continua qui", exc_info=True)
        self.close()
        self.workers = 0

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _chunks(
    outcomes: Iterable[CustomerRow | tuple[int, str]], report: ImportReport, size: int, on_error: ErrorSink
) -> Iterator[dict[str, CustomerRow]]:
    """Rows by base codice fiscale, `size` at a time; a repeat within a chunk is a bad row.

    Every record counts as read; bad ones, and repeats, go to `on_error` and
    are skipped. Either omocode form of one code counts as a repeat: same person.
    """
    chunk: dict[str, CustomerRow] = {}
    for row in outcomes:
        report.rows += 1
        if not isinstance(row, CustomerRow):
            on_error(*row)
            continue
        base = row.cf_base
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
        "nome_norm": row.nome_norm,
        "cognome_norm": row.cognome_norm,
        "cognome_fon": row.cognome_fon,
        "sesso": row.sesso,
        "data_nascita": row.data_nascita,
        "luogo_nascita": row.luogo_nascita,
        "inarcassa": row.inarcassa,
    }


def _same(value: object) -> object:
    return value


class _BulkInsert:
    """An INSERT of many rows, compiled once for the session's database, run by the driver's executemany.

    Values go through their column type's own bind processor, as SQLAlchemy would
    do row by row: the caller applies `processor(column)` to what varies and
    `value(column, v)` to a constant, once. What is skipped is SQLAlchemy's
    per-row bookkeeping, which cost more than the writing itself.
    """

    def __init__(self, session: Session, table, columns: tuple[str, ...]) -> None:  # noqa: ANN001 - a Table
        self.connection = session.connection()
        dialect = self.connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        binds = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        if sorted(binds) != sorted(columns):  # a column with a default of its own would need SQLAlchemy's path
            raise RuntimeError(f"INSERT di {table.name}: parametri inattesi {binds}")
        self.sql = compiled.string
        self.columns = columns
        self.positional = compiled.positional
        self.order = [columns.index(name) for name in binds] if compiled.positional else []
        self.processors = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same for name in columns
        }

    def processor(self, column: str) -> Callable[[object], object]:
        return self.processors[column]

    def value(self, column: str, value: object) -> object:
        return self.processors[column](value)

    def execute(self, rows: list[tuple]) -> None:
        """Insert `rows`: tuples of the values of `columns`, in order, already processed."""
        if not rows:
            return
        if not self.positional:
            params: list = [dict(zip(self.columns, row, strict=True)) for row in rows]
        elif self.order == list(range(len(self.columns))):
            params = rows
        else:
            params = [tuple(row[i] for i in self.order) for row in rows]
        self.connection.exec_driver_sql(self.sql, params)


class _Writer:
    """Where the chunks are written: each chunk all or nothing, committed in order.

    On PostgreSQL, or inside `Database.atomic` (the demo seed: everything one
    transaction), each chunk is a `Database.transaction()`, as always.

    On a SQLite file the import keeps one connection for all its chunks. Once
    the file proves big (`tune`), that connection gets a bigger page cache and
    checkpoints its write-ahead log less often, and a transaction carries up to
    SQLITE_CHUNKS_PER_COMMIT chunks, each in a savepoint of its own. With the
    registry's indexes on codes and contacts, every chunk touches pages all
    over them; writing those pages out after each chunk cost more than the
    inserts themselves. Nothing else changes: a chunk that fails is rolled back
    to its savepoint and the chunks before it are committed before the error
    goes on, as they would have been one transaction each; so are they when
    reading the file fails or the import is interrupted between chunks. The
    settings belong to that connection only and are put back, and the log
    checkpointed, when the import ends.
    """

    def __init__(self, db) -> None:  # noqa: ANN001 - store.db.Database
        self.db = db
        with db.session() as probe:
            outer = isinstance(probe.bind, Connection)
        self.own = db.is_sqlite and not outer
        self.connection: Connection | None = None
        self.restore: dict[str, object] = {}
        self.open_chunks = 0  # chunks written (each in its savepoint) since the last commit

    def _connect(self) -> Connection:
        if self.connection is None:
            self.connection = self.db.engine.connect()
        return self.connection

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One chunk, all or nothing."""
        if not self.own:
            with self.db.transaction() as session:
                yield session
            return
        connection = self._connect()
        if not self.restore:  # not tuned: a transaction of its own
            with Session(bind=connection, expire_on_commit=False) as session, committing(session):
                yield session
            return
        if self.open_chunks == 0:
            # A real BEGIN (the driver would wait for the first INSERT), so the
            # chunks' savepoints nest in it and releasing one commits nothing.
            connection.exec_driver_sql("BEGIN")
        with Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint") as session:
            try:
                yield session
                session.commit()  # RELEASE of the chunk's savepoint
            except BaseException:
                session.rollback()  # ROLLBACK TO the chunk's savepoint: this chunk only
                with suppress(Exception):  # the chunk's own error is the one to report
                    self.commit()  # the chunks before it stay, as if each had been committed on its own
                raise
        self.open_chunks += 1
        if self.open_chunks >= SQLITE_CHUNKS_PER_COMMIT:
            self.commit()

    def commit(self) -> None:
        """Commit the chunks written since the last commit (tuned SQLite only; otherwise each is already)."""
        if self.open_chunks and self.connection is not None:
            self.open_chunks = 0
            self.connection.commit()

    def tune(self) -> None:
        if not self.own or self.restore:
            return
        connection = self._connect()
        for name, value in SQLITE_BIG_IMPORT.items():
            self.restore[name] = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
        connection.commit()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Commit the chunks still open, put the connection back as it was.

        After a failure (an error, Ctrl-C) the chunks written so far are still
        committed (each complete), then the connection is discarded: a statement
        cut short may leave it holding its snapshot, which a truncating
        checkpoint would wait for; it takes its settings with it, and the log is
        checkpointed later as usual.
        """
        connection = self.connection
        if connection is None:
            return
        try:
            self.commit()
            if kind is not None:
                connection.invalidate()
            elif self.restore:
                for name, value in self.restore.items():
                    connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.commit()
        except Exception:
            connection.invalidate()
            if kind is None:
                raise  # the chunks could not be committed: the import failed
        finally:
            self.connection = None
            connection.close()


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_IN_SLICE = 1000  # values per IN list: far below SQLite's and PostgreSQL's limits on parameters


def _select_in(session: Session, sql: str, *lists: list[str]) -> list[tuple]:
    """Rows of `sql`, whose `IN {}` are filled with `lists` (of one length), run by the driver.

    For plain values (ids, codes) only: nothing is converted on the way back.
    SQLAlchemy's own IN expansion renders a named parameter per value, which
    at 4000 values a chunk cost more than the query.
    """
    connection = session.connection()
    mark = _PLACEHOLDERS.get(connection.dialect.paramstyle)
    if mark is None:  # a driver with another parameter style: SQLAlchemy's way
        statement = text(sql.format(*(f":v{i}" for i in range(len(lists)))))
        for i in range(len(lists)):
            statement = statement.bindparams(bindparam(f"v{i}", expanding=True))
        return list(connection.execute(statement, {f"v{i}": values for i, values in enumerate(lists)}).fetchall())
    rows: list[tuple] = []
    cursor = connection.connection.cursor()  # the driver's own, in the session's transaction: plain tuples back
    try:
        for start in range(0, len(lists[0]), _IN_SLICE):
            parts = [values[start : start + _IN_SLICE] for values in lists]
            cursor.execute(
                sql.format(*(f"({', '.join([mark] * len(part))})" for part in parts)),
                tuple(value for part in parts for value in part),
            )
            rows += cursor.fetchall()
    finally:
        cursor.close()
    return rows


_CUSTOMER_COLUMNS = (
    "codice_fiscale",
    "cf_base",
    "nome",
    "cognome",
    "nome_norm",
    "cognome_norm",
    "cognome_fon",
    "sesso",
    "data_nascita",
    "luogo_nascita",
    "inarcassa",
)


class _Chunk:
    """One chunk of rows written with a handful of bulk statements.

    `processors` (one dict for the whole import) keeps the bind processors of
    the columns whose values repeat (dates of birth, flags), each remembering
    its answers.
    """

    def __init__(
        self, session: Session, started: datetime, now: datetime, processors: dict | None = None
    ) -> None:
        self.session = session
        self.started = started
        self.now = now
        self.processors = {} if processors is None else processors

    def cached(self, insert: _BulkInsert, column: str) -> Callable[[object], object]:
        if column not in self.processors:
            self.processors[column] = lru_cache(maxsize=1 << 16)(insert.processor(column))
        return self.processors[column]

    def _existing(self, rows: dict[str, CustomerRow]) -> dict[str, dict]:
        """The known customer of each base code: the one with the very same form, else the oldest."""
        codes = [row.codice_fiscale for row in rows.values()]
        found = _select_in(
            self.session,
            "SELECT id, cf_base, codice_fiscale FROM customers WHERE cf_base IN {} OR codice_fiscale IN {}",
            list(rows),
            codes,
        )
        chosen: dict[str, tuple[int, str]] = {}
        for customer_id, base, code in sorted(found):
            row = rows.get(base)
            if row is None:
                continue
            current = chosen.get(base)
            if current is None or (code == row.codice_fiscale and current[1] != row.codice_fiscale):
                chosen[base] = (customer_id, code)
        if not chosen:
            return {}
        table = Customer.__table__
        ids = [customer_id for customer_id, _ in chosen.values()]
        by_id = {
            customer["id"]: dict(customer)
            for customer in self.session.execute(select(table).where(table.c.id.in_(ids))).mappings()
        }
        return {base: by_id[customer_id] for base, (customer_id, _) in chosen.items()}

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

    def _last_id(self) -> int | None:
        """SQLite: the largest customer id (rowid) before an INSERT, to know the new ones; elsewhere None."""
        connection = self.session.connection()
        if connection.dialect.name != "sqlite":
            return None
        return connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM customers").scalar()

    def _new_ids(self, before: int | None, fresh: list[CustomerRow]) -> list[int]:
        """The ids the INSERT gave `fresh`, in order.

        On SQLite a new row's id is one more than the largest in the table: rows
        inserted one after the other under one write lock get before+1, before+2,
        ..., which `last_insert_rowid()` confirms (only past the largest possible
        id would SQLite pick at random). Anything else: asked by code.
        """
        if before is not None:
            last = self.session.connection().exec_driver_sql("SELECT last_insert_rowid()").scalar()
            if last == before + len(fresh) < 2**63 - 1:
                return list(range(before + 1, last + 1))
        found = dict(
            _select_in(
                self.session,
                "SELECT codice_fiscale, id FROM customers WHERE codice_fiscale IN {}",
                [row.codice_fiscale for row in fresh],
            )
        )
        return [found[row.codice_fiscale] for row in fresh]

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
            before = self._last_id()
            customers = _BulkInsert(self.session, Customer.__table__, (*_CUSTOMER_COLUMNS, "created_at", "updated_at"))
            born, flag = self.cached(customers, "data_nascita"), self.cached(customers, "inarcassa")
            created, updated = customers.value("created_at", self.started), customers.value("updated_at", self.started)
            customers.execute(
                [
                    (
                        row.codice_fiscale,
                        row.cf_base,
                        row.nome,
                        row.cognome,
                        row.nome_norm,
                        row.cognome_norm,
                        row.cognome_fon,
                        row.sesso,
                        born(row.data_nascita),
                        row.luogo_nascita,
                        flag(row.inarcassa),
                        created,
                        updated,
                    )
                    for row in fresh
                ]
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
            targets += zip(self._new_ids(before, fresh), fresh, strict=True)
        if targets:
            contacts_insert = _BulkInsert(
                self.session, Contact.__table__, ("customer_id", "kind", "value", "source", "created_at")
            )
            source, at = contacts_insert.value("source", "registro"), contacts_insert.value("created_at", self.now)
            contacts_insert.execute(
                [
                    (customer_id, kind, value, source, at)
                    for customer_id, row in targets
                    for kind, value in row.contacts
                ]
            )
            _BulkInsert(self.session, Policy.__table__, ("customer_id", "numero", "prodotto", "stato")).execute(
                [(customer_id, *policy) for customer_id, row in targets for policy in row.policies]
            )
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
    workers: int | None = None,
    pool_after: int = POOL_AFTER,
    batch_size: int = BATCH,
    size_hint: int | None = None,
) -> ImportReport:
    """Import customers from CSV text lines, committing one chunk at a time.

    Memory stays flat whatever the file's length: records are read in batches,
    at most a few batches ahead of the writing, each chunk is written with a
    few bulk statements, and only the first MAX_KEPT_ERRORS bad rows are kept
    in the report (`on_error` sees them all).

    Checking the rows is the costly part: past the first `pool_after` records,
    `workers` processes (default: one per CPU, `default_workers`; 0 keeps
    everything in this process) check batches of `batch_size` records while
    this process writes. `size_hint`, the input's size in bytes (`import_file`
    gives it), refines the choice: a long file goes to the workers from its
    first batch, one with only a few records left past `pool_after` stays here.
    Rows are taken back in file order, so the report, the messages, their line
    numbers and the database are the same either way.
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
    rest, header_lines, fieldnames = _open_csv(lines)
    batches = _batches(rest, header_lines, batch_size)
    workers = default_workers() if workers is None else workers
    checker = _Checker(fieldnames, batches, workers, pool_after, size_hint)
    processors: dict = {}
    with closing(checker), _Writer(ctx.db) as writer:
        for chunk in _chunks(checker, report, chunk_size, rejected):
            if checker.big:
                writer.tune()
            with writer.transaction() as session:
                _Chunk(session, started, ctx.clock.now(), processors).apply(chunk, report)
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
            kwargs.setdefault("size_hint", os.fstat(handle.fileno()).st_size)
            return import_lines(ctx, handle, source=path.name, **kwargs)
    except UnicodeDecodeError as error:
        raise ImportFileError(f"il file non è in UTF-8 ({error.reason} al byte {error.start})") from None


def import_text(ctx: Context, text: str, **kwargs) -> ImportReport:  # noqa: ANN003
    return import_lines(ctx, io.StringIO(text), **kwargs)
