"""Reading a customer CSV in batches (`importer._batches`) gives the records `csv.DictReader` gives.

The importer hands lines without a quote character to the worker processes as
they are (`import_rows.Lines`: each is a whole record, read by the csv module
there) and reads the others itself. Whatever the text and the batch size, the
records, their line numbers, the reasons for the unreadable ones and the point
where a failing input stops must be those of one `csv.DictReader` reading the
whole file, as the import did before.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from areaclienti_tui.services import importer
from areaclienti_tui.services.import_rows import Lines, csv_reason, read_records

HEADER = ",".join(importer.COLUMNS) + "\n"


def one_reader(lines: Iterator[str]) -> Iterator[tuple]:
    """The records as one csv.DictReader over the whole input gives them (blank lines skipped)."""
    reader = csv.DictReader(lines)
    assert reader.fieldnames
    inner = reader.reader
    while True:
        try:
            fields = next(inner)
            while fields == []:
                fields = next(inner)
        except StopIteration:
            return
        except csv.Error as error:
            yield inner.line_num, csv_reason(error)
        else:
            yield inner.line_num, fields


def in_batches(lines: Iterator[str], size: int, kinds: list[str] | None = None) -> Iterator[tuple]:
    """The records as the importer's batches give them; `kinds` gets what kind each batch was."""
    rest, before, _ = importer._open_csv(lines)
    for batch in importer._batches(rest, before, size):
        if isinstance(batch, Lines):
            assert '"' not in "".join(batch.lines)
            if kinds is not None:
                kinds.append("righe")
            yield from read_records(csv.reader(batch.lines), batch.before)
        else:
            if kinds is not None:
                kinds.append("record")
            yield from batch


def failing_after(text: str, count: int) -> Iterator[str]:
    """The lines of `text`, then an error in place of line `count` + 1 (a file that stops being UTF-8)."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if number > count:
            raise UnicodeDecodeError("utf-8", b"\xec", 0, 1, "invalid continuation byte")
        yield line


def outcome(records: Iterator[tuple]) -> tuple[list[tuple], str | None]:
    """The records handed on before the input failed, and its error (None: it did not fail)."""
    got: list[tuple] = []
    try:
        for record in records:
            got.append(record)
    except UnicodeDecodeError as error:
        return got, error.reason
    return got, None


TRICKY = HEADER + "".join([
    "a,b,c\n",
    "\n",
    '"quoted, with comma",x,"two\nlines",y\n',
    "plain,again\r\n",
    "\r\n",
    '"open quote running\n\nover blank lines",z\n',
    "nul\x00here,x\n",
    "x" * (csv.field_size_limit() + 5) + ",big\n",
    'un"quoted,quote\n',
    "last,line,without,newline",
])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_tricky_lines_read_alike_in_batches_of_any_size(size: int) -> None:
    kinds: list[str] = []
    got = list(in_batches(io.StringIO(TRICKY, newline=""), size, kinds))
    assert got == list(one_reader(io.StringIO(TRICKY, newline="")))
    assert [line for line, _ in got] == [2, 5, 6, 10, 11, 12, 13, 14]
    assert any(isinstance(fields, str) and "lunghezza massima" in fields for _, fields in got)
    if size == 1:  # the lines without a quote go as lines, the others as records
        assert "righe" in kinds and "record" in kinds


def test_a_text_without_quotes_goes_as_lines_only() -> None:
    text = HEADER + "".join(f"r{i},x\n" for i in range(10))
    kinds: list[str] = []
    got = list(in_batches(io.StringIO(text, newline=""), 4, kinds))
    assert kinds == ["righe"] * 3
    assert got == list(one_reader(io.StringIO(text, newline="")))


def test_a_quoted_record_across_the_batch_border_is_read_whole() -> None:
    text = HEADER + 'a,b\n"c\nd\ne",f\ng,h\n'
    kinds: list[str] = []
    got = list(in_batches(io.StringIO(text, newline=""), 2, kinds))
    assert got == [(2, ["a", "b"]), (5, ["c\nd\ne", "f"]), (6, ["g", "h"])]
    assert kinds == ["record", "righe"]


@pytest.mark.parametrize("size", [1, 2, 3, 7])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 6, 9, 12])
def test_a_failing_input_stops_at_the_same_record(size: int, count: int) -> None:
    """Records read before the failure are handed on, then the error: as the one reader did."""
    text = HEADER + 'a,b\n"c\nd",e\nf,g\n\nh,i\n"j",k\nl,m\n"n\no\np",q\nr,s\n'
    expected = outcome(one_reader(failing_after(text, count)))
    got = outcome(in_batches(failing_after(text, count), size))
    assert got == expected
    assert got[1] is not None


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(st.sampled_from(["a", "b", ",", '"', "\n", "\r\n", "\r", " ", "\x00", "è"]), max_size=80),
    size=st.integers(min_value=1, max_value=6),
)
def test_any_text_reads_alike_in_batches(body: list[str], size: int) -> None:
    text = HEADER + "".join(body)
    expected = list(one_reader(io.StringIO(text, newline="")))
    assert list(in_batches(io.StringIO(text, newline=""), size)) == expected
    # A text read without newline="" (import_text: a lone \r stays inside a line) too.
    assert list(in_batches(io.StringIO(text), size)) == list(one_reader(io.StringIO(text)))
