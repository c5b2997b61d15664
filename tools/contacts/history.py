"""Recording a contact's history entries that no other table holds (edits, opt-outs, imports, enrichment)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from db.models import ContactEvent


def record_event(session: Session, contact_id: int, kind: str, source: str, actor: str | None = None, *,
                 field: str | None = None, before: Any = None, after: Any = None,
                 data: dict[str, Any] | None = None) -> ContactEvent:
    event = ContactEvent(contact_id=contact_id, kind=kind, source=source, actor=actor, field=field,
                         before=None if before is None else str(before), after=None if after is None else str(after),
                         data=data or {})
    session.add(event)
    return event


def history_text(value: Any) -> str | None:
    """A value as a history entry's before/after text (lists joined, dicts as sorted JSON)."""
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
