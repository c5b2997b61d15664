"""Chatwoot client (CONTRACTS.md 3.4): post a reply into a conversation. Plus a sandbox twin used when no
Chatwoot is configured: it records nothing remotely and says so.

POST {base}/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages
header api_access_token; 200 = the message object (id, message_type 1, status "sent", ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from integrations.errors import PermanentError, RetryableError, retry_after_seconds


@dataclass(frozen=True)
class SentMessage:
    message_id: int | None
    conversation_id: int
    sandbox: bool = False
    raw: dict[str, Any] | None = None


class ChatwootClient:
    def __init__(self, base_url: str, token: str, account_id: int, *, client: httpx.Client | None = None,
                 timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        self._headers = {"api_access_token": token, "Content-Type": "application/json"}
        self._client = client
        self._timeout = timeout

    def send_message(self, conversation_id: int, content: str, *, private: bool = False) -> SentMessage:
        """Post an outgoing message. Raises RetryableError (429, 5xx, network) or PermanentError (4xx)."""
        url = f"{self.base_url}/api/v1/accounts/{self.account_id}/conversations/{int(conversation_id)}/messages"
        body = {"content": content, "message_type": "outgoing", "private": private, "content_type": "text",
                "content_attributes": {}}
        response = self._post(url, body)
        data = response.json() if response.content else {}
        return SentMessage(data.get("id"), int(conversation_id), raw=data)

    def _post(self, url: str, body: dict[str, Any]) -> httpx.Response:
        try:
            if self._client is not None:
                response = self._client.post(url, json=body, headers=self._headers, timeout=self._timeout)
            else:
                with httpx.Client(timeout=self._timeout) as client:
                    response = client.post(url, json=body, headers=self._headers)
        except httpx.TimeoutException as exc:
            raise RetryableError(f"Chatwoot timed out: {exc}") from exc
        except httpx.HTTPError as exc:
            raise RetryableError(f"Chatwoot unreachable: {exc}") from exc
        _raise_for(response)
        return response


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        return str(data.get("error") or data.get("message") or data.get("errors") or data)[:200]
    return str(data)[:200]


def _raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    text = _error_text(response)
    if status == 429 or status >= 500:
        raise RetryableError(f"Chatwoot answered {status}: {text}", status=status,
                             retry_after=retry_after_seconds(response.headers.get("retry-after")))
    meaning = {401: "the API token is wrong", 403: "the token may not access this conversation",
               404: "no such conversation in this account"}.get(status, "request refused")
    raise PermanentError(f"Chatwoot answered {status} ({meaning}): {text}", status=status)


class SandboxChatwoot:
    """No Chatwoot configured: nothing leaves the machine, and the result says sandbox=True."""

    account_id = 0

    def send_message(self, conversation_id: int, content: str, *, private: bool = False) -> SentMessage:
        return SentMessage(None, int(conversation_id), sandbox=True)


def client_from_settings(settings: Any, client: httpx.Client | None = None) -> ChatwootClient | SandboxChatwoot:
    if settings.chatwoot_api_url and settings.chatwoot_api_token:
        return ChatwootClient(settings.chatwoot_api_url, settings.chatwoot_api_token, settings.chatwoot_account_id,
                              client=client)
    return SandboxChatwoot()
