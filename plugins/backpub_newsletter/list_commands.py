"""`backpub newsletter serve|import|export|unsubscribe`: the subscriber list and the subscription service."""

from __future__ import annotations

from pathlib import Path

import click

from backpub import ConfigError
from backpub_newsletter.commands import STORE_HELP
from backpub_newsletter.store import default_store_path

# -- the subscriber list -------------------------------------------------------------------------------------------

content_option = click.option(
    "--content", "content_dir", default="content", show_default=True, type=click.Path(path_type=Path)
)
store_option = click.option("--store", "store_path", type=click.Path(path_type=Path), help=STORE_HELP)


@click.command()
@content_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--smtp", "smtp_address", required=True, metavar="HOST:PORT", help="Where confirmation mails go.")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@store_option
@click.option("--client-ip-header", metavar="NAME", help="Header your HTTPS proxy sets to the client address.")
def serve(
    content_dir: Path,
    host: str,
    port: int,
    smtp_address: str,
    starttls: bool,
    store_path: Path | None,
    client_ip_header: str | None,
) -> None:
    """Serve the sign-up, confirm and unsubscribe pages (put an HTTPS proxy in front of it).

    Uses the same SMTP settings and secrets as `newsletter send`; the list lives in --store.
    """
    from backpub_newsletter.service import make_app, serve_wsgi

    app = make_app(content_dir, smtp_address, starttls, store_path, client_ip_header)
    try:
        server = serve_wsgi(app, host, port)
    except OSError as exc:  # the port is taken, or not ours to use: one line, not a traceback
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"Subscription service on http://{host}:{server.server_port}/ (list: {app.store.path})")
    for path in sorted(app.routes):
        click.echo(f"  {path}")
    click.echo("Press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@content_option
@store_option
def import_(csv_path: Path, content_dir: Path, store_path: Path | None) -> None:
    """Add an existing list (CSV with an 'email' column) to the subscriber list; unsubscribed addresses stay out."""
    from backpub_newsletter.store import Member, SubscriberStore
    from backpub_newsletter.subscribers import read_subscribers

    subscribers, problems = read_subscribers(csv_path)
    for problem in problems:
        click.secho(f"{csv_path}:{problem.line}: skipped: {problem.message}", fg="yellow", err=True)
    store = SubscriberStore(store_path or default_store_path(content_dir))
    members = [Member(s.address.addr_spec, s.address.display_name) for s in subscribers]
    summary = store.import_members(members)
    click.echo(f"Imported {csv_path} into {store.path}:")
    click.echo(f"  added              {summary.added}")
    click.echo(f"  confirmed          {summary.confirmed} (were waiting for confirmation)")
    click.echo(f"  already subscribed {summary.already}")
    click.echo(f"  left out           {summary.kept_unsubscribed} (unsubscribed; never added back)")
    if problems:
        rows = "row" if len(problems) == 1 else "rows"
        click.echo(f"  invalid            {len(problems)} {rows} skipped (listed above)")


@click.command()
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, allow_dash=True))
@content_option
@store_option
def export(csv_path: Path, content_dir: Path, store_path: Path | None) -> None:
    """Write the subscribed addresses as a CSV for `newsletter send --subscribers` ('-' for standard output).

    For a sender on another machine: export just before sending, so recent unsubscribes are honoured.
    """
    from backpub_newsletter.store import SubscriberStore

    path = store_path or default_store_path(content_dir)
    if not path.is_file():
        raise ConfigError(f"no subscriber list at {str(path)!r}")
    text = SubscriberStore(path).export_csv()
    if str(csv_path) == "-":
        click.echo(text, nl=False)
        return
    csv_path.write_text(text, encoding="utf-8")
    count = text.count(chr(10)) - 1
    click.echo(f"{csv_path}: {count} subscriber{'' if count == 1 else 's'}", err=True)


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@content_option
@store_option
def unsubscribe(addresses: tuple[str, ...], content_dir: Path, store_path: Path | None) -> None:
    """Unsubscribe addresses by hand (e.g. requests sent to the List-Unsubscribe mailto: address)."""
    from backpub_newsletter.store import SubscriberStore
    from backpub_newsletter.subscribers import ADDRESS

    bad = [address for address in addresses if not ADDRESS.match(address)]
    if bad:
        raise ConfigError(f"not an email address: {', '.join(bad)}")
    store = SubscriberStore(store_path or default_store_path(content_dir))
    for address in addresses:
        store.unsubscribe(address)
    click.echo(f"{len(addresses)} address(es) unsubscribed in {store.path}")


LIST_COMMANDS = (serve, import_, export, unsubscribe)
"""The commands that look after the list, added to the `newsletter` group beside `send`."""
