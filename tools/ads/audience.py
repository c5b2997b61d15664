"""The audience of an ad draft: counts of what the contacts matching a filter have in common, computed by the
database (GROUP BY per dimension, so a 100k-contact segment never travels to Python row by row) and normalised by
domain.ads_segment exactly as row-by-row counting would."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.filters import compile_filter
from db.models import Contact
from domain.ads_segment import INDUSTRY_KEYS, SIZE_KEYS, ProfileBuilder, SegmentProfile
from domain.filters import parse as parse_filter
from domain.filters import to_data
from settings import get_settings


def _attribute(keys: tuple[str, ...]) -> sa.ColumnElement[Any]:
    """The first non-empty of these attribute keys, as text."""
    return sa.func.coalesce(*(sa.func.nullif(Contact.attributes[k].as_string(), "") for k in keys))


# Per dimension: the segment's columns to group by, as keys of the row that domain.ads_segment normalises.
GROUPINGS: dict[str, tuple[str, ...]] = {
    "regions": ("region",), "cities": ("city", "region"), "countries": ("country",), "job_titles": ("job_title",),
    "companies": ("company",), "industries": ("industry",), "company_sizes": ("size",),
}


def _segment(condition: sa.ColumnElement[bool]) -> sa.CTE:
    """The matching contacts' columns, computed once (MATERIALIZED: SQLite >= 3.35, PostgreSQL >= 12)."""
    stmt = sa.select(Contact.id, Contact.region, Contact.city, Contact.country, Contact.job_title, Contact.company,
                     _attribute(INDUSTRY_KEYS).label("industry"), _attribute(SIZE_KEYS).label("size"),
                     Contact.tags).where(condition)
    return stmt.cte("segment").prefix_with("MATERIALIZED")


def _as_row(name: str, values: dict[str, Any]) -> dict[str, Any]:
    if name == "industries":
        return {"attributes": {"industry": values["a"]}}
    if name == "company_sizes":
        return {"attributes": {"company_size": values["a"]}}
    return dict(zip(GROUPINGS[name], (values["a"], values["b"]), strict=False))


def _text(column: Any) -> Any:
    return sa.cast(column, sa.String)


def _grouped(seg: sa.CTE, name: str) -> sa.Select[Any]:
    cols = [seg.c[key] for key in GROUPINGS[name]]
    second = _text(cols[1]) if len(cols) > 1 else sa.null()
    return (sa.select(sa.literal_column(f"'{name}'").label("dim"), _text(cols[0]).label("a"), second.label("b"),
                      sa.func.count().label("n")).group_by(*cols))


def _tags(session: Session, seg: sa.CTE) -> sa.Select[Any]:
    """(tag, contacts) of the segment; JSON arrays are unnested per dialect."""
    if session.get_bind().dialect.name == "postgresql":
        each = sa.func.jsonb_array_elements_text(seg.c.tags).table_valued("value")
        is_array = sa.func.jsonb_typeof(seg.c.tags) == "array"
    else:
        each = sa.func.json_each(seg.c.tags).table_valued("value")
        is_array = sa.func.json_type(seg.c.tags) == "array"
    tag = sa.func.lower(sa.func.trim(_text(each.c.value)))
    return (sa.select(sa.literal_column("'tags'").label("dim"), tag.label("a"), sa.null().label("b"),
                      sa.func.count(sa.distinct(seg.c.id)).label("n"))
            .select_from(seg).join(each, sa.true()).where(is_array).group_by(tag))


def segment_profile(session: Session, filter: Any) -> tuple[SegmentProfile, dict[str, Any] | None]:
    """Aggregates of the contacts matching the filter (domain.filters language; FilterError names a bad field or
    operator), and the filter's JSON form. One statement: the segment is read once, then grouped per dimension."""
    parsed = parse_filter(filter)
    condition = compile_filter(parsed, default_region=get_settings().default_region)
    builder = ProfileBuilder()
    seg = _segment(condition)
    total = sa.select(sa.literal_column("'total'").label("dim"), sa.null().label("a"), sa.null().label("b"),
                      sa.func.count().label("n")).select_from(seg)
    parts = [total, *(_grouped(seg, name) for name in GROUPINGS), _tags(session, seg)]
    for row in session.execute(sa.union_all(*parts)):
        values = row._mapping
        if values["dim"] == "total":
            builder.total = int(values["n"])
        elif values["dim"] == "tags":
            builder.add_tag(values["a"], int(values["n"]))
        else:
            builder.add_grouped(values["dim"], _as_row(values["dim"], dict(values)), int(values["n"]))
    return builder.profile(), to_data(parsed)
