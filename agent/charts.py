"""Plotly figures (and small tables) from the analytics results, for the chat: `cl.Plotly(figure=...)`.

Builders take the dataclasses of tools.analytics and return a plotly Figure; they never touch the database.
Money is shown in dollars (micro-dollars / 1e6) on the charts only; the results keep integer micros."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from domain.analytics import COST_LABELS, money, percent
from tools.analytics import AnalyticsReport, CampaignReport

TREND_METRICS = {"contacted": "Contacted", "sms_sent": "SMS sent", "emails_sent": "Emails sent",
                 "responses": "Responses", "bookings": "Bookings", "opt_outs": "Opt-outs"}
_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40},
           "legend": {"orientation": "h", "y": -0.2}}


def trend_figure(report: AnalyticsReport, metrics: dict[str, str] | None = None) -> go.Figure:
    """One line per metric over the period's days."""
    metrics = metrics or TREND_METRICS
    days = [row.day for row in report.days]
    fig = go.Figure()
    for key, label in metrics.items():
        fig.add_trace(go.Scatter(x=days, y=[row.numbers[key] for row in report.days], mode="lines+markers",
                                 name=label))
    fig.update_layout(title=f"Activity {report.start} to {report.end} ({report.timezone})", yaxis_title="count",
                      **_LAYOUT)
    return fig


def costs_figure(report: AnalyticsReport) -> go.Figure:
    """Costs per day, stacked by kind (SMS, email, enrichment, model tokens, ads), in dollars."""
    days = [row.day for row in report.days]
    fig = go.Figure()
    for key, label in COST_LABELS.items():
        values = [row.numbers[key] / 1_000_000 for row in report.days]
        if any(values):
            fig.add_trace(go.Bar(x=days, y=values, name=label))
    fig.update_layout(barmode="stack", yaxis_title="USD", yaxis_tickprefix="$",
                      title=f"Costs {report.start} to {report.end}: {money(report.cost_micros)}", **_LAYOUT)
    return fig


def funnel_figure(report: CampaignReport) -> go.Figure:
    """The campaign funnel: audience, eligible, sent, delivered, responded, booked."""
    fig = go.Figure(go.Funnel(y=[s.stage.capitalize() for s in report.funnel], x=[s.count for s in report.funnel],
                              textinfo="value+percent initial"))
    fig.update_layout(title=f"{report.name}: cost per response {money(report.total.cost_per_response_micros)}, "
                            f"per booking {money(report.total.cost_per_booking_micros)}", **_LAYOUT)
    return fig


def variants_figure(report: CampaignReport) -> go.Figure:
    """A/B variants side by side: sent, delivered, responded, booked per variant."""
    fig = go.Figure()
    stages = {"sent": "Sent", "delivered": "Delivered", "responded": "Responded", "booked": "Booked"}
    names = [v.variant for v in report.variants] or ["all"]
    rows = report.variants or [report.total]
    for key, label in stages.items():
        fig.add_trace(go.Bar(x=names, y=[getattr(v, key) for v in rows], name=label))
    fig.update_layout(barmode="group", title=f"{report.name}: variants", **_LAYOUT)
    return fig


def daily_table(report: AnalyticsReport) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for a compact per-day table (money as dollars text)."""
    header = ["day", "contacted", "sms sent", "emails sent", "opened", "responses", "bookings", "opt-outs", "cost"]
    rows = [[r.day.isoformat(), r.numbers["contacted"], r.numbers["sms_sent"], r.numbers["emails_sent"],
             r.numbers["emails_opened"], r.numbers["responses"], r.numbers["bookings"], r.numbers["opt_outs"],
             money(r.cost_micros)] for r in report.days]
    return header, rows


def cost_table(report: AnalyticsReport) -> tuple[list[str], list[list[Any]]]:
    """Cost breakdown by kind for the period, with each kind's share."""
    rows = [[label, money(report.totals[key]), percent(report.totals[key] / report.cost_micros
                                                       if report.cost_micros else None)]
            for key, label in COST_LABELS.items()]
    return ["kind", "cost", "share"], rows + [["Total", money(report.cost_micros), "100.0%"]]


def variants_table(report: CampaignReport) -> tuple[list[str], list[list[Any]]]:
    """The campaign's variants (or the whole campaign) side by side, with costs per outcome."""
    header = ["variant", "sent", "delivered", "opened", "clicked", "responded", "booked", "cost", "per response",
              "per booking"]
    rows = [[v.variant, v.sent, v.delivered, v.opened, v.clicked, v.responded, v.booked, money(v.cost_micros),
             money(v.cost_per_response_micros), money(v.cost_per_booking_micros)]
            for v in [*report.variants, report.total]]
    return header, rows
