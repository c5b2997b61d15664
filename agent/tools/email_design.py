"""Email design tools: the starter and saved templates (list, use in a draft, save a campaign as one) and the
brand of HTML emails (show; admins set it)."""

from __future__ import annotations

from pydantic import Field

from agent.tools.common import Args, NoArgs, data_text, message, next_steps, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools.campaigns import email_design


class UseArgs(Args):
    template: str = Field(description="The template's name: announcement, offer, newsletter or a saved one.")
    ref: str = Field(description="The draft email campaign's id or name.")


class SaveArgs(Args):
    ref: str = Field(description="The email campaign's id or name.")
    name: str = Field(description="A new template name.")


class BrandArgs(Args):
    name: str | None = Field(None, description="The brand name atop each email (the logo's alt text).")
    logo_url: str | None = Field(None, description="Absolute https URL of the logo image ('' removes it).")
    accent_color: str | None = Field(None, description="Hex colour of the bar, links and buttons, e.g. #e11d48.")


def _list(session, actor, a: NoArgs) -> ToolOutput:
    found = email_design.list_templates(session, actor)
    rows = [{"name": t.name, "kind": t.kind, "subject": t.subject, "about": t.about} for t in found]
    title = f"{len(found)} email templates. Say `use template offer for campaign <name>` to put one in a draft."
    return ToolOutput(data_text(title, rows), table(title, ["name", "kind", "subject", "about"], rows))


def _use(session, actor, a: UseArgs) -> ToolOutput:
    chosen, warnings = email_design.use_template(session, actor, a.template, a.ref)
    text = (f"The {chosen.kind} template '{chosen.name}' is now the subject and body of campaign {a.ref} "
            f"(subject: {chosen.subject}). Edit it by drafting again, or preview it.")
    md = text + "".join(f"\n- warning: {w}" for w in warnings)
    return ToolOutput(text, message(md, next=next_steps(("Preview it", f"preview campaign {a.ref}"))))


def _save(session, actor, a: SaveArgs) -> ToolOutput:
    saved = email_design.save_template(session, actor, a.ref, a.name)
    text = f"Saved campaign {a.ref}'s email as template '{saved.name}'."
    return ToolOutput(text, message(text))


def _brand_text(b) -> str:
    return (f"Email brand: name {b.name or '(none)'}, logo {b.logo_url or '(none)'}, accent colour {b.accent_color}, "
            f"footer address {b.postal_address or '(not set)'}." + "".join(f" Note: {n}." for n in b.notes))


def _set_brand(session, actor, a: BrandArgs) -> ToolOutput:
    text = "Saved. " + _brand_text(email_design.set_brand(session, actor, name=a.name, logo_url=a.logo_url,
                                                          accent_color=a.accent_color))
    return ToolOutput(text, message(text))


def _show_brand(session, actor, a: NoArgs) -> ToolOutput:
    text = _brand_text(email_design.show_brand(session, actor))
    return ToolOutput(text, message(text))


P = Permission.CAMPAIGNS
register(ToolSpec("list_email_templates", "The email templates: starters (announcement, offer, newsletter) and "
                  "saved ones.", NoArgs, P, _list, read_only=True))
register(ToolSpec("use_email_template", "Put a template's subject and Markdown body into a draft email campaign.",
                  UseArgs, P, _use))
register(ToolSpec("save_email_template", "Save an email campaign's subject and body as a named template.", SaveArgs,
                  P, _save))
register(ToolSpec("set_brand", "Set the brand of HTML emails: name, logo URL, accent colour (admins).", BrandArgs,
                  Permission.ADMIN, _set_brand))
register(ToolSpec("show_brand", "Show the brand of HTML emails (name, logo, accent colour, footer address).", NoArgs,
                  P, _show_brand, read_only=True))
