"""The newsletter's settings, programme.yaml `formats.newsletter`: sender, list and sign-up form."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from backpub import EmailAddress, MailboxHeader, Text

HttpsUrl = Annotated[str, Field(pattern=r"^https://\S+$")]


class NewsletterOptions(BaseModel):
    """The Sunday newsletter's sender and list settings (programme.yaml `formats.newsletter`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    from_address: MailboxHeader
    """The From header, e.g. 'Programme <sunday@example.org>'."""
    reply_to: EmailAddress
    """The Reply-To address."""
    send_time: time = time(7, 0)
    """The time on Sunday, in the programme's timezone, at which the issue is sent."""
    list_id: Text
    """The List-Id, e.g. 'sunday.programme.example.org'."""
    unsubscribe_url: HttpsUrl
    """The base https URL of the one-click unsubscribe endpoint; a signed token is appended."""
    unsubscribe_mailto: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    """The mailbox that handles mailto: unsubscribes."""
    postal_address: Annotated[Text, Field(min_length=10)]
    """The publisher's postal address, printed in every issue (US law, CAN-SPAM, asks for one in every
    commercial e-mail): a street address, a registered PO box or a private mailbox; lines as written."""
    signup_form_action: HttpsUrl | None = None
    """Where the website's sign-up form posts to (the site shows the form only when this is set)."""
    excerpt_words: int = Field(default=90, ge=20, le=400)
    """How many words of the deep-dive article the issue quotes."""
    start: Literal["latest", "beginning"] = "latest"
    """Where a new subscriber starts when the sign-up form does not say (its `start` field): `latest`, the weekly
    issue; or `beginning`, episode 1's issue the first Sunday, then the next each Sunday until they reach the
    present."""
