"""`backpub newsletter serve|import|export|unsubscribe|bounces|suppressions`: the list and its service."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from backpub import ConfigError, ServerLimits, server_options
from backpub_mailinglist.project import content_option, database_option, open_list


@click.command()
@content_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--smtp", "smtp_address", required=True, metavar="HOST:PORT", help="Where the list's mails go.")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@database_option
@click.option("--client-ip-header", metavar="NAME", help="Header your HTTPS proxy sets to the client address.")
@server_options(ServerLimits())
@click.option(
    "--signups-per-client",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Sign-ups per client address per hour.",
)
@click.option(
    "--service-files",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="BACKPUB_SERVICE_FILES",
    help="The build's service folder the private feeds are made from (default: outputs/service beside the content).",
)
def serve(
    content_dir: Path,
    host: str,
    port: int,
    smtp_address: str,
    starttls: bool,
    database: str | None,
    client_ip_header: str | None,
    limits: ServerLimits,
    signups_per_client: int,
    service_files: Path | None,
) -> None:
    """Serve the sign-up, confirm, unsubscribe (and bounces) pages and the private feeds with waitress (put an
    HTTPS proxy in front).

    Uses the same SMTP settings and secrets as `newsletter send`; the list lives in --database. Confirmation and
    welcome mails are queued in the database and sent by a background worker, with retries. Each subscriber's
    private feed is put together from the build's service folder (--service-files), never from the public site.
    """
    from backpub import make_server, run_server
    from backpub_mailinglist.service import MAX_REPORT, make_app
    from backpub_mailinglist.store import SignUpLimits

    limits = dataclasses.replace(limits, max_request_body_size=MAX_REPORT)  # a bounce report is the largest request
    app = make_app(  # each request holds at most one database connection while it runs: a pool as large as threads
        content_dir, smtp_address, starttls, database, client_ip_header, pool_size=limits.threads,
        limits=SignUpLimits(signups_per_client=signups_per_client), service_files=service_files,
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
    try:
        run_server(server)  # until Ctrl-C or SIGTERM
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

    found = read_members(csv_path)
    problems = found.problems
    for problem in problems:
        click.secho(f"{csv_path}:{problem.line}: skipped: {problem.message}", fg="yellow", err=True)
    mailing = open_list(content_dir, database, create=True)
    summary = mailing.import_members(found.members, membership=found.membership)
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


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@click.option("--on/--off", "on", required=True, help="Make the addresses members, or no longer members.")
@content_option
@database_option
def member(addresses: tuple[str, ...], on: bool, content_dir: Path, database: str | None) -> None:
    """Set or clear the membership flag of subscribers: members get members-only content in full in their
    newsletter and private feed. Run it from a payment provider's webhook (docs/mailinglist.md, "Members")."""
    from backpub_mailinglist.addresses import address_key

    mailing = open_list(content_dir, database, create=False)
    try:
        unknown = [address for address in addresses if not mailing.set_member(address_key(address), on)]
    finally:
        mailing.db.close()
    for address in addresses:
        if address not in unknown:
            click.echo(f"{address}: {'member' if on else 'not a member'}")
    if unknown:
        raise ConfigError(f"not on the list: {', '.join(unknown)} (they must subscribe first, or be imported)")


@click.command()
@click.argument("address")
@click.option("--revoke", is_flag=True, help="Revoke the address's private feed: its URL answers 410 Gone.")
@click.option("--renew", is_flag=True, help="Revoke it and make a new one (a feed URL that was shared).")
@click.option("--scope", type=click.Choice(["pace", "all"]), help="List the episodes sent so far, or all released.")
@content_option
@database_option
def feed(address: str, revoke: bool, renew: bool, scope: str | None, content_dir: Path, database: str | None) -> None:
    """Show a subscriber's private feed URL (made on first use), or revoke, renew or rescope it. Signs with
    BACKPUB_UNSUBSCRIBE_SECRET, as the service does."""
    from backpub import Session
    from backpub_mailinglist.addresses import address_key
    from backpub_mailinglist.send_command import secret_from_environment
    from backpub_mailinglist.service import feeds_url
    from backpub_mailinglist.tokens import feed_token

    key = address_key(address)
    mailing = open_list(content_dir, database, create=False)
    try:
        if revoke:
            click.echo(f"{address}: {mailing.revoke_feeds(key)} private feed(s) revoked")
            return
        if scope is not None and not mailing.set_feed_scope(key, scope):
            raise ConfigError(f"{address} is not on the list")
        options = Session(content_dir).formats(["newsletter"])["newsletter"].options
        secret, list_id = secret_from_environment(), options.list_id
        token = mailing.feed_token(key, lambda nonce: feed_token(secret, list_id, key, nonce), renew=renew)
    finally:
        mailing.db.close()
    if token is None:
        raise ConfigError(f"{address} is not subscribed: only subscribers have a private feed")
    click.echo(f"{feeds_url(options)}{token}.xml")


LIST_COMMANDS = (serve, import_, export, unsubscribe, bounces, suppressions, member, feed)
"""The commands that look after the list, added to the `newsletter` group beside `send`."""
