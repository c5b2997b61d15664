"""Every code path the docs name exists: a path with a folder must exist from the repository root; a bare file
name (the README's "`test_merge_contacts.py`" beside its folder) must exist somewhere in the repository. Folders
that runs create (var/, mutants/, tests/artifacts/) are left out. Moves left the README pointing at files that were
gone (agent/offline_sequences.py)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "AGENTS.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH = re.compile(r"`([a-z_][\w./*-]*(?:\.py|\.md|\.jsx|\.yaml|\.toml|/))`")
MADE_BY_RUNS = ("var/", "mutants/", "tests/artifacts/")
SKIP = {".venv", ".git", "mutants", "node_modules"}


def _repo_files() -> set[str]:
    names: set[str] = set()
    for _folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP and not d.startswith((".venv", "__pycache__"))]
        names.update(files)
        names.update(d + "/" for d in dirs)
    return names


def _exists(token: str, names: set[str]) -> bool:
    if "/" in token.rstrip("/"):
        return bool(list(ROOT.glob(token.rstrip("/")))) if "*" in token else (ROOT / token).exists()
    if "*" in token:
        return any(Path(n).match(token) for n in names)
    return token in names


def test_every_path_the_docs_name_exists():
    names = _repo_files()
    missing = []
    for doc in DOCS:
        for token in sorted(set(PATH.findall(doc.read_text(encoding="utf-8")))):
            if not token.startswith(MADE_BY_RUNS) and not _exists(token, names):
                missing.append(f"{doc.relative_to(ROOT)}: {token}")
    assert not missing, "\n".join(missing)
