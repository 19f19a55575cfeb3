"""The `backpub` command line: parse arguments, delegate, and turn backpub errors into messages and exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from backpub.errors import BackpubError, ContentError, PluginError, visible
from backpub.params import ISO_DATE, content_option

if TYPE_CHECKING:
    from backpub.session import Session


def handle_errors(command):
    """Turn BackpubError into a plain message and exit 1; a user's mistake never shows a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ContentError as exc:
            from backpub.commands.reporting import print_problems

            context = click.get_current_context(silent=True)
            fmt = context.params.get("output_format", "text") if context else "text"
            print_problems(exc.problems, fmt=fmt if fmt in ("text", "json") else "text")
            raise SystemExit(1) from None
        except BackpubError as exc:
            click.secho(f"Error: {visible(str(exc))}", fg="red", err=True)
            trace = getattr(exc, "traceback", None)
            if trace and os.environ.get("BACKPUB_DEBUG"):
                click.echo(trace, err=True)
            elif isinstance(exc, PluginError):
                click.echo("(set BACKPUB_DEBUG=1 to see the plugin's traceback)", err=True)
            raise SystemExit(exc.exit_code) from None

    return wrapper


class PluginAwareGroup(click.Group):
    """A group that adds plugins' commands the first time commands are listed or looked up."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from backpub.plugins import make_host

        try:
            make_host(project_dir=Path.cwd()).register_commands(self)
        except BackpubError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            raise SystemExit(1) from None

    def invoke(self, ctx: click.Context):
        """Run a command; plugin commands get the same error handling as the built-in ones."""
        return handle_errors(super().invoke)(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, name)
        return command


def legacy_content_argument(command):
    """The content folder as a positional argument, as `validate DIR` and `schedule DIR` always accepted."""
    return click.argument("legacy_content", required=False, metavar="[CONTENT]", type=click.Path(path_type=Path))(
        command
    )


def _content(content_dir: Path, legacy_content: Path | None) -> Path:
    return legacy_content if legacy_content is not None else content_dir


as_of_option = click.option(
    "--as-of",
    type=ISO_DATE,
    metavar="DATE",
    help="Publish as of this date (default: today in the programme's timezone).",
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def open_session(content_dir: Path, **options) -> Session:
    """The project session every command works through (see backpub.session)."""
    from backpub.session import Session

    return Session(content_dir, **options)


@click.group(cls=PluginAwareGroup)
@click.version_option(package_name="backpub")
def cli() -> None:
    """backpub publishes a programme from one validated model into every format."""


@cli.command()
@legacy_content_argument
@content_option
@strict_option
@as_of_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option(
    "--ahead",
    default=4,
    show_default=True,
    type=click.IntRange(min=0),
    metavar="N",
    help="Also check the next N Sundays as a build on each would (what is released then, reviews falling due).",
)
@handle_errors
def validate(
    legacy_content: Path | None, content_dir: Path, strict: bool, as_of: date | None, output_format: str, ahead: int
) -> None:
    """Run every check a build runs, and report every problem with its file and line."""
    from backpub.commands.reporting import run_validate

    session = open_session(_content(content_dir, legacy_content), strict=strict, as_of=as_of)
    raise SystemExit(run_validate(session, output_format=output_format, ahead=ahead))


@cli.command()
@content_option
@click.option(
    "--format", "-f", "formats", multiple=True, metavar="NAME", help="A format to build (repeatable; default: all)."
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(path_type=Path),
    help="The output folder (default: outputs/ beside the content).",
)
@as_of_option
@strict_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: the CPU count).")
@click.option(
    "--executor",
    envvar="BACKPUB_EXECUTOR",
    metavar="URL",
    help="Where jobs render: 'local' (default: --jobs processes here) or dask://HOST:PORT, a Dask cluster's "
    "scheduler (docs/scale.md). Default: $BACKPUB_EXECUTOR, else local.",
)
@click.option("--no-cache", is_flag=True, help="Render everything, ignoring the build cache.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--report", "report_format", type=click.Choice(["text", "json"]), default="text", help="Summary format.")
@handle_errors
def build(
    content_dir: Path,
    formats: tuple[str, ...],
    output_dir: Path | None,
    as_of: date | None,
    strict: bool,
    jobs: int | None,
    executor: str | None,
    no_cache: bool,
    quiet: bool,
    report_format: str,
) -> None:
    """Validate the content and render the requested formats into outputs/.

    With --as-of another day than today, a preview: it records nothing and writes outputs/preview-DATE/ (or
    --output), never outputs/ itself, so nothing unpublished ever sits where a deploy picks it up.
    """
    from backpub.session import preview_output_dir

    output_dir = output_dir or preview_output_dir(content_dir, as_of)
    from backpub.build import build_session
    from backpub.commands.reporting import ConsoleProgress, print_build_report, print_problems, print_unchanged

    session = open_session(content_dir, output_dir=output_dir, as_of=as_of, strict=strict, use_cache=not no_cache)
    progress = ConsoleProgress(enabled=not quiet and report_format == "text")
    report = build_session(session, formats or None, jobs=jobs, progress=progress, executor=executor)
    if report.unchanged:
        print_unchanged(report, fmt=report_format, quiet=quiet)
        return
    if report.warnings and not quiet and report_format == "text":
        print_problems(report.warnings, summary=False)
    print_build_report(report, fmt=report_format, quiet=quiet)


@cli.command()
@content_option
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@click.option("--format", "-f", "formats", multiple=True, metavar="NAME", help="A format to build (default: all).")
@as_of_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: the CPU count).")
@handle_errors
def preview(content_dir: Path, port: int, formats: tuple[str, ...], as_of: date | None, jobs: int | None) -> None:
    """Build, serve the website on 127.0.0.1 and rebuild when the content changes."""
    from backpub.commands.preview import Preview
    from backpub.errors import ConfigError
    from backpub.session import preview_output_dir

    session = open_session(content_dir, output_dir=preview_output_dir(content_dir, as_of), as_of=as_of)
    try:
        server = Preview(session, port=port, formats=formats or None, jobs=jobs, log=click.echo)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    server.serve_forever()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def plugins(as_json: bool) -> None:
    """List the plugins, their formats and versions."""
    from backpub.plugins import make_host

    described = make_host(project_dir=Path.cwd()).describe()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for plugin in described:
        version = f" {plugin['version']}" if plugin["version"] else ""
        formats = ", ".join(plugin["formats"]) or "(no formats)"
        click.echo(f"{plugin['name']}{version}: {formats}  [{plugin['source']}]")


@cli.command()
@click.option(
    "--kind", help="Only this kind's front-matter schema (e.g. episode), or a format's options (format:NAME)."
)
@handle_errors
def schema(kind: str | None) -> None:
    """Print the JSON Schema of the content format and of every format's options, for editors."""
    from backpub.commands.schema import content_schema
    from backpub.plugins import make_host

    host = make_host(project_dir=Path.cwd())
    formats = {name: cls.Options for name, cls in host.formats().items()}
    click.echo(json.dumps(content_schema(kind, formats, host.kinds()), indent=2))


@cli.command()
@content_option
@click.option("--output", "output_dir", type=click.Path(path_type=Path), help="The output folder to remove.")
@handle_errors
def clean(content_dir: Path, output_dir: Path | None) -> None:
    """Remove outputs/ and the build cache (never the send ledgers in .backpub/state)."""
    from backpub.commands.housekeeping import clean as run_clean
    from backpub.session import ProjectPaths

    for removed in run_clean(ProjectPaths.resolve(content_dir, output_dir)):
        click.echo(f"removed {removed}")


@cli.command()
@legacy_content_argument
@content_option
@as_of_option
@click.option("--weeks", default=8, show_default=True, help="How many Sundays to list.")
@handle_errors
def schedule(legacy_content: Path | None, content_dir: Path, as_of: date | None, weeks: int) -> None:
    """List the coming Sundays and which episode goes out on each."""
    from backpub.commands.housekeeping import schedule as run_schedule

    for line in run_schedule(open_session(_content(content_dir, legacy_content), as_of=as_of), weeks):
        click.echo(line)


class KindName(click.ParamType):
    """A kind of entity, one of the registry's (the built-in kinds and the project's plugins'), listed in the
    command's usage; `backpub new` refuses another with the list."""

    name = "kind"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        from backpub.plugins import make_host

        return "{" + "|".join(make_host(project_dir=Path.cwd()).kinds().names) + "}"


@cli.command()
@click.argument("kind", type=KindName())
@click.argument("entity_id", required=False, metavar="[ID]")
@content_option
@click.option(
    "--date", "release", type=ISO_DATE, metavar="DATE", help="An episode's release Sunday (default: the next free one)."
)
@click.option("--title", help="The title (default: a placeholder).")
@handle_errors
def new(kind: str, entity_id: str | None, content_dir: Path, release: date | None, title: str | None) -> None:
    """Write a new content file with every required field and placeholders to replace; print its path."""
    from backpub.commands.scaffold import new_entity
    from backpub.plugins import make_host

    kinds = make_host(project_dir=content_dir.resolve().parent).kinds()
    click.echo(new_entity(content_dir, kind, entity_id, release=release, title=title, kinds=kinds))


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--title", help="The programme's title (asked for when not given, on a terminal).")
@click.option("--language", help="Its language, a BCP 47 tag such as en-GB or de-DE.  [default: en-GB]")
@click.option(
    "--timezone", help="Its IANA timezone, e.g. Europe/London: Sundays are in this zone.  [default: Europe/London]"
)
@click.option("--site-url", help="Its website, an https:// address.  [default: a placeholder]")
@click.option(
    "--country", help="The default country, an ISO code such as GB: its urgent help is printed.  [default: GB]"
)
@handle_errors
def init(
    folder: Path,
    title: str | None,
    language: str | None,
    timezone: str | None,
    site_url: str | None,
    country: str | None,
) -> None:
    """Start a new programme in FOLDER: content with an example of each kind, CI workflows, a README.

    `backpub validate` and a preview build pass in it at once; it cannot publish until its placeholders are
    replaced and its content reviewed.
    """
    from backpub.commands.init import Settings, init_programme

    defaults = Settings(title=folder.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "?")
    ask = _interactive()
    chosen = {
        "title": title,
        "language": language,
        "timezone": timezone,
        "site_url": site_url,
        "country": country,
    }
    for name, value in chosen.items():
        if value is None:
            default = getattr(defaults, name)
            chosen[name] = click.prompt(name.replace("_", " ").capitalize(), default=default) if ask else default
    from backpub.plugins import make_host

    formats = make_host(project_dir=folder.resolve()).formats()  # the installed ones: each gives its settings
    written = init_programme(folder, Settings(**chosen), formats)  # type: ignore[arg-type]
    click.echo(f"A new programme in {folder}: {len(written)} files. Next:")
    click.echo(f"  cd {folder} && backpub validate    # lists every TODO to replace, with its file and line")


def _interactive() -> bool:
    """Whether someone is at a terminal to answer questions (never in CI or a script)."""
    return sys.stdin.isatty()


def main() -> None:
    """Entry point for `python -m backpub`."""
    cli(prog_name="backpub")


if __name__ == "__main__":  # pragma: no cover
    main()
