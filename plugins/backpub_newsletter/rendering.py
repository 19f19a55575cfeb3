"""Turn an issue plan into the email's HTML and plain-text bodies, with Jinja2 templates and inlined CSS."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import textwrap
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup

from backpub import (
    N_,
    Messages,
    Publication,
    RenderError,
    excerpt,
    members_only,
    messages,
    plain_text,
    square_copy,
    template_bytecode,
)
from backpub import render as render_markdown
from backpub_newsletter.issue import IssuePlan

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_FILES = ("email.html.j2", "email.css", "email.txt.j2")
GMAIL_CLIP_BYTES = 102_000
"""Gmail clips HTML bodies above about 102 KB; stay under it."""
PREVIEW_ARTWORK_PX = 128
EPISODE_ART_PX = 160
"""How large the e-mail shows an episode's own artwork (the preview embeds a copy twice this size, for HiDPI)."""


def template_search_path(theme_dir: Path) -> list[Path]:
    """A project's theme folder first (it may override any template), then the package's templates."""
    return [theme_dir, PACKAGE_TEMPLATES]


def template_files(search_path: list[Path]) -> frozenset[Path]:
    """The template files a render reads: for each name, the first folder that has it."""
    found = set()
    for name in TEMPLATE_FILES:
        for folder in search_path:
            if (folder / name).is_file():
                found.add((folder / name).resolve())
                break
    return frozenset(found)


EPISODE_TYPES = {"trailer": N_("Trailer"), "bonus": N_("Bonus episode")}
"""How an issue labels an episode that is not a full one."""


@dataclass(frozen=True)
class Bodies:
    """The two alternative bodies of one issue."""

    html: str
    text: str


RECENT_ISSUES = 8
"""How many issues' values and bodies a renderer keeps: the three files of an issue are planned side by side,
so a few suffice, and a 5,000-episode build does not hold every issue in memory."""


class Recent(OrderedDict):
    """A small dict that forgets its oldest entries beyond `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class IssueRenderer:
    """Renders issues from the templates; one per process (Jinja2 and css-inline are imported here).

    Each issue's values and bodies are made once for its three files (the preview's HTML differs from the
    e-mail's only by its embedded artwork), and the programme's Markdown once per build: a renderer belongs to
    one publication and one build, so nothing it keeps can go stale."""

    def __init__(
        self,
        publication: Publication,
        search_path: list[Path],
        excerpt_words: int,
        words: Messages | None = None,
        *,
        postal_address: str = "",
    ) -> None:
        import css_inline
        import jinja2

        self.publication = publication
        self.excerpt_words = excerpt_words
        self.postal_address = [line.strip() for line in postal_address.strip().splitlines() if line.strip()]
        loader = jinja2.FileSystemLoader([str(path) for path in search_path])
        compiled = template_bytecode()
        self.html_env = jinja2.Environment(
            loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, bytecode_cache=compiled
        )
        self.text_env = jinja2.Environment(
            loader=loader,
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=compiled,
        )
        self.words = words or messages(publication.programme.language, [Path(__file__).resolve().parent / "locale"])
        self.words.install(self.html_env)
        self.words.install(self.text_env)
        self.html_env.globals["link"] = lambda url, text: Markup('<a href="{}">{}</a>').format(url, text)
        self.text_env.filters["wrap"] = wrap_paragraphs
        self.text_env.filters["underline"] = lambda heading, mark="-": f"{heading}\n{mark * len(heading)}"
        # keep_at_rules keeps the mobile and dark-mode @media blocks that inlining cannot express.
        self.inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self._values: Recent = Recent(RECENT_ISSUES)
        self._html: Recent = Recent(2 * RECENT_ISSUES)
        self._text: Recent = Recent(RECENT_ISSUES)
        self._markdown_done: dict[str, dict[str, str]] = {}

    def bodies(self, plan: IssuePlan, unsubscribe_url: str, *, sent_on: date | None = None) -> Bodies:
        """Both bodies of the e-mail, with this unsubscribe link (`sent_on`: the later day a back issue is sent)."""
        return Bodies(
            html=self.html(plan, unsubscribe_url, sent_on=sent_on), text=self.text(plan, unsubscribe_url, sent_on)
        )

    def html(
        self,
        plan: IssuePlan,
        unsubscribe_url: str,
        artwork_src: str | None = None,
        episode_art_src: str | None = None,
        *,
        sent_on: date | None = None,
    ) -> str:
        """The HTML body; `artwork_src` and `episode_art_src` replace the podcast's and the episode's artwork URLs
        (the browser preview)."""
        key = (plan.day, unsubscribe_url, artwork_src, episode_art_src, sent_on)
        return self._html.remember(
            key, lambda: self._render_html(plan, unsubscribe_url, artwork_src, episode_art_src, sent_on)
        )

    def text(self, plan: IssuePlan, unsubscribe_url: str, sent_on: date | None = None) -> str:
        """The plain-text body."""

        def render() -> str:
            values = self.issue_values(plan, unsubscribe_url, sent_on)
            text = self.text_env.get_template("email.txt.j2").render(values)
            return text.strip() + "\n"

        return self._text.remember((plan.day, unsubscribe_url, sent_on), render)

    def _render_html(
        self,
        plan: IssuePlan,
        unsubscribe_url: str,
        artwork_src: str | None,
        episode_art_src: str | None,
        sent_on: date | None = None,
    ) -> str:
        values = dict(self.issue_values(plan, unsubscribe_url, sent_on))
        if artwork_src is not None:
            values["artwork"] = {**values["artwork"], "src": artwork_src}
        if episode_art_src is not None and values["episode"]["artwork"]:
            values["episode"] = {**values["episode"], "artwork": episode_art_src}
        if artwork_src is not None:
            values["web_url"] = None  # the preview is the web edition: no link to itself
        html = self.inliner.inline(self.html_env.get_template("email.html.j2").render(values))
        if len(html.encode()) >= GMAIL_CLIP_BYTES and artwork_src is None:
            raise RenderError(
                f"the issue's HTML is {len(html.encode()):,} bytes; Gmail clips emails above {GMAIL_CLIP_BYTES:,}",
                path=self.publication.source_of(plan.episode.id).path,
                entity=plan.episode.id,
            )
        return html

    def issue_values(self, plan: IssuePlan, unsubscribe_url: str, sent_on: date | None = None) -> dict[str, Any]:
        """The templates' values of one issue, made once (callers copy what they change)."""
        return self._values.remember(
            (plan.day, unsubscribe_url, sent_on), lambda: self.values(plan, unsubscribe_url, sent_on)
        )

    def _date(self, day: date) -> str:
        # The weekday and date as the language writes them: a pattern from the catalogue, words from CLDR.
        return self.words.format_date(day, self.words.pgettext("date format", "EEEE d MMMM y"))

    def values(self, plan: IssuePlan, unsubscribe_url: str, sent_on: date | None = None) -> dict[str, Any]:
        """Everything the templates show, already resolved to strings and URLs. A back issue (`sent_on` a later
        day) is dated the day it is sent and says when it was first published."""
        publication = self.publication
        programme = publication.programme
        episode = plan.episode
        episode_url = publication.url_for(episode)
        return {
            "title": programme.title,
            "language": programme.language,
            "day_label": self._date(sent_on or plan.day),
            "first_published": self._date(plan.day) if sent_on is not None else None,
            "preheader": episode.summary,
            # The email links to the artwork's public URL (the podcast feed publishes it); without one it shows none.
            "artwork": {
                "src": publication.link("podcast-artwork"),
                "alt": self.words.gettext("%(title)s cover art") % {"title": programme.title},
            },
            "episode": {
                "number": episode.number,
                "type": self.words.gettext(EPISODE_TYPES[episode.episode_type])
                if episode.episode_type != "full"
                else "",
                "title": episode.title,
                "summary": episode.summary,
                "url": publication.url_for(episode),
                # A members-only episode in a non-member's issue: its title and summary, and where to join.
                "members_only": publication.withheld(episode),
                "minutes": round((episode.audio.duration_seconds or 0) / 60) if episode.audio else 0,
                # The episode's own artwork, as the website publishes a small copy of it (`Format.links`).
                "artwork": publication.link(f"episode-artwork-small:{episode.id}") if episode.artwork else None,
            },
            "chapters_file": episode.chapters_file_url,
            "chapters": [
                {"clock": mark.clock(), "title": mark.title, "url": f"{episode_url}#chapter-{number}"}
                for number, mark in enumerate(episode.chapter_marks, start=1)
            ],
            "excerpt": article_excerpt(episode.body, self.excerpt_words),
            # A member's issue of a members-only episode carries the whole article: the site shows only its teaser.
            "article": self._markdown(episode.body) if members_only(episode) and episode.body else None,
            "membership_url": programme.membership_url,
            "protocol": self._protocol(plan),
            "mistake": self._mistake(plan),
            "call_to_action": self._markdown(programme.call_to_action),
            "disclaimer": self._markdown(programme.disclaimer_for()),
            "urgent_help": self._markdown(programme.country().urgent_help),
            "home_url": publication.home_url,
            "publisher": programme.publisher,
            "unsubscribe_url": unsubscribe_url,
            # CAN-SPAM: every issue shows the sender's postal address; and where to read it in a browser.
            "postal_address": self.postal_address,
            "web_url": publication.absolute(plan.web_edition),
        }

    def _protocol(self, plan: IssuePlan) -> dict[str, Any] | None:
        protocol = plan.protocol
        if protocol is None:
            return None
        return {
            "title": protocol.title,
            "purpose": protocol.purpose,
            "dose": protocol.dose.parts(self.words) if protocol.dose else [],
            "dose_text": protocol.dose.text(self.words) if protocol.dose else "",
            "steps": protocol.steps,
            "cautions": protocol.cautions,
            "url": self.publication.url_for(protocol),
            "members_only": self.publication.withheld(protocol),
        }

    def _mistake(self, plan: IssuePlan) -> dict[str, Any] | None:
        mistake = plan.mistake
        if mistake is None:
            return None
        return {
            "title": mistake.title,
            "summary": mistake.summary,
            "harms": mistake.harms,
            "url": self.publication.url_for(mistake),
            "instead": [{"title": p.title, "url": self.publication.url_for(p)} for p in plan.instead],
        }

    def _markdown(self, text: str) -> dict[str, str]:
        """The programme's call to action, disclaimer and urgent-help notice as HTML and text, once per build
        (the same few texts in every issue; links resolve through this renderer's one publication)."""
        if text not in self._markdown_done:
            html = render_markdown(text, link=self._link, heading_shift=2)
            self._markdown_done[text] = {"html": html, "text": plain_text(join_soft_breaks(text))}
        return dict(self._markdown_done[text])

    def _link(self, entity_id: str) -> str:
        return self.publication.url_for(entity_id) if entity_id in self.publication.by_id else self.publication.home_url


_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|>|```|~~~|\|)")


def join_soft_breaks(text: str) -> str:
    """Join a paragraph's wrapped lines with spaces (plain_text would glue the words at a soft break)."""
    lines = text.splitlines()
    joined: list[str] = []
    for line in lines:
        continues = joined and joined[-1].strip() and line.strip() and not _BLOCK_START.match(line)
        if continues:
            joined[-1] = joined[-1].rstrip() + " " + line.strip()
        else:
            joined.append(line)
    return "\n".join(joined)


def article_excerpt(body: str, words: int) -> str:
    """The opening of the deep-dive article: the part before its first heading when that is long enough."""
    opening = re.split(r"(?m)^#{1,6}\s", body, maxsplit=1)[0]
    source = opening if len(opening.split()) >= 20 else body
    cut = excerpt(join_soft_breaks(source), words)
    if not cut.endswith("…"):
        return cut
    # Prefer ending on a whole sentence when that keeps most of the excerpt.
    sentences = re.split(r"(?<=[.!?])\s+", cut)
    whole = " ".join(sentences[:-1])
    return whole if len(whole.split()) >= words * 0.6 else cut


def wrap_paragraphs(text: str, width: int = 72) -> str:
    """Wrap each paragraph of plain text; list items ('- ') get a hanging indent."""
    wrapped = []
    for paragraph in text.split("\n\n"):
        indent = "  " if paragraph.startswith("- ") else ""
        wrapped.append(
            textwrap.fill(paragraph, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
        )
    return "\n\n".join(wrapped)


class ArtworkCopies:
    """The preview's small copies of artwork, each made once per process however many issues show it: keyed by
    the file's bytes (their digest) and the size, so a changed file is never served from an older copy."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, int], str] = {}

    def data_uri(self, path: Path, px: int = PREVIEW_ARTWORK_PX) -> str:
        data = path.read_bytes()
        key = (hashlib.sha256(data).hexdigest(), px)
        if key not in self._made:
            self._made[key] = artwork_data_uri(io.BytesIO(data), px)
        return self._made[key]


def artwork_data_uri(path: Path | io.BytesIO, px: int = PREVIEW_ARTWORK_PX) -> str:
    """A small copy of square artwork as a data: URI, so the browser preview needs no network (a JPEG stays a
    JPEG: a photograph as PNG would weigh many times more)."""
    data, kind = square_copy(path, px)
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()
