"""Plotly figures and chat displays from the analytics results.

Two ways in:
- from the dataclasses of tools.analytics: `trend_figure(report)`, `costs_figure(report)`, `funnel_figure(campaign)`,
  `variants_figure(campaign)` return a plotly Figure;
- as plain JSON for the chat: `report_display(report, "trend"|"costs")` and `campaign_display(campaign,
  "funnel"|"variants")` return a display {"kind": "chart", "chart", "title", "markdown", "data"} that a tool can
  return, and `figure_for(display)` (called by agent/ui/chat_ui.py) turns it back into the Figure for `cl.Plotly`.
Builders never touch the database. Money is shown in dollars on the charts only; the results keep integer micros."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from agent.core.render import cell, markdown_table
from domain.analytics import COST_LABELS, percent
from domain.wording import money
from tools.analytics import AnalyticsReport, CampaignReport

TREND_METRICS = {"contacted": "Contacted", "sms_sent": "SMS sent", "emails_sent": "Emails sent",
                 "responses": "Responses", "bookings": "Bookings", "opt_outs": "Opt-outs"}
STAGES = {"sent": "Sent", "delivered": "Delivered", "responded": "Responded", "booked": "Booked"}
_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40},
           "legend": {"orientation": "h", "y": -0.2}}


# --- figures from plain data (shared by both ways in) -------------------------------------------------------------

def _lines(days: list[str], series: dict[str, list[int]], title: str) -> go.Figure:
    fig = go.Figure([go.Scatter(x=days, y=values, mode="lines+markers", name=label) for label, values in series.items()])
    fig.update_layout(title=title, yaxis_title="count", **_LAYOUT)
    return fig


def _stacked(days: list[str], series: dict[str, list[float]], title: str) -> go.Figure:
    fig = go.Figure([go.Bar(x=days, y=values, name=label) for label, values in series.items() if any(values)])
    fig.update_layout(barmode="stack", yaxis_title="USD", yaxis_tickprefix="$", title=title, **_LAYOUT)
    return fig


def _funnel(stages: list[str], counts: list[int], title: str) -> go.Figure:
    fig = go.Figure(go.Funnel(y=stages, x=counts, textinfo="value+percent initial"))
    fig.update_layout(title=title, **_LAYOUT)
    return fig


def _grouped(names: list[str], series: dict[str, list[int]], title: str) -> go.Figure:
    fig = go.Figure([go.Bar(x=names, y=values, name=label) for label, values in series.items()])
    fig.update_layout(barmode="group", title=title, **_LAYOUT)
    return fig


# --- the data of each chart -----------------------------------------------------------------------------------------

def _trend_data(report: AnalyticsReport) -> dict[str, Any]:
    return {"days": [r.day.isoformat() for r in report.days],
            "series": {label: [r.numbers[key] for r in report.days] for key, label in TREND_METRICS.items()},
            "title": f"Activity {report.start} to {report.end} ({report.timezone})"}


def _costs_data(report: AnalyticsReport) -> dict[str, Any]:
    return {"days": [r.day.isoformat() for r in report.days],
            "series": {label: [r.numbers[key] / 1_000_000 for r in report.days] for key, label in COST_LABELS.items()},
            "title": f"Costs {report.start} to {report.end}: {money(report.cost_micros)}"}


_SENT_STAGES = {"sent", "delivered"}  # the stages a sandbox only pretends


def _funnel_data(report: CampaignReport, simulated: int = 0) -> dict[str, Any]:
    """The funnel's stages and counts; with `simulated` sandbox sends, the chart itself says so (stage names and
    title), so a screenshot of it never reads as real."""
    stages = [s.stage.capitalize() + (" (simulated)" if simulated and s.stage.lower() in _SENT_STAGES else "")
              for s in report.funnel]
    sim = f"SIMULATED ({simulated} sandbox send{'' if simulated == 1 else 's'}) · " if simulated else ""
    return {"stages": stages, "counts": [s.count for s in report.funnel],  # said first: a long title is cut
            "title": f"{sim}{report.name}: cost per response {money(report.total.cost_per_response_micros)}, "
                     f"per booking {money(report.total.cost_per_booking_micros)}"}


def _variants_data(report: CampaignReport) -> dict[str, Any]:
    rows = report.variants or [report.total]
    return {"names": [v.variant for v in rows],
            "series": {label: [getattr(v, key) for v in rows] for key, label in STAGES.items()},
            "title": f"{report.name}: variants side by side"}


def trend_figure(report: AnalyticsReport) -> go.Figure:
    """One line per metric (contacted, SMS, emails, responses, bookings, opt-outs) over the period's days."""
    d = _trend_data(report)
    return _lines(d["days"], d["series"], d["title"])


def costs_figure(report: AnalyticsReport) -> go.Figure:
    """Costs per day, stacked by kind (SMS, email, enrichment, model tokens, ads), in dollars."""
    d = _costs_data(report)
    return _stacked(d["days"], d["series"], d["title"])


def funnel_figure(report: CampaignReport) -> go.Figure:
    """The campaign funnel: audience, eligible, sent, delivered, responded, booked."""
    d = _funnel_data(report)
    return _funnel(d["stages"], d["counts"], d["title"])


def variants_figure(report: CampaignReport) -> go.Figure:
    """A/B variants side by side: sent, delivered, responded, booked per variant."""
    d = _variants_data(report)
    return _grouped(d["names"], d["series"], d["title"])


# --- tables ---------------------------------------------------------------------------------------------------------

def daily_table(report: AnalyticsReport) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for a compact per-day table (money as dollars text)."""
    header = ["day", "contacted", "sms sent", "emails sent", "opened", "responses", "bookings", "opt-outs", "cost"]
    rows = [[r.day.isoformat(), r.numbers["contacted"], r.numbers["sms_sent"], r.numbers["emails_sent"],
             r.numbers["emails_opened"], r.numbers["responses"], r.numbers["bookings"], r.numbers["opt_outs"],
             money(r.cost_micros)] for r in report.days]
    return header, rows


def cost_table(report: AnalyticsReport) -> tuple[list[str], list[list[Any]]]:
    """Cost breakdown by kind for the period, with each kind's share."""
    total = report.cost_micros
    rows = [[label, money(report.totals[key]), percent(report.totals[key] / total if total else None)]
            for key, label in COST_LABELS.items()]
    return ["kind", "cost", "share"], rows + [["Total", money(total), "100.0%" if total else "n/a"]]


def variants_table(report: CampaignReport) -> tuple[list[str], list[list[Any]]]:
    """The campaign's variants (and the whole campaign, last) side by side, with costs per outcome."""
    header = ["variant", "sent", "delivered", "opened", "clicked", "responded", "booked", "cost", "per response",
              "per booking"]
    rows = [[v.variant, v.sent, v.delivered, v.opened, v.clicked, v.responded, v.booked, money(v.cost_micros),
             money(v.cost_per_response_micros), money(v.cost_per_booking_micros)]
            for v in [*report.variants, report.total]]
    return header, rows


# --- chat displays (plain JSON) and back ---------------------------------------------------------------------------

def report_display(report: AnalyticsReport, chart: str = "trend") -> dict[str, Any]:
    """A chat display of the period report: the summary, a table (per day for "trend", by kind for "costs") and
    the chart's data."""
    if chart not in ("trend", "costs"):
        raise ValueError("a period report charts as 'trend' or 'costs'")
    data = _trend_data(report) if chart == "trend" else _costs_data(report)
    columns, rows = daily_table(report) if chart == "trend" else cost_table(report)
    return {"kind": "chart", "chart": chart, "title": data["title"], "data": data,
            "markdown": f"{report.summary()}\n\n{markdown_table(columns, rows)}"}


def campaign_display(report: CampaignReport, chart: str = "funnel", simulated: int = 0) -> dict[str, Any]:
    """A chat display of a campaign report: the summary, the variants table and the funnel (or variants) data.
    `simulated`: how many of its sends the sandbox only recorded (the chart says "simulated")."""
    if chart not in ("funnel", "variants"):
        raise ValueError("a campaign report charts as 'funnel' or 'variants'")
    data = _funnel_data(report, simulated) if chart == "funnel" else _variants_data(report)
    if simulated and chart == "variants":
        data["title"] = f"SIMULATED ({simulated} sandbox send{'' if simulated == 1 else 's'}) · {data['title']}"
    columns, rows = variants_table(report)
    excluded = ", ".join(f"{cell(k)}: {n}" for k, n in report.excluded.items()) or "none"
    return {"kind": "chart", "chart": chart, "title": data["title"], "data": data,
            "markdown": f"{cell(report.summary(), 600)}\n\nExcluded: {excluded}\n\n{markdown_table(columns, rows)}"}


def figure_for(display: dict[str, Any]) -> go.Figure | None:
    """The Figure of a chart display made by report_display or campaign_display; None for anything else."""
    data, chart = display.get("data") or {}, display.get("chart")
    if chart == "trend":
        return _lines(data["days"], data["series"], data["title"])
    if chart == "costs":
        return _stacked(data["days"], data["series"], data["title"])
    if chart == "funnel":
        return _funnel(data["stages"], data["counts"], data["title"])
    if chart == "variants":
        return _grouped(data["names"], data["series"], data["title"])
    return None
