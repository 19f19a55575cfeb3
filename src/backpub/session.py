"""One project session: every command resolves its folders, dates, model, plugins and checks here, once.

    session = Session(content_dir, as_of=..., strict=...)
    session.publication          # loaded, validated, with every format's links; ContentError on errors
    session.formats(["pdf"])     # the format instances a command works with
    session.check(instances)     # every check a build runs before rendering; applies --strict

`build`, `validate`, `schedule`, `preview`, `clean` and plugins' commands (`feed check-live`, `newsletter send`)
all go through it, so they agree on the project, on "today" and on what counts as a problem.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backpub import clock
from backpub.errors import ConfigError, ContentError, Problem, in_plugin
from backpub.files.cache import StateLayout, Store, folder_digest
from backpub.params import DEFAULT_CONTENT

if TYPE_CHECKING:
    from backpub.content.prescriptions import ResolvedPrescription
    from backpub.content.publication import Publication
    from backpub.content.validation import Validation
    from backpub.formats import BuildContext, Format
    from backpub.model.kinds import Kinds
    from backpub.plugins import PluginHost

DEFAULT_OUTPUT = "outputs"
PREVIEW_FOLDER = "preview-{day}"
"""Where a build for another day writes inside outputs/ when no --output is given (see `preview_output_dir`)."""


def preview_output_dir(content_dir: Path | str | None, as_of: date | None) -> Path | None:
    """The folder a build for `as_of` writes when not told where: None (outputs/) for a build for today, else
    outputs/preview-<date>/. A preview shows what is not published yet, so it never lands in outputs/site/, which a
    deploy uploads as it is. "Today" is read from programme.yaml's timezone before the content is loaded."""
    if as_of is None:
        return None
    content = Path(content_dir or DEFAULT_CONTENT)
    if as_of == clock.today_in(_declared_timezone(content)):
        return None
    return content.resolve().parent / DEFAULT_OUTPUT / PREVIEW_FOLDER.format(day=as_of.isoformat())


def _declared_timezone(content_dir: Path) -> str:
    """programme.yaml's timezone as written (UTC when it cannot be read: validation reports why)."""
    from backpub.files.loading import PROGRAMME_FILE, ParseError, parse_yaml_file

    try:
        data = parse_yaml_file(content_dir / PROGRAMME_FILE, content_dir).data
    except (ParseError, OSError):
        return "UTC"
    return str(data.get("timezone") or "UTC")


@dataclass(frozen=True)
class ProjectPaths:
    """The folders of one project: the content, the outputs and the state folder beside them."""

    content_dir: Path
    output_dir: Path

    @classmethod
    def resolve(cls, content_dir: Path | str | None = None, output_dir: Path | str | None = None) -> ProjectPaths:
        """The project's folders; the content folder must exist, the outputs default to `outputs/` beside it."""
        content = Path(content_dir or DEFAULT_CONTENT)
        if not content.is_dir():
            raise ConfigError(f"content folder {str(content)!r} does not exist")
        inner = content / DEFAULT_CONTENT
        if not (content / "programme.yaml").exists() and (inner / "programme.yaml").is_file():
            raise ConfigError(
                f"{str(content)!r} is the project folder, not its content folder: use --content {inner} "
                "(the folder that holds programme.yaml)"
            )
        content = content.resolve()
        output = Path(output_dir).resolve() if output_dir else content.parent / DEFAULT_OUTPUT
        return cls(content, output)

    @property
    def project_dir(self) -> Path:
        """The project folder: the content folder's parent."""
        return self.content_dir.parent

    @property
    def state(self) -> StateLayout:
        """The project's `.backpub/` folder."""
        return StateLayout.of(self.project_dir)


class Session:
    """One command's view of a project. Everything is worked out once, on first use."""

    def __init__(
        self,
        content_dir: Path | str | None = None,
        *,
        output_dir: Path | str | None = None,
        as_of: date | None = None,
        strict: bool = False,
        use_cache: bool = True,
        host: PluginHost | None = None,
    ) -> None:
        self.paths = ProjectPaths.resolve(content_dir, output_dir)
        self.requested_as_of = as_of
        """The date the user asked for (`--as-of`), or None for today."""
        self.strict = strict
        self.use_cache = use_cache
        """False for `--no-cache`: render and validate afresh (the records are still kept for the next build)."""
        self.store = Store(self.paths.state.cache)
        self._host = host
        self._chosen: tuple[str, ...] | None = None
        self._renders = False
        """Whether this command renders what it checks (a build): formats may leave to rendering what only a
        layout finds (`BuildContext.renders`)."""
        self._contexts: dict[tuple[tuple[str, ...], date | None, bool], BuildContext] = {}

    # -- plugins ------------------------------------------------------------------------------------

    @property
    def host(self) -> PluginHost:
        """The plugin host: installed plugins and the project's local ones."""
        if self._host is None:
            from backpub.plugins import make_host

            self._host = make_host(project_dir=self.paths.project_dir)
        return self._host

    def select(self, requested: Iterable[str] | None) -> list[str]:
        """The formats to work with, in a stable order; an unknown name is an error with a suggestion."""
        available = self.host.formats()
        if not requested:
            return sorted(available)
        chosen: list[str] = []
        for name in requested:
            if name not in available:
                close = difflib.get_close_matches(name, list(available), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"unknown format {name!r}{hint} (available: {', '.join(sorted(available)) or 'none'})"
                )
            if name not in chosen:
                chosen.append(name)
        return chosen

    # -- the model ----------------------------------------------------------------------------------

    @cached_property
    def validation(self) -> Validation:
        """Every content file loaded and validated, with every problem found (never raises for content)."""
        from backpub.content.validation import FormatSettings, load

        classes = self.host.formats()
        settings = FormatSettings(
            options={name: cls.Options for name, cls in classes.items()},
            moved={key: note for cls in classes.values() for key, note in cls.moved_settings.items()},
            kinds=self.kinds,
        )
        store = self.store if self.use_cache else Store(None)
        return load(
            self.paths.content_dir,
            store=store,
            settings=settings,
            content_digest=self.content_digest,
        )

    @property
    def kinds(self) -> Kinds:
        """The kinds of entity: the built-in ones and those the project's plugins add."""
        return self.host.kinds()

    @cached_property
    def content_digest(self) -> str:
        """A digest of every content file, taken once: the no-op check and the model cache share it."""
        return folder_digest(self.paths.content_dir)

    @cached_property
    def timezone(self) -> str:
        """The programme's timezone (UTC until a programme.yaml says otherwise)."""
        publication = self.validation.publication
        return publication.programme.timezone if publication else "UTC"

    @cached_property
    def moment(self) -> datetime:
        """The time this command started, read once from the one clock: a command that runs across midnight keeps
        one day."""
        return clock.now()

    def day_in(self, timezone: str) -> date:
        """The command's date in a timezone (the no-op check knows the programme's from the last build's stamp)."""
        return clock.today_in(timezone, self.moment)

    @cached_property
    def today(self) -> date:
        """Today in the programme's timezone."""
        return self.day_in(self.timezone)

    def current_day(self) -> date:
        """Today in the programme's timezone at this very moment: what a service that runs for days reads for each
        request (`today` is the day the command started)."""
        return clock.today_in(self.timezone)

    @cached_property
    def as_of(self) -> date:
        """The date this command publishes for: `--as-of`, else today in the programme's timezone."""
        return self.requested_as_of or self.today

    @property
    def is_preview(self) -> bool:
        """Whether this command looks at a date other than today: it may show, never record, what is published."""
        return self.as_of != self.today

    @cached_property
    def publication(self) -> Publication:
        """The validated, read-only programme with every format's links, as everyone may read it (members-only
        entities withheld: `Publication.public`; `.members` is the whole); ContentError when the content has
        errors (`check` applies --strict to the warnings)."""
        validation = self.validation
        if validation.errors or validation.publication is None:
            raise ContentError(self._strict(validation.problems))
        public = validation.publication.public
        # Where formats publish, worked out from what everyone may read (both views share the one Links object).
        public.links.publish(self.host.links(public, self.installed))
        return public

    def prescription(self, source: str | Mapping[str, Any], shown: str = "request") -> ResolvedPrescription:
        """A prescription checked against the programme as of the moment it is read (a service runs for days) and
        resolved: `source` is a file's text (YAML or JSON; problems at `shown`:line:col) or decoded data (a JSON
        request, a form's fields; problems at JSON paths). PrescriptionError with every problem otherwise."""
        from backpub.content import prescriptions

        publication, pending, today = self.publication, self.validation.pending, self.current_day()
        if isinstance(source, str):
            return prescriptions.read_yaml(source, shown, publication, pending, today)
        return prescriptions.resolve(source, publication, pending, today, shown=shown)

    # -- formats and checks -------------------------------------------------------------------------

    def context(self, formats: Iterable[str], day: date | None = None) -> BuildContext:
        """What every format may know about this command besides the publication; with `day`, about a build for
        today on that day (what `validate` looks ahead to). Made once for each such pair."""
        from backpub.formats import BuildContext

        key = (tuple(formats), day, self._renders)
        if key not in self._contexts:
            publication = self.validation.publication
            assert publication is not None, "the context is made from valid content"
            self._contexts[key] = BuildContext(
                project_dir=self.paths.project_dir,
                content_dir=self.paths.content_dir,
                as_of=day or self.as_of,
                build_time=self.build_time(day),
                formats=key[0],
                published=tuple(sorted(set(key[0]) | self._formats_in_outputs())),
                strict=self.strict,
                state_dir=self.paths.state.state,
                today=day or self.today,
                cache_dir=self.paths.state.cache,
                renders=self._renders,
            )
        return self._contexts[key]

    def _formats_in_outputs(self) -> set[str]:
        """The installed formats whose files an earlier build left in the outputs (a build carries them over)."""
        output = self.paths.output_dir
        return {name for name in self.host.formats() if any(path.is_file() for path in (output / name).rglob("*"))}

    def build_time(self, day: date | None = None) -> datetime:
        """SOURCE_DATE_EPOCH when set (reproducible builds), else the start of the as-of day (or `day`) in the
        programme's timezone."""
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                return datetime.fromtimestamp(int(epoch), tz=UTC)
            except ValueError:
                raise ConfigError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}") from None
        return datetime.combine(day or self.as_of, datetime.min.time(), tzinfo=clock.zone(self.timezone))

    def formats(self, names: Iterable[str] | None = None, renders: bool = False) -> dict[str, Format]:
        """The format instances for `names` (default: every installed format), their options validated, made for
        a command that works with exactly those formats (`context.formats`) and renders them (`renders`: a build,
        which asks before any instance is made) or not."""
        self._renders = self._renders or renders
        chosen = self.select(names)
        if self._chosen is None and "installed" not in self.__dict__:
            self._chosen = tuple(chosen)  # the command works with these: every instance is made for them, once
        self.publication  # noqa: B018 - content errors stop here, before any format sees the content
        return self._instances(chosen)

    @property
    def working_formats(self) -> tuple[str, ...]:
        """The formats this command works with (`context.formats`): those it asked for, else every installed one."""
        return self._chosen or tuple(sorted(self.host.formats()))

    @cached_property
    def installed(self) -> dict[str, Format]:
        """One instance of every installed format, made once for this command: the ones it works with, and where
        the others publish (links, the website's layout)."""
        return self._make(sorted(self.host.formats()), self.working_formats)

    def _instances(self, chosen: list[str], day: date | None = None) -> dict[str, Format]:
        if day is None and tuple(chosen) == self.working_formats:
            return {name: self.installed[name] for name in chosen}
        return self._make(chosen, tuple(chosen), day)

    def _make(self, names: list[str], working: tuple[str, ...], day: date | None = None) -> dict[str, Format]:
        """Instances of `names`, each with its options as validation checked them (not validated again)."""
        context = self.context(working, day)
        classes = self.host.formats()
        options = self.validation.options
        return {name: classes[name](context, options.get(name)) for name in names}

    @property
    def publishes(self) -> bool:
        """Whether this command publishes: a build for today (not a preview). It refuses what may not go live."""
        return not self.is_preview

    def problems(self, instances: dict[str, Format], *, publishing: bool = False) -> list[Problem]:
        """Every problem a build for the as-of day would stop for or warn about: the content's, what may not be
        published that day (errors when `publishing`, warnings otherwise: see backpub.content.gate), the plugins' and
        each format's own checks (its theme included), with --strict applied."""
        found = list(self.validation.problems)
        found += self._problems_on(self.as_of, instances, publishing=publishing)
        for instance in instances.values():
            found += instance.theme_problems()
            found += instance.translation_problems(self.publication)
        return sorted(self._strict(found))

    def _problems_on(self, day: date, instances: dict[str, Format], *, publishing: bool) -> list[Problem]:
        """What depends on the day a build publishes for: the publishing gate and the formats' checks."""
        from backpub.content.gate import problems_on

        publication = self.publication
        found = problems_on(
            self.validation.pending,
            day,
            publishing=publishing,
            public_from=publication.public_from,
            refuse_overdue=publication.programme.refuse_overdue_reviews,
        )
        context = self.context(instances, None if day == self.as_of else day)
        found += self.host.check_publication(publication, context)
        for name, instance in instances.items():
            found += list(in_plugin(name, "check", functools.partial(instance.check, publication)) or [])
        return found

    def problems_ahead(self, names: Iterable[str] | None, sundays: Iterable[date]) -> list[Problem]:
        """The problems a build for today on each of `sundays` would meet that one for the as-of day does not, each
        naming its Sunday: errors under --strict, warnings otherwise (today, those Sundays are still drafts)."""
        from backpub.content.gate import REFUSED

        chosen = self.select(names)
        seen = {_identity(problem) for problem in self.problems(self._instances(chosen))}
        ahead: list[Problem] = []
        for sunday in sundays:
            for problem in self._problems_on(sunday, self._instances(chosen, sunday), publishing=True):
                if _identity(problem) in seen or problem.message.startswith(REFUSED):
                    continue  # (what the gate refuses, today's warning already says, with the day it starts)
                seen.add(_identity(problem))
                when = f"on Sunday {sunday.isoformat()}, a build would meet this: {problem.message}"
                ahead.append(dataclasses.replace(problem, severity="warning", message=when))
        return sorted(self._strict(ahead))

    def check(self, instances: dict[str, Format]) -> list[Problem]:
        """Run every check before rendering: ContentError on any error; the warnings otherwise. A build for today
        refuses to publish what may not go live (see backpub.content.gate)."""
        problems = self.problems(instances, publishing=self.publishes)
        if any(problem.severity == "error" for problem in problems):
            raise ContentError(problems)
        return problems

    def graded(self, problems: list[Problem]) -> list[Problem]:
        """Problems as this command counts them: with --strict, warnings are errors."""
        return self._strict(problems)

    def _strict(self, problems: list[Problem]) -> list[Problem]:  # (also used by validate's report)
        if not self.strict:
            return list(problems)
        return [dataclasses.replace(problem, severity="error") for problem in problems]


def _identity(problem: Problem) -> tuple[str, int, int, str]:
    """What makes two problems the same one, whatever their severity (a refusal on a coming Sunday is news even
    where today's warning says the same: on that day it stops the build)."""
    return (problem.path, problem.line, problem.col, problem.message)
