"""What keeps the site safe to open: links limited to http(s) and relative addresses, the
response headers (Content-Security-Policy with a per-response nonce, nosniff, no framing) and a
query-result cache bounded in bytes.

Every page's scripts are files under `/-/static...` or inline scripts of our own templates that
carry the response's nonce; with the nonce in the policy, browsers ignore 'unsafe-inline' for
scripts, so injected markup and `javascript:` addresses cannot run even if one got through the
escaping. Styles may be inline (Datasette's templates and Leaflet set them); nothing is loaded
from another host.
"""

from __future__ import annotations

import collections
import re
import secrets
import sys
from typing import Any

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
SAFE_SCHEMES = {"http", "https"}
NONCE_KEY = "brcd.csp_nonce"


def safe_url(url: Any) -> str | None:
    """`url` when it is an http(s) address or a relative one on this site, else None.

    Browsers drop control characters and leading spaces before they read a scheme
    (`java\\tscript:`), and treat `//host` and `/\\host` as another host, so those are refused too."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or any(ord(ch) < 0x20 or ch == "\x7f" for ch in text) or "\\" in text:
        return None
    m = SCHEME.match(text)
    if m:
        return text if m.group(1).lower() in SAFE_SCHEMES and text[len(m.group(0)):].startswith("//") else None
    if ":" in text.split("/", 1)[0]:
        return None  # `a:b/c` reads as a scheme in some browsers
    return None if text.startswith("//") else text


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def content_security_policy(nonce: str) -> str:
    """The policy of every response. `'strict-dynamic'` is left out on purpose: the map and chart
    scripts are loaded by URL from this site, which `'self'` allows."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(nonce: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy(nonce).encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]


# ---- the query-result cache --------------------------------------------------------------------

def result_bytes(rows: list[Any]) -> int:
    """An estimate of the memory a result's rows hold: each row's object and its cells (text and
    blobs by length). Close enough to bound a cache; it never underestimates by much, since the
    per-object overhead is counted too."""
    total = 0
    for row in rows:
        total += 64
        for value in row if isinstance(row, (tuple, list)) else tuple(row):
            if isinstance(value, (str, bytes)):
                total += sys.getsizeof(value)
            else:
                total += 32
    return total


class BoundedCache:
    """Least recently used results, at most `max_bytes` in all and `max_item_bytes` each (a larger
    result is simply not kept)."""

    def __init__(self, max_bytes: int, max_item_bytes: int) -> None:
        self.max_bytes, self.max_item_bytes = max_bytes, max_item_bytes
        self.items: collections.OrderedDict[Any, tuple[Any, int]] = collections.OrderedDict()
        self.bytes = 0

    def get(self, key: Any) -> Any:
        hit = self.items.get(key)
        if hit is None:
            return None
        self.items.move_to_end(key)
        return hit[0]

    def put(self, key: Any, value: Any, size: int) -> bool:
        if size > self.max_item_bytes:
            return False
        if key in self.items:
            self.bytes -= self.items.pop(key)[1]
        self.items[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes and self.items:
            self.bytes -= self.items.popitem(last=False)[1][1]
        return True

    def __len__(self) -> int:
        return len(self.items)
