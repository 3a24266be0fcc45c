"""uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection.

asyncio turns Nagle off only for connections accepted on a listening socket created with
``proto=IPPROTO_TCP``; the socket uvicorn binds for ``--workers N`` has ``proto=0``, so responses
(headers and body written separately) waited for the client's delayed ACK: about 40 ms per request
on loopback. This class is passed as uvicorn's ``http`` protocol so every worker gets it.
"""

from __future__ import annotations

import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
