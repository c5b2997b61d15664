"""An OpenAI-compatible chat-completions server (CONTRACTS.md section 7), driven by a `responder`.

`responder(request_json) -> Reply` decides each answer: plain text, or tool calls. Streaming (SSE chunks,
tool-call argument fragments, [DONE]) and non-streaming are both served. Requests are recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


@dataclass
class Reply:
    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{"name": ..., "args": {...}}]
    status: int = 200  # 429/500 to play failures
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 12, "completion_tokens": 7,
                                                           "total_tokens": 19})


@dataclass
class FakeOpenAI:
    responder: Callable[[dict[str, Any]], Reply]
    api_key: str = "sk-test"
    requests: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/__health")
        async def health() -> dict[str, str]:
            return {"ok": "yes"}

        @app.get("/v1/models")
        async def models(request: Request):
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return JSONResponse({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}}, status_code=401)
            return {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1700000000,
                                                "owned_by": "fake"}]}

        @app.post("/v1/chat/completions")
        async def completions(request: Request):
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return JSONResponse({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}}, status_code=401)
            body = await request.json()
            self.requests.append(body)
            reply = self.responder(body)
            if reply.status != 200:
                return JSONResponse({"error": {"message": "fake failure", "type": "server_error"}},
                                    status_code=reply.status, headers={"retry-after": "0"})
            if body.get("stream"):
                return StreamingResponse(_stream(body, reply), media_type="text/event-stream")
            return JSONResponse(_completion(body, reply))

        return app


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [{"id": f"call_{i + 1}", "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c.get("args", {}))}}
            for i, c in enumerate(reply.tool_calls)]


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
            "usage": reply.usage}


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> str:
    data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "fake"), "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data)}\n\n"


def _stream(body: dict[str, Any], reply: Reply):
    yield _chunk(body, {"role": "assistant", "content": ""})
    if reply.content:
        for word in reply.content.split(" "):
            yield _chunk(body, {"content": word + " "})
    for i, call in enumerate(_tool_calls(reply)):
        args = call["function"]["arguments"]
        yield _chunk(body, {"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                            "function": {"name": call["function"]["name"], "arguments": ""}}]})
        half = len(args) // 2
        for part in (args[:half], args[half:]):
            yield _chunk(body, {"tool_calls": [{"index": i, "function": {"arguments": part}}]})
    yield _chunk(body, {}, "tool_calls" if reply.tool_calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield f"data: {json.dumps({'id': 'chatcmpl-fake', 'object': 'chat.completion.chunk', 'choices': [], 'usage': reply.usage})}\n\n"
    yield "data: [DONE]\n\n"
