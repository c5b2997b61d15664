"""Offline grammar, the inbox and the calendar: list and open conversations, reply to a contact (the reply kept
exactly as typed), bookings. Rules as in agent.offline.contacts. Pure."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.contacts import contact_ref
from agent.offline.filters import Vocabulary
from agent.offline.talk import Call, clarify


def inbox(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:(?:show|list|open|check|view|see|get|display|any|read)(?: me)?(?: all| every)?(?: the| my| our)? )?"
                 r"(?:(new|unread|open|unanswered|answered|closed|all|recent|latest|incoming) )?"
                 r"(?:(sms|email|whatsapp|facebook|instagram|telegram) )?(?:replies|responses|inbox|conversations|"
                 r"messages|chats|threads|dms|(?<=every )(?:conversation|message|reply|thread|chat))(?: (?:on|from|in|via) (sms|email|whatsapp|facebook|instagram|telegram))?"
                 r"(?: (?:today|yet|so far|waiting(?: for (?:me|us|a reply|an answer))?|to answer))?$|"
                 r"^(?:who (?:replied|responded|answered)|did anyone (?:reply|respond|answer)"
                 r"|any(?: new)? replies|what(?:'s| is) (?:new )?in (?:my|our|the) inbox|how many (?:(new|unread|open|"
                 r"unanswered) )?(?:messages|replies|conversations|threads)(?: (?:are )?(?:waiting|open|unread))?"
                 r"|(?:did|have) we (?:get|got|had|receive|received) any(?: new)? (?:replies|responses|messages)"
                 r"(?: yet)?)$", text, re.I)
    if not m:
        return None
    state = (m.group(1) or ("all" if re.match(r"^\w+(?: me)? (?:all|every)\b", text, re.I) else "")).lower()
    if re.search(r"\b(?:waiting|to answer)\b", text, re.I):
        state = "open"
    args: dict[str, Any] = {}
    if state in ("answered", "closed"):
        args["status"] = "answered"
    elif state == "all":
        args["status"] = "all"
    elif state in ("unanswered", "open", "unread"):
        args["status"] = "open"
    channel = (m.group(2) or m.group(3) or "").lower()
    if channel:
        args["channel"] = channel
    return [Call("list_conversations", args)]


def conversation(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:open|show|view|read|see)(?: me)?(?: the)? (?:conversation|thread|chat|messages)"
                 r"(?: (?:with|from|of|for|#))? ?(.+)$", text, re.I) or \
        re.match(r"^(?:show |open |read )?(?:me )?(.+?)(?:'s|’s) (?:conversation|messages?|replies|reply|thread|chat|"
                 r"answer|response)$",
                 text, re.I) or \
        re.match(r"^what did (.+?) (?:say|reply|write|answer)$", text, re.I) or \
        re.match(r"^(?:(?:show|see|read|open|any|get)(?: me)? )?(?:the |any )?(?:replies|messages|answers|responses) "
                 r"(?:from|by|of) (.+)$", text, re.I) or \
        re.match(r"^(?:show |tell )?(?:me )?what (.+?) (?:said|wrote|replied|answered|sent us)$", text, re.I)
    if not m:
        return None
    target = m.group(1).strip().lstrip("#").strip()
    if target.removeprefix("-").isdigit():  # an id from the inbox (negative: a simulated sample conversation)
        return [Call("open_conversation", {"conversation": target})]
    ref = contact_ref(target, loose=True)
    if ref is None:
        return clarify("Which conversation? Give its number from the inbox or the contact's name.") \
            if target.lower() in ("it", "this", "that", "them") else None
    return [Call("open_conversation", {"conversation": ref})]


def reply(text: str, vocab: Vocabulary) -> Any:
    """Free text: the reply after ':' is kept exactly as typed."""
    m = re.match(r"^(?:reply|respond|answer|write back|text|message|email|send)(?: to)? (.+?)"
                 r"(?: (?:by|on|via|over|through) (sms|text|email|whatsapp|facebook|instagram|telegram))?\s*[:,]\s*(.+)$",
                 text, re.I | re.S)
    sent = re.match(r"^(?:send|shoot|drop) (.+?) an? (text|sms|email|e-mail|whatsapp|message)(?: message)?\s*[:,]\s*(.+)$",
                    text, re.I | re.S)
    if not sent:  # "send a text to jane doe: see you tuesday"
        to = re.match(r"^(?:send|write|shoot|drop)(?: an?)? (text|sms|email|e-mail|whatsapp|message)(?: message)? to (.+?)"
                      r"\s*[:,]\s*(.+)$", text, re.I | re.S)
        if to and contact_ref(to.group(2), loose=True):
            channel = {"text": "sms", "e-mail": "email", "message": None}.get(to.group(1).lower(), to.group(1).lower())
            return [Call("reply_to_conversation", {"contact_ref": contact_ref(to.group(2), loose=True),
                                                   "channel": channel, "text": to.group(3).strip()})]
    if sent and contact_ref(sent.group(1), loose=True):
        channel = {"text": "sms", "e-mail": "email", "message": None}.get(sent.group(2).lower(), sent.group(2).lower())
        return [Call("reply_to_conversation", {"contact_ref": contact_ref(sent.group(1), loose=True),
                                               "channel": channel, "text": sent.group(3).strip()})]
    if not m:
        m2 = re.match(r"^(?:reply|respond|answer|write back)(?: to)? (.+?)(?: (?:by|on|via) \w+)?$", text, re.I)
        if m2 and contact_ref(m2.group(1), loose=True):
            return clarify(f"What should the reply to {m2.group(1).strip()} say? Write it after a colon, e.g. "
                           f"`reply to {m2.group(1).strip()}: Thanks, see you Tuesday`.")
        return None
    ref = contact_ref(m.group(1), loose=True)
    if ref is None:
        return None
    verb = text.split()[0].lower()
    channel = (m.group(2) or ("email" if verb == "email" else "sms" if verb == "text" else "")).lower()
    channel = "sms" if channel == "text" else channel
    return [Call("reply_to_conversation", {"contact_ref": ref, "channel": channel or None, "text": m.group(3).strip()})]


def bookings(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:(?:show|list|view|see|get|display|check|any|what are|what|open)(?: me)?(?: all| every)?"
                 r"(?: of)?(?: the| my| our)? )?(?:(upcoming|next|future|past|previous|old|recent|all|new|booked) )?"
                 r"(?:bookings|meetings|appointments|calls booked|booked calls|booked meetings|calendar|cal\.com bookings|"
                 r"demos|booking|meeting|appointment|schedule|agenda)(?: (?:coming up|scheduled|this week|today|tomorrow|"
                 r"do i have|do we have|are booked|booked|(?:for |on )?(?:next week|this week|tomorrow|today)))?$", text, re.I) or \
        re.match(r"^(?:who (?:has )?booked(?: a (?:call|meeting))?|my (?:calendar|schedule|agenda)|what(?:'s| is) on "
                 r"(?:the|my|our) (?:calendar|schedule|agenda)(?: today| this week| tomorrow)?|do (?:i|we) have any "
                 r"(?:bookings|meetings|appointments|calls|demos)(?: today| tomorrow| this week| coming up)?)$", text, re.I)
    if not m:
        return None
    when = (m.group(1) or "").lower() if m.lastindex else ""
    if re.match(r"^who (?:has )?booked", text, re.I):  # who booked: past meetings too, not only those to come
        when = "all"
    if re.match(r"^\w+(?: me)? (?:all|every)\b", text, re.I):
        when = "all"
    return [Call("list_bookings", {"when": {"past": "past", "previous": "past", "old": "past", "recent": "past",
                                            "all": "all"}.get(when, "upcoming")})]
