"""Account settings from the chat: the email sender's name, address and postal address (admins set them; stored
in the database; environment variables override)."""

from __future__ import annotations

from pydantic import Field

from agent.tools.common import Args, NoArgs, message
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission

WORDS = {"environment": "from the environment (overrides the chat)", "chat": "set in the chat", "default": "default"}


class SenderArgs(Args):
    name: str | None = Field(None, description="The sender name people see, e.g. 'Acme Roofing'.")
    email: str | None = Field(None, description="The From address, e.g. 'hello@acme.com'.")
    postal_address: str | None = Field(None, description="The postal address printed in every email (CAN-SPAM).")


def _describe(s) -> str:
    from settings import get_settings

    postal = s.postal_address or "not set (" + ("fine in sandbox mode" if get_settings().sandbox_email
                                                else "real emails cannot launch") + ")"
    return (f"Email sender: {s.from_header} ({WORDS[s.source['email_from']]}); postal address: {postal}"
            + (f" ({WORDS[s.source['sender_postal_address']]})" if s.postal_address else "") + ".")


def _set(session, actor, a: SenderArgs) -> ToolOutput:
    from tools.sender import set_sender

    s = set_sender(session, actor, name=a.name, email=a.email, postal_address=a.postal_address)
    text = "Saved. " + _describe(s) + "".join(f" Note: {n}." for n in s.notes)
    return ToolOutput(text, message(text))


def _show(session, actor, a: NoArgs) -> ToolOutput:
    from tools.sender import show_sender

    text = _describe(show_sender(session, actor))
    return ToolOutput(text, message(text))


register(ToolSpec("set_sender", "Set the email sender name, From address and/or postal address (admins). Stored "
                  "in the database; environment variables override.", SenderArgs, Permission.ADMIN, _set))
register(ToolSpec("show_sender", "Show the email sender name, From address and postal address in force.", NoArgs,
                  Permission.CAMPAIGNS, _show, read_only=True))
