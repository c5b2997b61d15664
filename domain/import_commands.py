"""What a message typed while an import's mapping card waits means for it (pure).

"yes" / "import" start the import; "cancel" drops it; "map Société to company", "Société -> company",
"skip column Notes", "ignore Notes", "keep Notes as an attribute", "map Notes to attribute remarks" change the
mapping (several at once with ';' or a new line). Anything else is not about the card."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from domain.import_consent import consent_target
from domain.import_headers import attribute_key, fold, header_key, synonym

_GO = {"yes", "y", "ok", "okay", "import", "import it", "go", "go ahead", "do it", "confirm", "start",
       "import with this mapping", "start the import", "oui", "si", "ja", "sim"}
_CANCEL = {"cancel", "no", "n", "stop", "abort", "cancel import", "cancel the import", "cancel it", "non", "nein",
           "nao"}
_Q = r"[\"'“”‘’«»]?"
_PATTERNS = (  # (regex, what the target is: a group name or a fixed target)
    (rf"^(?:skip|ignore|drop|exclude|don'?t import|do not import)(?: the)?(?: column)? {_Q}(?P<col>.+?){_Q}"
     r"(?: column)?$", "ignore"),
    (rf"^keep(?: the)?(?: column)? {_Q}(?P<col>.+?){_Q}(?: column)? as (?:an? |its own )?attributes?"
     rf"(?: {_Q}(?P<key>[^\"'“”‘’«»]+){_Q})?$", "attribute"),
    (rf"^(?:map|set|use|put|import)(?: the)?(?: column)? {_Q}(?P<col>.+?){_Q}(?: column)? "
     rf"(?:to|as|into|->|→|=)(?: the)? {_Q}(?P<target>.+?){_Q}(?: field)?$", "target"),
    (rf"^{_Q}(?P<col>.+?){_Q} ?(?:->|→|=>|=|:) ?{_Q}(?P<target>.+?){_Q}$", "target"),
)


@dataclass
class CardAnswer:
    """kind: "go", "cancel", "change" (changes: column -> target), "error" (errors say why), or "other"."""

    kind: str
    changes: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def read_answer(text: str, columns: list[str], targets: tuple[str, ...]) -> CardAnswer:
    """What `text` means for a mapping card over `columns` (the file's headers); `targets` are the fields a
    column can map to (besides "ignore" and "attributes.<key>")."""
    said = " ".join(text.strip().strip(".!").split())
    if fold(said) in _GO:
        return CardAnswer("go")
    if fold(said) in _CANCEL:
        return CardAnswer("cancel")
    parts = [p.strip().strip(".!") for p in re.split(r"[;\n]+|,? and (?=(?:map|skip|ignore|keep|drop|set)\b)",
                                                     said, flags=re.IGNORECASE) if p.strip()]
    answer = CardAnswer("change")
    for part in parts:
        change = _one(part, columns, targets)
        if change is None:
            return CardAnswer("other") if not answer.changes and not answer.errors else _bad(answer, part)
        if isinstance(change, str):
            answer.errors.append(change)
        else:
            answer.changes.update([change])
    if answer.errors:
        answer.kind = "error"
    elif not answer.changes:
        answer.kind = "other"
    return answer


def _bad(answer: CardAnswer, part: str) -> CardAnswer:
    answer.errors.append(f"I did not understand {part!r}")
    answer.kind = "error"
    return answer


def _one(part: str, columns: list[str], targets: tuple[str, ...]) -> tuple[str, str] | str | None:
    """(column, target), an error text, or None when `part` is no mapping change."""
    for pattern, kind in _PATTERNS:
        match = re.match(pattern, part, flags=re.IGNORECASE)
        if not match:
            continue
        column = find_column(match.group("col"), columns)
        if column is None:
            if kind == "target" and pattern.startswith(rf"^{_Q}"):
                return None  # "a: b" that names no column is just a message
            return f"there is no column {match.group('col')!r} in the file (columns: {', '.join(columns)})"
        if kind == "ignore":
            return column, "ignore"
        if kind == "attribute":
            key = match.group("key")
            return column, f"attributes.{attribute_key(key or column, columns.index(column))}"
        target = find_target(match.group("target"), column, columns, targets)
        if target is None:
            return (f"{match.group('target')!r} is not a contact field: use one of {', '.join(targets)}, "
                    "ignore, or an attribute")
        return column, target
    return None


def find_column(name: str, columns: list[str]) -> str | None:
    """The column called `name`: exactly, else without case, accents and punctuation."""
    name = name.strip()
    if name in columns:
        return name
    key = header_key(name)
    return next((c for c in columns if header_key(c) == key), None) if key else None


def find_target(name: str, column: str, columns: list[str], targets: tuple[str, ...]) -> str | None:
    """The field `name` means: "company", "first name", "postal code", "Société" (a header synonym), "ignore",
    "attribute", "attribute remarks", "attributes.remarks"."""
    words = fold(name).strip()
    if words in ("ignore", "skip", "nothing", "none"):
        return "ignore"
    attribute = re.fullmatch(r"(?:an? )?attributes?(?:[. ](?P<key>.+))?", words)
    if attribute:
        key = attribute.group("key")
        return f"attributes.{attribute_key(key or column, columns.index(column))}"
    key = header_key(name)
    by_key = {header_key(t): t for t in targets}
    if key in by_key:
        return by_key[key]
    found = synonym(name) or consent_target(name)
    return found if found in targets or found.startswith(("attributes.", "consent.", "optout.")) else None
