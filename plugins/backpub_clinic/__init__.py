"""The `clinic` plugin: sheets of the programme's exercises for one patient, at the patient's own doses.

`backpub prescribe FILE --output sheet.pdf` prints one from a prescription file; `backpub clinic serve` is the web
form and API clinicians use (each clinic signs in with its own key: `backpub clinic key CLINIC`). It renders no
build output: the format that renders prescriptions on request (`Format.on_request`) makes each sheet in memory,
and nothing of a prescription is kept. Only the public API is used; the commands import nothing heavy until run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backpub import hookimpl
from backpub_clinic.version import __version__ as __version__

if TYPE_CHECKING:
    import click


@hookimpl
def register_commands(cli: click.Group) -> None:
    from backpub_clinic.commands import clinic, prescribe

    cli.add_command(prescribe)
    cli.add_command(clinic)
