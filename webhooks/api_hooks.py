"""REST hooks for automation tools (tools/hooks.py), under /api/v1 with the `hooks:write` scope:

POST   /api/v1/hooks        {"target_url": ..., "events": [...]} -> the hook and its whsec_ secret (shown once)
GET    /api/v1/hooks        the key's active hooks
DELETE /api/v1/hooks/{id}   end one (204)

The target URL passes the outbound SSRF guard (public http(s) only; the POSTs pin the checked address)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response
from starlette.concurrency import run_in_threadpool

from domain.roles import PermissionDenied
from tools.hooks import SCOPE, HookNotFound, create_hook, delete_hook, list_hooks
from tools.outbound import OutboundError
from webhooks.api_models import MAX_ID, HookCreated, HookIn, HookList
from webhooks.api_schema import ERRORS
from webhooks.auth import require_scope

router = APIRouter(prefix="/hooks", tags=["REST hooks"])
HookId = Annotated[int, Path(ge=1, le=MAX_ID, description="The hook's id")]


def _run(fn) -> Any:
    from db.session import unit_of_work

    try:
        with unit_of_work() as uow:
            return fn(uow.session)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from None
    except HookNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except OutboundError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("", responses=ERRORS, status_code=201, operation_id="createHook", response_model=HookCreated,
             summary="Subscribe a URL to outbound events", openapi_extra={"responses": {"201": {"links": {
                 "DeleteHook": {"operationId": "deleteHook", "parameters": {"hook_id": "$response.body#/id"},
                                "description": "End the hook just made"}}}}})
async def post_hook(body: HookIn, key: Any = Depends(require_scope(SCOPE))) -> Any:
    """Deliveries are JSON POSTs signed in the Standard Webhooks format (webhook-id, webhook-timestamp,
    webhook-signature) with the returned `secret`; they are described in this schema's `webhooks` section.
    Answer 2xx to acknowledge, 410 to end the hook; anything else is retried with backoff."""
    hook, secret = await run_in_threadpool(_run, lambda s: create_hook(s, key, body.target_url, list(body.events)))
    return {**asdict(hook), "secret": secret}


@router.get("", responses=ERRORS, operation_id="listHooks", response_model=HookList,
            summary="The hooks this API key made")
async def get_hooks(key: Any = Depends(require_scope(SCOPE))) -> Any:
    return {"items": [asdict(h) for h in await run_in_threadpool(_run, lambda s: list_hooks(s, key))]}


@router.delete("/{hook_id}", responses=ERRORS, status_code=204, operation_id="deleteHook",
               response_class=Response, summary="End a hook")
async def remove_hook(hook_id: HookId, key: Any = Depends(require_scope(SCOPE))) -> Response:
    """Nothing more is sent to the hook's URL; pending deliveries stop. 404 when this key has no such hook."""
    await run_in_threadpool(_run, lambda s: delete_hook(s, key, hook_id))
    return Response(status_code=204)
