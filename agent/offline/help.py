"""What the chat says first, and the help reply (the examples are the offline parser's command forms). Honest about
offline and sandbox modes."""

from __future__ import annotations

from agent.offline.parser import EXAMPLES as OFFLINE_EXAMPLES
from settings import Settings

CAPABILITIES = [
    ("Contacts", "upload a CSV, search with filters, update by chat, opt-outs that stick"),
    ("Enrichment", "find company and role data on the web, every field with its source, reviewed by you"),
    ("Campaigns", "SMS and email with opt-out, frequency-cap and quiet-hours rules; preview, approve, watch"),
    ("Inbox", "replies from SMS, email, Facebook, Instagram, WhatsApp and Telegram, answered from here"),
    ("Meetings", "Cal.com bookings linked to contacts and campaigns"),
    ("Ads", "Facebook, Google and LinkedIn copy within each platform's limits"),
    ("Analytics", "daily numbers and costs with charts, and a full history per contact"),
]

EXAMPLES = OFFLINE_EXAMPLES  # command forms the offline parser understands (a language model understands them too)


def mode_block(settings: Settings) -> str:
    return "\n".join(f"- {line}" for line in settings.mode_lines())


def welcome_text(settings: Settings, user_name: str) -> str:
    caps = "\n".join(f"- **{name}**: {what}" for name, what in CAPABILITIES)
    return (
        f"Hello {user_name}. This is your marketing workspace: say what you want in plain words.\n\n"
        f"{caps}\n\n**How this instance runs**\n{mode_block(settings)}\n\n"
        "Type `help` for examples, or drop a CSV file here to import contacts."
    )


def help_text(settings: Settings) -> str:
    examples = "\n".join(f"- `{e}`" for e in EXAMPLES)
    offline = (
        "\n\nThe language model is **offline**: I understand requests like these (names, cities and tags with or "
        "without accents, dates like `last week`), not free conversation. "
        "Set OPENAI_API_KEY to talk freely."
        if settings.offline_model
        else ""
    )
    return f"Things you can say:\n{examples}{offline}\n\n**Mode**\n{mode_block(settings)}"
