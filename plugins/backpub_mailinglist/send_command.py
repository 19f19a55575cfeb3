"""`backpub newsletter send`: render one issue from the content and deliver it to every subscriber once."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from backpub import ISO_DATE, ConfigError
from backpub_mailinglist.store import default_store_path

SECRET_ENV = "BACKPUB_UNSUBSCRIBE_SECRET"
USER_ENV = "BACKPUB_SMTP_USER"
PASSWORD_ENV = "BACKPUB_SMTP_PASSWORD"
MIN_SECRET_LENGTH = 16
DRY_RUN_SECRET = "dry-run: not a real secret"
STORE_HELP = "The subscriber list (default: .backpub/state/subscribers.sqlite beside the content folder)."


@click.command()
@click.option("--issue", "day", required=True, type=ISO_DATE, metavar="YYYY-MM-DD", help="The Sunday of the issue.")
@click.option(
    "--subscribers",
    type=click.Path(path_type=Path),
    help="CSV with an 'email' (and 'name') column (default: the subscriber list, see --store).",
)
@click.option("--smtp", "smtp_address", required=True, metavar="HOST:PORT", help="The SMTP server to submit to.")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS (needed for credentials).")
@click.option("--dry-run", is_flag=True, help="Render and check everything, connect to nothing, record nothing.")
@click.option("--rate", metavar="N/s", help="At most N messages per second (or N/m per minute).")
@click.option("--content", "content_dir", default="content", show_default=True, type=click.Path(path_type=Path))
@click.option("--as-of", type=ISO_DATE, metavar="DATE", help="Today, for checking the issue is out (default: today).")
@click.option("--retry-delay", default=2.0, show_default=True, type=click.FloatRange(min=0), help="First backoff (s).")
@click.option("--resend-uncertain", is_flag=True, help="Also resend messages a crashed run may have delivered.")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help=STORE_HELP)
def send(
    day: date,
    subscribers: Path | None,
    smtp_address: str,
    starttls: bool,
    dry_run: bool,
    rate: str | None,
    content_dir: Path,
    as_of: date | None,
    retry_delay: float,
    resend_uncertain: bool,
    store_path: Path | None,
) -> None:
    """Send one issue to every subscriber exactly once (credentials come from BACKPUB_SMTP_USER/PASSWORD).

    The subscribers are the confirmed addresses of the subscriber list (`newsletter serve`, `newsletter import`),
    or a CSV; an address that unsubscribed is never mailed, whatever the CSV says. Each subscriber gets a personal
    one-click unsubscribe link signed with BACKPUB_UNSUBSCRIBE_SECRET. A ledger in .backpub/state/newsletter.sqlite
    records every delivery, so running the command again sends only to the rest. Exit 1 when any delivery failed
    or is uncertain.
    """
    # backpub's CLI turns a BackpubError (bad content, bad arguments) into a located message and exit 1.
    code = _send(
        day, subscribers, smtp_address, starttls, dry_run, rate, content_dir, as_of, retry_delay, resend_uncertain,
        store_path or default_store_path(content_dir),
    )  # fmt: skip
    sys.exit(code)


def _send(
    day: date,
    subscribers_path: Path | None,
    smtp_address: str,
    starttls: bool,
    dry_run: bool,
    rate_text: str | None,
    content_dir: Path,
    as_of: date | None,
    retry_delay: float,
    resend_uncertain: bool,
    store_path: Path,
) -> int:
    from backpub_mailinglist.ledger import Ledger
    from backpub_mailinglist.sending import Connection, Sender, parse_rate

    rate = parse_rate(rate_text)
    secret = _secret(dry_run)
    settings = smtp_settings(smtp_address, starttls)
    edition = _Edition.load(content_dir, day, as_of, secret)
    subscribers, invalid, left = _recipients(subscribers_path, store_path)
    outgoing = [edition.outgoing(subscriber) for subscriber in subscribers]
    if dry_run:
        return _dry_run(edition, outgoing, invalid, left)
    with Ledger(edition.state_dir, edition.list_id, day.isoformat()) as ledger, _graceful_stop() as stop:
        sender = Sender(
            Connection(settings),
            ledger,
            edition.sender,
            rate=rate,
            retry_delay=retry_delay,
            resend_uncertain=resend_uncertain,
            should_stop=stop,
        )
        with _progress(len(outgoing)) as advance:
            summary = sender.run(outgoing, advance)
    return _report(day, len(outgoing), summary, invalid, left)


def _recipients(subscribers_path: Path | None, store_path: Path) -> tuple[list, int, int]:
    """Who gets the issue: the CSV's or the list's subscribers, less every address that unsubscribed.

    Returns the subscribers, the number of invalid CSV rows and the number left out because they unsubscribed.
    """
    from backpub_mailinglist.store import SubscriberStore
    from backpub_mailinglist.subscribers import read_subscribers, subscribers_from

    if subscribers_path is None:
        if not store_path.is_file():
            raise ConfigError(
                f"no subscriber list at {str(store_path)!r}: pass --subscribers CSV, or fill the list with "
                "`backpub newsletter serve` or `backpub newsletter import`"
            )
        store = SubscriberStore(store_path)
        subscribers, problems = subscribers_from(store.subscribed()), []
    else:
        subscribers, problems = read_subscribers(subscribers_path)
        # Only read a list that exists: a CSV-only project gets no state file from a send (or a dry run).
        store = SubscriberStore(store_path) if store_path.is_file() else None
    for problem in problems:
        click.secho(f"{subscribers_path}:{problem.line}: skipped: {problem.message}", fg="yellow", err=True)
    left = store.unsubscribed() if store is not None else set()
    kept = [subscriber for subscriber in subscribers if subscriber.key not in left]
    return kept, len(problems), len(subscribers) - len(kept)


def smtp_settings(smtp_address: str, starttls: bool):
    """The SMTP server and credentials (from the environment), refusing a password over a plain connection."""
    from backpub_mailinglist.sending import SmtpSettings, parse_smtp

    host, port = parse_smtp(smtp_address)
    settings = SmtpSettings(host, port, starttls, *_credentials())
    settings.check()
    return settings


def secret_from_environment(dry_run: bool = False) -> str:
    """The signing secret of unsubscribe and confirmation links."""
    return _secret(dry_run)


def _secret(dry_run: bool) -> str:
    secret = os.environ.get(SECRET_ENV, "")
    if dry_run and not secret:
        return DRY_RUN_SECRET
    if not secret:
        raise ConfigError(f"set {SECRET_ENV} to sign the unsubscribe links (refusing to send without it)")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{SECRET_ENV} is too short: use at least {MIN_SECRET_LENGTH} random characters")
    return secret


def _credentials() -> tuple[str | None, str | None]:
    user, password = os.environ.get(USER_ENV) or None, os.environ.get(PASSWORD_ENV) or None
    if bool(user) != bool(password):
        raise ConfigError(f"set both {USER_ENV} and {PASSWORD_ENV}, or neither")
    return user, password


class _Edition:
    """One issue from the newsletter format, with the list's settings: personal unsubscribe links per subscriber."""

    @classmethod
    def load(cls, content_dir: Path, day: date, as_of: date | None, secret: str) -> _Edition:
        from backpub import Session

        session = Session(content_dir, as_of=as_of)
        publication = session.publication
        if day > session.as_of:
            raise ConfigError(f"the {day.isoformat()} issue is not out yet (today is {session.as_of.isoformat()})")
        fmt = session.formats(["newsletter"])["newsletter"]
        session.check({"newsletter": fmt})
        return cls(fmt.edition(publication, day), fmt.options, secret, session.paths.state.state)

    def __init__(self, edition, options, secret: str, state_dir: Path) -> None:
        self.edition = edition
        self.plan = edition.plan
        self.settings = options
        self.secret = secret
        self.state_dir = state_dir
        self.list_id = options.list_id
        self.sender = edition.sender

    def outgoing(self, subscriber):
        from backpub_mailinglist.sending import Outgoing

        return Outgoing(
            key=subscriber.key,
            label=subscriber.label,
            recipient=subscriber.address.addr_spec,
            message_id=self.edition.message_id(subscriber.key),
            data=lambda: self.message(subscriber),
        )

    def message(self, subscriber) -> bytes:
        """The subscriber's own message: their unsubscribe link, their Message-ID, their To."""
        from backpub_mailinglist.tokens import personal_unsubscribe_url, unsubscribe_token

        token = unsubscribe_token(self.secret, self.list_id, subscriber.key)
        url = personal_unsubscribe_url(self.settings.unsubscribe_url, token)
        return self.edition.message(subscriber.address, url)


def _dry_run(edition: _Edition, outgoing: list, invalid: int, left: int) -> int:
    from backpub_mailinglist.ledger import SENT, Ledger

    with Ledger(edition.state_dir, edition.list_id, edition.plan.day.isoformat(), read_only=True) as ledger:
        known = ledger.statuses()
    largest = max((len(item.data()) for item in outgoing), default=0)
    already = sum(1 for item in outgoing if known.get(item.key) == SENT)
    click.echo(f"Dry run of the {edition.plan.day.isoformat()} issue ({edition.plan.episode.title}):")
    click.echo(f"  would send   {len(outgoing) - already}")
    click.echo(f"  would skip   {already} (already sent)")
    click.echo(f"  invalid rows {invalid}")
    click.echo(f"  left out     {left} (unsubscribed)")
    click.echo(f"  largest message {largest:,} bytes")
    return 0


def _report(day: date, total: int, summary, invalid: int, left: int) -> int:
    click.echo(f"Issue {day.isoformat()}: {total} subscriber{'' if total == 1 else 's'}")
    if left:
        click.echo(f"  left out  {left} (unsubscribed; never mailed again)")
    click.echo(f"  sent      {summary.sent}")
    click.echo(f"  skipped   {summary.skipped} (already sent)")
    click.echo(f"  failed    {len(summary.failed)}")
    for label, reason in summary.failed:
        click.echo(f"    {label}: {reason}")
    if summary.uncertain:
        click.secho(f"  uncertain {len(summary.uncertain)} (a run stopped mid-delivery; not resent)", fg="yellow")
        for label in summary.uncertain:
            click.echo(f"    {label}")
        click.echo("    check the server's log; --resend-uncertain sends these again")
    if invalid:
        click.echo(f"  invalid   {invalid} row{'' if invalid == 1 else 's'} skipped (listed above)")
    if summary.stopped:
        click.secho(f"Stopped: {summary.stopped}", fg="red", err=True)
        return 1
    if summary.failed or summary.uncertain:
        # A scheduled job must not report success while someone may not have the issue.
        click.secho(
            f"Not delivered for certain: {len(summary.failed)} failed, {len(summary.uncertain)} uncertain",
            fg="red",
            err=True,
        )
        return 1
    return 0


@contextmanager
def _graceful_stop() -> Iterator[callable]:
    """Ctrl-C or SIGTERM finishes the message in flight, then stops (never leaving it uncertain)."""
    requested = []

    def handler(signum, frame):
        requested.append(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: bool(requested)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def _progress(total: int) -> Iterator[callable]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    columns = (TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("send", total=total)
        yield lambda: progress.advance(task)
