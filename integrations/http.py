"""One way to call a provider over httpx: network failures become RetryableError, HTTP errors go through the
provider's own `raise_for` (which separates retry-later from never-retry). A failure before the request could be
sent (no connection, no free connection in the pool) is a plain retry; one after (no answer in time, connection
dropped) is `in_doubt`: the provider may have acted on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from integrations.errors import RetryableError


def call(client: httpx.Client, provider: str, method: str, url: str,
         raise_for: Callable[[httpx.Response], None], **kw: Any) -> httpx.Response:
    try:
        response = client.request(method, url, **kw)
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableError(f"{provider} timed out connecting: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{provider} timed out: {exc}", in_doubt=True) from exc
    except httpx.ConnectError as exc:
        raise RetryableError(f"{provider} unreachable: {exc}") from exc
    except httpx.HTTPError as exc:
        raise RetryableError(f"{provider} connection failed: {type(exc).__name__}: {exc}", in_doubt=True) from exc
    raise_for(response)
    return response
