"""Sequence tools: draft, preview, launch (Approve: the card shows every step, the people and the most it can cost),
status (a funnel per step), list, pause, resume (Approve: it sends again), cancel, remove a contact."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agent.tools.common import Args, FilterField, NoArgs, data_text, message, money, next_steps, plain, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from db.models import utcnow
from domain.roles import Permission
from domain.sequences import EXIT_REASONS
from domain.wording import plural
from tools.sequences import lifecycle, views


class StepArg(Args):
    channel: Literal["sms", "email"]
    body_text: str = Field(description="The message; merge fields like {first_name|there}. Email: Markdown.")
    subject: str | None = Field(None, description="Email subject (email steps only).")
    after_days: int | None = Field(None, description="Send this many days after the previous step (first step: "
                                   "after launch); 0 or empty: right away.")
    weekday: str | None = Field(None, description="Instead of after_days: the next such weekday (e.g. friday) ...")
    at: str | None = Field(None, description="... at this local time HH:MM in the contact's own zone (default 10:00).")
    condition: Literal["always", "no_reply", "no_booking", "not_opened", "clicked"] = Field(
        "always", description="Send only if: no reply yet, no booking yet, the previous email was not opened, or it "
        "was clicked. Otherwise the step is skipped for that person.")


class DraftArgs(Args):
    name: str = Field(description="A unique sequence name.")
    filter: dict[str, Any] | None = FilterField()
    steps: list[StepArg] = Field(description="The steps in order (1 to 5).")
    enrol_new: bool = Field(False, description="Also enrol contacts who match the filter later (imports, n8n).")
    exit_on: list[Literal["replied", "booked"]] | None = Field(
        None, description="What ends a person's sequence besides opt-outs and bounces (default: replied and booked).")
    goal: Literal["booked", "replied"] | None = Field(None, description="The sequence's goal: reaching it ends it.")


class RefArgs(Args):
    ref: str = Field(description="The sequence's id or name.")


class RemoveArgs(RefArgs):
    contact: str = Field(description="The contact: name, email, phone or #id.")


def step_dict(s: StepArg) -> dict[str, Any]:
    wait = ({"weekday": s.weekday, "at": s.at or "10:00"} if s.weekday else {"after_days": s.after_days or 0})
    return {"channel": s.channel, "body_text": s.body_text, "subject": s.subject, "wait": wait,
            "condition": s.condition}


def _notice(result: Any) -> str:
    return f"\n\n**{result.notice}**" if getattr(result, "notice", None) else ""


def _step_rows(p: lifecycle.SequencePreview) -> list[dict[str, Any]]:
    return [{"step": f"{s.position} · {s.channel}", "when": s.wait, "if": s.condition,
             "message": (f"{s.samples[0].subject}: " if s.channel == "email" and s.samples else "")
             + (s.samples[0].body if s.samples else s.body), "eligible now": s.eligible_now,
             "most cost": money(s.most_cost_micros)} for s in p.steps]


def _preview_text(p: lifecycle.SequencePreview, counted: bool) -> str:
    exits = ", ".join(EXIT_REASONS.get(e, e) for e in [*p.exit_on, "opted_out", "bounced"]) + (
        f"; goal: {p.goal}" if p.goal else "")
    cost = (f" The most it can cost: {money(p.most_cost_micros)} (everyone eligible gets every step)." if counted
            else " Preview it to see each message as people get it, who is excluded and the most it can cost.")
    return (f"Sequence '{p.name}' (#{p.sequence_id}, {p.status}): {plural(len(p.steps), 'step')} for an audience of "
            f"{p.audience}{' (and anyone who matches later)' if p.enrol_new else ''}; a person leaves when: {exits}."
            + cost)


def _show(p: lifecycle.SequencePreview, verb: str, counted: bool = True) -> ToolOutput:
    text = f"{verb} {_preview_text(p, counted)}"
    rows = _step_rows(p)
    columns = ["step", "when", "if", "message"] + (["eligible now", "most cost"] if counted else [])
    steps = next_steps(*((("Preview it", f"preview sequence {p.sequence_id}"),) if not counted else ()),
                       ("Launch it", f"launch sequence {p.sequence_id}")) if p.status == "draft" else None
    display = table(text + _notice(p), columns, rows, full=True, next=steps)
    return ToolOutput(data_text(text, [{c: r[c] for c in columns} for r in rows]), display)


def _draft(session, actor, a: DraftArgs) -> ToolOutput:
    p = lifecycle.draft_sequence(session, actor, name=a.name, filter=a.filter, steps=[step_dict(s) for s in a.steps],
                                 enrol_new=a.enrol_new, exit_on=a.exit_on, goal=a.goal)
    return _show(p, "Drafted (nothing is sent until you launch it).", counted=False)


def _preview(session, actor, a: RefArgs) -> ToolOutput:
    return _show(lifecycle.preview_sequence(session, actor, a.ref), "Preview.")


def _launch_summary(session, actor, a: RefArgs) -> dict[str, Any]:
    p = lifecycle.preview_sequence(session, actor, a.ref)
    if p.status != "draft":
        raise lifecycle.SequenceError(f"sequence {p.name!r} is {p.status}: only a draft can be launched")
    first = p.steps[0]
    return {"title": f"Launch sequence '{p.name}' ({len(p.steps)} steps)",
            "action": f"enrol the audience and send {plural(len(p.steps), 'step')}, each only while the person has not "
                      f"left (reply, booking, opt-out, bounce)",
            "who": f"{p.audience} people match{' (and anyone who matches later)' if p.enrol_new else ''}; "
                   f"{first.eligible_now} eligible for step 1 now", "count": p.audience,
            "excluded": first.excluded_now, "cost_micros": p.most_cost_micros,
            "sample": [{k: r[k] for k in ("step", "when", "if", "message")} for r in _step_rows(p)],
            "details": {"mode": p.notice} if p.notice else {}}


def _launch(session, actor, a: RefArgs) -> ToolOutput:
    r = lifecycle.launch_sequence(session, actor, a.ref)
    soon = r.first_due is not None and r.first_due <= utcnow()
    due = (" Step 1 goes out at the next tick (within seconds)." if soon else
           f" Step 1 is due {r.first_due:%a %d %b %H:%M} UTC at the earliest." if r.first_due else "")
    text = (f"Launched sequence '{r.name}' (#{r.sequence_id}): {r.enrolled} people enrolled.{due} The most it can "
            f"cost is about {money(r.most_cost_micros)}; each step goes through the send rules (opt-outs, quiet hours, "
            "caps) and stops for anyone who replies or books.")
    steps = next_steps(("Status", f"status of sequence {r.sequence_id}"),
                       ("Pause it", f"pause sequence {r.sequence_id}"))
    text += f" {r.worker_note}" if r.worker_note else ""
    return ToolOutput(text + (f" {r.notice}" if r.notice else ""), message(text + _notice(r), next=steps))


def status_text(s: views.SequenceStatus) -> str:
    exits = ", ".join(f"{views.reason_words(k)} {v}" for k, v in s.exits.items()) or "none"
    due = f"; next step due {s.next_due:%a %d %b %H:%M} UTC" if s.next_due else ""
    return (f"Sequence '{s.name}' is {s.status}: {s.enrolled} enrolled, {s.active} active, {s.completed} completed; "
            f"exits: {exits}{due}; cost so far {money(s.cost_micros)}.")


def _status(session, actor, a: RefArgs) -> ToolOutput:
    s = views.sequence_status(session, actor, a.ref)
    rows = [{"step": f"{f.position} · {f.channel}", "when": f.wait, "if": f.condition, "waiting": f.waiting,
             "messages": ", ".join(f"{k} {v}" for k, v in f.counts.items()) or "-",
             "skipped": ", ".join(f"{views.reason_words(k)} {v}" for k, v in f.skipped.items()) or "-",
             "left after it": ", ".join(f"{views.reason_words(k)} {v}" for k, v in f.exits_after.items()) or "-"}
            for f in s.steps]
    text = status_text(s)
    display = table(text, ["step", "when", "if", "waiting", "messages", "skipped", "left after it"], rows, full=True,
                    progress=plain(s))
    return ToolOutput(data_text(text, rows), display)


def _list(session, actor, a: NoArgs) -> ToolOutput:
    lines = views.list_sequences(session, actor)
    if not lines:
        return ToolOutput("No sequences yet.", message("No sequences yet: say 'create a sequence for ...'."))
    rows = [{"id": s.id, "name": s.name, "status": s.status, "steps": s.steps, "active": s.active,
             "left": s.exited, "completed": s.completed,
             "next due": f"{s.next_due:%a %d %b %H:%M} UTC" if s.next_due else "-"} for s in lines]
    title = plural(len(rows), "sequence")
    return ToolOutput(data_text(title, rows), table(title, list(rows[0]), rows))


def _change(verb: str):
    def run(session, actor, a: RefArgs) -> ToolOutput:
        sequence = getattr(lifecycle, f"{verb}_sequence")(session, actor, a.ref)
        text = status_text(views.sequence_status(session, actor, sequence.id))
        return ToolOutput(text, message(text))
    return run


def _resume_summary(session, actor, a: RefArgs) -> dict[str, Any]:
    s = views.sequence_status(session, actor, a.ref)
    return {"title": f"Resume sequence '{s.name}'", "action": "due steps go out again",
            "who": f"{s.active} people still in the sequence", "count": s.active}


def _remove(session, actor, a: RemoveArgs) -> ToolOutput:
    contact_id = lifecycle.remove_contact(session, actor, a.ref, a.contact)
    text = f"Removed contact #{contact_id} from the sequence: no further step goes to them."
    return ToolOutput(text, message(text))


P = Permission.CAMPAIGNS
register(ToolSpec("draft_sequence", "Create a DRAFT follow-up sequence: several sms/email steps, each with a wait "
                  "and a condition, stopping for anyone who replies, books or opts out (nothing is sent).",
                  DraftArgs, P, _draft))
register(ToolSpec("preview_sequence", "Every step of a sequence as it would go out: when, condition, rendered "
                  "message, eligible now, the most it can cost.", RefArgs, P, _preview, untrusted_output=True,
                  read_only=True))
register(ToolSpec("launch_sequence", "Start a sequence: enrols the audience. Waits for the user's Approve, which "
                  "shows every step.", RefArgs, P, _launch, summarise=_launch_summary))
register(ToolSpec("sequence_status", "A sequence's funnel per step: messages by status, skipped and why, who left "
                  "after each step and why, next step due.", RefArgs, P, _status, read_only=True))
register(ToolSpec("list_sequences", "Every sequence with its status, people active/left/completed, next due.",
                  NoArgs, P, _list, read_only=True))
register(ToolSpec("pause_sequence", "Pause a sequence: no step goes out until resumed.", RefArgs, P,
                  _change("pause")))
register(ToolSpec("resume_sequence", "Resume a paused sequence (it sends again: waits for Approve).", RefArgs, P,
                  _change("resume"), summarise=_resume_summary))
register(ToolSpec("cancel_sequence", "Cancel a sequence for good: everyone leaves it.", RefArgs, P,
                  _change("cancel")))
register(ToolSpec("remove_from_sequence", "Take one contact out of a sequence.", RemoveArgs, P, _remove))
