"""Offline grammar for email design: templates ("use template offer for the spring email", "save campaign Spring
as template Promo", "list email templates") and the brand ("set the brand colour to #e11d48", "set the logo to
https://...", "set the brand name to Acme Roofing", "show the brand"). Run on the text as typed (URLs and colours
intact); every pattern names a template, the brand, the logo or the accent colour, so nothing else matches.
Rules as in agent.offline_contacts. Pure."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.campaigns import _campaign_name
from agent.offline.talk import Call, clarify

_TEMPLATE = r"(?:email )?templates?"


def templates(text: str, vocab: Any) -> Any:
    text = text.strip().rstrip(".!")
    if re.match(r"^(?:(?:list|show|see|view|what are)(?: me)?(?: all)?(?: the| my| our)? )?(?:email )?templates"
                r"(?: do we have| are there)?\??$", text, re.I):
        return [Call("list_email_templates", {})]
    m = re.match(rf"^(?:use|apply|start from|take)(?: the)? (?:{_TEMPLATE} (\S+?)|(\S+?) {_TEMPLATE})"
                 r" (?:for|on|in|with|to) (.+)$", text, re.I)
    if m:
        name = _campaign_name(re.sub(r"^(?:the )?(?:(.+?) )?email$", r"\1", m.group(3).strip(), flags=re.I) or "")
        if name is None:
            return clarify("Which draft email campaign should get the template? Say its name or #id.")
        return [Call("use_email_template", {"template": (m.group(1) or m.group(2)).strip("\"'"), "ref": name})]
    m = re.match(rf"^save (.+?) as (?:a |an )?(?:new )?{_TEMPLATE}(?: (?:called|named))? \"?([^\"]+?)\"?$", text, re.I)
    if m:
        name = _campaign_name(re.sub(r"(?:'s)? email$", "", m.group(1).strip(), flags=re.I))
        if name is None:
            return clarify("Which email campaign should I save as a template? Say its name or #id.")
        return [Call("save_email_template", {"ref": name, "name": m.group(2).strip()})]
    return None


def brand(text: str, vocab: Any) -> Any:
    text = text.strip().rstrip(".!")
    if re.match(r"^(?:show|what is|what's|see)(?: me)?(?: the| our| my)? (?:email )?brand(?:ing)?\??$", text, re.I):
        return [Call("show_brand", {})]
    m = re.match(r"^(?:set|change|make|use)(?: the| our| my)? (?:email |brand |accent )*colou?r (?:to|=|as) "
                 r"(#[0-9a-f]{3,6})$", text, re.I)
    if m:
        return [Call("set_brand", {"accent_color": m.group(1)})]
    m = re.match(r"^(?:set|change|use)(?: the| our| my)? (?:email |brand )?logo(?: url)? (?:to|=|as) (\S+)$", text, re.I)
    if m:
        return [Call("set_brand", {"logo_url": m.group(1)})]
    m = re.match(r"^(?:set|change)(?: the| our| my)? (?:email )?brand name (?:to|=|as) \"?(.+?)\"?$", text, re.I)
    return [Call("set_brand", {"name": m.group(1)})] if m else None


FREE_TEXT_RULES = (templates, brand)
