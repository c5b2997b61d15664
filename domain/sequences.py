"""Follow-up sequences (pure): steps, waits, send conditions, exit rules and when the next step is due.

A sequence is an ordered list of steps. Each step is one message (SMS or email: its content lives in a campaign of
its own, so it goes through the campaigns' send path and send rules), a wait and a condition:

- wait: `{"after_days": 2}` (optionally `"after_hours"`): that long after the previous step went out (for step 1:
  after enrolment). Days count on the contact's local calendar, so "2 days after 10:00" is 10:00 local two days
  later across a DST change; hours are elapsed time. Or `{"weekday": "friday", "at": "10:00"}`: the first such local
  time strictly after the previous step, in the contact's zone.
- condition: "always", "no_reply" (no reply on any channel since enrolment), "no_booking", "not_opened" (the
  previous step's message was not opened), "clicked" (the previous step's message was clicked). A step whose
  condition fails is skipped for that contact (the reason recorded) and the next one is scheduled.
- exit rules: the contact leaves the sequence at once on a reply (any channel), a booking, an opt-out, a bounce,
  removal by hand, or the sequence's goal (e.g. "booked"). A sequence chooses which of replied/booked/opted_out/
  bounced apply (all by default; opted_out and bounced always do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.wording import noun

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHANNELS = ("sms", "email")
CONDITIONS = {
    "always": "always",
    "no_reply": "no reply yet",
    "no_booking": "no booking yet",
    "not_opened": "previous message not opened",
    "clicked": "previous message clicked",
}
EXIT_REASONS = {
    "replied": "replied (any channel)",
    "booked": "booked a meeting",
    "opted_out": "opted out",
    "bounced": "email bounced",
    "removed": "removed by hand",
    "goal": "reached the sequence's goal",
    "completed": "received every step",
    "merged": "merged into another contact's record, which stays in the sequence",
}
SKIP_REASONS = {  # a step not sent to a contact, on top of the send rules' reasons (domain.send_rules.REASONS)
    "condition_no_reply": "step skipped: the contact replied",
    "condition_no_booking": "step skipped: the contact booked",
    "condition_not_opened": "step skipped: the previous message was opened",
    "condition_clicked": "step skipped: the previous message was not clicked",
}
OPTIONAL_EXITS = ("replied", "booked")
ALWAYS_EXITS = ("opted_out", "bounced", "removed")
GOALS = ("booked", "replied")
MAX_STEPS = 5  # the approval card shows every step
MAX_WAIT_DAYS = 365


class SequenceRuleError(ValueError):
    """A step, wait or rule that cannot be used; the message says why."""


@dataclass(frozen=True)
class Wait:
    """How long after the previous step (or enrolment) a step is due."""

    days: int = 0
    hours: int = 0
    weekday: int | None = None  # 0 = Monday
    at: time | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Wait:
        data = dict(data or {})
        unknown = set(data) - {"after_days", "after_hours", "weekday", "at"}
        if unknown:
            raise SequenceRuleError(f"unknown wait {noun(len(unknown), 'field')}: {', '.join(sorted(unknown))}")
        if "weekday" in data:
            if "after_days" in data or "after_hours" in data:
                raise SequenceRuleError("a wait is either 'N days after' or 'next <weekday> HH:MM', not both")
            return cls(weekday=_weekday(data["weekday"]), at=_time(data.get("at", "10:00")))
        days, hours = _int(data.get("after_days", 0), "after_days"), _int(data.get("after_hours", 0), "after_hours")
        if days < 0 or hours < 0 or days + hours / 24 > MAX_WAIT_DAYS:
            raise SequenceRuleError(f"a wait must be between 0 and {MAX_WAIT_DAYS} days")
        return cls(days=days, hours=hours)

    def to_dict(self) -> dict[str, Any]:
        if self.weekday is not None:
            return {"weekday": WEEKDAYS[self.weekday], "at": (self.at or time(10)).strftime("%H:%M")}
        out: dict[str, Any] = {"after_days": self.days}
        if self.hours:
            out["after_hours"] = self.hours
        return out

    def describe(self) -> str:
        if self.weekday is not None:
            return f"next {WEEKDAYS[self.weekday].capitalize()} {(self.at or time(10)).strftime('%H:%M')} their time"
        if not self.days and not self.hours:
            return "right away"
        parts = [f"{self.days} day{'s' * (self.days != 1)}"] if self.days else []
        parts += [f"{self.hours} hour{'s' * (self.hours != 1)}"] if self.hours else []
        return " ".join(parts) + " after the previous step"


@dataclass(frozen=True)
class Step:
    channel: str
    wait: Wait = field(default_factory=Wait)
    condition: str = "always"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        channel = str(data.get("channel", "")).lower()
        if channel not in CHANNELS:
            raise SequenceRuleError(f"a step's channel must be sms or email (got {channel!r})")
        condition = str(data.get("condition") or "always")
        if condition not in CONDITIONS:
            raise SequenceRuleError(f"unknown condition {condition!r}: use one of {', '.join(CONDITIONS)}")
        return cls(channel, Wait.from_dict(data.get("wait")), condition)


@dataclass(frozen=True)
class ExitRules:
    exit_on: frozenset[str] = frozenset(OPTIONAL_EXITS)
    goal: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ExitRules:
        data = dict(data or {})
        chosen = data.get("exit_on", list(OPTIONAL_EXITS))
        bad = set(chosen) - set(OPTIONAL_EXITS) - set(ALWAYS_EXITS)
        if bad:
            raise SequenceRuleError(f"unknown exit {noun(len(bad), 'rule')}: {', '.join(sorted(bad))}")
        goal = data.get("goal")
        if goal is not None and goal not in GOALS:
            raise SequenceRuleError(f"a goal must be one of {', '.join(GOALS)} (got {goal!r})")
        return cls(frozenset(c for c in chosen if c in OPTIONAL_EXITS), goal)

    def to_dict(self) -> dict[str, Any]:
        return {"exit_on": sorted(self.exit_on), "goal": self.goal}

    def exit_reason(self, event: str) -> str | None:
        """The reason a contact leaves on this event ("replied", "booked", "opted_out", "bounced", "removed"), or
        None when this sequence keeps going on it."""
        if self.goal == event:
            return "goal"
        if event in ALWAYS_EXITS or event in self.exit_on:
            return event
        return None


def validate_steps(steps: list[dict[str, Any]]) -> list[Step]:
    """Check a sequence's steps: 1..MAX_STEPS, conditions that make sense where they stand."""
    if not steps:
        raise SequenceRuleError("a sequence needs at least one step")
    if len(steps) > MAX_STEPS:
        raise SequenceRuleError(f"a sequence has at most {MAX_STEPS} steps")
    parsed = [Step.from_dict(s) for s in steps]
    if parsed[0].condition in ("not_opened", "clicked"):
        raise SequenceRuleError("the first step cannot depend on a previous message being opened or clicked")
    for before, step in zip(parsed, parsed[1:], strict=False):
        if step.condition in ("not_opened", "clicked") and before.channel != "email":
            raise SequenceRuleError("'not opened' and 'clicked' only follow an email step (SMS have no opens)")
    return parsed


@dataclass(frozen=True)
class Facts:
    """What is known about one enrolled contact when a step falls due (gathered by the caller)."""

    replied: bool = False  # since enrolment, any channel
    booked: bool = False  # since enrolment
    previous_opened: bool = False
    previous_clicked: bool = False


def skip_reason(condition: str, facts: Facts) -> str | None:
    """None when the step's condition holds (send it), else the reason it is skipped for this contact."""
    failed = {"always": False, "no_reply": facts.replied, "no_booking": facts.booked,
              "not_opened": facts.previous_opened, "clicked": not facts.previous_clicked}[condition]
    return f"condition_{condition}" if failed else None


def exit_on_facts(rules: ExitRules, facts: Facts) -> str | None:
    """An exit the facts show although no webhook reported it (the due step checks before it is sent)."""
    for event, happened in (("booked", facts.booked), ("replied", facts.replied)):
        if happened and (reason := rules.exit_reason(event)):
            return reason
    return None


def next_due(wait: Wait, previous: datetime, zone: ZoneInfo) -> datetime:
    """When a step with this wait is due, `previous` being when the step before went out (or the enrolment), in
    UTC. Days are local calendar days in `zone` (wall-clock time kept across DST); a local time that does not exist
    (spring forward) moves forward by the gap; an ambiguous one (fall back) takes its first occurrence."""
    tz = previous.tzinfo
    if wait.weekday is not None:
        local = previous.astimezone(zone)
        at = wait.at or time(10)
        ahead = (wait.weekday - local.weekday()) % 7
        day = local.date() + timedelta(days=ahead)
        if ahead == 0 and local.time() >= at:
            day += timedelta(days=7)
        return _local(day, at, zone).astimezone(tz)
    if wait.days:
        local = previous.astimezone(zone)
        moved = _local(local.date() + timedelta(days=wait.days), local.time().replace(tzinfo=None), zone)
        previous = moved.astimezone(tz)
    return previous + timedelta(hours=wait.hours)


def _local(day: Any, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` made real: fold=0 (the first of two), a gap's time pushed past the gap."""
    aware = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)  # normalised: a gap's time lands past the gap


def _weekday(value: Any) -> int:
    if isinstance(value, int) and 0 <= value < 7:
        return value
    text = str(value).strip().lower()
    for index, name in enumerate(WEEKDAYS):
        if text in (name, name[:3]):
            return index
    raise SequenceRuleError(f"not a weekday: {value!r}")


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise SequenceRuleError(f"not a time of day: {value!r} (use HH:MM)") from None


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SequenceRuleError(f"{name} must be a whole number (got {value!r})") from None
