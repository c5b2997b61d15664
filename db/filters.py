"""Compile a parsed contact filter (domain.filters) to a SQLAlchemy condition on Contact.

Every (field, op) maps to a fixed expression; values are bound parameters, never SQL text. Each leaf is
two-valued (true or false, never NULL), so `not` means exactly "the rest". Tags are a JSON list: JSONB
containment (`@>`) on PostgreSQL, `json_each` on SQLite, chosen when the statement is compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from db.fold import PerDialect, fold_in, fold_match, key
from db.models import CalendarBooking, Campaign, Contact, ConversationMessage, MarketingActivity, utcnow
from domain.contacts import normalise_email, normalise_phone
from domain.filters import All, AnyOf, Condition, Filter, Not, digits
from domain.folding import FOLDED_FIELDS as FOLDED
from domain.folding import fold

# Statuses meaning a message really went out (an attempt reached the provider).
CONTACTED_STATUSES = ("sending", "sent", "delivered", "opened", "clicked", "bounced", "complained", "unknown")
_LOWER_EXACT = {"enrichment_status", "source", "email_status"}
# accent-insensitive: FOLDED columns compare their stored folded copy (indexed); these match on the fly (db/fold.py)
_FOLD_ON_THE_FLY = {"first_name", "last_name", "job_title"}
_RANGE_OPS = ("before", "after", "since", "within_days", "older_than_days")  # a time test on one activity
_BY_CHANNEL = {"texted": "sms", "emailed": "email"}  # "contacted" on one channel


def compile_filter(parsed: Filter | None, *, now: datetime | None = None,
                   default_region: str | None = None) -> ColumnElement[bool]:
    """The SQL condition for `parsed` (None: every contact). `now` fixes "within N days" (default: now)."""
    if parsed is None:
        return sa.true()
    ctx = _Ctx(now or utcnow(), default_region)
    return ctx.node(parsed)


class _Ctx:
    def __init__(self, now: datetime, default_region: str | None) -> None:
        self.now = now
        if default_region is None:
            from settings import get_settings

            default_region = get_settings().default_region
        self.region = default_region

    def node(self, node: Filter) -> ColumnElement[bool]:
        if isinstance(node, All):
            return sa.and_(*self._all(node.items))
        if isinstance(node, AnyOf):
            return sa.or_(*(self.node(i) for i in node.items))
        if isinstance(node, Not):
            return sa.not_(self.node(node.item))
        return self.condition(node)

    def _all(self, items: tuple[Filter, ...]) -> list[ColumnElement[bool]]:
        """The items of an `all`. Date tests on one activity side by side ("replied after Monday" and "replied
        before Sunday") are ONE event in that range, a single EXISTS: someone who replied three weeks ago and
        again today did not reply last week."""
        ranged: dict[str, list[Condition]] = {}
        out = []
        for item in items:
            if isinstance(item, Condition) and item.kind == "event" and item.op in _RANGE_OPS:
                ranged.setdefault(item.field, []).append(item)
            else:
                out.append(self.node(item))
        for field, conds in ranged.items():
            when, base = self._activity(field, conds[0].op)
            out.append(sa.exists(sa.select(1).where(*base, *(self._when(when, c) for c in conds))))
        return out

    def condition(self, c: Condition) -> ColumnElement[bool]:
        kind = c.kind
        handler: Callable[[Condition], ColumnElement[bool]] = getattr(self, f"_{kind}")
        return handler(c)

    # --- plain columns ------------------------------------------------------------------------------
    def _id(self, c: Condition) -> ColumnElement[bool]:
        ops = {"eq": lambda: Contact.id == c.value, "neq": lambda: Contact.id != c.value,
               "in": lambda: Contact.id.in_(c.value), "not_in": lambda: Contact.id.not_in(c.value)}
        return ops[c.op]()

    def _bool(self, c: Condition) -> ColumnElement[bool]:
        column = getattr(Contact, c.field)
        return column.is_(True) if c.value else sa.or_(column.is_(False), column.is_(None))

    def _text(self, c: Condition) -> ColumnElement[bool]:
        if c.field.startswith("attributes."):
            column: Any = Contact.attributes[c.field.split(".", 1)[1]].as_string()
        else:
            column = getattr(Contact, c.field)
        if c.op == "present":
            return sa.and_(column.is_not(None), column != "")
        if c.op == "missing":
            return sa.or_(column.is_(None), column == "")
        if c.op in ("neq", "not_in"):
            positive = Condition(c.field, "eq" if c.op == "neq" else "in", c.value)
            return sa.or_(column.is_(None), sa.not_(self._text(positive)))
        if c.field in FOLDED:  # people type these without accents: "Montreal" finds "Montréal"
            return self._folded(getattr(Contact, FOLDED[c.field]), c)
        if c.field in _FOLD_ON_THE_FLY:
            cond = fold_in(column, list(c.value)) if c.op == "in" else fold_match(column, c.value, c.op)
            return sa.and_(column.is_not(None), cond)
        subject, convert = self._subject(c.field, column)
        if c.op == "eq":
            cond = subject == convert(c.value)
        elif c.op == "in":
            cond = subject.in_([convert(v) for v in c.value])
        elif c.op == "contains":
            cond = subject.contains(c.value.lower() if convert is not _upper else c.value.upper(), autoescape=True)
        else:  # starts_with
            cond = subject.startswith(c.value.lower() if convert is not _upper else c.value.upper(), autoescape=True)
        return sa.and_(column.is_not(None), cond)

    def _folded(self, stored: Any, c: Condition) -> ColumnElement[bool]:
        """eq / in / contains / starts_with on a stored folded column (NULL when the column is)."""
        if c.op == "in":
            cond = stored.in_(list(dict.fromkeys(key(v) for v in c.value)))
        elif c.op == "eq":
            cond = stored == key(c.value)
        elif c.op == "contains":
            cond = stored.contains(key(c.value), autoescape=True)
        else:  # starts_with
            cond = stored.startswith(key(c.value), autoescape=True)
        return sa.and_(stored.is_not(None), cond)

    def _subject(self, field: str, column: Any) -> tuple[Any, Callable[[Any], Any]]:
        """The expression to compare and how to convert a value so that it compares as a person means it."""
        if field == "email":
            return column, lambda v: normalise_email(v).value or str(v).strip().lower()
        if field == "phone":
            return column, lambda v: normalise_phone(str(v), self.region).value or str(v).strip()
        if field == "country":
            return column, _upper
        if field in _LOWER_EXACT:
            return column, lambda v: str(v).strip().lower()
        return sa.func.lower(column), lambda v: str(v).strip().lower()

    def _name(self, c: Condition) -> ColumnElement[bool]:
        first, last = Contact.first_name, Contact.last_name
        if c.op == "present":
            return sa.or_(sa.and_(first.is_not(None), first != ""), sa.and_(last.is_not(None), last != ""))
        if c.op == "missing":
            return sa.not_(self._name(Condition("name", "present")))
        value = c.value
        whole = sa.func.trim(sa.func.coalesce(first, "") + " " + sa.func.coalesce(last, ""))
        parts = (sa.func.coalesce(first, ""), sa.func.coalesce(last, ""))
        if c.op == "eq":
            return sa.or_(fold_match(whole, value), *(fold_match(p, value) for p in parts))
        if c.op == "contains":
            return fold_match(whole, value, "contains")
        return sa.or_(*(fold_match(p, value, "starts_with") for p in parts), fold_match(whole, value, "starts_with"))

    def _date(self, c: Condition) -> ColumnElement[bool]:
        column = getattr(Contact, c.field)
        if c.op == "present":
            return column.is_not(None)
        if c.op == "missing":
            return column.is_(None)
        return sa.and_(column.is_not(None), self._when(column, c))

    def _when(self, column: Any, c: Condition) -> ColumnElement[bool]:
        if c.op == "before":
            return column < c.value
        if c.op == "after":
            return column >= c.value
        if c.op == "within_days":
            return column >= self.now - timedelta(days=c.value)
        return column < self.now - timedelta(days=c.value)  # older_than_days

    # --- tags ---------------------------------------------------------------------------------------
    def _tags(self, c: Condition) -> ColumnElement[bool]:
        if c.op in ("present", "missing"):
            pg = sa.func.jsonb_array_length(sa.type_coerce(Contact.tags, JSONB)) > 0
            other = sa.func.json_array_length(Contact.tags) > 0
            present = sa.and_(Contact.tags.is_not(None), PerDialect(pg, other))
            return present if c.op == "present" else sa.not_(present)
        values = [c.value] if c.op == "has" else list(c.value)
        conds = [_tag(str(v)) for v in values]
        return sa.and_(*conds) if c.op in ("has", "has_all") else sa.or_(*conds)

    # --- opt-outs -----------------------------------------------------------------------------------
    def _channel(self, c: Condition) -> ColumnElement[bool]:
        values = c.value if c.op == "in" else (c.value,)
        conds = []
        for value in values:
            sms, email = Contact.opted_out_sms.is_(True), Contact.opted_out_email.is_(True)
            conds.append({"sms": sms, "email": email, "any": sa.or_(sms, email), "all": sa.and_(sms, email)}[value])
        return sa.or_(*conds)

    # --- activity in other tables -------------------------------------------------------------------
    def _campaign(self, c: Condition) -> ColumnElement[bool]:
        values = c.value if c.op == "in" else (c.value,)
        ids = [v for v in values if isinstance(v, int) or digits(str(v))]
        names = [str(v).lower() for v in values if not (isinstance(v, int) or digits(str(v)))]
        match = []
        if ids:
            match.append(MarketingActivity.campaign_id.in_([int(i) for i in ids]))
        for name in names:  # the exact name (case-insensitive), else the one campaign whose name contains it
            exact = sa.select(Campaign.id).where(sa.func.lower(Campaign.name) == name)
            part = sa.select(Campaign.id).where(sa.func.lower(Campaign.name).contains(name, autoescape=True))
            only_one = sa.select(sa.func.count()).select_from(part.subquery()).scalar_subquery() == 1
            match.append(sa.or_(MarketingActivity.campaign_id.in_(exact),
                                sa.and_(~sa.exists(exact), only_one, MarketingActivity.campaign_id.in_(part))))
        return sa.exists(sa.select(1).where(MarketingActivity.contact_id == Contact.id,
                                            MarketingActivity.status.in_(CONTACTED_STATUSES), sa.or_(*match)))

    def _activity(self, field: str, op: str) -> tuple[Any, list[ColumnElement[bool]]]:
        """The time column of an activity and what makes a row one of this contact's (replied, booked, contacted,
        texted, emailed)."""
        if field == "replied":
            return ConversationMessage.occurred_at, [ConversationMessage.contact_id == Contact.id,
                                                     ConversationMessage.direction == "inbound"]
        if field == "booked":
            return CalendarBooking.created_at, [CalendarBooking.contact_id == Contact.id,
                                                CalendarBooking.status.not_in(("cancelled", "rejected"))]
        base = [MarketingActivity.contact_id == Contact.id]  # contacted, texted, emailed
        if field in _BY_CHANNEL:
            base.append(MarketingActivity.channel == _BY_CHANNEL[field])
        if op in ("present", "missing"):  # a date test implies sent_at is set; repeating it costs an index's use
            base.append(MarketingActivity.sent_at.is_not(None))
        return MarketingActivity.sent_at, base

    def _event(self, c: Condition) -> ColumnElement[bool]:
        when, base = self._activity(c.field, c.op)
        if c.op == "missing":
            return sa.not_(sa.exists(sa.select(1).where(*base)))
        if c.op == "present":
            return sa.exists(sa.select(1).where(*base))
        return sa.exists(sa.select(1).where(*base, self._when(when, c)))


def _upper(value: Any) -> str:
    return str(value).strip().upper()


def _tag(value: str) -> ColumnElement[bool]:
    """Tags are stored folded (domain.imports.normalise_tags: "Café" -> "cafe"); a tag stored before that matches
    as typed (lower-case). Both forms use the GIN index on PostgreSQL."""
    typed, folded_tag = " ".join(value.split()).lower(), fold(" ".join(value.split()))
    return _has_tag(folded_tag) if typed == folded_tag else sa.or_(_has_tag(folded_tag), _has_tag(typed))


def _has_tag(tag: str) -> ColumnElement[bool]:
    pg = sa.type_coerce(Contact.tags, JSONB).contains([tag])
    each = sa.func.json_each(Contact.tags).table_valued("value")
    other = sa.exists(sa.select(1).select_from(each).where(each.c.value == tag))
    return PerDialect(pg, other)
