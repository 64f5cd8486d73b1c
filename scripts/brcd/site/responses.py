"""Whole JSON responses of an immutable database, kept in memory per worker.

The site's database never changes while it is served, so one JSON address always answers with
the same bytes. The second request for it (a script asking for the same filtered table again,
a chart reloading its data) is answered from memory without running Datasette at all. Kept:
GET requests for a JSON address of an immutable database (`/db.json?sql=...`, `/db/table.json`,
`/db/table/id.json`) that answer 200 without setting a cookie, each at most the cache's item
size, all together at most its size in bytes (`BoundedCache`). Never kept: HTML pages (each
carries its own Content-Security-Policy nonce), errors, and anything of a mutable database.
The security headers are added afresh to every response, kept or not, by the caller's `send`.
A kept table JSON repeats the `query_ms` of the request that made it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable
from urllib.parse import unquote

from brcd.site.security import BoundedCache

Send = Callable[[dict], Awaitable[None]]


def response_key(scope: dict, immutable: Callable[[str], bool]) -> tuple | None:
    """The key a GET of a JSON address of an immutable database is kept under, else None.
    The Host header is part of it: Datasette writes absolute `next_url` links from it."""
    if scope.get("type") != "http" or scope.get("method", "GET").upper() != "GET":
        return None
    path = scope.get("path", "")
    first = unquote(path.strip("/").split("/", 1)[0])
    if not path.endswith(".json") or not first:
        return None
    database = first[: -len(".json")] if first.endswith(".json") and "/" not in path.strip("/") else first
    if not immutable(database):
        return None
    host = next((v for k, v in scope.get("headers", []) if k.lower() == b"host"), b"")
    return (path, scope.get("query_string", b""), host)


async def respond(cache: BoundedCache, key: tuple, app: Any, scope: dict, receive: Any, send: Send) -> bool:
    """Answer from `cache` when it holds `key`; else run `app` and keep its response when it is a
    200 without a cookie and fits. True when the answer came from the cache."""
    kept = cache.get(key)
    if kept is not None:
        status, headers, body = kept
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})
        return True
    start: dict = {}
    chunks: list[bytes] = []
    size, keep = 0, True

    async def capture(message: dict) -> None:
        nonlocal size, keep
        if message["type"] == "http.response.start":
            start.update(message)
            keep = message.get("status") == 200 and not any(
                name.lower() == b"set-cookie" for name, _ in message.get("headers", []))
        elif message["type"] == "http.response.body" and keep:
            body = message.get("body", b"")
            size += len(body)
            if size > cache.max_item_bytes:
                keep = False
                chunks.clear()
            else:
                chunks.append(body)
                if not message.get("more_body", False):
                    cache.put(key, (start["status"], tuple(start.get("headers", [])), b"".join(chunks)), size)
        await send(message)

    await app(scope, receive, capture)
    return False
