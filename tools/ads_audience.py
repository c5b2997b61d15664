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


def _groupings() -> dict[str, tuple[dict[str, Any], ...]]:
    """Per dimension: (row key -> column) to group by."""
    return {
        "regions": ({"region": Contact.region},),
        "cities": ({"city": Contact.city, "region": Contact.region},),
        "countries": ({"country": Contact.country},),
        "job_titles": ({"job_title": Contact.job_title},),
        "companies": ({"company": Contact.company},),
        "industries": ({"industry": _attribute(INDUSTRY_KEYS)},),
        "company_sizes": ({"size": _attribute(SIZE_KEYS)},),
    }


def _as_row(name: str, values: dict[str, Any]) -> dict[str, Any]:
    if name == "industries":
        return {"attributes": {"industry": values["industry"]}}
    if name == "company_sizes":
        return {"attributes": {"company_size": values["size"]}}
    return values


def _tags(session: Session, condition: sa.ColumnElement[bool]) -> sa.Result[Any]:
    """(tag, contacts) for the segment; JSON arrays are unnested per dialect."""
    if session.get_bind().dialect.name == "postgresql":
        each = sa.func.jsonb_array_elements_text(Contact.tags).table_valued("value")
        is_array = sa.func.jsonb_typeof(Contact.tags) == "array"
    else:
        each = sa.func.json_each(Contact.tags).table_valued("value")
        is_array = sa.func.json_type(Contact.tags) == "array"
    tag = sa.func.lower(sa.func.trim(sa.cast(each.c.value, sa.String)))
    stmt = (sa.select(tag, sa.func.count(sa.distinct(Contact.id))).select_from(Contact).join(each, sa.true())
            .where(condition, is_array).group_by(tag))
    return session.execute(stmt)


def segment_profile(session: Session, filter: Any) -> tuple[SegmentProfile, dict[str, Any] | None]:
    """Aggregates of the contacts matching the filter (domain.filters language; FilterError names a bad field or
    operator), and the filter's JSON form."""
    parsed = parse_filter(filter)
    condition = compile_filter(parsed, default_region=get_settings().default_region)
    builder = ProfileBuilder()
    builder.total = int(session.scalar(sa.select(sa.func.count()).select_from(Contact).where(condition)) or 0)
    if builder.total:
        for name, (columns,) in _groupings().items():
            inner = sa.select(*(col.label(key) for key, col in columns.items())).where(condition).subquery()
            stmt = sa.select(*inner.c, sa.func.count().label("n")).group_by(*inner.c)
            for row in session.execute(stmt):
                values = dict(row._mapping)
                builder.add_grouped(name, _as_row(name, values), int(values.pop("n")))
        for tag, contacts in _tags(session, condition):
            builder.add_tag(tag, int(contacts))
    return builder.profile(), to_data(parsed)
