"""The UI in a real browser: Debian's headless Chromium driven by Playwright against `mkt serve`.

Log in; upload a French-headed CSV, correct one column's mapping in the chat and import; the sidebar lists the live
thread at once; ask for a segment and see the table; draft an SMS campaign, preview it, approve the launch (sandbox)
and see the progress; open analytics and see the chart; the contact card, the campaign list and card (its funnel chart
says simulated); an email campaign with a message typed while its card waits; a follow-up sequence drafted,
previewed, launched (Approve) and its status opened; the sample data's inbox: open a
conversation and reply to it (simulated); preview an email campaign as its recipients see it (desktop, phone,
text version); reload and reopen the thread.
Every step leaves a screenshot in tests/artifacts/browser/ (gitignored; CI keeps them as artifacts).

Chromium must be installed (`apt-get install -y chromium`; .ci/run does it): without it the test FAILS, it is never
skipped. It is marked `browser` and runs once, on the SQLite pass (the Makefile leaves it out of the PostgreSQL
pass): its server runs on its own SQLite file with the in-process queue whatever the pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from settings import ROOT
from tests.clock import daytime_zone
from tests.e2e.server import ADMIN_EMAIL, ADMIN_PASSWORD, running_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("MKT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
# the flags the machine page gives for headless Chromium on a closed network, as root
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
AUTH_SECRET = "browser-test-auth-secret-" + "x" * 24
SMS_BODY = "Hi {first_name|there}, spring roof checks this week"
# French headers (issue 16): every column maps by its synonyms except "Activité" (the trade), which the importer
# keeps as an attribute; the marketer corrects it to tags in the chat, and the walk's campaigns target those tags
CSV = """Prénom,Nom,Courriel,Téléphone portable,Société,Ville,Région,Activité,Fuseau horaire
Jane,Doe,jane@acme-roofing.com,512 555 0100,Acme Roofing,Austin,TX,roofer,{zone}
John,Smith,john@bestroofs.com,(512) 555-0101,Best Roofs,Austin,TX,roofer,{zone}
Maria,Garcia,maria@garcia-build.com,214-555-0102,Garcia Build,Dallas,TX,roofer,{zone}
Li,Wei,li@wei-plumbing.com,+1 713 555 0103,Wei Plumbing,Houston,TX,plumber,{zone}
Sam,Jones,,512.555.0104,Jones Roofing,Austin,TX,roofer,{zone}
"""
STEP_TIMEOUT_MS = 45_000


class Steps:
    """Numbered screenshots, one per step (and one when a step fails)."""

    def __init__(self, page) -> None:
        self.page, self.n = page, 0

    def shot(self, name: str) -> Path:
        self.n += 1
        path = ARTIFACTS / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), animations="disabled", full_page=False)
        return path


@pytest.fixture
def browser_page() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` (.ci/run installs it). "
                    "The browser test never skips.")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    return {"MKT_DATABASE_URL": f"sqlite:///{tmp_path / 'browser.db'}", "MKT_REDIS_URL": "",
            "MKT_VAR_DIR": str(tmp_path / "var"), "CHAINLIT_AUTH_SECRET": AUTH_SECRET, "MKT_LOG_FORMAT": "json"}


@pytest.fixture
def app_server(tmp_path, server_env) -> Iterator:
    with running_server(tmp_path, **server_env) as srv:
        yield srv


def say(page, text: str) -> None:
    """Type and send, once the previous turn has finished (the send button is disabled while a turn runs)."""
    page.locator("#chat-input").fill(text)
    page.locator("#chat-submit:not([disabled])").click()


def wait_until(page, condition, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    waited = 0
    while not condition():
        assert waited < timeout_ms, "the page did not change in time"
        page.wait_for_timeout(200)
        waited += 200


def login(page, steps: Steps, base: str) -> None:
    page.goto(f"{base}/login", wait_until="domcontentloaded")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    steps.shot("login-form")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_text("This is your marketing workspace").wait_for()
    assert page.get_by_text("SMS: SANDBOX - recorded, never sent").is_visible()
    steps.shot("welcome")


def import_csv(page, steps: Steps, csv_path: Path) -> None:
    # Chainlit deletes APP_ROOT/.files when any server of this tree stops; another test's server may have done so
    (ROOT / ".files").mkdir(exist_ok=True)
    page.locator("#upload-button-input").set_input_files(str(csv_path))
    page.locator("#chat-submit:not([disabled])").wait_for()
    page.locator("#chat-submit").click()
    page.get_by_text("Proposed mapping").wait_for()
    mapping = page.locator("table").filter(has_text="first_name")
    text = mapping.first.inner_text()
    assert mapping.count() >= 1 and "region" in text and "attributes.activite" in text, text
    steps.shot("import-mapping")
    # the sidebar lists the thread while it is live (it said "No threads found" until a reload)
    page.locator('a[href*="/thread/"]').filter(has_text="Import of contacts.csv").first.wait_for()
    say(page, "map Activité to tags")
    page.get_by_text(re.compile(r"Mapping changed: Activité → tags")).first.wait_for()
    corrected = page.locator("table").filter(has_text="first_name").last.inner_text()
    assert re.search(r"Activité\s+tags", corrected), corrected
    steps.shot("import-mapping-corrected")
    page.get_by_role("button", name="Import with this mapping").last.click()
    summary = page.get_by_text(re.compile(r"Imported \d+ rows")).first
    summary.wait_for()
    assert re.search(r"Imported 5 rows: 5 new contacts", summary.inner_text()), summary.inner_text()
    steps.shot("import-summary")


def segment_table(page, steps: Steps) -> None:
    say(page, "show contacts in Austin")
    table = page.locator("table").filter(has_text="Jane Doe")
    table.first.wait_for()
    text = table.first.inner_text()
    assert "John Smith" in text and "Sam Jones" in text and "Maria Garcia" not in text
    steps.shot("segment-table")


def sms_campaign(page, steps: Steps) -> str:
    """Draft, preview, launch and follow an SMS campaign; returns the UTC date its messages were sent on."""
    say(page, f"draft an sms campaign to roofers in Texas: {SMS_BODY}")
    page.get_by_text(re.compile(r"Drafted sms campaign")).first.wait_for()
    steps.shot("campaign-draft")
    page.get_by_role("button", name="Preview it").last.click()
    preview = page.get_by_text(re.compile(r"Preview of '.*': Audience \d+, eligible now \d+")).first
    preview.wait_for()
    assert "Excluded:" in preview.inner_text() and "Estimated cost" in preview.inner_text()
    assert page.locator("table").filter(has_text="spring roof checks").count() >= 1, "rendered samples"
    steps.shot("campaign-preview")
    campaign_id = re.search(r"#(\d+)", page.get_by_text(re.compile(r"Drafted sms campaign")).first.inner_text()).group(1)
    say(page, f"launch campaign {campaign_id}")
    page.get_by_text(re.compile(r"Approve: Launch campaign")).first.wait_for()
    steps.shot("campaign-approve")
    page.get_by_role("button", name="Approve").last.click()
    launched = page.get_by_text(re.compile(r"Launched campaign #\d+: \d+ queued")).first
    launched.wait_for()
    assert f"#{campaign_id}" in launched.inner_text()
    assert "SANDBOX" in page.locator("body").inner_text(), "the sandbox says so"
    steps.shot("campaign-launched")
    progress = page.get_by_text(re.compile(r"Campaign '.*' is \w+: \d+ of \d+ done"))
    for attempt in range(12):  # the sandbox "sends" at the SMS rate limit; ask until all 4 are done
        before = progress.count()
        say(page, f"status of campaign {campaign_id}")
        wait_until(page, lambda before=before: progress.count() > before)
        if attempt == 0:
            steps.shot("campaign-progress")
        if re.search(r": 4 of 4 done", progress.last.inner_text()):
            break
        page.wait_for_timeout(1500)
    sent_on = datetime.now(UTC).date().isoformat()
    assert re.search(r": 4 of 4 done; simulated (delivered|sent) 4", progress.last.inner_text()), \
        progress.last.inner_text()  # a sandbox send never reads as real
    steps.shot("campaign-done")
    return sent_on


def refresh_analytics(env: dict[str, str]) -> None:
    """What the periodic analytics.refresh job does every minute, run now (`mkt analytics refresh`)."""
    run = subprocess.run([sys.executable, "-m", "cli.main", "analytics", "refresh"], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def analytics_chart(page, steps: Steps, server_env: dict[str, str], sent_on: str) -> None:
    """The daily table and chart; `sent_on`: the day (the account's zone is UTC) the SMS went out."""
    refresh_analytics(server_env)
    say(page, "analytics last 7 days")
    row = page.locator("table tr").filter(has_text=sent_on).last
    row.wait_for()
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    header = [c.strip().lower() for c in page.locator("table").last.locator("th").all_inner_texts()]
    sms = next(i for i, h in enumerate(header) if "sms" in h)
    assert cells[sms] == "4", f"today's SMS count in the analytics table: {dict(zip(header, cells, strict=False))}"
    chart = page.locator(".js-plotly-plot, iframe[title*=lot], [data-testid*=plotly]").first
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # plotly draws after it is attached
    steps.shot("analytics-chart")


def contact_card(page, steps: Steps) -> None:
    """The contact card: fields, consent per channel, the SMS she got with its text (simulated)."""
    say(page, "open contact Jane Doe")
    card = page.get_by_text(re.compile(r"Contact card of Jane Doe")).first
    card.wait_for()
    body = page.locator("body").inner_text()
    assert "can be messaged" in body and "simulated" in body and "spring roof checks" in body, body[-2000:]
    steps.shot("contact-card")


def campaigns_list_and_card(page, steps: Steps) -> None:
    """The campaign list, then the card opened from its button: funnel chart, exclusions in words, the message."""
    say(page, "list campaigns")
    page.get_by_text(re.compile(r"\d+ campaigns?, newest first")).first.wait_for()
    assert page.locator("table").filter(has_text="simulated").count() >= 1, "sandbox numbers say simulated"
    steps.shot("campaign-list")
    charts = page.locator(".js-plotly-plot")
    before = charts.count()
    page.get_by_role("button", name=re.compile(r"^Open ")).last.click()
    page.get_by_text(re.compile(r"Excluded:")).last.wait_for()
    wait_until(page, lambda: charts.count() > before)
    body = page.locator("body").inner_text()
    assert "no address for this channel" in body or "opted out" in body or "Excluded: nobody" in body
    wait_until(page, lambda: "SIMULATED" in (charts.last.text_content() or ""))  # the funnel chart itself says so
    charts.last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    steps.shot("campaign-card")


def email_preview(page, steps: Steps, campaign_id: str) -> None:
    """The email as the first recipient gets it (public/elements/EmailPreview.jsx): desktop, phone, text."""
    say(page, f"preview campaign {campaign_id}")
    element = page.locator("[data-testid=email-preview]").first
    element.wait_for()
    frame = element.locator("iframe")
    frame.wait_for()
    assert "Spring roof checks" in element.inner_text() and frame.evaluate("f => f.offsetWidth") == 600
    body = page.frame_locator("[data-testid=email-preview] iframe").first.locator("body")
    assert re.search(r"Hi (Jane|John|Maria), our spring roof checks", body.inner_text()), body.inner_text()
    assert "Unsubscribe" in body.inner_text()
    element.scroll_into_view_if_needed()
    steps.shot("email-preview-desktop")
    element.locator("[data-testid=email-preview-mobile]").click()
    wait_until(page, lambda: frame.evaluate("f => f.offsetWidth") == 375)
    steps.shot("email-preview-mobile")
    element.locator("[data-testid=email-preview-text]").click()
    assert re.search(r"Hi (Jane|John|Maria), our spring roof checks", element.locator("pre").inner_text())
    steps.shot("email-preview-text")


def email_campaign_with_a_message_while_the_card_waits(page, steps: Steps) -> None:
    """An email campaign launches out of the box in sandbox; the chat stays usable while its card waits."""
    say(page, "draft an email campaign to roofers in Texas: Spring roof checks | Hi {first_name|there}, "
              "our spring roof checks are open this week.")
    drafted = page.get_by_text(re.compile(r"Drafted email campaign")).first
    drafted.wait_for()
    campaign_id = re.search(r"#(\d+)", drafted.inner_text()).group(1)
    email_preview(page, steps, campaign_id)
    say(page, f"launch campaign {campaign_id}")
    page.get_by_text(re.compile(r"Approve: Launch campaign .*\(email\)")).first.wait_for()
    page.locator("[data-testid=email-preview]").nth(1).wait_for()  # the card shows the email too
    steps.shot("email-approve-card")
    say(page, "how many contacts")  # typed while the card waits: answered, and the card still waits
    page.get_by_text(re.compile(r"Still waiting for your Approve or Cancel")).first.wait_for()
    page.get_by_text(re.compile(r"\b5 contacts match")).first.wait_for()
    steps.shot("message-while-card-waits")
    page.get_by_role("button", name="Approve").last.click()
    launched = page.get_by_text(re.compile(rf"Launched campaign #{campaign_id}: \d+ queued")).first
    launched.wait_for()
    assert "no address for this channel: 1" in launched.inner_text(), launched.inner_text()  # Sam has no email
    steps.shot("email-launched")


SEQUENCE = ("create a sequence for roofers in Texas: sms now 'Hi {first_name|there}, spring roof check?', then after 2 "
            "days if no reply email 'Spring offer | Hi {first_name|there}, 10% off in May.'")


def sequence(page, steps: Steps) -> None:
    """A follow-up sequence (issue 23): draft it in the chat, preview its steps, approve its launch, open its status
    (the funnel per step)."""
    say(page, SEQUENCE)
    drafted = page.get_by_text(re.compile(r"Drafted \(nothing is sent until you launch it\)")).first
    drafted.wait_for()
    sequence_id = re.search(r"\(#(\d+), draft\): 2 steps for an audience of 4", drafted.inner_text()).group(1)
    steps.shot("sequence-draft")
    page.get_by_role("button", name="Preview it").last.click()
    preview = page.get_by_text(re.compile(r"Preview\. Sequence '.*' \(#\d+, draft\)")).first
    preview.wait_for()
    assert "The most it can cost" in preview.inner_text(), preview.inner_text()
    rows = page.locator("table").filter(has_text="no reply yet").last.inner_text()  # eligible now and cost per step
    assert "eligible now" in rows and "2 days after the previous step" in rows and "spring roof check?" in rows, rows
    steps.shot("sequence-preview")
    page.get_by_role("button", name="Launch it").last.click()
    page.get_by_text(re.compile(r"Approve: Launch sequence '.*' \(2 steps\)")).first.wait_for()
    steps.shot("sequence-approve")
    page.get_by_role("button", name="Approve").last.click()
    launched = page.get_by_text(re.compile(rf"Launched sequence '.*' \(#{sequence_id}\): 4 people enrolled")).first
    launched.wait_for()
    steps.shot("sequence-launched")
    page.get_by_role("button", name="Status").last.click()
    status = page.get_by_text(re.compile(r"Sequence '.*' is \w+: 4 enrolled")).first
    status.wait_for()
    funnel = page.locator("table").filter(has_text="left after it").last.inner_text()
    assert "1 · sms" in funnel and "2 · email" in funnel, funnel
    steps.shot("sequence-status")


def inbox_reply(page, steps: Steps) -> None:
    """The sample data's inbox: open a conversation from the list and reply to it (a simulated conversation in
    sandbox: recorded, labelled simulated, nothing sent)."""
    say(page, "load sample data")
    page.get_by_text(re.compile(r"Loaded sample data")).first.wait_for()
    say(page, "show replies")
    inbox = page.locator("table").filter(has_text="Tom Becker").last
    inbox.wait_for()
    assert "sms · simulated" in inbox.inner_text(), inbox.inner_text()
    steps.shot("inbox")
    page.get_by_role("button", name="Open Tom Becker").last.click()
    page.get_by_text(re.compile(r"Conversation with Tom Becker on sms")).first.wait_for()
    assert "YES please send it" in page.locator("body").inner_text()
    steps.shot("conversation")
    page.get_by_role("button", name="Reply").last.click()
    page.get_by_text(re.compile(r"What should the reply to")).last.wait_for()
    say(page, "reply to tom becker: Thanks Tom, the flyer is on its way")
    page.get_by_text(re.compile(r"Approve: Reply to Tom Becker on sms \(simulated")).first.wait_for()
    steps.shot("reply-approve")
    page.get_by_role("button", name="Approve").last.click()
    page.get_by_text(re.compile(r"SIMULATED - a sample conversation: the reply to Tom Becker on sms was recorded")) \
        .first.wait_for()
    steps.shot("reply-recorded")


def reopen_thread(page, steps: Steps, base: str) -> None:
    """Reload, reopen the conversation from the history: its charts are still there."""
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_text("This is your marketing workspace").first.wait_for()
    link = page.locator('a[href*="/thread/"]').first
    link.wait_for()
    title = link.inner_text().strip()
    assert title == "Import of contacts.csv", f"the thread is titled after what the user did, not {title!r}"
    link.click()
    page.get_by_text(re.compile(r"Contact card of Jane Doe")).first.wait_for()
    charts = page.locator(".js-plotly-plot")
    wait_until(page, lambda: charts.count() >= 2)  # the analytics chart and the campaign funnel came back
    charts.last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    steps.shot("thread-reopened")


def test_a_marketer_imports_segments_launches_an_sms_campaign_and_reads_analytics(app_server, server_env, browser_page,
                                                                                   tmp_path):
    csv_path = tmp_path / "contacts.csv"
    # the server runs in its own process with the real clock: the contacts live in a zone where it is daytime now,
    # so the SMS goes out at any hour the suite runs (at night in Texas it is rightly deferred by quiet hours)
    csv_path.write_text(CSV.format(zone=daytime_zone()))
    page, steps = browser_page, Steps(browser_page)
    done: list[str] = []
    seen: dict[str, str] = {}
    try:
        for name, step in (("login", lambda: login(page, steps, app_server.base)),
                           ("import", lambda: import_csv(page, steps, csv_path)),
                           ("segment", lambda: segment_table(page, steps)),
                           ("campaign", lambda: seen.update(sent_on=sms_campaign(page, steps))),
                           ("analytics", lambda: analytics_chart(page, steps, server_env, seen["sent_on"])),
                           ("contact", lambda: contact_card(page, steps)),
                           ("campaigns", lambda: campaigns_list_and_card(page, steps)),
                           ("email", lambda: email_campaign_with_a_message_while_the_card_waits(page, steps)),
                           ("sequence", lambda: sequence(page, steps)),
                           ("inbox", lambda: inbox_reply(page, steps)),
                           ("reopen", lambda: reopen_thread(page, steps, app_server.base))):
            step()
            done.append(name)
    except Exception:
        steps.shot(f"FAILED-after-{'-'.join(done) or 'start'}")
        (ARTIFACTS / "server.log").write_text(app_server.log())
        raise
    log = app_server.log()
    assert AUTH_SECRET not in log and ADMIN_PASSWORD not in log, "a secret reached the server log"
    assert "spring roof checks" not in log, "the SMS body reached the server log at INFO"
    assert len(list(ARTIFACTS.glob("*.png"))) >= 19
