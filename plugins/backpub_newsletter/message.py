"""The RFC 5322 message of an issue, built with the standard library's `email` package, and its identities.

Everything here is deterministic: the Message-ID comes from the episode's guid, the list and the recipient
(stable across retries and rebuilds), the MIME boundary from the content, the Date from the programme.
"""

from __future__ import annotations

import hashlib
from datetime import date
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from urllib.parse import quote

from backpub import Publication, messages
from backpub_newsletter.issue import IssuePlan
from backpub_newsletter.options import NewsletterOptions

COMPOSE_POLICY = policy.SMTP
"""Bodies are encoded with 76-character quoted-printable lines (RFC 2045) and CRLF line ends."""
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)
"""Headers are written unfolded up to RFC 5322's 998 characters, so List-Unsubscribe stays on one line."""

PACKAGE = Path(__file__).resolve().parent


def sender_address(newsletter: NewsletterOptions) -> Address:
    """The From address of the newsletter."""
    return _address(newsletter.from_address)


def _address(text: str) -> Address:
    name, addr = getaddresses([text])[0]
    username, _, domain = addr.partition("@")
    return Address(display_name=name, username=username, domain=domain)


def message_id(newsletter: NewsletterOptions, plan: IssuePlan, recipient: str | None = None) -> str:
    """A stable Message-ID: the same issue to the same recipient always has the same id."""
    seed = "\n".join([plan.episode.guid, newsletter.list_id, plan.day.isoformat(), (recipient or "").lower()])
    digest = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return f"<{plan.day:%Y%m%d}.{digest}@{sender_address(newsletter).domain}>"


def unsubscribe_mailto(newsletter: NewsletterOptions) -> str:
    """The mailto: alternative of List-Unsubscribe; the sender's address identifies the subscriber."""
    return f"mailto:{newsletter.unsubscribe_mailto}?subject={quote('unsubscribe ' + newsletter.list_id)}"


def compose(
    publication: Publication,
    newsletter: NewsletterOptions,
    plan: IssuePlan,
    *,
    html: str,
    text: str,
    unsubscribe_url: str,
    recipient: Address | None = None,
    sent_on: date | None = None,
) -> EmailMessage:
    """The complete message: multipart/alternative with the plain text first and the HTML last (preferred), dated
    the issue's Sunday (or `sent_on`, the day a back issue is sent) at the send time."""
    programme = publication.programme
    message = EmailMessage(policy=COMPOSE_POLICY)
    message["From"] = sender_address(newsletter)
    if recipient is not None:
        message["To"] = recipient
    message["Reply-To"] = _address(newsletter.reply_to)
    message["Subject"] = plan.episode.title
    message["Date"] = format_datetime(publication.at(sent_on or plan.day, newsletter.send_time))
    message["Message-ID"] = message_id(newsletter, plan, recipient.addr_spec if recipient else None)
    words = messages(programme.language, [PACKAGE / "locale"])
    description = words.gettext("%(title)s Sunday newsletter") % {"title": programme.title}
    message["List-Id"] = f"{description} <{newsletter.list_id}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{unsubscribe_mailto(newsletter)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = programme.language
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary derived from the content (not random) keeps the bytes reproducible.
    message.set_boundary("=_backpub_" + hashlib.sha256((text + html).encode()).hexdigest()[:32])
    return message


def to_bytes(message: EmailMessage) -> bytes:
    """The message on the wire: CRLF line ends, headers unfolded."""
    return message.as_bytes(policy=WIRE_POLICY)
