"""Progress of a long command (`mkt contacts import|export`, `mkt analytics rebuild`) on stderr.

On a terminal: one bar redrawn in place (`\\r`) at most ten times a second, ended by a newline. Anywhere else
(a pipe, a log file, CI): plain lines, at most one every `every` seconds plus the last, never a carriage return."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 28


class Progress:
    def __init__(self, label: str, unit: str, *, stream: TextIO | None = None, every: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.unit = label, unit
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = 0.1 if self.tty else every
        self.clock = clock
        self._last = float("-inf")
        self._shown = ""
        self._line = ""

    def update(self, done: int, total: int | None = None, fraction: float | None = None) -> None:
        """`done` units so far, out of `total` when known (or `fraction` of the work, 0..1, when only that is)."""
        if fraction is None and total:
            fraction = done / total
        self._line = self._describe(done, total, fraction)
        now = self.clock()
        if now - self._last >= self.every:
            self._last = now
            self._show()

    def finish(self) -> None:
        """Show the last state (if not shown yet) and end the bar's line."""
        if self._line and self._line != self._shown:
            self._show()
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()

    def _describe(self, done: int, total: int | None, fraction: float | None) -> str:
        count = f"{done:,}/{total:,} {self.unit}" if total is not None else f"{done:,} {self.unit}"
        if fraction is None:
            return f"{self.label}: {count}"
        fraction = min(max(fraction, 0.0), 1.0)
        if self.tty:
            filled = round(fraction * WIDTH)
            return f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%} {count}"
        return f"{self.label}: {fraction:.0%} ({count})"

    def _show(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line.ljust(len(self._shown)))
        else:
            self.stream.write(self._line + "\n")
        self.stream.flush()
        self._shown = self._line
