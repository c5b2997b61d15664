"""Reading CSV files people really have: encoding detection (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252 /
Latin-1) that refuses rather than guesses wrong, delimiter sniffing (, ; tab |), quoted fields with newlines,
streamed records with the line number where each starts. Binary files (zip, xlsx, pdf, images) get a clear no."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FIELD_LIMIT = 16 * 1024 * 1024  # one cell; a bigger one makes its line rejected (the rest goes on)
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))

DELIMITERS = (",", ";", "\t", "|")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_CHUNK = 1 << 20
_MAGIC = {
    b"PK\x03\x04": "a zip archive (an .xlsx or .numbers workbook is one): save it as CSV first",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file (.xls): save it as CSV first",
    b"%PDF": "a PDF document, not a CSV file",
    b"\x89PNG": "a PNG image, not a CSV file",
    b"\xff\xd8\xff": "a JPEG image, not a CSV file",
    b"GIF8": "a GIF image, not a CSV file",
    b"\x1f\x8b": "a gzip archive: unpack it first",
    b"7z\xbc\xaf": "a 7-zip archive: unpack it first",
    b"Rar!": "a RAR archive: unpack it first",
}


class ImportFileError(ValueError):
    """A file that cannot be read as CSV; the message says why and what to do."""


@dataclass(frozen=True)
class FileFormat:
    encoding: str  # a Python codec name
    delimiter: str
    label: str  # what a person calls it: "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252"


def detect_format(path: str | Path) -> FileFormat:
    """The encoding and delimiter of a CSV file, or ImportFileError saying why it cannot be read."""
    encoding, label = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        sample = handle.read(64 * 1024)
    return FileFormat(encoding, sniff_delimiter(sample), label)


def detect_encoding(path: str | Path) -> tuple[str, str]:
    """(codec, label): a BOM decides; else strict UTF-8 over the whole file; else Windows-1252 when the text
    reads as Western European. Anything else (binary, zip, other code pages) is an ImportFileError."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if not head.strip(b" \t\r\n\x00"):
        raise ImportFileError("the file is empty")
    if head.startswith(b"\xef\xbb\xbf"):
        return _checked(path, "utf-8-sig", "UTF-8 with BOM")
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return _checked(path, "utf-32", "UTF-32")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(path, "utf-16", "UTF-16")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise ImportFileError(f"this is {what}")
    if b"\x00" in head:
        return _checked(path, _utf16_without_bom(head), "UTF-16 (no BOM)")
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if controls > len(head) // 100:
        raise ImportFileError("this looks like a binary file, not CSV text")
    if _decodes(path, "utf-8"):
        return "utf-8", "UTF-8"
    if _mostly_utf8(path):
        raise ImportFileError(f"the file mixes encodings: it is mostly UTF-8, but line {_first_bad_utf8_line(path)} "
                              "is not (often two exports pasted together). Save it again as 'CSV UTF-8'")
    if _decodes(path, "cp1252") and _western(path):
        return "cp1252", "Windows-1252 / Latin-1"
    raise ImportFileError("cannot tell the file's encoding: it is not UTF-8, UTF-16 or Western European "
                          "(Windows-1252/Latin-1) text. Save it as 'CSV UTF-8' and try again")


def _utf16_without_bom(head: bytes) -> str:
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 6 and even < odd // 20:
        return "utf-16-le"
    if even > len(head) // 6 and odd < even // 20:
        return "utf-16-be"
    raise ImportFileError("this looks like a binary file, not CSV text (it contains NUL bytes)")


def _checked(path: str | Path, encoding: str, label: str) -> tuple[str, str]:
    if not _decodes(path, encoding):
        raise ImportFileError(f"the file starts like {label} but is not valid {label} further on; "
                              "save it again as 'CSV UTF-8'")
    return encoding, label


def _decodes(path: str | Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH = re.compile(rb"[\x80-\xff]")


def _mostly_utf8(path: str | Path) -> bool:
    """Most non-ASCII bytes form valid UTF-8 sequences: Windows-1252 text almost never does (it would read as
    'Ã©'), so reading it as Windows-1252 would garble those parts silently."""
    in_sequences = high = sequences = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            found = _UTF8_SEQUENCE.findall(chunk)
            sequences += len(found)
            in_sequences += sum(len(f) for f in found)
            high += len(_HIGH.findall(chunk))
    return sequences >= 2 and in_sequences * 2 >= high


def _first_bad_utf8_line(path: str | Path) -> int:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    line = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[:exc.start].count(b"\n")
            line += chunk.count(b"\n")
    return line


def _western(path: str | Path) -> bool:
    """Windows-1252 text where non-ASCII letters come one or two at a time inside words (é, ß, Ø), not in
    long runs as Cyrillic, Greek or East Asian text read with the wrong code page does."""
    runs = long_runs = 0
    with open(path, encoding="cp1252", newline="") as handle:
        while text := handle.read(_CHUNK):
            for match in _NON_ASCII.finditer(text):
                runs += 1
                long_runs += match.end() - match.start() >= 3
    return long_runs < 3 or long_runs * 10 < runs


def sniff_delimiter(sample: str) -> str:
    """The delimiter (, ; tab |) that splits the first records into the most consistent number of cells."""
    cut = max(sample.rfind("\n"), sample.rfind("\r"))  # the last line may be cut short; \r alone ends lines too
    sample = sample[:cut] if cut > 0 else sample
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        lines = io.StringIO(sample, newline="")  # as read_records reads: \r\n, \n or \r end a line
        counts = [len(r) for r, _ in zip(csv.reader(lines, delimiter=delimiter), range(50), strict=False)
                  if any(c.strip() for c in r)]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        score = (hits / len(counts), mode) if mode > 1 else (0.0, 1)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_records(path: str | Path, fmt: FileFormat) -> Iterator[tuple[int, list[str] | None, str | None, int]]:
    """(line where the record starts, cells or None, error or None, bytes read so far) for every record.
    A record that cannot be parsed (e.g. a cell over 16 MB) comes as (line, None, reason, ...) and the
    reading goes on at the next line. Blank records are skipped. NUL characters are dropped from cells (they mean
    nothing in contact data and PostgreSQL refuses them in text)."""
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=fmt.encoding, newline="", errors="strict")
        reader = csv.reader(text, delimiter=fmt.delimiter)
        previous = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield previous + 1, None, f"unreadable line: {exc}", raw.tell()
                previous = reader.line_num
                continue
            start, previous = previous + 1, reader.line_num
            if any("\x00" in c for c in cells):
                cells = [c.replace("\x00", "") for c in cells]
            if cells and "".join(cells).strip():
                yield start, cells, None, raw.tell()
