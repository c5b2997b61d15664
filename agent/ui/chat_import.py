"""The CSV import flow in the chat: upload -> inspect_csv -> the proposed mapping and a sample -> Import/Cancel, or a
typed change ("map Société to company", "skip column X", "keep X as an attribute") that shows the card again ->
the import queued as a job (imports.run), followed from its row in the background (the chat stays
usable meanwhile) with live progress -> summary, the row-level error
report as a downloadable file, next-step buttons.
The card never blocks the chat: other messages are answered while it waits (and the reply says it still waits).
Cells from the file are shown escaped and are never given to a model."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chainlit as cl

from agent.core.render import cell, field_label, markdown_table, neutralise
from agent.tools.common import plain
from agent.ui.chat_ui import run_as_turn
from agent.ui.chat_user import current_actor
from domain.roles import Permission, can
from domain.wording import plural
from tools.imports.importer import inspect_csv
from tools.users import Actor

log = logging.getLogger(__name__)
CSV_MIMES = {"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"}


def csv_files(elements: list[Any]) -> list[Any]:
    return [e for e in elements if getattr(e, "path", None) and (
        str(getattr(e, "name", "")).lower().endswith((".csv", ".txt", ".tsv")) or getattr(e, "mime", "") in CSV_MIMES)]


def keep_upload(element: Any) -> Path:
    """Copy the upload under var/uploads (Chainlit's .files folder is cleaned at shutdown)."""
    from agent.ui.uploads import keep

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


PREVIEW_COLUMNS = 50  # a 10,000-column file would make a card no browser renders
PREVIEW_WARNINGS = 20


def _hidden_summary(hidden: list[list[Any]]) -> str:
    """What the columns past PREVIEW_COLUMNS map to, counted by target."""
    counts: dict[str, int] = {}
    for _, target in hidden:
        counts[str(target)] = counts.get(str(target), 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:5]
    said = ", ".join(f"{n:,} → {cell(t, 40)}" for t, n in top)
    return f"_…and {len(hidden):,} more columns not shown ({said}{', …' if len(counts) > 5 else ''})._"


def preview_markdown(name: str, preview: Any) -> str:
    """The mapping card: the first PREVIEW_COLUMNS columns, the rest summarised; at most 5 sample rows."""
    mapping = mapping_rows(preview.mapping)
    rows = [[header, field_label(target)] for header, target in mapping[:PREVIEW_COLUMNS]]
    sample = [list(r.values()) if isinstance(r, dict) else list(r) for r in (preview.sample_rows or [])[:5]]
    sample = [r[:PREVIEW_COLUMNS] for r in sample]
    parts = [f"**{name}**: encoding {preview.encoding}, delimiter `{preview.delimiter!s}`.",
             "**Proposed mapping** (column → contact field):\n\n" + markdown_table(["column", "field"], rows)]
    if len(mapping) > PREVIEW_COLUMNS:
        parts.append(_hidden_summary(mapping[PREVIEW_COLUMNS:]))
    if any(str(target).startswith(("consent.", "optout.")) for _, target in mapping_rows(preview.mapping)):
        from domain.import_consent import EXPLAIN

        parts.append(EXPLAIN)
    if sample:
        parts.append("**First rows:**\n\n" + markdown_table(list(preview.headers)[: len(sample[0])], sample))
    warnings = list(preview.warnings or [])
    if warnings:
        shown = "\n".join(f"- {w}" for w in warnings[:PREVIEW_WARNINGS])
        more = f"\n- …and {len(warnings) - PREVIEW_WARNINGS:,} more" if len(warnings) > PREVIEW_WARNINGS else ""
        parts.append("**Warnings:**\n" + shown + more)
    return neutralise("\n\n".join(parts))


def error_report(result: Any, folder: Path, actor: Actor) -> Path | None:
    """The whole row-level report (rejected rows, dropped fields) as a formula-safe CSV, or None when clean.
    Written from the stored report (tools.imports.importer.export_import_errors), not from result.errors, which holds only
    the first problems."""
    from db.session import unit_of_work
    from tools.imports.importer import export_import_errors

    path = folder / f"import-{result.import_id}-errors.csv"
    with unit_of_work() as uow:
        count = export_import_errors(uow.session, actor, result.import_id, path)
    if count:
        return path
    path.unlink(missing_ok=True)
    return None


def summary_markdown(result: Any) -> str:
    text = (f"Imported **{result.rows}** rows: {result.created} new contacts, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.duplicates} duplicates in the file, {result.rejected} rejected.")
    if getattr(result, "opted_out", 0):
        text += (f" {plural(result.opted_out, 'row')} opted out by the file's consent columns (suppressed; unclear values "
                 "are in the report).")
    if getattr(result, "probable_duplicates", 0):
        text += (f" {plural(result.probable_duplicates, 'probable duplicate')}: a new contact with the phone of another "
                 "contact and another email (lines in the report; \"merge contact A into B\" if one person).")
    return text


def progress_text(p: Any) -> str:
    """One line for an ImportProgress (rows, bytes_read, bytes_total, fraction, counts)."""
    return f"Importing… {p.fraction:.0%} ({p.rows:,} rows read, {p.counts.created:,} new so far)"


class ProgressReporter:
    """The import's progress callback (after each batch of rows: from run_import's thread, or from follow_import as
    the job's row moves): the status message shows the percentage from ImportProgress.fraction. Updates run on the
    event loop, in order; `settle()` waits for those still queued, so none lands after the final text."""

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


@dataclass
class PendingImport:
    """A mapping card waiting for Import / Cancel / a typed change (one per chat session; the newest upload wins)."""

    name: str
    path: Path
    preview: Any
    overrides: dict[str, str] = field(default_factory=dict)
    card: Any = None  # the cl.Message that carries the buttons
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


_PENDING = "import_card"


def revise(pending: PendingImport, changes: dict[str, str]) -> Any:
    """The preview with `changes` added to the pending ones (ValueError for a column or field that does not
    exist: nothing changes then). Reads the file again: call it from a worker thread."""
    preview = inspect_csv(str(pending.path), {**pending.overrides, **changes})
    pending.overrides.update(changes)
    pending.preview = preview
    return preview


async def import_flow(element: Any, actor: Actor | None) -> None:
    if actor is None or not can(actor.role, Permission.CONTACTS_WRITE):
        await cl.Message(content="Refused: importing contacts needs the 'contacts:write' permission "
                                 "(marketer or admin).").send()
        return
    path = await asyncio.to_thread(keep_upload, element)
    try:
        preview = await asyncio.to_thread(inspect_csv, str(path))
    except ValueError as exc:  # ImportFileError: not a CSV we can read
        await cl.Message(content=neutralise(f"I can't read {element.name}: {exc}. Nothing was imported.")).send()
        return
    earlier = cl.user_session.get(_PENDING)
    if earlier is not None:
        await _close_card(earlier, f"Not imported: {earlier.name} was replaced by {element.name}.")
    await _show_card(PendingImport(element.name, path, preview))


async def _show_card(pending: PendingImport, note: str = "") -> None:
    """Post the mapping card (buttons, not a blocking ask: the chat stays usable while it waits)."""
    if pending.card is not None:
        await pending.card.remove_actions()
    hint = ("\n\nImport, Cancel, or type a change: \"map Société to company\", \"skip column X\", "
            "\"keep X as an attribute\".")
    pending.card = cl.Message(content=note + preview_markdown(pending.name, pending.preview) + hint, actions=[
        cl.Action(name="import_go", payload={"card": pending.id}, label="Import with this mapping"),
        cl.Action(name="import_cancel", payload={"card": pending.id}, label="Cancel")])
    cl.user_session.set(_PENDING, pending)
    await pending.card.send()


async def _close_card(pending: PendingImport, text: str) -> None:
    cl.user_session.set(_PENDING, None)
    if pending.card is not None:
        await pending.card.remove_actions()
    await cl.Message(content=text).send()


async def answer_card(text: str) -> bool:
    """A typed message while a mapping card waits: True when it answered the card (import, cancel, a mapping
    change or why a change cannot be made); False when it is about something else, after saying that the card is
    still waiting (the caller then handles the message as usual)."""
    from domain.import_commands import read_answer
    from domain.import_consent import TARGETS as CONSENT_TARGETS
    from domain.imports import TARGETS

    pending: PendingImport | None = cl.user_session.get(_PENDING)
    if pending is None:
        return False
    answer = read_answer(text, list(pending.preview.mapping), TARGETS + CONSENT_TARGETS)
    if answer.kind == "go":
        await _start(pending, await current_actor())
    elif answer.kind == "cancel":
        await _close_card(pending, "Import cancelled: nothing was imported.")
    elif answer.kind == "change":
        try:
            await asyncio.to_thread(revise, pending, answer.changes)
        except ValueError as exc:
            await cl.Message(content=neutralise(f"Mapping not changed: {exc}. The import of {pending.name} still waits.")).send()
            return True
        done = ", ".join(f"{c} → {t}" for c, t in answer.changes.items())
        await _show_card(pending, f"Mapping changed: {done}.\n\n")
    elif answer.kind == "error":
        await cl.Message(content="Mapping not changed: " + "; ".join(answer.errors)
                         + f". The import of {pending.name} still waits for Import or Cancel.").send()
    else:
        await cl.Message(content=f"The import of **{pending.name}** is still waiting for Import or Cancel (above); "
                                 "this message is answered on its own.").send()
        return False
    return True


async def _start(pending: PendingImport, actor: Actor | None) -> None:
    if actor is None or not can(actor.role, Permission.CONTACTS_WRITE):
        await _close_card(pending, "Refused: importing contacts needs the 'contacts:write' permission.")
        return
    cl.user_session.set(_PENDING, None)
    await pending.card.remove_actions()
    status = cl.Message(content="Importing…")
    await status.send()
    try:
        import_id = await asyncio.to_thread(queue_upload, pending, actor)
    except ValueError as exc:
        status.content = neutralise(f"Import failed: {exc}")
        await status.update()
        return
    _in_background(_follow_and_report(import_id, status, pending.path.parent, actor))


async def _follow_and_report(import_id: int, status: Any, folder: Path, actor: Actor) -> None:
    """Follow the job, then post the summary: in the background, so the turn ends at once and the chat stays
    usable while a large file imports, or while no worker has taken the job yet."""
    try:
        result = await follow_import(import_id, status)
        if result is not None:
            await _send_summary(result, folder, actor)
    except asyncio.CancelledError:  # the session ended: the job goes on, "how did my import go" tells
        pass
    except Exception:  # noqa: BLE001 - a progress that cannot be read stops the following, not the chat
        log.exception("following import %s failed", import_id)
        await cl.Message(content=f"I could not follow import #{import_id} any further: ask \"how did import "
                                 f"{import_id} go\" for where it stands.").send()


_FOLLOWING: set[asyncio.Task] = set()


def _in_background(work: Any) -> None:
    task = asyncio.create_task(work)
    _FOLLOWING.add(task)
    task.add_done_callback(_FOLLOWING.discard)


def queue_upload(pending: PendingImport, actor: Actor) -> int:
    """Write the import's row (queued) and send the job imports.run once it is committed; the import id."""
    from db.session import unit_of_work
    from tools.imports.importer import queue_import

    with unit_of_work() as uow:
        import_id = queue_import(uow.session, pending.path, actor=actor, mapping=pending.preview.mapping,
                                 policy="fill", filename=pending.name)
    return import_id


QUEUED_NOTE_AFTER = 2.0  # seconds: a job still queued by then waits for a worker (said once)
QUEUED_FOR = 600.0  # seconds: a job no worker has taken by then is left to "how did import N go"
QUEUED_NOTE = "Import queued: it starts as soon as a worker is free. The chat stays usable meanwhile."


async def follow_import(import_id: int, status: Any, poll: float = 0.5, queued_for: float = QUEUED_FOR) -> Any:
    """Follow the import job from its row until it ends: the status message shows its percentage as batches commit
    (ProgressReporter), then "Import finished." and the result, or "Import failed: <why>" and None. A job that no
    worker takes within `queued_for` seconds is no longer followed: the message says how to ask, and None."""
    from tools.imports.job import FINISHED

    loop = asyncio.get_running_loop()
    progress = ProgressReporter(status, loop)
    shown, polls, give_up = 0, 0, loop.time() + queued_for
    while True:
        state, now, error = await asyncio.to_thread(_progress_of, import_id)
        if state in FINISHED:
            break
        polls += 1
        if now.rows != shown:
            shown = now.rows
            progress(now)
        elif state == "queued" and loop.time() >= give_up:
            await progress.settle()
            status.content = (f"Import #{import_id} is still queued: no worker has taken it yet. It starts as soon "
                              f"as one is free; ask \"how did import {import_id} go\" to see where it stands.")
            await status.update()
            return None
        elif state == "queued" and polls == max(1, round(QUEUED_NOTE_AFTER / max(poll, 0.001))):
            await progress.settle()
            status.content = QUEUED_NOTE
            await status.update()
        await asyncio.sleep(poll)
    await progress.settle()
    if state == "failed":
        status.content = neutralise(f"Import failed: {error}")
        await status.update()
        return None
    status.content = "Import finished."
    await status.update()
    return await asyncio.to_thread(_result_of, import_id)


def _progress_of(import_id: int) -> Any:
    from db.session import unit_of_work
    from tools.imports.job import progress_of

    with unit_of_work() as uow:
        return progress_of(uow.session, import_id)


def _result_of(import_id: int) -> Any:
    from db.session import unit_of_work
    from tools.imports.job import result_of

    with unit_of_work() as uow:
        return result_of(uow.session, import_id)


async def _card_button(action: Any, go: bool) -> None:
    pending: PendingImport | None = cl.user_session.get(_PENDING)
    if pending is None or pending.id != (action.payload or {}).get("card"):
        await cl.Message(content="That import card is no longer waiting (already imported, cancelled or replaced).").send()
        return
    if go:
        await _start(pending, await current_actor())
    else:
        await _close_card(pending, "Import cancelled: nothing was imported.")


_TASKS: set[asyncio.Task] = set()


def _spawn(work: Any) -> None:
    task = asyncio.create_task(run_as_turn(work))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    cl.context.session.current_task = task


@cl.action_callback("import_go")
async def on_import_go(action: cl.Action) -> None:
    _spawn(_card_button(action, True))


@cl.action_callback("import_cancel")
async def on_import_cancel(action: cl.Action) -> None:
    _spawn(_card_button(action, False))


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
