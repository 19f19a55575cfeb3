"""`backpub prescribe FILE --output sheet.pdf`, `backpub clinic key CLINIC` and `backpub clinic serve`.

Only click and the parameters every command shares are imported here: listing the commands stays fast.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from backpub import ConfigError, ServerLimits, content_option, server_options

if TYPE_CHECKING:
    from backpub import Session

MAX_PRESCRIPTION_BYTES = 256 * 1024
"""The largest prescription file `prescribe` reads (a sheet for one patient is a few hundred bytes)."""
STDIN = "<stdin>"


@click.command()
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True, dir_okay=False),
    help="Where to write the sheet ('-': standard output).",
)
@content_option
@click.option("--format", "format_name", metavar="NAME", help="The format that renders it (default: the one that can).")
def prescribe(file: Path, output: Path, content_dir: Path, format_name: str | None) -> None:
    """Print one patient's exercise sheet from a prescription (YAML or JSON; '-': standard input).

    The prescription names the clinic, the clinician, the patient (optional) and the exercises with their doses
    (`backpub schema --kind prescription`). Every problem is reported with its line; nothing of it is kept.
    """
    from backpub import atomic_write
    from backpub_clinic.sheets import Sheets

    shown = STDIN if str(file) == "-" else str(file)
    session = _session(content_dir)
    prescribed = session.prescription(_read(file, shown), shown)
    sheet = Sheets(session, format_name, warm=False).render(prescribed)
    if str(output) == "-":
        sys.stdout.buffer.write(sheet)
        sys.stdout.buffer.flush()
        return
    atomic_write(output, sheet)
    count = len(prescribed.exercises)
    click.echo(f"{output}: {count} exercise{'' if count == 1 else 's'}, {len(sheet) // 1024} KB", err=True)


def _read(file: Path, shown: str) -> str:
    """The prescription's text: UTF-8, at most MAX_PRESCRIPTION_BYTES."""
    try:
        if shown == STDIN:
            raw = sys.stdin.buffer.read(MAX_PRESCRIPTION_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                raw = handle.read(MAX_PRESCRIPTION_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_PRESCRIPTION_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_PRESCRIPTION_BYTES:,} bytes; a prescription is a few hundred")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{shown}:{line}: not UTF-8; save it as UTF-8") from None


def _session(content_dir: Path) -> Session:
    from backpub import Session

    return Session(content_dir)


@click.group()
def clinic() -> None:
    """The clinics' prescription service: its sign-in keys and the service itself."""


@clinic.command()
@click.argument("clinic_id", metavar="CLINIC")
@content_option
def key(clinic_id: str, content_dir: Path) -> None:
    """Make a new key for CLINIC to sign in to `backpub clinic serve` with; its previous key stops working.

    The key is printed once; only its hash is kept (in .backpub/state/).
    """
    from backpub import Clinic
    from backpub_clinic.keys import KeyRing

    session = _session(content_dir)
    clinics = [entity.id for entity in session.publication.of(Clinic)]
    if clinic_id not in clinics:
        close = difflib.get_close_matches(clinic_id, clinics, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"the programme has no clinic {clinic_id!r}{hint} (clinics: {', '.join(clinics) or 'none'})")
    secret = KeyRing(session.paths.state.state).issue(clinic_id)
    click.echo(secret)
    click.echo(
        f"(the key of {clinic_id}, shown this once: give it to the clinic; only its hash is kept, so a lost key is "
        "replaced by running this again)",
        err=True,
    )


@clinic.command()
@content_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (put HTTPS in front).")
@click.option("--port", default=8030, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option(
    "--workers",
    default=min(4, os.cpu_count() or 1),
    show_default=True,
    type=click.IntRange(0, 64),
    help="Processes that render sheets (0: in the server's own process).",
)
@server_options(ServerLimits(backlog=256, connection_limit=100))
@click.option("--per-minute", default=60, show_default=True, type=click.IntRange(1), help="Sheets per clinic a minute.")
@click.option("--burst", default=20, show_default=True, type=click.IntRange(1), help="Sheets per clinic at once.")
@click.option("--format", "format_name", metavar="NAME", help="The format that renders sheets (default: the one).")
def serve(
    content_dir: Path,
    host: str,
    port: int,
    workers: int,
    limits: ServerLimits,
    per_minute: int,
    burst: int,
    format_name: str | None,
) -> None:
    """Serve the prescription form and API with waitress: each clinic signs in with its key (`clinic key`).

    Nothing of a prescription is kept: not on disk, not in a log. Put an HTTPS proxy in front of it.
    """
    from backpub import make_server, run_server
    from backpub_clinic.keys import KeyRing
    from backpub_clinic.service import MAX_BODY, ClinicService, RateLimit
    from backpub_clinic.sheets import Sheets

    quiet_document_logs()
    session = _session(content_dir)
    keys = KeyRing(session.paths.state.state)
    keys.check()
    if not keys.hashes():
        click.secho("No clinic has a key yet: make one with `backpub clinic key CLINIC`.", fg="yellow", err=True)
    sheets = Sheets(session, format_name, workers=workers)  # warm: its workers started and warmed up
    app = ClinicService(session, sheets, keys, RateLimit(per_minute=per_minute, burst=burst))
    limits = dataclasses.replace(limits, max_request_body_size=MAX_BODY)
    try:
        server = make_server(app, host, port, limits)
    except OSError as exc:
        sheets.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"Clinic service on http://{host}:{server.effective_port}/ ({workers or 'no'} render workers)")
    click.echo("Press Ctrl-C to stop.")
    try:
        run_server(server)
    finally:
        sheets.close()


def quiet_document_logs() -> None:
    """Only the service's own lines reach the log: a renderer's or a font tool's warning could quote a sheet's text,
    so theirs go nowhere (their errors still fail the render, which the service reports by kind)."""
    from backpub_clinic.sheets import quiet_renderer_logs

    quiet_renderer_logs()
    own = logging.getLogger("backpub.clinic")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s clinic: %(message)s"))
    own.addHandler(handler)
    own.setLevel(logging.INFO)
    own.propagate = False
