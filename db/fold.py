"""Accent- and case-insensitive matching in SQL, the same as `domain.folding.fold` in Python:
`fold_match(expr, value, "eq"|"contains"|"starts_with")` and `fold_in(expr, values)`.

- PostgreSQL: `lower(expr) ~ pattern`, the pattern built from the folded value with every letter as the class of
  its accented forms (montreal -> ^m[oòóôöõø...]ntr[eèéêë...][aàáâä...]l$), regex-escaped and bound as a
  parameter, after a cheap length test (folding keeps the length). Measured on 100k contacts: bench/RESULTS.md
  ## conversation (translate() with the whole mapping was 20-45x a lower() scan; an unaccent() expression index
  would keep index speed but cost imports ~2 s per 100k rows).
- SQLite: `mkt_fold(expr)`, a deterministic Python function registered on every connection by db/session.py."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from domain.folding import FOLD_FROM, FOLD_TO, fold_key, sql_fold

SQLITE_FUNCTION = "mkt_fold"
_VARIANTS: dict[str, str] = {}
for _src, _dst in zip(FOLD_FROM, FOLD_TO, strict=True):
    _VARIANTS[_dst] = _VARIANTS.get(_dst, "") + _src


class folded(FunctionElement[str]):  # noqa: N801 - reads as a SQL function
    """The folded text of one expression on SQLite (mkt_fold); on PostgreSQL only lower() (use fold_match)."""

    type = sa.String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _fold_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _fold_pg(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


class PerDialect(ColumnElement[bool]):
    """One condition written twice: for PostgreSQL and for everything else (SQLite)."""

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, postgresql: ColumnElement[bool], other: ColumnElement[bool]) -> None:
        self.postgresql = postgresql
        self.other = other


@compiles(PerDialect)
def _other(element: PerDialect, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.other, **kw)


@compiles(PerDialect, "postgresql")
def _pg(element: PerDialect, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.postgresql, **kw)


def key(value: Any) -> str:
    """A value as it is compared: folded, spaces collapsed (domain.folding.fold_key)."""
    return fold_key(value) or ""


def pattern(value: str) -> str:
    """The PostgreSQL regex body matching every accented spelling of the folded `value` (no anchors)."""
    out = []
    for ch in value:
        variants = _VARIANTS.get(ch)
        out.append(f"[{ch}{variants}]" if variants else re.escape(ch))
    return "".join(out)


def fold_match(expr: Any, value: Any, mode: str = "eq") -> ColumnElement[bool]:
    """`expr` equals / contains / starts with `value`, case and accents ignored (NULL never matches)."""
    k = key(value)
    body = pattern(k)
    regex = {"eq": f"^{body}$", "contains": body, "starts_with": f"^{body}"}[mode]
    # a cheap length test first (folding keeps the length): the costly match runs on few rows
    size = sa.func.length(expr) == len(k) if mode == "eq" else sa.func.length(expr) >= len(k)
    pg = sa.func.lower(expr).regexp_match(regex)
    sq = folded(expr)
    other = {"eq": lambda: sq == k, "contains": lambda: sq.contains(k, autoescape=True),
             "starts_with": lambda: sq.startswith(k, autoescape=True)}[mode]()
    return sa.and_(size, PerDialect(pg, other))


def fold_in(expr: Any, values: list[Any]) -> ColumnElement[bool]:
    """`expr` equals one of `values`, case and accents ignored."""
    keys = list(dict.fromkeys(key(v) for v in values))
    pg = sa.func.lower(expr).regexp_match("^(?:" + "|".join(pattern(k) for k in keys) + ")$")
    size = sa.func.length(expr).in_(sorted({len(k) for k in keys}))
    return sa.and_(size, PerDialect(pg, folded(expr).in_(keys)))


def register_sqlite(dbapi_conn: Any) -> None:
    """Make mkt_fold() available on a SQLite connection."""
    dbapi_conn.create_function(SQLITE_FUNCTION, 1, sql_fold, deterministic=True)
