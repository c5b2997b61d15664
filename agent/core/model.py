"""Which model answers: ChatOpenAI when OPENAI_API_KEY is set (any OpenAI-compatible server through
OPENAI_BASE_URL), else the offline parser. Built on demand, never at import."""

from __future__ import annotations

from typing import Any

from settings import Settings, get_settings


def build_model(settings: Settings | None = None, *, streaming: bool = True) -> Any:
    settings = settings or get_settings()
    if settings.offline_model:
        from agent.offline.model import OfflineChatModel

        return OfflineChatModel()
    from integrations.llm import chat_model

    return chat_model(api_key=settings.openai_api_key, model=settings.openai_model,
                      base_url=settings.openai_base_url, streaming=streaming)
