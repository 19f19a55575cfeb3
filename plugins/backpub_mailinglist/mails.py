"""The list's own mails (the confirmation link, the welcome), rendered from templates and built with the email
package's SMTP policy: headers are made by `email.headerregistry`, so a name can never add a header or a line.

Page and mail wording come from Jinja2 templates (`templates/service/`, overridable in `theme/newsletter/service/`)
and the list's message catalogues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from backpub import template_bytecode
from backpub_mailinglist.addresses import clean_name

COMPOSE_POLICY = SMTP
WIRE_POLICY = SMTP.clone(max_line_length=998)
"""Headers unfolded up to RFC 5322's 998 characters, so List-Unsubscribe stays on one line."""


@dataclass(frozen=True)
class Letter:
    """A rendered mail: its subject and plain text."""

    subject: str
    text: str


def recipient_address(email: str, name: str) -> Address:
    """The To of a mail to `email`, with its owner's cleaned name."""
    return Address(display_name=clean_name(name), addr_spec=email)


def build_mail(
    sender: Address,
    recipient: Address,
    letter: Letter,
    language: str,
    now: float,
    *,
    unsubscribe: tuple[str, str] | None = None,
) -> bytes:
    """The plain-text mail on the wire (CRLF, quoted-printable). `unsubscribe` is (https URL, list id) for a mail
    of the list itself (the welcome): it carries the one-click List-Unsubscribe headers every issue has."""
    message = EmailMessage(policy=COMPOSE_POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = clean_name(letter.subject)
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # RFC 3834: sent because someone asked, so vacation responders do not answer it.
    message["Auto-Submitted"] = "auto-replied"
    if unsubscribe is not None:
        url, list_id = unsubscribe
        message["List-Id"] = f"<{list_id}>"
        message["List-Unsubscribe"] = f"<{url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(letter.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language  # after set_content, which replaces every Content-* header
    return message.as_bytes(policy=WIRE_POLICY)


class Templates:
    """The service's pages (HTML, autoescaped) and mails (text), in the programme's language."""

    def __init__(self, search_path: list[Path], words: Any) -> None:
        import jinja2

        loader = jinja2.FileSystemLoader([str(path) for path in search_path])
        compiled = template_bytecode()
        self.pages = jinja2.Environment(
            loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, bytecode_cache=compiled
        )
        self.text = jinja2.Environment(
            loader=loader,
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            bytecode_cache=compiled,
        )
        words.install(self.pages)
        words.install(self.text)

    def page(self, name: str, values: dict[str, Any]) -> str:
        return self.pages.get_template(f"service/{name}.html.j2").render(values)

    def letter(self, name: str, values: dict[str, Any]) -> Letter:
        subject = self.text.get_template(f"service/{name}_subject.txt.j2").render(values).strip()
        return Letter(subject, self.text.get_template(f"service/{name}_email.txt.j2").render(values))
