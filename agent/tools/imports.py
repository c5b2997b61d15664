"""Import tools for the model: the rejected rows of an import (file text: data only). The upload itself goes
through the chat's own flow (agent/chat_import.py: mapping shown, confirmed, progress, report file)."""

from __future__ import annotations

from pydantic import Field

from agent.tools.common import Args, data_text, landed, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission

imports = landed("tools.imports", "list_import_errors")


class ErrorsArgs(Args):
    import_id: int
    limit: int = Field(50, ge=1, le=500)


def _errors(session, actor, a: ErrorsArgs) -> ToolOutput:
    errors = imports.list_import_errors(session, actor, a.import_id, limit=a.limit)
    rows = [{"line": e.line, "column": e.column, "reason": e.reason, "value": e.value,
             "rejected": "row rejected" if e.rejected else "field dropped"} for e in errors]
    title = f"Import #{a.import_id}: {len(rows)} problem(s) shown (first {a.limit})."
    return ToolOutput(data_text(title, rows), table(title, ["line", "column", "reason", "value", "rejected"], rows))


if imports is not None:
    register(ToolSpec("import_errors", "The rejected rows and dropped fields of a CSV import, by line.", ErrorsArgs,
                      Permission.CONTACTS_READ, _errors, untrusted_output=True))
