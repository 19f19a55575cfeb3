"""`backpub newsletter serve|import|export|unsubscribe|bounces|suppressions`: the list and its service."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from backpub import ConfigError
from backpub_mailinglist.project import content_option, database_option, open_list


@click.command()
@content_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--smtp", "smtp_address", required=True, metavar="HOST:PORT", help="Where the list's mails go.")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@database_option
@click.option("--client-ip-header", metavar="NAME", help="Header your HTTPS proxy sets to the client address.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Requests served at once.")
@click.option("--backlog", default=2048, show_default=True, type=click.IntRange(1), help="The listen backlog.")
@click.option(
    "--timeout", default=30, show_default=True, type=click.IntRange(1), help="Idle seconds before a client is dropped."
)
@click.option(
    "--connection-limit",
    default=1000,
    show_default=True,
    type=click.IntRange(1),
    help="Open connections served at once.",
)
@click.option(
    "--signups-per-client",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Sign-ups per client address per hour.",
)
def serve(
    content_dir: Path,
    host: str,
    port: int,
    smtp_address: str,
    starttls: bool,
    database: str | None,
    client_ip_header: str | None,
    threads: int,
    backlog: int,
    timeout: int,
    connection_limit: int,
    signups_per_client: int,
) -> None:
    """Serve the sign-up, confirm, unsubscribe (and bounces) pages with waitress (put an HTTPS proxy in front).

    Uses the same SMTP settings and secrets as `newsletter send`; the list lives in --database. Confirmation and
    welcome mails are queued in the database and sent by a background worker, with retries.
    """
    from backpub_mailinglist.server import ServerLimits, make_server
    from backpub_mailinglist.service import make_app
    from backpub_mailinglist.store import SignUpLimits

    limits = ServerLimits(threads=threads, backlog=backlog, channel_timeout=timeout, connection_limit=connection_limit)
    app = make_app(
        content_dir, smtp_address, starttls, database, client_ip_header, pool_size=threads,
        limits=SignUpLimits(signups_per_client=signups_per_client),
    )  # fmt: skip
    try:
        server = make_server(app, host, port, limits)
    except OSError as exc:  # the port is taken, or not ours to use: one line, not a traceback
        app.mailing.db.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    app.start_worker()
    click.echo(f"Subscription service on http://{host}:{server.effective_port}/ (list: {app.mailing.db.label})")
    for path in sorted(app.routes):
        click.echo(f"  {path}")
    click.echo("Press Ctrl-C to stop.", nl=True)
    signal.signal(signal.SIGTERM, lambda signum, frame: server.close())
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass  # SIGTERM closes the server's socket under its loop
    finally:
        app.worker.stop()
        app.mailing.db.close()


@click.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@content_option
@database_option
def import_(csv_path: Path, content_dir: Path, database: str | None) -> None:
    """Add an existing list (CSV with an 'email' column) to the subscriber list; unsubscribed addresses stay out."""
    from backpub_mailinglist.csvfile import read_members

    rows = read_members(csv_path)
    problems = rows.problems
    for problem in problems:
        click.secho(f"{csv_path}:{problem.line}: skipped: {problem.message}", fg="yellow", err=True)
    mailing = open_list(content_dir, database, create=True)
    summary = mailing.import_members(rows.members, membership=rows.membership)
    click.echo(f"Imported {csv_path} into {mailing.db.label}:")
    click.echo(f"  added              {summary.added}")
    click.echo(f"  confirmed          {summary.confirmed} (were waiting for confirmation)")
    click.echo(f"  already subscribed {summary.already}")
    click.echo(f"  left out           {summary.kept_unsubscribed} (unsubscribed; never added back)")
    if summary.suppressed:
        click.echo(f"  suppressed         {summary.suppressed} (bounced or complained: never mailed)")
    if problems:
        rows = "row" if len(problems) == 1 else "rows"
        click.echo(f"  invalid            {len(problems)} {rows} skipped (listed above)")
    mailing.db.close()


@click.command()
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, allow_dash=True))
@content_option
@database_option
def export(csv_path: Path, content_dir: Path, database: str | None) -> None:
    """Write the subscribed addresses as a CSV ('-' for standard output): a backup, or a list to move elsewhere."""
    mailing = open_list(content_dir, database, create=False)
    text = mailing.export_csv()
    mailing.db.close()
    if str(csv_path) == "-":
        click.echo(text, nl=False)
        return
    csv_path.write_text(text, encoding="utf-8")
    count = text.count(chr(10)) - 1
    click.echo(f"{csv_path}: {count} subscriber{'' if count == 1 else 's'}", err=True)


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@content_option
@database_option
def unsubscribe(addresses: tuple[str, ...], content_dir: Path, database: str | None) -> None:
    """Unsubscribe addresses by hand (e.g. requests sent to the List-Unsubscribe mailto: address)."""
    from backpub_mailinglist.addresses import InvalidAddress, check_address

    checked = []
    for text in addresses:
        try:
            checked.append(check_address(text))
        except InvalidAddress as exc:
            raise ConfigError(f"not an email address: {text} ({exc})") from None
    mailing = open_list(content_dir, database, create=True)
    for address in checked:
        mailing.unsubscribe(address.key, address.email, source="operator")
    click.echo(f"{len(checked)} address(es) unsubscribed in {mailing.db.label}")
    mailing.db.close()


@click.command()
@click.argument("mailbox_path", metavar="MAILBOX", type=click.Path(path_type=Path))
@content_option
@database_option
def bounces(mailbox_path: Path, content_dir: Path, database: str | None) -> None:
    """Suppress every address an mbox file or Maildir of bounces and complaints names (DSN, ARF)."""
    from backpub_mailinglist.bounces import from_message, read_mailbox, suppress

    mailing = open_list(content_dir, database, create=False)
    messages = reports = 0
    totals = {"suppressed": 0, "already": 0, "ignored": 0}
    for message in read_mailbox(mailbox_path):
        messages += 1
        found = from_message(message)
        reports += len(found)
        counts = suppress(mailing, found, source=f"mailbox {mailbox_path.name}")
        for name in totals:
            totals[name] += getattr(counts, name)
        for address in counts.addresses:
            click.echo(f"  suppressed {address}")
    mailing.db.close()
    click.echo(
        f"{mailbox_path}: {messages} message(s), {totals['suppressed']} address(es) suppressed, "
        f"{totals['already']} already suppressed, {totals['ignored']} message(s) named nobody to suppress"
    )


@click.command()
@content_option
@database_option
@click.option("--remove", "remove", multiple=True, metavar="ADDRESS", help="Mail this address again (repeatable).")
def suppressions(content_dir: Path, database: str | None, remove: tuple[str, ...]) -> None:
    """List the suppressed addresses (hard bounces, complaints): `send` never mails them."""
    from backpub_mailinglist.addresses import address_key

    mailing = open_list(content_dir, database, create=False)
    for address in remove:
        if not mailing.unsuppress(address_key(address)):
            raise ConfigError(f"{address} is not suppressed")
        click.echo(f"no longer suppressed: {address}")
    found = mailing.suppressions()
    mailing.db.close()
    if remove:
        return
    for item in found:
        click.echo(f"{item.address}\t{item.reason}\t{item.created}\t{item.source}\t{item.detail}")
    click.echo(f"{len(found)} suppressed address(es)", err=True)


LIST_COMMANDS = (serve, import_, export, unsubscribe, bounces, suppressions)
"""The commands that look after the list, added to the `newsletter` group beside `send`."""
