"""`backpub newsletter send`: render the issues due from the content and deliver each subscriber theirs once."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from backpub import ISO_DATE, ConfigError
from backpub_mailinglist.project import content_option, database_option, open_list, state_folder

SECRET_ENV = "BACKPUB_UNSUBSCRIBE_SECRET"
USER_ENV = "BACKPUB_SMTP_USER"
PASSWORD_ENV = "BACKPUB_SMTP_PASSWORD"
MIN_SECRET_LENGTH = 16
DRY_RUN_SECRET = "dry-run: not a real secret"


@click.command()
@click.option(
    "--day",
    "--issue",
    "day",
    type=ISO_DATE,
    metavar="YYYY-MM-DD",
    help="The Sunday this send is for (default: the Sunday of the newest issue out by --as-of).",
)
@click.option("--smtp", "smtp_address", required=True, metavar="HOST:PORT", help="The SMTP server to submit to.")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS (needed for credentials).")
@click.option("--dry-run", is_flag=True, help="Render and check everything, connect to no SMTP server, record nothing.")
@click.option("--rate", metavar="N/s", help="At most N messages per second (or N/m per minute).")
@content_option
@database_option
@click.option("--as-of", type=ISO_DATE, metavar="DATE", help="Today, for checking the issue is out (default: today).")
@click.option("--retry-delay", default=2.0, show_default=True, type=click.FloatRange(min=0), help="First backoff (s).")
@click.option("--resend-uncertain", is_flag=True, help="Also resend messages a crashed run may have delivered.")
@click.option("--subscribers", hidden=True, help="Gone: import the CSV with `backpub newsletter import`.")
def send(
    day: date | None,
    smtp_address: str,
    starttls: bool,
    dry_run: bool,
    rate: str | None,
    content_dir: Path,
    database: str | None,
    as_of: date | None,
    retry_delay: float,
    resend_uncertain: bool,
    subscribers: str | None,
) -> None:
    """Send every subscriber the issue due to them that Sunday, exactly once (credentials come from
    BACKPUB_SMTP_USER/PASSWORD).

    The subscribers are the confirmed addresses of the list (`newsletter serve`, `newsletter import`) that are not
    suppressed (a hard bounce, a complaint). Those who follow the weekly issue get the current one; those who
    started at the beginning get their next episode's issue, in order, until they reach the present. Members get
    members-only content in full. Each message has a personal one-click unsubscribe link signed with
    BACKPUB_UNSUBSCRIBE_SECRET. The list's database records every delivery (address and episode) before the
    message goes, so running the command again, here or on another machine using the same database, sends only
    to the rest, and nobody gets an episode twice. Exit 1 when any delivery failed or is uncertain.
    """
    if subscribers is not None:
        raise ConfigError(
            "--subscribers is gone: a CSV is only an input to the list; add it with `backpub newsletter import "
            f"{subscribers}`, then send to the list"
        )
    code = _send(
        day, smtp_address, starttls, dry_run, rate, content_dir, database, as_of, retry_delay, resend_uncertain
    )  # fmt: skip
    sys.exit(code)


def _send(
    day: date | None,
    smtp_address: str,
    starttls: bool,
    dry_run: bool,
    rate_text: str | None,
    content_dir: Path,
    database: str | None,
    as_of: date | None,
    retry_delay: float,
    resend_uncertain: bool,
) -> int:
    from backpub_mailinglist.legacy import import_legacy_ledger
    from backpub_mailinglist.sender import Sender
    from backpub_mailinglist.sending import Connection, parse_rate

    rate = parse_rate(rate_text)
    secret = _secret(dry_run)
    settings = smtp_settings(smtp_address, starttls)
    issues = IssueMailing.load(content_dir, day, as_of, secret)
    mailing = open_list(content_dir, database, create=False)
    try:
        if not dry_run:
            import_legacy_ledger(mailing, state_folder(content_dir))
        counts = mailing.counts()
        ledger = issues.ledger(mailing.db)
        if dry_run:
            outgoing, idle = issues.outgoing(mailing.recipients(), ledger)
            return _dry_run(issues, outgoing, ledger.statuses(_episodes(outgoing)), counts, idle)
        with ledger, _graceful_stop() as stop:
            ledger.adopt_issue_keys(issues.keys)
            outgoing, idle = issues.outgoing(mailing.recipients(), ledger)
            sender = Sender(
                Connection(settings),
                ledger,
                issues.sender,
                rate=rate,
                retry_delay=retry_delay,
                resend_uncertain=resend_uncertain,
                should_stop=stop,
            )
            with _progress(len(outgoing)) as advance:
                summary = sender.run(outgoing, advance)
        return _report(issues, outgoing, summary, counts, idle)
    finally:
        mailing.db.close()


def _episodes(outgoing: list) -> list[str]:
    return [item.episode.guid for item in outgoing if item.episode is not None]


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


class IssueMailing:
    """The programme's issues up to a send's day, from the newsletter format, with the list's part: who is due
    which, and a signed unsubscribe link per subscriber."""

    @classmethod
    def load(cls, content_dir: Path, day: date | None, as_of: date | None, secret: str) -> IssueMailing:
        from backpub import Session

        session = Session(content_dir, as_of=as_of)
        publication = session.publication
        if day is not None and day > session.as_of:
            raise ConfigError(f"the {day.isoformat()} issue is not out yet (today is {session.as_of.isoformat()})")
        fmt = session.formats(["newsletter"])["newsletter"]
        session.check({"newsletter": fmt})
        plans = fmt.plans(publication)
        if not plans:
            raise ConfigError(f"no issue is out yet (today is {session.as_of.isoformat()}): nothing to send")
        return cls(fmt, publication, plans, day or plans[-1].day, secret)

    def __init__(self, fmt, publication, plans: list, day: date, secret: str) -> None:
        from backpub_mailinglist.due import Editions, Schedule, episode_key

        self.fmt = fmt
        self.publication = publication
        self.options = fmt.options
        self.secret = secret
        self.list_id = fmt.options.list_id
        self.sender = fmt.sender().addr_spec
        self.day = day
        self.schedule = Schedule(plans, day)
        self.keys = [episode_key(plan) for plan in self.schedule.plans]
        self.editions = Editions(self._edition)
        self.due: list = []

    def _edition(self, plan, member: bool):
        """The issue of `plan` as a member (members-only content in full) or anyone else reads it, sent today."""
        view = self.publication.members if member else self.publication
        return self.fmt.edition(view, plan.day, sent_on=self.day)

    def ledger(self, db):
        from backpub_mailinglist.ledger import Ledger

        return Ledger(db, self.list_id, self.day.isoformat())

    def outgoing(self, members: list, ledger) -> tuple[list, int]:
        """Every due subscriber's message, and how many have nothing due."""
        from backpub_mailinglist.due import outgoing

        self.due, idle = self.schedule.everyone(members, ledger.on_this_day())
        items = [outgoing(due, self.editions.of(due.plan, due.member.member), self.unsubscribe_url)
                 for due in self.due]  # fmt: skip
        return items, idle

    def unsubscribe_url(self, key: str) -> str:
        """The subscriber's own one-click unsubscribe link."""
        from backpub_mailinglist.tokens import UNSUBSCRIBE, link, make_token

        return link(self.options.unsubscribe_url, make_token(self.secret, UNSUBSCRIBE, self.list_id, key))

    def breakdown(self) -> list[str]:
        """Which issues go out, e.g. 'episode 12 (current) 50', 'episode 3 7'."""
        current = self.schedule.current
        counts: dict[int, int] = {}
        for due in self.due:
            counts[due.plan.episode.number] = counts.get(due.plan.episode.number, 0) + 1
        shown = []
        for number in sorted(counts, reverse=True):
            label = " (current)" if current is not None and number == current.episode.number else ""
            shown.append(f"episode {number}{label} {counts[number]}")
        return shown


def _dry_run(issues: IssueMailing, outgoing: list, known: dict, counts: dict[str, int], idle: int) -> int:
    from backpub_mailinglist.ledger import SENT

    largest = max((len(item.data()) for item in outgoing), default=0)
    already = sum(1 for item in outgoing if known.get((item.key, item.episode.guid)) == SENT)
    current = issues.schedule.current
    title = f" ({current.episode.title})" if current is not None else ""
    click.echo(f"Dry run of the {issues.day.isoformat()} issue{title}:")
    click.echo(f"  would send   {len(outgoing) - already}")
    for line in issues.breakdown():
        click.echo(f"    {line}")
    click.echo(f"  would skip   {already} (already sent)")
    click.echo(f"  nothing due  {idle} (caught up with the programme)")
    click.echo(f"  left out     {counts['unsubscribed']} unsubscribed, {counts['suppressed']} suppressed")
    click.echo(f"  largest message {largest:,} bytes")
    return 0


def _report(issues: IssueMailing, outgoing: list, summary, counts: dict[str, int], idle: int) -> int:
    total = len(outgoing)
    click.echo(f"Issue {issues.day.isoformat()}: {total} subscriber{'' if total == 1 else 's'}")
    if issues.breakdown():
        click.echo(f"  issues    {', '.join(issues.breakdown())}")
    if idle:
        click.echo(f"  nothing due {idle} (had this day's issue, or caught up with the programme)")
    click.echo(f"  left out  {counts['unsubscribed']} unsubscribed, {counts['suppressed']} suppressed (never mailed)")
    click.echo(f"  sent      {summary.sent}")
    click.echo(f"  skipped   {summary.skipped} (already sent)")
    if summary.withheld:
        click.echo(f"  withheld  {summary.withheld} (unsubscribed, suppressed or sent by another run meanwhile)")
    click.echo(f"  failed    {len(summary.failed)}")
    for label, reason in summary.failed:
        click.echo(f"    {label}: {reason}")
    if summary.uncertain:
        click.secho(f"  uncertain {len(summary.uncertain)} (a run stopped mid-delivery; not resent)", fg="yellow")
        for label in summary.uncertain:
            click.echo(f"    {label}")
        click.echo("    check the server's log; --resend-uncertain sends these again")
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
def _graceful_stop() -> Iterator[Callable[[], bool]]:
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
def _progress(total: int) -> Iterator[Callable[[], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    columns = (TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("send", total=total)
        yield lambda: progress.advance(task)
