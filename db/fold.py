"""`folded(expr)`: a text column lower-cased and without accents in SQL, the same as `domain.folding.fold` in
Python. PostgreSQL: `translate(lower(x), FROM, TO)` (built in, no extension); SQLite: `mkt_fold(x)`, a
deterministic function registered on every connection by db/session.py."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from domain.folding import FOLD_FROM, FOLD_TO, sql_fold

SQLITE_FUNCTION = "mkt_fold"


class folded(FunctionElement[str]):  # noqa: N801 - reads as a SQL function
    """The folded text of one expression (NULL stays NULL)."""

    type = sa.String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _fold_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _fold_pg(element: folded, compiler: Any, **kw: Any) -> str:
    # constants of letters only (no quote can appear), written inline so an expression index can match
    return f"translate(lower({compiler.process(element.clauses, **kw)}), '{FOLD_FROM}', '{FOLD_TO}')"


def register_sqlite(dbapi_conn: Any) -> None:
    """Make mkt_fold() available on a SQLite connection."""
    dbapi_conn.create_function(SQLITE_FUNCTION, 1, sql_fold, deterministic=True)
