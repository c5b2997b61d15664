"""Counts read as people write them: never "contact(s)"."""

import io
import re
import tokenize
from pathlib import Path

from domain.wording import noun, plural

ROOT = Path(__file__).resolve().parents[2]


def test_one_and_many():
    assert plural(1, "contact") == "1 contact" and plural(0, "contact") == "0 contacts"
    assert plural(2, "reply", "replies") == "2 replies" and noun(1, "reply", "replies") == "reply"


def test_no_message_counts_with_s_in_brackets():
    """No string of ours (chat, CLI, errors, logs) says "contact(s)": "1 contact(s) marked" is gone. Docstrings may
    quote it."""
    found = []
    for folder in ("agent", "tools", "domain", "cli", "webhooks", "workers", "integrations", "db"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for tok in tokenize.generate_tokens(io.StringIO(source).readline):
                text = tok.string
                if tok.type == tokenize.STRING and not re.match(r"^[rbfu]*(\"\"\"|''')", text, re.I) and \
                        re.search(r"\b(?!http\(s\))[A-Za-z]{2,}\(s\)", text):
                    found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {text[:80]}")
    assert not found, "\n".join(found)
