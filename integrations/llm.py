"""The language model, when configured: ChatOpenAI on OPENAI_API_KEY (any OpenAI-compatible server through
OPENAI_BASE_URL). None means offline: callers use their deterministic path and say so."""

from __future__ import annotations

from typing import Any


def chat_model(*, api_key: str, model: str, base_url: str = "", streaming: bool = False, timeout: float = 60,
               temperature: float = 0) -> Any:
    """A ChatOpenAI client. Built on demand (never at import); Chat Completions API only (use_responses_api off),
    which every OpenAI-compatible server speaks."""
    from langchain_openai import ChatOpenAI

    kwargs: dict[str, Any] = {"model": model, "api_key": api_key, "timeout": timeout, "max_retries": 2,
                              "temperature": temperature, "use_responses_api": False, "streaming": streaming}
    if base_url:
        kwargs["base_url"] = base_url
    return ChatOpenAI(**kwargs)
