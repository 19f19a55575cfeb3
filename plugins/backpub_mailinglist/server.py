"""`backpub newsletter serve`'s HTTP server: waitress, a production WSGI server in pure Python.

Why waitress: it runs the same on every platform backpub runs on (no fork, no C extension), its threads share
the one mail worker and the one connection pool of the process, and it has the limits a public form needs: a
fixed number of worker threads, a listen backlog, a connection limit, a timeout that drops slow or silent
clients, and a cap on headers and bodies. Requests beyond the threads wait in its queue, connections beyond the
limit wait in the kernel's backlog: nobody is refused while there is room. Under gunicorn or any other WSGI
server the same application comes from `backpub_mailinglist.service:app_from_environment`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backpub_mailinglist.service import MAX_REPORT


@dataclass(frozen=True)
class ServerLimits:
    threads: int = 8
    """Requests handled at once (each holds at most one database connection while it runs)."""
    backlog: int = 2048
    """Connections the kernel queues before waitress accepts them."""
    connection_limit: int = 1000
    """Open connections waitress serves at once; more wait in the backlog."""
    channel_timeout: int = 30
    """Seconds of silence after which a connection is closed (a slow client holds no thread meanwhile)."""
    max_request_body_size: int = MAX_REPORT
    max_request_header_size: int = 16 * 1024


def make_server(app: Callable, host: str, port: int, limits: ServerLimits):
    """A waitress server bound to host:port (0: a free port; `.effective_port` says which), not yet serving."""
    from waitress.server import create_server

    return create_server(
        app,
        host=host,
        port=port,
        threads=limits.threads,
        backlog=limits.backlog,
        connection_limit=limits.connection_limit,
        channel_timeout=limits.channel_timeout,
        cleanup_interval=max(1, min(30, limits.channel_timeout // 2)),  # how often silent clients are looked for
        max_request_body_size=limits.max_request_body_size,
        max_request_header_size=limits.max_request_header_size,
        ident="backpub",
        # The application reads the client's address from the header named by --client-ip-header, and only then;
        # waitress would otherwise strip every proxy header it was not told to trust.
        clear_untrusted_proxy_headers=False,
        expose_tracebacks=False,
        asyncore_use_poll=True,  # select() stops working beyond 1,024 open sockets
    )
