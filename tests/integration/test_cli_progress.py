"""Long commands report progress on stderr: plain lines when stderr is not a terminal (here: a pipe), never `\\r`."""

from __future__ import annotations

import os
import subprocess
import sys


def _mkt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ})


def test_import_export_and_rebuild_print_plain_progress_lines(db, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("email,first_name\n" + "".join(f"p{i}@acme-roofing.com,P{i}\n" for i in range(250)), encoding="utf-8")
    imported = _mkt("contacts", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert "\r" not in imported.stderr
    assert imported.stderr.splitlines()[-1] == "import: 100% (250 rows)"
    assert "250 created" in imported.stdout

    exported = _mkt("contacts", "export", str(tmp_path / "out.csv"))
    assert exported.returncode == 0, exported.stderr
    assert "\r" not in exported.stderr and exported.stderr.splitlines()[-1] == "export: 100% (250/250 contacts)"
    assert "250 contacts written" in exported.stdout

    rebuilt = _mkt("analytics", "rebuild", "--from", "2026-05-01", "--to", "2026-05-07")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "\r" not in rebuilt.stderr and rebuilt.stderr.splitlines()[-1] == "rebuild: 100% (7/7 days)"
    assert "rebuilt 7 days" in rebuilt.stdout
