"""The CSV import flow in the chat: upload -> inspect_csv -> the proposed mapping and a sample -> Import/Cancel ->
run_import with live progress -> summary, the row-level error report as a downloadable file, next-step buttons.
Cells from the file are shown escaped and are never given to a model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import chainlit as cl

from agent.render import markdown_table
from agent.tools.common import plain
from domain.roles import Permission, can
from tools.users import Actor

CSV_MIMES = {"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"}


def csv_files(elements: list[Any]) -> list[Any]:
    return [e for e in elements if getattr(e, "path", None) and (
        str(getattr(e, "name", "")).lower().endswith((".csv", ".txt", ".tsv")) or getattr(e, "mime", "") in CSV_MIMES)]


def keep_upload(element: Any) -> Path:
    """Copy the upload under var/uploads (Chainlit's .files folder is cleaned at shutdown)."""
    from agent.uploads import keep

    return keep(element.path, element.name)


def mapping_rows(mapping: Any) -> list[list[Any]]:
    data = plain(mapping)
    if isinstance(data, dict) and isinstance(data.get("columns"), list | dict):
        data = data["columns"]
    if isinstance(data, dict):
        return [[header, target] for header, target in data.items()]
    if isinstance(data, list):
        return [list(item.values())[:2] if isinstance(item, dict) else list(item)[:2] for item in data]
    return [[str(data), ""]]


def preview_markdown(name: str, preview: Any) -> str:
    rows = mapping_rows(preview.mapping)
    sample = [list(r.values()) if isinstance(r, dict) else list(r) for r in (preview.sample_rows or [])[:5]]
    parts = [f"**{name}**: encoding {preview.encoding}, delimiter `{preview.delimiter!s}`.",
             "**Proposed mapping** (column → contact field):\n\n" + markdown_table(["column", "field"], rows)]
    if sample:
        parts.append("**First rows:**\n\n" + markdown_table(list(preview.headers)[: len(sample[0])], sample))
    if preview.warnings:
        parts.append("**Warnings:**\n" + "\n".join(f"- {w}" for w in preview.warnings))
    return "\n\n".join(parts)


def error_report(result: Any, folder: Path, actor: Actor) -> Path | None:
    """The whole row-level report (rejected rows, dropped fields) as a formula-safe CSV, or None when clean.
    Written from the stored report (tools.imports.export_import_errors), not from result.errors, which holds only
    the first problems."""
    from db.session import unit_of_work
    from tools.imports import export_import_errors

    path = folder / f"import-{result.import_id}-errors.csv"
    with unit_of_work() as uow:
        count = export_import_errors(uow.session, actor, result.import_id, path)
    if count:
        return path
    path.unlink(missing_ok=True)
    return None


def summary_markdown(result: Any) -> str:
    return (f"Imported **{result.rows}** rows: {result.created} new contacts, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.duplicates} duplicates in the file, {result.rejected} rejected.")


def progress_text(p: Any) -> str:
    """One line for an ImportProgress (rows, bytes_read, bytes_total, fraction, counts)."""
    return f"Importing… {p.fraction:.0%} ({p.rows:,} rows read, {p.counts.created:,} new so far)"


class ProgressReporter:
    """The import's progress callback (called in the import's worker thread after each batch of rows): the status
    message shows the percentage from ImportProgress.fraction. Updates run on the event loop, in order;
    `settle()` waits for those still queued, so none lands after the final text."""

    def __init__(self, message: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.message, self.loop = message, loop
        self.pending: list[Any] = []

    def __call__(self, p: Any) -> None:
        self.pending.append(asyncio.run_coroutine_threadsafe(self._show(progress_text(p)), self.loop))

    async def _show(self, text: str) -> None:
        self.message.content = text
        await self.message.update()

    async def settle(self) -> None:
        pending, self.pending = self.pending, []
        await asyncio.gather(*(asyncio.wrap_future(f) for f in pending), return_exceptions=True)


async def import_flow(element: Any, actor: Actor | None) -> None:
    if actor is None or not can(actor.role, Permission.CONTACTS_WRITE):
        await cl.Message(content="Refused: importing contacts needs the 'contacts:write' permission "
                                 "(marketer or admin).").send()
        return
    try:
        from tools.imports import inspect_csv, run_import
    except ImportError:
        await cl.Message(content="CSV import is not available in this build yet.").send()
        return
    path = await asyncio.to_thread(keep_upload, element)
    try:
        preview = await asyncio.to_thread(inspect_csv, str(path))
    except ValueError as exc:  # ImportFileError: not a CSV we can read
        await cl.Message(content=f"I can't read {element.name}: {exc}. Nothing was imported.").send()
        return
    answer = await cl.AskActionMessage(content=preview_markdown(element.name, preview), timeout=3600, actions=[
        cl.Action(name="import", payload={"go": "yes"}, label="Import with this mapping"),
        cl.Action(name="cancel", payload={"go": "no"}, label="Cancel")]).send()
    if not answer or (answer.get("payload") or {}).get("go") != "yes":
        await cl.Message(content="Import cancelled: nothing was imported.").send()
        return
    status = cl.Message(content="Importing…")
    await status.send()
    progress = ProgressReporter(status, asyncio.get_running_loop())
    try:
        result = await asyncio.to_thread(run_import, str(path), actor=actor, mapping=preview.mapping,
                                         policy="fill", progress=progress, filename=element.name)
    except ValueError as exc:
        await progress.settle()
        status.content = f"Import failed: {exc}"
        await status.update()
        return
    await progress.settle()
    status.content = "Import finished."
    await status.update()
    await _send_summary(result, path.parent, actor)


async def _send_summary(result: Any, folder: Path, actor: Actor) -> None:
    report = await asyncio.to_thread(error_report, result, folder, actor)
    elements = [cl.File(name=report.name, path=str(report), display="inline")] if report else []
    actions = [cl.Action(name="say", payload={"text": "enrich contacts not enriched"}, label="Enrich them"),
               cl.Action(name="say", payload={"text": "how many contacts"}, label="Count all contacts")]
    if result.rejected:
        actions.append(cl.Action(name="say", payload={"text": f"show rejected rows of import {result.import_id}"},
                                 label="Show the rejected rows"))
    text = summary_markdown(result)
    if report:
        text += f"\n\nThe rejected rows and dropped fields are in **{report.name}** (attached)."
    await cl.Message(content=text, elements=elements, actions=actions).send()
