"""uvicorn's h11 protocol with TCP_NODELAY on every connection, for `brcd serve`.

With several workers uvicorn binds the listening socket itself, with protocol 0, so asyncio
does not set TCP_NODELAY on the connections it accepts, and each keep-alive response waits
about 40 ms for a delayed ACK before its body leaves (docs/performance.md has the figures).
uvicorn imports this class by name in each worker (`http="brcd.site.nodelay:H11NoDelay"`);
the module is imported only there, so importing `brcd.site.serve` does not import uvicorn.
"""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

from brcd.oscalls import tcp_nodelay


class H11NoDelay(H11Protocol):
    def connection_made(self, transport) -> None:  # noqa: ANN001 - asyncio's transport
        tcp_nodelay(transport.get_extra_info("socket"))
        super().connection_made(transport)
