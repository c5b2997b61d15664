"""Ads and CSV: export a draft's variants in the layout of each platform's bulk tool (columns in docs/ads.md), and
import daily results from a CSV (our own columns or the platforms' report exports). Cells are formula-safe
(domain.csv_safety). Exports are created as paused/draft so nothing goes live by import alone."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from db.models import AdCampaign
from domain import ads_metrics as m
from domain.csv_safety import safe_row
from domain.roles import Permission, require
from tools.ads.drafts import AdError, find_ad, refresh_totals, upsert_day
from tools.users import Actor

GOOGLE_COLUMNS = (["Campaign", "Ad group", "Ad type", "Status"] + [f"Headline {i}" for i in range(1, 16)]
                  + [f"Description {i}" for i in range(1, 5)] + ["Path 1", "Path 2", "Final URL"])
META_COLUMNS = ["Campaign Name", "Ad Set Name", "Ad Name", "Ad Status", "Body", "Title", "Link Description", "Link"]
LINKEDIN_COLUMNS = ["Campaign Name", "Ad Name", "Status", "Introductory Text", "Headline", "Description",
                    "Destination URL"]
MAX_IMPORT_BYTES = 20_000_000

# Header (lower-case, any "(...)" suffix dropped) -> our field. Google Ads, Meta Ads Manager, LinkedIn exports.
HEADERS = {
    "day": "day", "date": "day", "reporting starts": "day", "start date": "day", "start date in utc": "day",
    "campaign": "campaign", "campaign name": "campaign", "ad campaign": "campaign", "campaign id": "campaign",
    "spend": "spend", "cost": "spend", "amount spent": "spend", "total spent": "spend", "spent": "spend",
    "spend_micros": "spend_micros", "cost_micros": "spend_micros",
    "impressions": "impressions", "impr.": "impressions", "impr": "impressions",
    "clicks": "clicks", "link clicks": "clicks", "clicks all": "clicks",
    "conversions": "conversions", "conv.": "conversions", "results": "conversions", "leads": "conversions",
}


@dataclass
class AdExport:
    path: str
    platform: str
    rows: int
    columns: list[str]


@dataclass
class MetricsImport:
    rows: int = 0  # data lines read
    days: int = 0  # campaign-days written
    rejected: int = 0
    campaigns: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: reason"


def export_ads(session: Session, actor: Actor, ref: Any, path: str | Path) -> AdExport:
    """Write an ad campaign's variants as a CSV for its platform's bulk tool: Google Ads Editor (one responsive search
    ad per row), Meta Ads Manager bulk import (one ad per row), LinkedIn Campaign Manager (one ad per row). Ads are
    marked Paused. Columns are listed in docs/ads.md. Needs the ads permission."""
    require(actor.role, Permission.ADS, "export ads")
    ad = find_ad(session, ref)
    columns, rows = export_rows(ad)
    target = Path(path)
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(safe_row(r) for r in rows)
    return AdExport(str(target), ad.platform, len(rows), columns)


def export_rows(ad: AdCampaign) -> tuple[list[str], list[list[Any]]]:
    """The header and one row per variant in the layout of the ad's platform bulk tool (cells not yet made safe)."""
    rows = []
    for number, v in enumerate(ad.variants or [], 1):
        ad_name = f"{ad.name} - variant {number}"
        if ad.platform == "google":
            heads = (list(v.get("headlines") or []) + [""] * 15)[:15]
            descs = (list(v.get("descriptions") or []) + [""] * 4)[:4]
            rows.append([ad.name, ad_name, "Responsive search ad", "Paused", *heads, *descs, v.get("path1", ""),
                         v.get("path2", ""), v.get("final_url", "")])
        elif ad.platform == "facebook":
            rows.append([ad.name, f"{ad.name} - ad set", ad_name, "Paused", v.get("primary_text", ""),
                         v.get("headline", ""), v.get("description", ""), v.get("final_url", "")])
        else:
            rows.append([ad.name, ad_name, "Draft", v.get("intro", ""), v.get("headline", ""),
                         v.get("description", ""), v.get("final_url", "")])
    columns = {"google": GOOGLE_COLUMNS, "facebook": META_COLUMNS}.get(ad.platform, LINKEDIN_COLUMNS)
    return list(columns), rows


# --- import ---------------------------------------------------------------------------------------------------------

def import_ad_metrics(session: Session, actor: Actor, path: str | Path, *, ref: Any = None) -> MetricsImport:
    """Import daily ad results from a CSV. Columns (any order, case-insensitive): day/date, campaign (name or id;
    not needed when `ref` names the ad campaign), spend (dollars, or spend_micros), impressions, clicks, conversions.
    Google Ads, Meta and LinkedIn report exports are understood (Day/Cost/Impr./Conversions, Reporting starts/Amount
    spent/Results, Start Date/Total Spent). Title lines above the header and Total lines are skipped. Rows of the same
    campaign and day are added up; each day then replaces what was stored (importing a file twice changes nothing).
    Bad rows are reported by line and the good ones kept. Needs the ads permission."""
    require(actor.role, Permission.ADS, "import ad results")
    fixed = find_ad(session, ref) if ref is not None else None
    lines = _read_lines(Path(path))
    header_at, columns = _find_header(lines)
    result = MetricsImport()
    if fixed is None and "campaign" not in columns.values():
        raise AdError("the file has no campaign column: name the ad campaign to import into")
    sums: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    ads: dict[int, AdCampaign] = {}
    for number, cells in enumerate(lines[header_at + 1:], header_at + 2):
        record = {columns[i]: c.strip() for i, c in enumerate(cells) if i in columns}
        if not any(record.values()) or record.get("day", "").lower().startswith("total"):
            continue
        result.rows += 1
        try:
            ad, figures = _parse_record(session, record, fixed)
        except (AdError, m.MetricsError) as exc:
            result.rejected += 1
            result.errors.append(f"line {number}: {exc}")
            continue
        ads[ad.id] = ad
        total = sums[(ad.id, figures.day)]
        for i, value in enumerate((figures.spend_micros, figures.impressions, figures.clicks, figures.conversions)):
            total[i] += value
    for (ad_id, day), (spend, impressions, clicks, conversions) in sorted(sums.items()):
        upsert_day(session, ads[ad_id], m.DayFigures(day, spend, impressions, clicks, conversions))
    for ad in ads.values():
        refresh_totals(session, ad)
    result.days, result.campaigns = len(sums), sorted(a.name for a in ads.values())
    return result


def _read_lines(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise AdError(f"no file at {path}")
    data = path.read_bytes()
    if len(data) > MAX_IMPORT_BYTES:
        raise AdError(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_name(cell: str) -> str | None:
    key = " ".join(cell.strip().lower().replace("(", " ").replace(")", " ").split())
    for candidate in (key, key.rsplit(" ", 1)[0] if " " in key else key):
        if candidate in HEADERS:
            return HEADERS[candidate]
    return None


def _find_header(lines: list[list[str]]) -> tuple[int, dict[int, str]]:
    """The first line (of the first 10) that names a day column, with its known columns by position."""
    for at, cells in enumerate(lines[:10]):
        columns = {i: name for i, c in enumerate(cells) if (name := _header_name(c))}
        if "day" in columns.values():
            return at, columns
    raise AdError("no header with a day/date column in the first 10 lines; expected columns: day, campaign, spend, "
                  "impressions, clicks, conversions")


def _parse_record(session: Session, record: dict[str, str], fixed: AdCampaign | None) -> tuple[AdCampaign, Any]:
    ad = fixed or find_ad(session, record.get("campaign", ""))
    if "spend_micros" in record:
        spend, in_micros = record["spend_micros"], True
    else:
        spend, in_micros = record.get("spend", "0"), False
    figures = m.check_figures(record.get("day"), spend, record.get("impressions"), record.get("clicks"),
                              record.get("conversions"), spend_in_micros=in_micros)
    return ad, figures
