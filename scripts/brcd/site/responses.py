"""Whole responses of an immutable database, kept in memory per worker.

The site's database never changes while it is served, so one address of it always answers with
the same page or the same JSON. The second request for it (a reader going back to a record or a
table, a script asking for the same filtered rows again) is answered from memory without running
Datasette at all. Kept: GET requests for an address under an immutable database (`/db/table`,
`/db/table/id`, their `.json`, `/db.json?sql=...`) that answer 200 with HTML or JSON and set no
cookie, each at most the cache's item size, all together at most its size in bytes
(`BoundedCache`). Not kept: errors, other content (CSV exports, files), anything of a mutable
database, other methods.

Every page carries its own Content-Security-Policy nonce on its inline scripts. A kept page keeps
the nonce of the request that rendered it, and each later answer swaps it for the nonce of its
own request (the random token appears nowhere else in the page), so the policy header that the
caller's `send` adds afresh still matches. A kept page repeats the "queries took" time of the
request that rendered it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable
from urllib.parse import unquote

from brcd.site.security import NONCE_KEY, BoundedCache

Send = Callable[[dict], Awaitable[None]]
KEPT_TYPES = (b"text/html", b"application/json")


def response_key(scope: dict, immutable: Callable[[str], bool]) -> tuple | None:
    """The key a GET of an address under an immutable database is kept under, else None. The
    Host header is part of it: Datasette writes absolute `next_url` links from it."""
    if scope.get("type") != "http" or scope.get("method", "GET").upper() != "GET":
        return None
    path = scope.get("path", "")
    parts = path.strip("/").split("/")
    first = unquote(parts[0])
    database = first[: -len(".json")] if len(parts) == 1 and first.endswith(".json") else first
    if not database or not immutable(database):
        return None
    host = next((v for k, v in scope.get("headers", []) if k.lower() == b"host"), b"")
    return (path, scope.get("query_string", b""), host)


def _content_type(headers: Any) -> bytes:
    return next((v for k, v in headers if k.lower() == b"content-type"), b"").split(b";")[0].strip().lower()


async def respond(cache: BoundedCache, key: tuple, app: Any, scope: dict, receive: Any, send: Send) -> bool:
    """Answer from `cache` when it holds `key`; else run `app` and keep its response when it is a
    200 of HTML or JSON without a cookie and fits. True when the answer came from the cache."""
    nonce = (scope.get(NONCE_KEY) or "").encode("ascii")
    kept = cache.get(key)
    if kept is not None:
        status, headers, body, old = kept
        if old and nonce:
            body = body.replace(old, nonce)
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
            headers = message.get("headers", [])
            keep = (message.get("status") == 200 and _content_type(headers) in KEPT_TYPES
                    and not any(name.lower() == b"set-cookie" for name, _ in headers))
        elif message["type"] == "http.response.body" and keep:
            body = message.get("body", b"")
            size += len(body)
            if size > cache.max_item_bytes:
                keep = False
                chunks.clear()
            else:
                chunks.append(body)
                if not message.get("more_body", False):
                    cache.put(key, (start["status"], tuple(start.get("headers", [])), b"".join(chunks), nonce), size)
        await send(message)

    await app(scope, receive, capture)
    return False
