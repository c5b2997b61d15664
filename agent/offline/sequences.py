"""Offline grammar for follow-up sequences: draft ("create a sequence for roofers in Texas: sms now 'Hi ...', then
after 2 days if no reply email 'Spring offer | ...', then friday unless they booked sms '...'"), list, open (status),
preview, launch, pause, resume, cancel, remove a contact. Steps without their messages ("text them today, email
in 2 days if no answer, text again friday unless they booked") are read back with a question for the messages.
Rules as in agent.offline.contacts: a rule that does not fully understand returns None. Pure."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from agent.offline.campaigns import email_subject
from agent.offline.filters import Vocabulary, parse_audience, unknown_noun
from agent.offline.talk import Call, clarify, not_understood
from domain.wording import plural

_DAYS = {"mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "thu": "thursday",
         "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday", "sun": "sunday"}
_DAY_RE = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "ten": 10, "fourteen": 14}
_N = r"(\d+|a|an|one|two|three|four|five|six|seven|ten|fourteen)"
# a quoted message: "...", “...”, or '...' closed by a quote that a separator or a step word follows
_QUOTE = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'(.+?)'(?=\s*(?:$|[,;.]|then\b|and\b|if\b|unless\b|after\b|in\b|on\b|"
                    r"next\b|again\b|\d|when\b|only\b))", re.S)
_SEPARATOR = re.compile(r",?\s*(?:and\s+)?then\b|[,;]", re.I)
_CONDITIONS = (
    (r"\b(?:if|when) (?:there(?:'s| is| was)? )?no (?:reply|answer|response)|\bunless they (?:replied|reply|answered|"
     r"answer|responded|respond)|\bif they (?:haven'?t|have not|didn'?t|did not) (?:replied|reply|answered|answer|"
     r"responded|respond)|\bif (?:still )?(?:no|not) (?:replied|answered)", "no_reply"),
    (r"\b(?:if|when) (?:there(?:'s| is)? )?no booking|\bunless they (?:booked|book|have booked)|\bif they (?:haven'?t|"
     r"have not|didn'?t|did not) (?:booked|book)|\bif not booked", "no_booking"),
    (r"\bif (?:they )?(?:didn'?t|did not|haven'?t|have not) open(?:ed)?|\bif (?:it was )?not opened|\bif unopened",
     "not_opened"),
    (r"\bif (?:they )?clicked", "clicked"),
)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _wait(text: str) -> dict[str, Any] | None:
    """The wait a step phrase says; {} when it says none (right away for step 1, else not understood)."""
    t = text.lower()
    m = re.search(rf"\b{_DAY_RE}\b(?: (?:at )?(\d{{1,2}})(?::(\d{{2}}))? ?(am|pm)?)?", t)
    if m and not re.search(r"\b(?:day|days|week|weeks)\b", t[:m.start()][-12:]):
        day = _DAYS.get(m.group(1), m.group(1))
        out: dict[str, Any] = {"weekday": day, "at": "10:00"}
        if m.group(2):
            hour = int(m.group(2)) % 12 + (12 if m.group(4) == "pm" else 0) if m.group(4) else int(m.group(2))
            out["at"] = f"{hour:02d}:{m.group(3) or '00'}"
        return out
    m = re.search(rf"\b(?:in|after|wait(?:ing)?|then)? ?{_N} (day|days|week|weeks)(?: later| after)?\b", t)
    if m:
        return {"after_days": _number(m.group(1)) * (7 if m.group(2).startswith("week") else 1)}
    if re.search(r"\b(?:tomorrow|next day|a day later|the day after)\b", t):
        return {"after_days": 1}
    if re.search(r"\b(?:now|today|right away|immediately|straight away|first|at once)\b", t):
        return {"after_days": 0}
    return {}


def _channel(text: str) -> str | None:
    found = re.findall(r"\b(sms|text|texts|texting|email|emails|e-mail|mail)\b", text.lower())
    if not found:
        return None
    return "email" if found[0] in ("email", "emails", "e-mail", "mail") else "sms"


def _condition(text: str) -> str:
    for pattern, name in _CONDITIONS:
        if re.search(pattern, text, re.I):
            return name
    return "always"


def _step(describe: str, body: str | None, first: bool) -> dict[str, Any] | None:
    channel, wait = _channel(describe), _wait(describe)
    if channel is None or (not wait and not first):
        return None
    step: dict[str, Any] = {"channel": channel, "condition": _condition(describe)}
    step.update({"after_days": 0} if not wait else
                {"weekday": wait["weekday"], "at": wait["at"]} if "weekday" in wait else wait)
    if body is not None:
        step["body_text"] = body.strip()
        if channel == "email":
            step["subject"], step["body_text"] = email_subject(body.strip())
    return step


def _split_quoted(text: str) -> list[tuple[str, str]] | None:
    """[(describe, body)] of steps written with their messages in quotes; None when there are none."""
    pieces, last, bodies = [], 0, []
    for m in _QUOTE.finditer(text):
        pieces.append(text[last:m.start()])
        bodies.append(next(g for g in m.groups() if g is not None))
        last = m.end()
    if not bodies:
        return None
    pieces.append(text[last:])
    steps, lead = [], pieces[0]
    for index, body in enumerate(bodies):
        after = pieces[index + 1]
        cut = _SEPARATOR.search(after) if index + 1 < len(bodies) else None
        trailing, lead_next = (after[:cut.start()], after[cut.end():]) if cut else (after, "")
        steps.append((f"{lead} {trailing}", body))
        lead = lead_next
    return steps


def _split_plain(text: str) -> list[str]:
    return [part for part in (p.strip() for p in _SEPARATOR.split(text)) if part]


def _steps(text: str) -> tuple[list[dict[str, Any]], bool] | None:
    """The steps and whether their messages were given; None when a step is not understood."""
    quoted = _split_quoted(text)
    pairs = quoted if quoted is not None else [(part, None) for part in _split_plain(text)]
    steps = [_step(describe, body, index == 0) for index, (describe, body) in enumerate(pairs)]
    if not steps or any(s is None for s in steps):
        return None
    return steps, quoted is not None


_DRAFT = re.compile(r"^(?:draft|create|make|set up|build|start|write|new)(?: an?| a new| new| me an?)?"
                    r"(?: (?:follow-?up|drip|nurture))? (?:sequence|cadence|follow-?up sequence|follow-?ups?)"
                    r"(?: (?:called|named) \"?([^\":]+?)\"?)?(?: (?:for|to) (.+?))?\s*:\s*(.+)$", re.I | re.S)
_NEW = re.compile(r"[,;]?\s*\b(?:and|including|plus|also enrol(?:l)?) (?:anyone|new contacts|new people|new leads|"
                  r"people) (?:who|that) (?:match|matches|come in|arrive|join)(?: later)?\s*$", re.I)


def draft_sequence(text: str, vocab: Vocabulary) -> Any:
    """Free text: each step's message kept exactly as typed inside its quotes."""
    m = _DRAFT.match(text)
    if not m:
        return _steps_without_messages(text)
    steps_text, enrol_new = m.group(3), False
    if (later := _NEW.search(steps_text)) is not None:
        steps_text, enrol_new = steps_text[:later.start()], True
    who = (m.group(2) or "everyone").strip()
    audience = parse_audience(who, vocab)
    if audience is None:
        noun = unknown_noun(who, vocab)
        return not_understood(text, noun) if noun else None
    parsed = _steps(steps_text)
    if parsed is None:
        return clarify("I could not read every step. Say each as channel, when, condition and the message in quotes: "
                       "`create a sequence for roofers in Texas: sms now 'Hi {first_name|there}, ...', then after 2 "
                       "days if no reply email 'Spring offer | ...', then friday unless they booked sms '...'`")
    steps, with_messages = parsed
    if not with_messages:
        return _ask_messages(steps)
    args: dict[str, Any] = {"name": (m.group(1) or "").strip() or _auto_name(who, vocab.today), "filter": audience,
                            "steps": steps}
    if enrol_new:
        args["enrol_new"] = True
    return [Call("draft_sequence", args)]


def _steps_without_messages(text: str) -> Any:
    """"text them today, email in 2 days if no answer, text again friday unless they booked": understood, but the
    messages (and the people) are missing: read the steps back and ask."""
    if not re.match(r"^(?:text|sms|email|e-mail) (?:them|everyone|those|these|the \w+)\b", text, re.I):
        if re.match(r"^(?:draft|create|make|set up|build|start|new)(?: an?| a new| new)? (?:follow-?up )?sequence"
                    r"(?: (?:for|to) [^:]+)?$", text, re.I):
            return _ask_messages([])
        return None
    parsed = _steps(text)
    if parsed is None or len(parsed[0]) < 2:
        return None
    return _ask_messages(parsed[0])


def _ask_messages(steps: list[dict[str, Any]]) -> Any:
    read = "; ".join(f"step {i + 1}: {s['channel']} {_when_words(s)}"
                     + (f" ({s['condition'].replace('_', ' ')})" if s["condition"] != "always" else "")
                     for i, s in enumerate(steps))
    lead = f"I read {read}. " if steps else ""
    return clarify(lead + "To whom, and what should each message say? E.g. `create a sequence for roofers in Texas: "
                   "sms now 'Hi {first_name|there}, ...', then after 2 days if no reply email 'Spring offer | ...', "
                   "then friday unless they booked sms '...'`")


def _when_words(step: dict[str, Any]) -> str:
    if "weekday" in step:
        return f"next {step['weekday']} {step['at']}"
    return "right away" if not step["after_days"] else f"{plural(step['after_days'], 'day')} later"


def _auto_name(who: str, today: date | None) -> str:
    return f"Follow-up to {who[:60]} {(today or date.today()).isoformat()}"


# --- list, open, preview, launch, pause, resume, cancel, remove ----------------------------------------------

def sequences_list(text: str, vocab: Vocabulary) -> Any:
    if re.match(r"^(?:(?:show|list|view|see|display|get|what are|which are|what|which)(?: me)?(?: all)?(?: of)?"
                r"(?: the| my| our)? )?(?:follow-?up )?sequences(?: (?:do we have|are there|are running|we have))?$",
                text, re.I):
        return [Call("list_sequences", {})]
    return None


_VERBS = {"launch": "launch_sequence", "start": "launch_sequence", "kick off": "launch_sequence",
          "go live with": "launch_sequence", "preview": "preview_sequence", "dry run": "preview_sequence",
          "pause": "pause_sequence", "hold": "pause_sequence", "stop": "pause_sequence",
          "resume": "resume_sequence", "unpause": "resume_sequence", "restart": "resume_sequence",
          "continue": "resume_sequence", "cancel": "cancel_sequence", "kill": "cancel_sequence",
          "open": "sequence_status", "show": "sequence_status", "view": "sequence_status",
          "status of": "sequence_status", "status for": "sequence_status", "how is": "sequence_status",
          "how's": "sequence_status", "how did": "sequence_status", "how is it going with": "sequence_status"}
_VERB_RE = "|".join(sorted((re.escape(v) for v in _VERBS), key=len, reverse=True))
_VAGUE = {"", "it", "this", "that", "this one", "that one", "the sequence", "sequence", "my sequence", "them", "the"}


def _name(raw: str) -> str | None:
    name = re.sub(r"^(?:the|my|our)\s+", "", raw.strip().strip("\"'“”").strip(), flags=re.I)
    name = re.sub(r"\s+(?:doing|going|do|performing)$", "", name, flags=re.I)
    name = re.sub(r"^(?:follow-?up )?sequence\s+", "", name, flags=re.I)
    name = re.sub(r"\s+(?:follow-?up )?sequence$", "", name, flags=re.I).strip().strip("\"'“”").strip()
    return None if name.lower() in _VAGUE else name


def sequence_verb(text: str, vocab: Vocabulary) -> Any:
    m = re.match(rf"^({_VERB_RE})(?: me)?(?: the)? (?:follow-?up )?sequence(?: called| named)?(?: (.+))?$", text, re.I) \
        or re.match(rf"^({_VERB_RE})(?: me)?(?: the)? (.+?) (?:follow-?up )?sequence(?: (?:doing|going))?$", text,
                    re.I) \
        or re.match(r"^(sequence) (?:status|progress|funnel|stats)(?: (?:of|for) (.+))?$", text, re.I)
    if not m:
        return None
    verb = m.group(1).lower()
    tool = "sequence_status" if verb == "sequence" else _VERBS[verb]
    name = _name(m.group(2) or "")
    if name is None:
        return clarify(f"Which sequence? Say e.g. `{tool.split('_')[0] if tool != 'sequence_status' else 'open'} "
                       "sequence Spring follow-up` (`list sequences` shows them).")
    return [Call(tool, {"ref": name})]


def remove_contact(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:remove|take|drop|unenrol(?:l)?|pull) (.+?) (?:out of|from|off) (?:the )?(.+?) "
                 r"(?:follow-?up )?sequence$", text, re.I) \
        or re.match(r"^(?:remove|take|drop|unenrol(?:l)?|pull) (.+?) (?:out of|from|off) (?:the )?(?:follow-?up )?"
                    r"sequence (.+)$", text, re.I)
    if not m:
        return None
    name = _name(m.group(2))
    if name is None:
        return clarify("From which sequence? `list sequences` shows them.")
    return [Call("remove_from_sequence", {"ref": name, "contact": m.group(1).strip().strip("\"'")})]


FREE_TEXT_RULES = (draft_sequence,)  # keep the messages as typed
RULES = (sequences_list, remove_contact, sequence_verb)
