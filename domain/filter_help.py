"""What the language model is told about the contact filter language, generated from domain.filters so it never
misses a field or an operator (a test checks every field and operator is described). Pure."""

from __future__ import annotations

from domain.filters import CHANNEL_VALUES, ENRICHMENT_STATUSES, FIELDS, OPS

FIELD_NOTES: dict[str, str] = {
    "id": "contact id",
    "email": "email address", "phone": "phone, any format (compared as E.164)", "name": "first and/or last name",
    "first_name": "first name", "last_name": "last name", "company": "company name", "job_title": "job title",
    "website": "website URL", "domain": "web domain, e.g. acme.com", "city": "city", "region": "state/region, "
    "e.g. TX or Texas", "postal_code": "ZIP/postal code", "country": "ISO country code, e.g. US",
    "timezone": "IANA time zone", "source": "where the contact came from (import, sample, chat, api, ...)",
    "enrichment_status": "one of " + ", ".join(ENRICHMENT_STATUSES),
    "email_status": "deliverability: ok, bounced, complained, ...", "tags": "the contact's tags",
    "opted_out_sms": "opted out of SMS (true/false)", "opted_out_email": "opted out of email (true/false)",
    "is_sample": "a sample-data contact (true/false)",
    "opted_out": "opted out of a channel: " + ", ".join(CHANNEL_VALUES),
    "created_at": "when the contact was added", "updated_at": "when the contact last changed",
    "opted_out_sms_at": "when the contact opted out of SMS (empty while not opted out)",
    "opted_out_email_at": "when the contact opted out of email (empty while not opted out)",
    "contacted_in_campaign": "got a message of this campaign (id or exact name)",
    "contacted": "was sent any message", "texted": "was sent an SMS", "emailed": "was sent an email", "replied": "sent us a reply", "booked": "booked a meeting",
}

OP_NOTES: dict[str, str] = {
    "eq": "equals", "neq": "differs (or is empty)", "in": "one of a list", "not_in": "none of a list",
    "contains": "contains the text", "starts_with": "starts with the text", "present": "has a value (no value "
    "given)", "missing": "is empty (no value given)", "has": "has this tag", "has_any": "has any of a list of tags",
    "has_all": "has all of a list of tags", "before": "before an ISO date", "after": "on or after an ISO date",
    "since": "same as after", "within_days": "in the last N days (value: N)", "older_than_days": "more than N days ago",
}

_KIND_NOTES = {
    "text": "text (case- and accent-insensitive; city, region, company and names ignore accents)",
    "name": "a person's name (accent-insensitive)", "tags": "tags (case- and accent-insensitive)", "bool": "true/false", "date": "dates",
    "event": "activity (present = ever, missing = never)", "id": "ids", "channel": "channel", "campaign": "campaign",
}


def filter_help() -> str:
    """The filter language as the model reads it: shape, every field with its operators, every operator."""
    by_kind: dict[str, list[str]] = {}
    for field, kind in FIELDS.items():
        by_kind.setdefault(kind, []).append(f"{field} ({FIELD_NOTES[field]})")
    fields = "; ".join(f"{_KIND_NOTES[k]} [ops: {', '.join(OPS[k])}]: {', '.join(v)}" for k, v in by_kind.items())
    ops = "; ".join(f"{op} = {note}" for op, note in OP_NOTES.items())
    return (
        'Contact filter in JSON: a condition {"field": "city", "op": "eq", "value": "Austin"}, or {"all": [...]}, '
        '{"any": [...]}, {"not": {...}}. Omit or {} for every contact. Examples: tag {"field": "tags", "op": "has", '
        '"value": "roofer"}; no email {"field": "email", "op": "missing"}; replied in the last 7 days '
        '{"field": "replied", "op": "within_days", "value": 7}; Texas {"field": "region", "op": "in", '
        '"value": ["TX", "Texas"]}. Fields by kind: ' + fields + ". Also attributes.<key> (custom text fields, text "
        "ops). Operators: " + ops + "."
    )
