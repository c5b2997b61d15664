"""cli.progress: a bar on a terminal, plain lines elsewhere (never a bare carriage return)."""

from __future__ import annotations

import io

from cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal_at_most_one_per_interval_and_the_last():
    out, clock = io.StringIO(), Clock()
    bar = Progress("export", "contacts", stream=out, every=2.0, clock=clock)
    for done in range(1, 101):
        clock.now = done * 0.1  # 10 s in all
        bar.update(done, 100)
    bar.finish()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0] == "export: 1% (1/100 contacts)" and lines[-1] == "export: 100% (100/100 contacts)"
    assert len(lines) == 6  # at 0.1 s, then every 2 s (2.1, 4.1, 6.1, 8.1) and the last
    assert len(set(lines)) == len(lines)


def test_a_bar_redrawn_in_place_on_a_terminal_ending_with_a_newline():
    out, clock = Terminal(), Clock()
    bar = Progress("import", "rows", stream=out, clock=clock)
    bar.update(500, fraction=0.25)
    clock.now = 1.0
    bar.update(2000, fraction=1.0)
    bar.finish()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "import [#######.....................]  25% 500 rows" in text
    assert "import [############################] 100% 2,000 rows" in text


def test_unknown_total_shows_the_count_only_and_nothing_is_printed_for_no_work():
    out = io.StringIO()
    bar = Progress("import", "rows", stream=out, clock=Clock())
    bar.update(1234)
    bar.finish()
    assert out.getvalue() == "import: 1,234 rows\n"
    quiet = io.StringIO()
    Progress("rebuild", "days", stream=quiet).finish()
    assert quiet.getvalue() == ""
