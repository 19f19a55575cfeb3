"""One way to serve a WSGI application: waitress, a production WSGI server in pure Python, with limits.

Why waitress: it runs the same on every platform backpub runs on (no fork, no C extension), its threads share
what the process holds warm (a loaded programme, a database pool, a renderer), and it has the limits a public
service needs: a fixed number of worker threads, a listen backlog, a connection limit, a timeout that drops slow
or silent clients, and a cap on headers and bodies (larger requests are answered 413 before the application
sees them). Requests beyond the threads wait in its queue, connections beyond the limit in the kernel's backlog:
nobody is refused while there is room. Every service a plugin runs (`backpub clinic serve`, ...) goes through
`make_server` and `run_server`; the same applications run under any other WSGI server.

waitress keeps no access log, and it is told never to show a traceback to a client.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ServerLimits:
    """How much a server takes on at once, and how long and how large a request may be."""

    threads: int = 8
    """Requests handled at once."""
    backlog: int = 2048
    """Connections the kernel queues before waitress accepts them."""
    connection_limit: int = 1000
    """Open connections waitress serves at once; more wait in the backlog."""
    channel_timeout: int = 30
    """Seconds of silence after which a connection is closed (a slow client holds no thread meanwhile)."""
    max_request_body_size: int = 1024 * 1024
    """The largest request body, in bytes (waitress answers 413 to a larger one)."""
    max_request_header_size: int = 16 * 1024
    """The largest request head, in bytes."""


def server_options(defaults: ServerLimits) -> Callable[[F], F]:
    """A service command's `--threads`, `--backlog`, `--timeout` and `--connection-limit` options, with its own
    defaults, handed to the command as one `limits: ServerLimits` (the request-size caps as `defaults` has them)."""
    import click

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def with_limits(
            *args: Any, threads: int, backlog: int, timeout: int, connection_limit: int, **kwargs: Any
        ) -> Any:
            limits = dataclasses.replace(
                defaults, threads=threads, backlog=backlog, channel_timeout=timeout, connection_limit=connection_limit
            )
            return command(*args, limits=limits, **kwargs)

        options = [
            click.option("--threads", default=defaults.threads, show_default=True, type=click.IntRange(1, 256),
                         help="Requests served at once."),
            click.option("--backlog", default=defaults.backlog, show_default=True, type=click.IntRange(1),
                         help="The listen backlog."),
            click.option("--timeout", default=defaults.channel_timeout, show_default=True, type=click.IntRange(1),
                         help="Idle seconds before a client is dropped."),
            click.option("--connection-limit", default=defaults.connection_limit, show_default=True,
                         type=click.IntRange(1), help="Open connections served at once."),
        ]  # fmt: skip
        for option in reversed(options):
            with_limits = option(with_limits)
        return with_limits  # type: ignore[return-value]

    return decorate


def make_server(app: Callable[..., Any], host: str, port: int, limits: ServerLimits) -> Any:
    """A waitress server for `app` bound to host:port (0: a free port; `.effective_port` says which), not yet
    serving: `run_server` runs it."""
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
        # An application that trusts a proxy's header reads it itself, and only the one it is told to; waitress
        # would otherwise strip every proxy header it was not told to trust.
        clear_untrusted_proxy_headers=False,
        expose_tracebacks=False,
        asyncore_use_poll=True,  # select() stops working beyond 1,024 open sockets
    )


def run_server(server: Any) -> None:
    """Run a server from `make_server` until Ctrl-C or SIGTERM (which closes its socket under its loop)."""
    signal.signal(signal.SIGTERM, lambda signum, frame: server.close())
    with contextlib.suppress(KeyboardInterrupt, OSError):
        server.run()
