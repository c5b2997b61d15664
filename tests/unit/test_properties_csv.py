"""The CSV reader and import normalisation, property-based (hypothesis). No database: files in a temporary folder.

- any bytes: the format is detected or refused with a clear ImportFileError, and reading never fails otherwise;
- a detected encoding is never a wrong guess: the text reads back exactly as it was written;
- csv.writer output reads back cell for cell, with the line where each record starts (quoted newlines included,
  \\r\\n, \\n or old-Mac \\r line ends), and its delimiter is sniffed;
- header mapping keeps one column per header, in order; a row becomes a normalised contact or a rejection."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.import_consent import TARGETS as CONSENT_TARGETS
from domain.imports import LIMITS, TARGETS, build_plan, normalise_records, normalise_row, propose_mapping
from tools.imports.csv_files import DELIMITERS, FileFormat, ImportFileError, detect_format, read_records

FAST = settings(max_examples=120, deadline=None)
ENCODINGS = {"utf-8": ("UTF-8", b""), "utf-8-sig": ("UTF-8 with BOM", b""), "utf-16": ("UTF-16", b""),
             "cp1252": ("Windows-1252 / Latin-1", b"")}
REAL = ["jane@acme.com", "JANE@ACME.COM", " bob@example.org ", "not-an-email", "+1 512 555 0100", "(512) 555-0101",
        "0044 20 7183 8750", "555", "Zoë Müller", "O'Brien, Ana", "Austin", "Texas", "US", "Deutschland", "vip; lead",
        "=HYPERLINK(\"http://x\")", "'=1+1", "<script>alert(1)</script>", "Ignore previous instructions", "", " ",
        "https://acme.com/x", "America/Chicago", "x" * 400]
CELL = st.one_of(st.sampled_from(REAL), st.text(st.sampled_from("ab Z1@.,;\t|\"'\r\n-+éß€中😀\x00\x0b\u2028"), max_size=12),
                 st.text(max_size=20))
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=8)


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="prop-", suffix=".csv", delete=False)
    with handle:
        handle.write(data)
    return Path(handle.name)


def _writer_text(rows, delimiter, quoting, terminator):
    """csv.writer output, and the offset where each row starts."""
    out, starts = io.StringIO(), []
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    for row in rows:
        starts.append(out.tell())
        writer.writerow(row)
    return out.getvalue(), starts


def _line_at(text, offset):
    return 1 + len(re.findall(r"\r\n|\r|\n", text[:offset]))


@st.composite
def messy_bytes(draw):
    """Text tables in several encodings and delimiters, well or badly quoted, then perhaps cut or corrupted."""
    rows = draw(ROWS)
    delimiter = draw(st.sampled_from(DELIMITERS))
    terminator = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    if draw(st.booleans()):
        text, _ = _writer_text(rows, delimiter, draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])), terminator)
    else:  # joined without any quoting: stray quotes, embedded delimiters and newlines as they come
        text = terminator.join(delimiter.join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1",
                                     "utf-32"]))
    data = text.encode(encoding, errors="replace") if encoding != "latin-1" else text.encode(encoding, "replace")
    if draw(st.booleans()):
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:cut]
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


MAGIC = [b"PK\x03\x04rest", b"%PDF-1.7\n", b"\x89PNG\r\n", b"\x1f\x8b\x08", b"\xff\xfe\x00\x00", b"\xef\xbb\xbf",
         b"\xff\xfe", b"\xfe\xff", b"\x00", b"   \r\n\t"]


@FAST
@given(st.one_of(st.binary(max_size=300), messy_bytes(), st.builds(lambda m, b: m + b, st.sampled_from(MAGIC),
                                                                    st.binary(max_size=50))))
@example(b"Email,Name\rjane@x.com,Jane\rbob@x.com,Bob\r")  # old-Mac line ends (\r only)
@example(b"Email;Name\rjane@x.com;Jane\n")
@example(b"")
@example(b"\xef\xbb\xbf")
def test_any_bytes_are_read_or_refused_with_a_clear_reason(data):
    path = _write(data)
    try:
        try:
            fmt = detect_format(path)
        except ImportFileError as exc:
            assert len(str(exc)) > 10
            return
        assert fmt.delimiter in DELIMITERS
        previous, read_so_far = 0, 0
        for line, cells, error, done in read_records(path, fmt):
            assert line > previous
            assert (cells is None) != (error is None)
            assert cells is None or all(isinstance(c, str) for c in cells)
            assert read_so_far <= done <= len(data)
            previous, read_so_far = line, done
    finally:
        path.unlink()


@FAST
@given(ROWS, st.sampled_from(DELIMITERS), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le"]),
       st.sampled_from([(csv.QUOTE_MINIMAL, "\r\n"), (csv.QUOTE_ALL, "\r\n"), (csv.QUOTE_ALL, "\n"),
                        (csv.QUOTE_ALL, "\r")]))
@example([["Email", "Note"], ["a@x.com", "one\ntwo\r\nthree\rfour"], ["b@x.com", ""]], ",", "utf-8",
         (csv.QUOTE_ALL, "\r"))
def test_written_records_read_back_cell_for_cell_with_their_starting_line(rows, delimiter, encoding, style):
    quoting, terminator = style
    text, starts = _writer_text(rows, delimiter, quoting, terminator)
    path = _write(text.encode(encoding))
    try:
        got = [(line, cells) for line, cells, error, _ in read_records(path, FileFormat(encoding, delimiter, "x"))]
    finally:
        path.unlink()
    kept = [[c.replace("\x00", "") for c in row] for row in rows]  # NUL characters are dropped
    expected = [(_line_at(text, start), row) for row, start in zip(kept, starts, strict=True)
                if "".join(row).strip()]
    assert got == expected


PLAIN = st.text(st.sampled_from("abcxyz ABC019@.-_'"), min_size=1, max_size=10)
WESTERN = st.text(st.sampled_from("abcxyz ABC019@.-_'éüßøñÉÜ"), min_size=1, max_size=10)


@st.composite
def clean_table(draw):
    """A rectangular table whose cells hold no delimiter, quote or line break, with a non-blank header."""
    encoding = draw(st.sampled_from(list(ENCODINGS)))
    alphabet = WESTERN if encoding != "utf-8" or draw(st.booleans()) else PLAIN
    width = draw(st.integers(min_value=2, max_value=5))
    header = draw(st.lists(alphabet.filter(str.strip), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(alphabet, min_size=width, max_size=width), min_size=1, max_size=6))
    return header, rows, encoding


@FAST
@given(clean_table(), st.sampled_from(DELIMITERS), st.sampled_from(["\r\n", "\n", "\r"]))
@example((["Email", "Name"], [["jane@x.com", "Jane"], ["bob@x.com", "Bob"]], "utf-8"), ",", "\r")  # old Mac
@example((["Email", "Name"], [["zoë@x.com", "Zoë"]], "cp1252"), ";", "\r\n")
def test_a_clean_table_is_detected_exactly_or_refused_never_misread(table, delimiter, terminator):
    header, rows, encoding = table
    text, _ = _writer_text([header, *rows], delimiter, csv.QUOTE_MINIMAL, terminator)
    path = _write(text.encode(encoding))
    label = ENCODINGS[encoding][0]
    try:
        try:
            fmt = detect_format(path)
        except ImportFileError as exc:
            # Refusing is allowed only for Windows-1252 text that does not read as Western European words.
            assert encoding == "cp1252" and "cannot tell" in str(exc), str(exc)
            return
        plain_text = all(ord(c) < 128 for c in text)
        assert fmt.label == label or (plain_text and encoding == "cp1252" and fmt.label == "UTF-8")
        assert fmt.delimiter == delimiter
        got = [cells for _, cells, _, _ in read_records(path, fmt)]
    finally:
        path.unlink()
    assert got == [r for r in [header, *rows] if "".join(r).strip()]


HEADER = st.one_of(st.sampled_from(["Email", "email", "E-mail", "Phone", "Mobile", "Name", "First Name", "Country",
                                    "Tags", "Website", "Time Zone", "Zip", "Email (3)", "Phone (4)", "", " "]),
                   st.text(max_size=12))


@FAST
@given(st.lists(HEADER, max_size=10))
@example(["City (3)", "City", "City", "Email"])  # a renamed duplicate must not take an earlier header's place
@example(["Email", "Email", "Email (2)"])
@example(["NAOLIGAR", "Email"])  # "não ligar" (do not call): an opt-out column, found by Hypothesis
@example(["DADODEBAJA"])  # "dado de baja" (unsubscribed): optout.all, found by Hypothesis
def test_every_header_keeps_its_own_column_in_file_order(headers):
    mapping = propose_mapping(headers)
    assert len(mapping.columns) == len(headers)
    for (name, target), header in zip(mapping.columns.items(), headers, strict=True):
        assert name == header or name.startswith(f"{header} (")
        assert target in TARGETS or target in CONSENT_TARGETS or target.startswith("attributes.")
    plan = build_plan(mapping)
    assert sorted(index for index, _, _ in plan) == list(range(len(headers)))


@FAST
@given(st.lists(HEADER, min_size=1, max_size=8), st.lists(st.lists(CELL, max_size=10), max_size=6),
       st.sampled_from(["US", "GB", "DE"]))
@example(["Email", "Phone"], [["  JANE@Acme.com ", "+1 512 555 0100"]], "US")
@example(["Phone", "Country"], [["020 7183 8750", "United Kingdom"]], "US")
@example(["Name", "Email"], [["Jane", "'=cmd"]], "US")
@example(["Email", "Website"], [["jane@acme.com", "http://[oops"], ["bob@acme.com", "acme.com\uff0fx@y"]], "US")
def test_a_row_becomes_a_normalised_contact_or_a_rejection_with_its_reason(headers, rows, region):
    mapping = propose_mapping(headers)
    plan = build_plan(mapping)
    records = [(i + 2, row, None) for i, row in enumerate(rows)] + [(99, None, "unreadable line: boom")]
    outcomes = normalise_records(records, plan, region, len(mapping.columns))
    assert [line for line, _ in outcomes] == [line for line, _, _ in records]
    for (_, cells, error), (_, outcome) in zip(records, outcomes, strict=True):
        if error:
            assert outcome.rejected == error and outcome.contact == {}
            continue
        if outcome.rejected:
            assert outcome.contact == {} and outcome.rejected.startswith("no usable address")
            continue
        contact = outcome.contact
        assert contact.get("email") or contact.get("phone")
        if contact.get("email"):
            assert contact["email"] == contact["email"].strip().lower() and "@" in contact["email"]
        if contact.get("phone"):
            assert re.fullmatch(r"\+[1-9]\d{6,14}", contact["phone"]), contact["phone"]
        for name, value in contact.items():
            if name in LIMITS and isinstance(value, str):
                assert value and len(value) <= LIMITS[name], (name, value)
                assert value == value.strip() or name.startswith("attributes"), (name, value)
        assert len(contact.get("tags", [])) <= 50 and all(0 < len(t) <= 64 for t in contact.get("tags", []))
        assert all(len(v) <= 2000 for v in contact.get("attributes", {}).values())
        assert normalise_row(cells, plan, region) == outcome or len(cells) != len(mapping.columns)
