"""`backpub init DIR`: a new programme's repository, ready to validate and preview, unable to publish until its
authors have filled it in.

It writes `content/` (programme.yaml and one example of each kind, with every required field and `TODO`
placeholders, as `backpub new` writes them), a placeholder cover, the CI workflows (a check on every push; the
weekly Sunday publish), `.gitignore` and a README for the programme's authors. `backpub validate` and a preview
build pass at once; a build for today refuses to publish while a placeholder or a missing review record is left
(backpub.content.gate), so nothing half-written ever goes live.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backpub.commands.scaffold import new_entity
from backpub.content.gate import PLACEHOLDER
from backpub.errors import ConfigError
from backpub.formats import Format, Starter
from backpub.model import ENTITY_TYPES

ARTWORK = "assets/artwork.png"
ARTWORK_SIZE = 1400
"""The placeholder cover: the smallest square podcast directories take."""
EXAMPLE_ID = "example-{kind}"
LANGUAGE_TAG = r"[a-z]{2,3}(?:-[A-Z]{2})?"
"""What programme.yaml's `language` takes (backpub.model.Programme)."""


@dataclass(frozen=True)
class Settings:
    """What `backpub init` asks for: what the new programme is called, its language and clock, where it lives."""

    title: str
    language: str = "en-GB"
    timezone: str = "Europe/London"
    site_url: str = f"https://{PLACEHOLDER}.invalid"
    country: str = "GB"

    def checked(self) -> Settings:
        """The settings, or a ConfigError naming the one that is not usable."""
        from pydantic import TypeAdapter, ValidationError

        from backpub.model.base import CountryCode

        if not self.title.strip() or "\n" in self.title:
            raise ConfigError("the title must be one line of text")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown timezone {self.timezone!r}; use an IANA name such as 'Europe/London'") from None
        site = self.site_url.rstrip("/")
        if not site.startswith("https://") or not urlsplit(site).hostname or " " in site:
            raise ConfigError(f"the site URL must be an https:// address, e.g. https://example.org, not {site!r}")
        if not re.fullmatch(LANGUAGE_TAG, self.language):
            raise ConfigError(f"the language must be a BCP 47 tag such as 'en-GB' or 'de', not {self.language!r}")
        try:
            TypeAdapter(CountryCode).validate_python(self.country.upper())
        except ValidationError as exc:
            raise ConfigError(f"country: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
        return Settings(self.title.strip(), self.language, self.timezone, site, self.country.upper())


def init_programme(target: Path, settings: Settings, formats: Mapping[str, type[Format]]) -> list[Path]:
    """Write a new programme's repository into `target` (new or empty) for the installed `formats`, each of
    which gives its part (`Format.starter`); return the files written."""
    settings = settings.checked()
    starters = {name: cls.starter(settings.title, settings.site_url) for name, cls in sorted(formats.items())}
    website = next((name for name, cls in sorted(formats.items()) if cls.hosts_website), None)
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} is not an empty folder; backpub init never writes over anything")
    content = target / "content"
    (content / "assets").mkdir(parents=True)
    written = [_write(content / "programme.yaml", programme_yaml(settings, starters))]
    written.append(_cover(content / ARTWORK))
    for kind in ENTITY_TYPES:  # in the order a reader meets them: a handout's example section shows a concept
        entity_id = None if kind.kind == "episode" else EXAMPLE_ID.format(kind=kind.kind)
        written.append(_commented(new_entity(content, kind.kind, entity_id), kind.kind))
    written.append(_write(target / ".github" / "workflows" / "check.yml", check_workflow(settings.timezone)))
    publish_at = max((starter.publishes_at for starter in starters.values() if starter.publishes_at), default=None)
    workflow = publish_workflow(settings, publish_at or time(0, 0), website)
    written.append(_write(target / ".github" / "workflows" / "publish.yml", workflow))
    written.append(_write(target / ".gitignore", GITIGNORE))
    written.append(_write(target / "README.md", readme(settings, formats, publish_at, website)))
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _commented(path: Path, kind: str) -> Path:
    """The example with a first line saying what it is and what to do with it."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    note = f"# An example {kind} from backpub init. {PLACEHOLDER}: write your own over it, or delete the file.\n"
    path.write_text("".join([lines[0], note, *lines[1:]]), encoding="utf-8")
    return path


def _cover(path: Path) -> Path:
    """A plain square cover (PNG, RGB, 1400 px) so every format builds; programme.yaml asks for the real one."""
    from PIL import Image

    Image.new("RGB", (ARTWORK_SIZE, ARTWORK_SIZE), (31, 95, 139)).save(path, optimize=True)
    return path


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _todo(what: str) -> str:
    return _q(f"{PLACEHOLDER}: {what}")


def programme_yaml(settings: Settings, starters: Mapping[str, Starter]) -> str:
    """programme.yaml with every required setting: what init was told, each format's part, placeholders for the
    rest."""
    site = settings.site_url
    return f"""\
# {settings.title}: the programme's settings. Every field is described in backpub's author's guide (docs/content.md
# in backpub's repository) and by `backpub schema --kind programme`. Replace every placeholder: `backpub validate`
# lists them, and a build for today refuses to publish while one is left.
title: {_q(settings.title)}
# subtitle: "An optional subtitle"
publisher: {_todo("who publishes the programme")}
authors:
  - {_todo("the programme's authors")}
language: {settings.language}            # BCP 47: the words the formats add, how doses are read
timezone: {settings.timezone}    # Sundays and the formats' times of day are in this zone
site_url: {site}    # the programme's website
artwork: {ARTWORK}    # {PLACEHOLDER}: your square cover, 1400-3000 px, PNG or JPEG, RGB (a plain one is there)
review_interval_months: 12       # a review older than this is overdue
# refuse_overdue_reviews: true   # refuse to publish content whose review is overdue (not only warn)

introduction: |
  {PLACEHOLDER}: what the programme is and who it is for, in a paragraph or two (Markdown).

disclaimer: |
  {PLACEHOLDER}: the medical disclaimer printed wherever the programme is read.

# Readers get the urgent help of their own country: one entry per country the programme serves, keyed by its
# ISO code. A clinic's handouts print its country's notice; everything else prints the default country's.
default_country: {settings.country}
countries:
  {settings.country}:
    emergency_number: {_todo("the number readers in this country call in an emergency")}
    urgent_help: |
      {PLACEHOLDER}: when to get urgent help: the signs, the number to call and where to go, as your country's
      health service words them.

phases:                          # the programme's phases, in order; every protocol names one
  - id: phase-one
    title: {_todo("the first phase's title")}
    summary: {_todo("what the phase is for")}

wording:                         # how the formats word your topic (docs/content.md in backpub's repository)
  treatment_kinds:               # the categories of your treatments: an id, then the name every format prints
    example-category: {_todo("a category of treatment, e.g. manual therapy")}
#   intros:
#     protocol: self-care and exercise, step by step.

formats:                         # each format's own settings: see each format's page in backpub's docs
{_sections(starters)}"""


def _sections(starters: Mapping[str, Starter]) -> str:
    """Each format's section of programme.yaml, indented under `formats:`."""
    lines = []
    for name, starter in starters.items():
        if starter.settings.strip():
            lines.append(f"  {name}:")
            lines += [f"    {line}" if line.strip() else "" for line in starter.settings.splitlines()]
    return "\n".join(lines) + "\n" if lines else "  {}\n"


# -- CI ---------------------------------------------------------------------------------------------------------

_SETUP = """\
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: System libraries
        run: sudo apt-get update && sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-color-emoji fonts-symbola
      - name: Install backpub
        # The repository variable BACKPUB_PACKAGE says where backpub comes from (a wheel's URL, or
        # git+https://... of its repository at a tag); without it, the package index's backpub.
        run: pip install "${BACKPUB_PACKAGE:-backpub}"
        env:
          BACKPUB_PACKAGE: ${{ vars.BACKPUB_PACKAGE }}
"""
SETUP_STEPS = ("System libraries", "Install backpub")
"""The steps that install what the others run (the test of init runs the others in a venv that has backpub)."""


def check_workflow(timezone: str) -> str:
    """On every push and pull request: validate (annotating the lines) and build next Sunday's preview (the Sunday
    after today in the programme's `timezone`: never today, which would be a build for today, not a preview)."""
    return f"""\
# Every push and pull request: check the content and build what next Sunday will publish, as a preview (nothing
# is recorded or deployed). Problems are annotated on the lines that cause them.
name: check
on:
  push:
  pull_request:

jobs:
  check:
    runs-on: ubuntu-24.04
    steps:
{_SETUP}      - name: Check the content, today and the coming Sundays
        run: backpub validate
      - name: Build next Sunday as a preview
        run: backpub build --as-of "$(TZ={timezone} date -d 'next sunday' +%F)"
      - uses: actions/upload-artifact@v4
        with:
          name: preview
          path: outputs/
"""


def publish_workflow(settings: Settings, publish_at: time, website: str | None) -> str:
    """Every Sunday after the formats' Sunday times: build for today, commit what the build recorded in content/,
    and put the website online with GitHub Pages."""
    minute, hour, weekday = weekly_cron(settings.timezone, publish_at)
    deploy = _PAGES.format(folder=f"outputs/{website}") if website else ""
    return f"""\
# Every Sunday, after {publish_at:%H:%M} in {settings.timezone} (the latest time a format publishes at): build for today.
# That publishes what is out, and refuses (exit 1, nothing deployed or recorded) anything still holding a
# {PLACEHOLDER} or without a review record. Then commit what the build recorded in content/ (the identities of
# the published episodes) and put the website online with GitHub Pages (Settings, Pages, Source: GitHub Actions).
# Each format's own weekly steps are in backpub's docs (docs/ci.md).
name: publish
on:
  schedule:
    - cron: "{minute} {hour} * * {weekday}"   # UTC, a few minutes after {publish_at:%H:%M} on Sunday in {settings.timezone}, all year
  workflow_dispatch:

concurrency:
  group: publish                 # never two publishing runs at once
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      contents: write            # commit what the build recorded in content/
    steps:
{_SETUP}      - name: Build for today
        run: backpub build
      - name: Commit what the build recorded
        run: |
          git config user.name "backpub"
          git config user.email "backpub@users.noreply.github.com"
          git add content
          if ! git diff --cached --quiet; then
            git commit -m "Published on $(TZ={settings.timezone} date +%F)"
            git push
          fi
{deploy}"""


_PAGES = """\
      - uses: actions/upload-pages-artifact@v3
        with:
          path: {folder}

  deploy:
    needs: build
    runs-on: ubuntu-24.04
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def weekly_cron(timezone: str, after: time, margin: int = 5) -> tuple[int, int, int]:
    """(minute, hour, weekday) in UTC, as cron writes them, of the moment `margin` minutes after `after` on a
    Sunday in `timezone`, taken at the later of its winter and summer offsets so it is late enough all year."""
    zone = ZoneInfo(timezone)
    moments = []
    for sunday in (date(2026, 1, 4), date(2026, 7, 5)):  # a winter and a summer Sunday
        local = datetime.combine(sunday, after, tzinfo=zone) + timedelta(minutes=margin)
        moments.append(local.astimezone(ZoneInfo("UTC")) - datetime.combine(sunday, time(0), tzinfo=ZoneInfo("UTC")))
    latest = max(moments)
    minutes = int(latest.total_seconds() // 60) % (7 * 24 * 60)
    weekday = (minutes // (24 * 60)) % 7  # days after Sunday: cron's 0 is Sunday
    return minutes % 60, (minutes // 60) % 24, weekday


GITIGNORE = """\
# Written by backpub: outputs are built, never committed; .backpub/ holds the build cache and the send ledgers
# and subscriber list, which never belong in a repository.
/outputs/
/.backpub/
.venv/
__pycache__/
"""


def readme(
    settings: Settings, formats: Mapping[str, type[Format]], publish_at: time | None, website: str | None
) -> str:
    """The README for the programme's authors: what to fill in, how to check and preview, how it is published."""
    made = "\n".join(f"- `{name}`: {cls.description}" for name, cls in sorted(formats.items()) if cls.description)
    online = f" and `outputs/{website}/` goes online with GitHub Pages (enable Pages with GitHub Actions as its source)"
    weekly = (
        f"after {publish_at:%H:%M} in {settings.timezone}" if publish_at else f"early on Sunday in {settings.timezone}"
    )
    return f"""\
# {settings.title}

This repository holds the programme's content. backpub publishes it, every Sunday, as:

{made}

## Before anything is published

`backpub init` wrote an example of each kind of content, with `{PLACEHOLDER}` placeholders, and left every review
record empty. Nothing is published until:

- every `{PLACEHOLDER}` is replaced, in `content/programme.yaml` (above all the urgent-help notice of each country
  and the disclaimer) and in each file (write your own content over the examples, or delete them);
- the clinician who reviewed each text has written `reviewed` (the date) and `reviewer` (their name) in it;
- `content/{ARTWORK}` is your programme's cover (square, 1400-3000 px, PNG or JPEG, RGB).

`backpub validate` lists everything still to do, with its file and line. A build for today refuses to publish
while anything is left; a preview shows it all.

## Working on the content

```sh
pip install backpub                  # or the wheel or repository your organisation uses
backpub validate                     # every problem with its file and line (today and the coming Sundays)
backpub build --as-of 2026-11-29     # a preview of that Sunday in outputs/preview-2026-11-29/
backpub preview                      # the website on http://127.0.0.1:8000, rebuilt as you edit
backpub new episode                  # the next episode: next number, next free Sunday, a fresh GUID
backpub new protocol wall-drill      # any kind: concept, mistake, protocol, treatment, principle, handout, clinic
backpub schedule                     # the coming Sundays and their episodes
```

Each file in `content/<kind>/` is one entity (its file name is its id): YAML front matter between `---` lines,
then Markdown. `backpub schema` describes every field for editors; backpub's author's guide (docs/content.md in
its repository) describes every kind and field with examples, and what each message of `validate` means.

## How it is published

- **Every push** (`.github/workflows/check.yml`): `backpub validate`, then a preview of next Sunday, kept as the
  run's `preview` artifact. Set the repository variable `BACKPUB_PACKAGE` if backpub is not on your package
  index.
- **Every Sunday** (`.github/workflows/publish.yml`), {weekly}: `backpub build` publishes that Sunday's episode,
  what it records in `content/` is committed (it keeps every published episode's identity){online if website else ""}.
- Each format's own weekly steps (sending an e-mail, for one) are described in backpub's docs (docs/ci.md).

Episodes go out on Sundays ({settings.timezone}); a draft for a coming Sunday may wait among the episodes.
"""
