"""The `newsletter` format: for every Sunday with a released episode, a browser preview, the plain text and the .eml."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from backpub import Format, Job, Problem, Publication, RenderError, Starter
from backpub_newsletter.issue import WEBSITE_FOLDER, IssuePlan, issue_days, plan_issue
from backpub_newsletter.options import NewsletterOptions
from backpub_newsletter.rendering import template_files, template_search_path

if TYPE_CHECKING:
    from email.headerregistry import Address

    from backpub_newsletter.edition import Edition
    from backpub_newsletter.rendering import IssueRenderer

__version__ = "1.0"

PARTS = {"index.html": "preview", "email.txt": "text", "message.eml": "message"}


class NewsletterFormat(Format):
    """Writes outputs/newsletter/<YYYY-MM-DD>/{index.html,email.txt,message.eml} for each released Sunday."""

    name = "newsletter"
    version = __version__
    description = "The Sunday newsletter: HTML preview, plain text and the RFC 5322 message."
    Options = NewsletterOptions
    options: NewsletterOptions
    moved_settings: ClassVar[Mapping[str, str]] = {"newsletter": "'newsletter' moved to 'formats.newsletter'"}

    @classmethod
    def starter(cls, title: str, site_url: str) -> Starter:
        """A new programme's Sunday e-mail: sent after the episode, unsubscribed through the programme's service."""
        send = NewsletterOptions.model_fields["send_time"].default
        host = urlsplit(site_url).hostname or "example.org"
        settings = f"""\
from_address: newsletter@example.org   # TODO: the sender, e.g. "Name <newsletter@your.domain>"
reply_to: newsletter@example.org       # TODO: where replies go
send_time: "{send:%H:%M}"                   # each Sunday's issue is sent at this time
list_id: newsletter.{host}
unsubscribe_url: {site_url}/unsubscribe   # where `backpub newsletter serve` answers
unsubscribe_mailto: unsubscribe@example.org   # TODO: an address that unsubscribes whoever writes to it
postal_address: "TODO: the publisher's postal address"   # printed in every issue (CAN-SPAM)
"""
        return Starter(settings, send)

    def links(self, publication: Publication) -> Mapping[str, str]:
        """Where the website's sign-up form posts to, when the programme has one."""
        action = self.options.signup_form_action
        return {"newsletter-signup": action} if action else {}

    def website_path(self, output: str, publication: Publication) -> str | None:
        """Each issue's web edition is on the website at /newsletter/<date>/ (the e-mail files are not)."""
        return f"{WEBSITE_FOLDER}/{output}" if output.endswith("/index.html") else None

    def check(self, publication: Publication) -> list[Problem]:
        problems = []
        for plan in self.plans(publication):
            if plan.episode.episode_type != "full":
                continue  # a trailer or bonus episode need not teach a protocol or a mistake
            for missing, thing in ((plan.protocol, "protocol"), (plan.mistake, "mistake")):
                if missing is None:
                    message = f"[{self.name}] episode covers no {thing}; the {plan.day} issue leaves that section out"
                    problems.append(self._warning(publication, plan.episode.id, message))
        return problems

    def _warning(self, publication: Publication, entity_id: str, message: str) -> Problem:
        source = publication.source_of(entity_id)
        return Problem(source.path, source.line, 1, "warning", message, entity_id)

    def plans(self, publication: Publication) -> list[IssuePlan]:
        """The issues this build publishes, oldest first."""
        plans = (plan_issue(publication, day) for day in issue_days(publication, self.context.as_of))
        return [plan for plan in plans if plan is not None]

    def jobs(self, publication: Publication) -> list[Job]:
        templates = template_files(self.search_path()) | self.messages(publication).files()
        jobs = []
        for plan in self.plans(publication):
            for filename, part in PARTS.items():
                # Only the preview embeds the artwork file; the email links to its public URL.
                art = {publication.programme.artwork, plan.episode.artwork} - {None}
                assets = frozenset(art) if part == "preview" else frozenset()
                jobs.append(
                    Job(
                        f"{plan.day.isoformat()}/{filename}",
                        entities=plan.entity_ids,
                        assets=assets,
                        templates=templates,
                        args={"day": plan.day.isoformat(), "part": part},
                    )
                )
        return jobs

    def search_path(self):
        return template_search_path(self.context.theme_dir(self.name))

    def prepare(self, publication: Publication) -> None:
        from backpub_newsletter.rendering import ArtworkCopies

        self.renderer = self._renderer(publication)
        self.artwork = ArtworkCopies()

    def _renderer(self, publication: Publication) -> IssueRenderer:
        from backpub_newsletter.rendering import IssueRenderer

        return IssueRenderer(
            publication, self.search_path(), self.options.excerpt_words, self.messages(publication),
            postal_address=self.options.postal_address,
        )  # fmt: skip

    def issue(self, publication: Publication, day: date) -> IssuePlan:
        """The plan of the issue for `day`; RenderError when no episode is released that day."""
        plan = plan_issue(publication, day)
        if plan is None or day > self.context.as_of:
            raise RenderError(f"there is no newsletter issue for {day.isoformat()} as of {self.context.as_of}")
        return plan

    def sender(self) -> Address:
        """The newsletter's From address (the mailing list's own mails come from it too)."""
        from backpub_newsletter.message import sender_address

        return sender_address(self.options)

    def edition(self, publication: Publication, day: date, *, sent_on: date | None = None) -> Edition:
        """The issue first published on `day`, rendered once, ready to be personalised per recipient (`backpub
        newsletter send`). `sent_on` is the day it is sent when that is later (a subscriber who started at the
        beginning gets it then): it is dated that day and says when it was first published; its safety notice,
        links and footer are always today's. `publication` is the view the recipient may read (the public one, or
        `publication.members` for a member)."""
        from backpub_newsletter.edition import Edition

        plan = self.issue(publication, day)
        renderers = self.__dict__.setdefault("_renderers", {})  # one per view: a renderer reads one publication
        renderer = renderers.get(id(publication))
        if renderer is None or renderer.publication is not publication:
            renderer = renderers[id(publication)] = self._renderer(publication)
        return Edition(publication, self.options, renderer, plan, sent_on=sent_on)

    def render(self, job: Job, publication: Publication) -> bytes:
        from backpub_newsletter.message import compose, to_bytes
        from backpub_newsletter.rendering import EPISODE_ART_PX

        if getattr(self, "renderer", None) is None:
            self.prepare(publication)
        plan = self.issue(publication, date.fromisoformat(job.args["day"]))
        # The built files are the list-level edition; `backpub newsletter send` personalises the link per subscriber.
        unsubscribe_url = self.options.unsubscribe_url
        part = job.args["part"]
        if part == "preview":
            artwork = self.artwork.data_uri(publication.asset(publication.programme.artwork))
            episode_art = plan.episode.artwork
            episode_src = (
                self.artwork.data_uri(publication.asset(episode_art), 2 * EPISODE_ART_PX) if episode_art else None
            )
            return self.renderer.html(plan, unsubscribe_url, artwork, episode_src).encode()
        if part == "text":
            return self.renderer.text(plan, unsubscribe_url).encode()
        bodies = self.renderer.bodies(plan, unsubscribe_url)
        message = compose(
            publication, self.options, plan, html=bodies.html, text=bodies.text, unsubscribe_url=unsubscribe_url
        )
        return to_bytes(message)
