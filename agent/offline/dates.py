"""Relative periods as people say them -> (start, end) dates, both included, in the account time zone.

"today", "yesterday", "this week", "last week", "this month", "last month", "this year", "last 30 days",
"past 2 weeks", "last 3 months", "since 2026-01-01", "from 2026-01-01 to 2026-01-31", "in march", "last tuesday" (the
latest Tuesday before today), "on tuesday" / "tuesday" (the latest Tuesday, today included), "last weekend". Pure: the
caller passes today's date in the account time zone (`today_in(tz)`)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
_NUM = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
        "fourteen": 14, "thirty": 30, "ninety": 90}
_DAYS_RE = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
PERIOD_RE = (r"(?:today|yesterday|(?:this|last|past|previous) (?:week|month|year|quarter)|"
             rf"(?:(?:last|this past|past|on) )?(?:{_DAYS_RE})|(?:last|this past) weekend|"
             rf"this (?:morning|afternoon|evening)|earlier today|tonight|"
             rf"since (?:yesterday|last week|last month|(?:last )?(?:{_DAYS_RE}))|"
             r"(?:(?:the )?(?:last|past|previous) )?(?:\d+|a|one|two|three|four|five|six|seven|ten|fourteen|thirty|"
             r"ninety) (?:days?|weeks?|months?)|since \d{4}-\d{2}-\d{2}|(?:from )?\d{4}-\d{2}-\d{2} (?:to|-|until) "
             r"\d{4}-\d{2}-\d{2}|(?:in )?(?:" + "|".join(MONTHS) + r")|all time|ever)")


_DAYS = _DAYS_RE.split("|")


def today_in(tz: str | None) -> date:
    """Today's date in the time zone `tz` (an IANA name; UTC when empty or unknown)."""
    try:
        zone = ZoneInfo(tz or "UTC")
    except Exception:  # noqa: BLE001 - a bad setting falls back to UTC
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


def _month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def _span(n: int, unit: str, today: date) -> tuple[date, date]:
    if unit.startswith("day"):
        return today - timedelta(days=n - 1), today
    if unit.startswith("week"):
        return today - timedelta(days=7 * n - 1), today
    month, year = today.month - n, today.year
    while month < 1:
        month, year = month + 12, year - 1
    day = min(today.day, _month_end(date(year, month, 1)).day)
    return date(year, month, day) + timedelta(days=1), today


def _named(key: str, today: date) -> tuple[date, date] | None:
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    prev_month = (month - timedelta(days=1)).replace(day=1)
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    prev_q_end = quarter - timedelta(days=1)
    table = {
        "today": (today, today), "yesterday": (today - timedelta(days=1),) * 2,
        "this week": (week, today), "last week": (week - timedelta(days=7), week - timedelta(days=1)),
        "this month": (month, today), "last month": (prev_month, month - timedelta(days=1)),
        "this year": (today.replace(month=1, day=1), today),
        "last year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "this quarter": (quarter, today),
        "last quarter": (date(prev_q_end.year, 3 * ((prev_q_end.month - 1) // 3) + 1, 1), prev_q_end),
        "all time": (date(2000, 1, 1), today), "ever": (date(2000, 1, 1), today),
    }
    return table.get(key.replace("previous ", "last ").replace("past week", "last week"))


def resolve_period(text: str, today: date) -> tuple[date, date] | None:
    """(start, end) for a period phrase, or None when `text` is not one."""
    key = " ".join(text.lower().replace("the ", "").split())
    named = _named(key, today)
    if named:
        return named
    m = re.fullmatch(r"(?:(?:last|past|previous) )?(\d+|\w+) (days?|weeks?|months?)", key)
    if m and (m.group(1).isdigit() or m.group(1) in _NUM):
        n = int(m.group(1)) if m.group(1).isdigit() else _NUM[m.group(1)]
        return _span(n, m.group(2), today) if 0 < n <= 3650 else None
    if key in ("this morning", "this afternoon", "this evening", "earlier today", "tonight"):
        return today, today
    m = re.fullmatch(rf"since (yesterday|last week|last month|(?:last )?(?:{_DAYS_RE}))", key)
    if m:  # "since monday": from that day's start to today
        start = resolve_period(m.group(1), today)
        return (start[0], today) if start else None
    m = re.fullmatch(rf"((?:last|this past|past|on) )?({_DAYS_RE})", key)
    if m:  # a past day: "last tuesday" is before today, "tuesday" / "on tuesday" may be today
        back = (today.weekday() - _DAYS.index(m.group(2))) % 7
        day = today - timedelta(days=back or (7 if m.group(1) and m.group(1).strip() != "on" else 0))
        return day, day
    if re.fullmatch(r"(?:last|this past) weekend", key):
        saturday = today - timedelta(days=today.weekday() + 2)  # the weekend before this week
        return saturday, saturday + timedelta(days=1)
    m = re.fullmatch(r"since (\d{4}-\d{2}-\d{2})", key)
    if m:
        return date.fromisoformat(m.group(1)), today
    m = re.fullmatch(r"(?:from )?(\d{4}-\d{2}-\d{2}) (?:to|-|until) (\d{4}-\d{2}-\d{2})", key)
    if m:
        return date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
    m = re.fullmatch(r"(?:in )?(" + "|".join(MONTHS) + ")", key)
    if m:
        month = MONTHS.index(m.group(1)) + 1
        year = today.year if month <= today.month else today.year - 1
        start = date(year, month, 1)
        return start, min(_month_end(start), today)
    return None


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_PART_OF_DAY = {"morning": 9, "afternoon": 14, "evening": 18, "tonight": 19, "noon": 12, "lunchtime": 12}
SEND_AT_RE = re.compile(
    r"\s+(?:(?:on |this |next )?(?P<day>today|tonight|tomorrow|" + "|".join(WEEKDAYS) + r"|\d{4}-\d{2}-\d{2})"
    r"(?: (?:in the )?(?P<part>morning|afternoon|evening|noon|at lunchtime))?)?"
    r"(?:,?\s*at (?P<hour>\d{1,2})(?::(?P<minute>\d{2}))? ?(?P<ampm>am|pm|a\.m\.|p\.m\.)?)?$", re.I)


def split_send_time(phrase: str, today: date) -> tuple[str, datetime | None]:
    """("everyone in texas tomorrow morning", today) -> ("everyone in texas", tomorrow 09:00 as a naive local
    time). A day alone means 10:00; a time alone means today, or tomorrow when that hour has passed is not known
    here (the caller's clock decides). (phrase, None) when it ends with no time."""
    m = SEND_AT_RE.search(phrase)
    if not m or not (m.group("day") or m.group("hour")) or not phrase[:m.start()].strip():
        return phrase, None
    day_word = (m.group("day") or "today").lower()
    if day_word == "today" and not (m.group("part") or m.group("hour")):
        return phrase, None  # "contacts added today" is an audience, not a start time
    if day_word in ("today", "tonight"):
        day = today
    elif day_word == "tomorrow":
        day = today + timedelta(days=1)
    elif day_word in WEEKDAYS:
        day = today + timedelta(days=(WEEKDAYS.index(day_word) - today.weekday() - 1) % 7 + 1)
    else:
        day = date.fromisoformat(day_word)
    hour, minute = 10, 0
    part = (m.group("part") or ("tonight" if day_word == "tonight" else "")).replace("at ", "")
    if part:
        hour = _PART_OF_DAY[part]
    if m.group("hour"):
        hour, minute = int(m.group("hour")), int(m.group("minute") or 0)
        ampm = (m.group("ampm") or "").replace(".", "").lower()
        hour = hour % 12 + 12 if ampm == "pm" else hour % 12 if ampm == "am" else hour
        if not ampm and hour < 7 and part != "morning":  # "at 3" means 3 pm to a marketer
            hour += 12
    if hour > 23 or minute > 59:
        return phrase, None
    return phrase[:m.start()].rstrip(" ,"), datetime(day.year, day.month, day.day, hour, minute)
