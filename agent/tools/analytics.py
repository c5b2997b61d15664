"""Analytics for a period (chart + table) and one campaign's report (funnel)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from agent.core import charts
from agent.tools.common import Args, message, money
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools import analytics


class PeriodArgs(Args):
    start: date = Field(description="First day, YYYY-MM-DD (account time zone).")
    end: date = Field(description="Last day, included.")
    chart: Literal["trend", "costs"] = Field("trend", description="trend: daily numbers; costs: cost by kind.")


class CampaignArgs(Args):
    ref: str = Field(description="The campaign's id or name.")
    chart: Literal["funnel", "variants"] = "funnel"


def _period(session, actor, a: PeriodArgs) -> ToolOutput:
    report = analytics.analytics_report(session, actor, a.start, a.end)
    display = charts.report_display(report, a.chart) if charts else message(report.summary())
    note = _labels(session, a)
    display["markdown"] = f"{display.get('markdown', '')}\n\n{note}"
    return ToolOutput(f"{report.summary()} {note}", display)


def _labels(session, a: PeriodArgs) -> str:
    """What in the period was simulated (sandbox sends: their delivery and cost), and that sample data is apart."""
    from domain.analytics import day_bounds
    from settings import get_settings
    from tools.campaigns.views import simulated_sends

    zone = get_settings().account_timezone
    n, cost = simulated_sends(session, day_bounds(a.start, zone)[0], day_bounds(a.end, zone)[1])
    sim = (f"{n} of these sends ({money(cost)}) were simulated in sandbox mode: nothing left the building, their "
           "delivery and cost are simulated. ") if n else ""
    return sim + "Sample data is left out (see its own campaign report)."


def _campaign(session, actor, a: CampaignArgs) -> ToolOutput:
    from tools.campaigns.views import campaign_simulated_sends

    report = analytics.campaign_report(session, actor, a.ref)
    n = campaign_simulated_sends(session, report.campaign_id)
    display = charts.campaign_display(report, a.chart, n) if charts else message(report.summary())
    note = (f"{n} of its sends were simulated in sandbox mode: nothing left the building, their delivery and cost "
            "are simulated.") if n else ""
    if note:
        display["markdown"] = f"{display.get('markdown', '')}\n\n{note}"
    return ToolOutput(f"{report.summary()} {note}".strip(), display)


register(ToolSpec("show_analytics", "Daily numbers, rates and costs for a period, with a chart.", PeriodArgs,
                  Permission.ANALYTICS, _period, read_only=True))
register(ToolSpec("campaign_report", "How one campaign did: funnel, exclusions, costs per response and booking, "
                  "A/B variants.", CampaignArgs, Permission.ANALYTICS, _campaign, read_only=True))
