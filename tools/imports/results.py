"""What an import gives back: the preview of a file, its result, its progress, its row-level problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.imports.batch import Counts


@dataclass(frozen=True)
class CsvPreview:
    encoding: str  # what a person calls it: "UTF-8", "UTF-16", "Windows-1252 / Latin-1"
    delimiter: str
    headers: list[str]
    mapping: dict[str, str]  # column -> field ("email", ..., "ignore", "attributes.<key>")
    sample_rows: list[dict[str, str]]
    warnings: list[str]
    size_bytes: int = 0


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str
    value: str | None
    rejected: bool  # False: the row was imported (or was a duplicate) and this one cell was dropped


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    errors: list[RowError]  # the first ones; the whole report: export_import_errors
    status: str = "done"  # done, failed
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    opted_out: int = 0  # rows opted out by a consent or opt-out column (suppressed, reported when unclear)
    probable_duplicates: int = 0  # new contacts with the phone of another contact and another email (reported)


@dataclass(frozen=True)
class ImportProgress:
    import_id: int
    rows: int
    bytes_read: int
    bytes_total: int
    counts: Counts

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else 1.0

    def __str__(self) -> str:
        return f"{self.rows:,}"


class ImportRequestError(ValueError):
    """An import that cannot start (bad policy, rows that are not objects, unknown import)."""
