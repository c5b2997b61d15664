"""Ad copy drafts for a segment (saved as a draft: nothing is spent) and an ad campaign's report."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from agent.tools.common import Args, FilterField, data_text, money, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools.ads import drafts as ads


class DraftArgs(Args):
    platform: Literal["facebook", "google", "linkedin"]
    filter: dict[str, Any] | None = FilterField()
    brief: str = Field(description="What to advertise, in a sentence.")
    name: str | None = None


class RefArgs(Args):
    ref: str = Field(description="The ad campaign's id or name.")


class MetricsArgs(RefArgs):
    day: str = Field(description="The day, YYYY-MM-DD.")
    spend: str = Field(description='Spend in dollars as "$120.50" (or "120.50"), or integer micro-dollars.')
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    conversions: int = Field(0, ge=0)


def _spend(text: str) -> str | int:
    """ "$120.50" and "120.50" are dollars (a decimal point is never micro-dollars); a whole number is micro-dollars
    as the tool's contract says; anything else is refused with what to write."""
    raw = text.strip().replace(",", "")
    if raw.startswith("$"):
        return raw
    if re.fullmatch(r"\d+\.\d{1,2}", raw):
        return "$" + raw
    if raw.isdigit():
        return int(raw)
    raise ValueError(f"spend {text!r} is not an amount: write dollars like $120.50")


def _metrics(session, actor, a: MetricsArgs) -> ToolOutput:
    spend = _spend(a.spend)
    r = ads.record_ad_metrics(session, actor, a.ref, a.day, spend, a.impressions, a.clicks, a.conversions)
    text = (f"{'Recorded' if r.created else 'Replaced'} {r.day} for ad '{r.name}': spend {money(r.spend_micros)}, "
            f"{r.impressions} impressions, {r.clicks} clicks, {r.conversions} conversions.")
    return ToolOutput(text, {"kind": "text", "markdown": text})


def _draft(session, actor, a: DraftArgs) -> ToolOutput:
    d = ads.draft_ads(session, actor, platform=a.platform, filter=a.filter, brief=a.brief, name=a.name)
    rows = [{"variant": v.number, **{k: (" / ".join(val) if isinstance(val, list) else val)
                                     for k, val in v.fields.items()},
             "fits limits": "yes" if not v.problems else "; ".join(v.problems)} for v in d.variants]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    how = "offline templates (no language model)" if d.offline else d.generator
    title = (f"Drafted {d.platform} ads '{d.name}' (#{d.id}) for {d.audience} contacts, by {how}. Saved as a draft: "
             "nothing is spent.")
    return ToolOutput(data_text(title, rows), table(title, columns, rows, full=True))  # ad copy whole


def _report(session, actor, a: RefArgs) -> ToolOutput:
    r = ads.ad_report(session, actor, a.ref)
    ctr = f"{r.ctr:.1%}" if r.ctr is not None else "n/a"
    text = (f"Ad '{r.name}' ({r.platform}, {r.status}): spend {money(r.spend_micros)}, {r.impressions} impressions, "
            f"{r.clicks} clicks (CTR {ctr}), {r.conversions} conversions, cost per lead "
            f"{money(r.cost_per_lead_micros) if r.cost_per_lead_micros is not None else 'n/a'}.")
    return ToolOutput(text, {"kind": "text", "markdown": text})


register(ToolSpec("draft_ads", "Draft ad copy (facebook, google or linkedin) for the contacts matching a filter, "
                  "within each platform's limits. Saved as a draft; nothing is spent.", DraftArgs,
                  Permission.ADS, _draft))
register(ToolSpec("record_ad_metrics", "Record one day's results of an ad campaign (entering a day again "
                  "replaces it).", MetricsArgs, Permission.ADS, _metrics))
register(ToolSpec("ad_report", "Spend, impressions, clicks, conversions, CTR, CPC and cost per lead of an ad "
                  "campaign.", RefArgs, Permission.ADS, _report, read_only=True))
