"""Import tools for the model: where imports stand, and the rejected rows of one (file text: data only). The upload
itself goes through the chat's own flow (agent/ui/chat_import.py: mapping shown, confirmed, progress, report file);
an import runs as a job, so whoever was not watching asks here how it went."""

from __future__ import annotations

from pydantic import Field

from agent.core.render import field_label
from agent.tools.common import Args, data_text, message, next_steps, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from domain.wording import plural
from tools.imports import importer as imports
from tools.imports.job import ImportStatus, recent_imports


class ErrorsArgs(Args):
    import_id: int
    limit: int = Field(50, ge=1, le=500)


def _errors(session, actor, a: ErrorsArgs) -> ToolOutput:
    errors = imports.list_import_errors(session, actor, a.import_id, limit=a.limit)
    rows = [{"line": e.line, "column": e.column, "reason": e.reason, "value": e.value,
             "rejected": "row rejected" if e.rejected else "field dropped"} for e in errors]
    found = recent_imports(session, actor, import_id=a.import_id, limit=1)
    standing = f" ({_standing(found[0])})" if found else ""
    title = f"Import #{a.import_id}{standing}: {plural(len(rows), 'problem')} shown (first {a.limit})."
    shown = table(title, ["line", "column", "reason", "value", "rejected"], rows, full=True)  # reasons whole
    return ToolOutput(data_text(title, rows), shown)


register(ToolSpec("import_errors", "The rejected rows and dropped fields of a CSV import, by line.", ErrorsArgs,
                  Permission.CONTACTS_READ, _errors, untrusted_output=True, read_only=True))


class ImportsArgs(Args):
    import_id: int | None = Field(None, description="One import; empty: the latest imports.")
    limit: int = Field(10, ge=1, le=100)


def _standing(i: ImportStatus) -> str:
    """Where an import stands, in words: queued, importing (up to line N), done, or failed and why."""
    if i.status == "failed":
        return f"failed: {i.error or 'no reason recorded'}"
    if i.status == "running":
        return f"importing, up to line {i.done_line:,}" + (f", run {i.attempts}" if i.attempts > 1 else "")
    if i.status == "queued":
        return "queued, waiting for a worker"
    return i.status + (f" after {i.attempts} runs" if i.attempts > 1 else "")


def _list(session, actor, a: ImportsArgs) -> ToolOutput:
    found = recent_imports(session, actor, limit=a.limit, import_id=a.import_id)
    if not found:
        text = f"There is no import #{a.import_id}." if a.import_id else "No imports yet: drop a CSV file in the chat."
        return ToolOutput(text, message(text))
    rows = [{"import": f"#{i.import_id}", "file": i.filename, "status": _standing(i), "rows": i.rows,
             "new contacts": i.created, "rejected": i.rejected, "started": f"{i.created_at:%Y-%m-%d %H:%M} UTC"}
            for i in found]
    title = (f"Import #{found[0].import_id} ({found[0].filename}): {_standing(found[0])}." if len(found) == 1
             else f"The latest {plural(len(rows), 'import')}, newest first.")
    problems = [("Show its problems", f"show errors for import {i.import_id}") for i in found[:1]
                if len(found) == 1 and i.status in ("done", "failed")]
    shown = table(title, ["import", "file", "status", "rows", "new contacts", "rejected", "started"], rows, full=True,
                  next=next_steps(*problems))
    return ToolOutput(data_text(title, rows), shown)


register(ToolSpec("list_imports", "Where CSV imports stand: the latest ones, or one by number (queued, importing "
                  "and how far, done with its counts, or failed and why). Imports run as jobs: use this when "
                  "someone asks how an import went.", ImportsArgs, Permission.CONTACTS_READ, _list,
                  untrusted_output=True, read_only=True))


class ImportArgs(Args):
    file: str = Field(description="The name of a CSV file uploaded in this chat (as listed when it was uploaded).")
    policy: str = Field("fill", description="For contacts that already exist: fill (blank fields, default), "
                        "overwrite, or skip.")


def uploaded(name: str):
    """The uploaded file called `name`, only inside var/uploads (no other path can be reached)."""
    from pathlib import Path

    from settings import get_settings

    folder = (Path(get_settings().var_dir) / "uploads").resolve()
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"{name!r} is not the name of an uploaded file")
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise ValueError(f"no uploaded file named {name!r}: upload the CSV in the chat first")
    return path


def _import_summary(session, actor, a: ImportArgs) -> dict:
    path = uploaded(a.file)
    preview = imports.inspect_csv(path)

    mapping = ", ".join(f"{col} → {field_label(field)}" for col, field in preview.mapping.items())
    return {"title": f"Import {a.file}", "action": f"create or update contacts (policy {a.policy})",
            "who": f"every row of the file ({preview.size_bytes:,} bytes, {preview.encoding}, "
                   f"delimiter {preview.delimiter!r})", "sample": preview.sample_rows[:5],
            "details": {"mapping": mapping, **({"warnings": "; ".join(preview.warnings)} if preview.warnings else {})}}


def _import(session, actor, a: ImportArgs) -> ToolOutput:
    r = imports.run_import(uploaded(a.file), actor=actor, policy=a.policy, filename=a.file)
    text = (f"Imported {r.rows} rows from {a.file} (import #{r.import_id}): {r.created} new, {r.updated} updated, "
            f"{r.unchanged} unchanged, {r.duplicates} duplicates, {r.rejected} rejected"
            + (f", {r.opted_out} opted out by the file's consent columns" if r.opted_out else "")
            + (f", {r.probable_duplicates} probable duplicates (same phone as another contact, other email)"
               if r.probable_duplicates else "") + ".")
    steps = next_steps(("Show the rejected rows", f"show rejected rows of import {r.import_id}"),
                       ("Enrich the new contacts", "enrich contacts not enriched")) if r.rejected else \
        next_steps(("Enrich the new contacts", "enrich contacts not enriched"))
    return ToolOutput(text, message(text, next=steps))


register(ToolSpec("import_contacts", "Import contacts from a CSV file uploaded in this chat, with the proposed "
                  "column mapping. Changes many rows: waits for Approve, showing the mapping and first rows.",
                  ImportArgs, Permission.CONTACTS_WRITE, _import, summarise=_import_summary))
