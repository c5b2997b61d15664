"""The chat's CSV import flow pieces: the downloadable error report is the whole stored report (not the first
problems kept on the result), and the status message shows the import's percentage from ImportProgress.fraction."""

from __future__ import annotations

import asyncio
import csv
import re

from agent.ui.chat_import import ProgressReporter, error_report
from tests.agent_support import StatusMessage
from tools.imports.importer import FIRST_ERRORS, run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")


def test_the_error_report_holds_every_problem_not_only_the_first(db, tmp_path):
    bad = FIRST_ERRORS + 15
    lines = ["Name,Email"] + [f"Nobody {i},not-an-email-{i}" for i in range(bad)] + ["Jane,jane@acme.com"]
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert result.rejected == bad and len(result.errors) == FIRST_ERRORS
    report = error_report(result, tmp_path, ADMIN)
    assert report is not None and report.name == f"import-{result.import_id}-errors.csv"
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert len([r for r in rows if r["rejected"] == "yes"]) == bad
    assert {int(r["line"]) for r in rows} == set(range(2, bad + 2))


def test_a_clean_import_has_no_report(db, tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text("Name,Email\nJane,jane@acme.com\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert error_report(result, tmp_path, ADMIN) is None
    assert not list(tmp_path.glob("*-errors.csv"))


def test_the_progress_shows_the_percentage_from_the_import(db, tmp_path):
    rows = 2000  # ~240 kB: the file is read in blocks, so the fraction moves over several batches
    lines = ["Name,Email,Notes"] + [f"Person {i},p{i}@example.com,{'x' * 100}" for i in range(rows)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = StatusMessage()

    async def run():
        progress = ProgressReporter(message, asyncio.get_running_loop())
        result = await asyncio.to_thread(run_import, str(path), actor=ADMIN, progress=progress, batch_size=200)
        await progress.settle()
        return result

    result = asyncio.run(run())
    assert result.created == rows
    percents = [int(re.match(r"Importing… (\d+)% \(", text).group(1)) for text in message.shown]
    assert len(message.shown) == rows // 200 and percents == sorted(percents), message.shown
    assert percents[0] < 100 and len(set(percents)) >= 3, message.shown
    assert message.shown[-1] == f"Importing… 100% ({rows:,} rows read, {rows:,} new so far)"


def test_the_mapping_card_says_what_a_consent_column_does(tmp_path):
    from agent.ui.chat_import import preview_markdown
    from tools.imports.importer import inspect_csv

    path = tmp_path / "leads.csv"
    path.write_text("Courriel,Marketing OK?,Do Not Call\njane@acme.com,no,\n", encoding="utf-8")
    card = preview_markdown("leads.csv", inspect_csv(path))
    assert "| Marketing OK? | consent.all (email+SMS consent, no = opt out) |" in card
    assert "| Do Not Call | optout.sms (SMS opt-out, yes/date = opt out) |" in card
    assert "never read as consent" in card
