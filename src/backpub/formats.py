"""The renderer contract: a format is a class with a name that turns the publication into jobs, one per file.

Lifecycle, owned by the build (plugins never run the loop themselves):

1. `Format(context)` in the main process; `options` are validated from programme.yaml `formats.<name>`.
2. `check(publication)`: format-specific validation (e.g. podcast artwork), before anything renders.
3. `jobs(publication)`: one `Job` per output file, each declaring what it depends on. Must be cheap:
   no heavy imports here, so a build with nothing to do stays fast.
4. `prepare(publication)`: once per worker process before its first render (import heavy libraries here).
5. `render(job, publication) -> bytes`: may run in any worker, in any order, except that a job's `inputs` (other
   outputs of the format it is made from) are rendered before it; it reads them with `read_input`.
6. `finish(publication, written)`: in the main process after the outputs were committed.

Outside builds, a format may also render documents made for one request (a prescription for one patient): it
lists their kinds in `on_request`, and `render_on_request(kind, document, publication)` returns the bytes, after
`prepare` ran once in that process. Nothing of such a document is an output: it is never written, cached or
recorded, and may hold what must not be kept (a patient's name).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from backpub.errors import BackpubError, ConfigError, Problem, Severity
from backpub.files.output import SERVICE_FOLDER as SERVICE_FOLDER

if TYPE_CHECKING:
    from backpub.content.publication import Publication
    from backpub.text.i18n import Messages


_INPUT_FOLDER: ContextVar[Path | Mapping[str, bytes] | None] = ContextVar("backpub_input_folder", default=None)
"""Where jobs' inputs are read from while rendering: the outputs being built, one folder per format; or, on a
worker that shares no folder with the build, the inputs' bytes sent with the job, by `<format>/<output>`."""


@contextmanager
def inputs_from(folder: Path | Mapping[str, bytes]) -> Iterator[None]:
    """Let `Format.read_input` read jobs' inputs from `folder` (laid out as outputs/: `<format>/<output>`), or
    from a mapping of those paths to the inputs' bytes."""
    token = _INPUT_FOLDER.set(folder)
    try:
        yield
    finally:
        _INPUT_FOLDER.reset(token)


PUBLIC_AUDIENCE, MEMBERS_AUDIENCE = "public", "members"


class NoOptions(BaseModel):
    """A format without options accepts none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Job:
    """One output file and everything it depends on, so unchanged files need not be rendered again."""

    output: str
    """The file's path inside `outputs/<format>/`, with forward slashes, e.g. 'clinic-a/handout.pdf'."""
    entities: frozenset[str] = frozenset()
    """Ids of the entities whose data the file shows (the programme settings are always included)."""
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Entities of which the file shows only some fields: {entity id: field names}, e.g.
    {'episode-1': frozenset({'number', 'title'})}; a change to another field does not re-render the file. An
    empty set means the file needs only the entity to exist (e.g. it prints its address). An id also in
    `entities` counts whole."""
    assets: frozenset[str] = frozenset()
    """Content-relative asset files the file embeds or reads."""
    templates: frozenset[Path] = frozenset()
    """Template, stylesheet and font files the renderer reads."""
    values: tuple[Any, ...] = ()
    """Anything else that changes the bytes (e.g. the --as-of date); must be JSON-serialisable."""
    args: Mapping[str, Any] = field(default_factory=dict)
    """What the renderer needs to know which file to make (e.g. {'handout': 'x', 'clinic': 'y'})."""
    inputs: tuple[str, ...] = ()
    """Other outputs of the same format this file is made from (e.g. a clinic pack from its handouts): the
    build renders them first, a change to one renders this file again, and `Format.read_input` reads them. Only
    public outputs can be inputs."""
    audience: Literal["public", "members"] = "public"
    """Who reads the file. `public`: it is rendered from the public view of the publication (members-only entities
    withheld) into `outputs/<format>/`, and may be placed on the website. `members`: it is for the subscription
    service to serve to members and subscribers one by one (a private feed's items): rendered from the members'
    view (`Publication.members`, everything in full) into `outputs/service/<format>/`, never placed on the
    website, never an input of a public file."""
    intermediate: bool = False
    """True for a file made only for other jobs of the format to be made from (their `inputs`), e.g. one layout
    that many editions share: it is never written to outputs/. The build renders it only when a job made from it
    is rendered, and keeps it in the build cache by its fingerprint, so a later build reuses it while nothing it
    declares changes."""

    @property
    def for_members(self) -> bool:
        """Whether only the subscription service serves this file (`audience` "members")."""
        return self.audience == MEMBERS_AUDIENCE


@dataclass(frozen=True)
class BuildContext:
    """What every format may know about the build besides the publication."""

    project_dir: Path
    """The project folder (the content folder's parent)."""
    content_dir: Path
    """The content folder."""
    as_of: date
    """The date the build publishes for: nothing dated after it is published."""
    build_time: datetime
    """The build's timestamp: SOURCE_DATE_EPOCH when set, else the start of `as_of` in the programme's timezone."""
    formats: tuple[str, ...] = ()
    """The formats this build renders."""
    published: tuple[str, ...] = ()
    """The formats whose files the website holds after this build: those it renders and those an earlier build left
    in the outputs (a site links to the handouts whenever their PDFs are there, whichever formats this build
    renders)."""
    strict: bool = False
    """Whether warnings are errors."""
    state_dir: Path | None = None
    """A folder for state that must survive builds and `backpub clean` (ledgers of sends)."""
    today: date | None = None
    """Today in the programme's timezone. A build for another `as_of` is a preview: it records nothing."""
    cache_dir: Path | None = None
    """A folder for derived data a format may keep between commands (safe to delete: `backpub clean` does)."""
    renders: bool = False
    """Whether the command renders after its checks (a build): a check that needs what only rendering finds may
    then leave it to `finish`, which reports it."""

    @property
    def is_preview(self) -> bool:
        """Whether this build looks at a date other than today (it may show, never record, what is published)."""
        return self.today is not None and self.as_of != self.today

    def theme_dir(self, format_name: str) -> Path:
        """Where a project may override a format's templates: `<project>/theme/<format>/`."""
        return self.project_dir / "theme" / format_name


@dataclass(frozen=True)
class Starter:
    """A format's part of a new programme's repository (`backpub init`)."""

    settings: str = ""
    """Its section of programme.yaml, `formats.<name>:`'s lines (init indents them), with a comment on each field
    and a `TODO` placeholder wherever the programme must say what init cannot know: a build for today refuses to
    publish while one is left, `validate` and a preview pass at once."""
    publishes_at: time | None = None
    """The time of day (the programme's timezone) at which this format's Sunday part goes out, if it has one (an
    episode's release, a send): the weekly publish that init writes runs after the latest of them."""


class Format(ABC):
    """Base class of every output format. Subclass it, set `name`, and register it with `register_formats`."""

    #: The name users pass to `backpub build --format`; also the folder under outputs/.
    name: ClassVar[str] = ""
    #: The format's version: a change re-renders every output of the format.
    version: ClassVar[str] = "1"
    #: One line shown by `backpub plugins`.
    description: ClassVar[str] = ""
    #: The pydantic model of the format's options (programme.yaml `formats.<name>`).
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: Top-level programme.yaml keys where older versions kept this format's settings, each with a note saying
    #: where they went, e.g. {"old_key": "'old_key' moved to 'formats.<name>'"}: an old key is a located error.
    moved_settings: ClassVar[Mapping[str, str]] = {}
    #: True for the one format whose output folder is the programme's website: other formats' published files
    #: (see `website_path`) are placed into it, so that folder alone is the whole site.
    hosts_website: ClassVar[bool] = False
    #: The kinds of document the format renders on request, outside builds (e.g. `Prescription.kind`): see
    #: `render_on_request`.
    on_request: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, context: BuildContext, options: Mapping[str, Any] | BaseModel | None = None) -> None:
        self.context = context
        if isinstance(options, self.Options):
            self.options = options  # validated already, with every problem located (the session passes these)
            return
        try:
            self.options = self.Options.model_validate(dict(options or {}))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"programme.yaml: formats.{self.name}.{where}: {first['msg']}") from None

    @classmethod
    def starter(cls, title: str, site_url: str) -> Starter:
        """This format's part of a new programme called `title`, whose website is `site_url` (see `Starter`).
        A format whose options have required fields must give them here, or `backpub init`'s programme would
        not validate."""
        return Starter()

    def check(self, publication: Publication) -> list[Problem]:
        """Format-specific problems in the content, found before anything renders."""
        return []

    def links(self, publication: Publication) -> Mapping[str, str]:
        """What this format publishes where on the programme's website, for every format to link to.

        Keys are entity ids (an entity's page or file) or names (e.g. 'book'); values are site paths starting
        with '/' or absolute URLs. Read them with `publication.url_for(entity)` and `publication.link(key)`.
        Called for every installed format, built or not, so links point where the files will be."""
        return {}

    def website_path(self, output: str, publication: Publication) -> str | None:
        """Where one of this format's output files is served on the website (relative to the site's root), or
        None when it is not published there. The build places the file there without rendering it again."""
        return None

    @abstractmethod
    def jobs(self, publication: Publication) -> list[Job]:
        """One job per output file, each with its dependencies. Keep it cheap: no heavy imports."""

    def prepare(self, publication: Publication) -> None:  # noqa: B027 - optional lifecycle step
        """Once per process before the first render: import heavy libraries, load templates."""

    @abstractmethod
    def render(self, job: Job, publication: Publication) -> bytes:
        """The bytes of one output file. Raise RenderError for problems the content can fix."""

    def render_on_request(self, kind: str, document: Any, publication: Publication) -> bytes:
        """The bytes of one document made for a request, of a kind in `on_request` (for `Prescription.kind`, a
        `ResolvedPrescription`), after `prepare` ran once in the process; callers render one document at a time per
        process (a service renders in worker processes). It may hold personal data: write nothing of it anywhere (no
        file, cache or log); raise RenderError for what the content can fix."""
        raise BackpubError(
            f"the {self.name} format renders no {kind!r} on request (it renders: "
            f"{', '.join(sorted(self.on_request)) or 'nothing'})"
        )

    def read_input(self, job: Job, output: str) -> bytes:
        """The bytes of one of `job.inputs` as this build made it; only while `render` makes that job."""
        # (BackpubError: the build names the format and the output being rendered)
        if output not in job.inputs:
            raise BackpubError(f"job {job.output!r} reads {output!r}, which it does not list in its inputs")
        folder = _INPUT_FOLDER.get()
        if folder is None:
            raise BackpubError(f"job {job.output!r} read its input {output!r} outside a build")
        if isinstance(folder, Mapping):
            return folder[f"{self.name}/{output}"]
        return (folder / self.name / output).read_bytes()

    def finish(self, publication: Publication, written: list[str]) -> list[Problem] | None:  # noqa: B027
        """After the outputs were committed; `written` lists the outputs rendered this time. May return the
        warnings rendering found (about every output of the build, not only those written): the build reports
        them with the checks' warnings."""

    # -- helpers for subclasses ------------------------------------------------------------------

    def problem(
        self,
        publication: Publication,
        entity_id: str | None,
        message: str,
        line: int = 1,
        severity: Severity = "error",
    ) -> Problem:
        """A located problem about an entity (or the programme settings when entity_id is None)."""
        path = publication.programme_path if entity_id is None else publication.source_of(entity_id).path
        return Problem(path, line, 1, severity, f"[{self.name}] {message}", entity_id)

    def messages(self, publication: Publication) -> Messages:
        """The format's fixed words in the programme's language: the core's catalogue, the format's own
        (`locale/` beside its package), then the project's `theme/locale/` and `theme/<format>/locale/`."""
        from backpub.text.i18n import messages

        return messages(publication.programme.language, self.locale_folders())

    def locale_folders(self) -> list[Path]:
        """Where the format's catalogues are, lowest priority first (see `messages`)."""
        module = type(self).__module__
        package = sys.modules.get(module.split(".")[0]) or sys.modules.get(module)
        source = getattr(package, "__file__", None)
        own = [Path(source).resolve().parent / "locale"] if source else []
        theme = self.context.project_dir / "theme"
        return [*own, theme / "locale", self.context.theme_dir(self.name) / "locale"]

    def translation_problems(self, publication: Publication) -> list[Problem]:
        """A warning for each message the programme's language does not translate (English is printed)."""
        found = self.messages(publication)
        return [
            self.problem(
                publication,
                None,
                f"no {found.locale.english_name} translation of the message {name!r}; it is printed in English "
                f"(add it to theme/{self.name}/locale/{found.locale.language}/LC_MESSAGES/messages.po)",
                severity="warning",
            )
            for name in found.missing()
        ]

    def theme_problems(self) -> list[Problem]:
        """An error for each reference in the project's theme (`theme/<format>/`) that would load something from
        outside the project; the build checks every format's theme: a theme may restyle, never make anyone fetch."""
        from backpub.text.urlpolicy import css_remote_references, html_remote_references

        folder = self.context.theme_dir(self.name)
        problems = []
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            scan: Callable[[str], list[tuple[int, str]]] | None = {".css": css_remote_references}.get(
                path.suffix.lower()
            )
            if scan is None and path.suffix.lower() in (".html", ".htm", ".xhtml", ".j2", ".jinja", ".jinja2"):
                scan = html_remote_references
            if scan is None or not path.is_file():
                continue
            shown = path.relative_to(self.context.project_dir).as_posix()
            for line, url in scan(path.read_text(errors="replace")):
                message = f"[{self.name}] the theme loads {url!r}; a theme may only use its own files"
                problems.append(Problem(shown, line, 1, "error", message))
        return problems
