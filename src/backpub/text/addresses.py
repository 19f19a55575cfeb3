"""E-mail addresses in content, checked with email-validator: one address where one is expected.

    EmailAddress    a bare address (owner e-mail, reply-to, a clinic's address)
    MailboxHeader   one mailbox as a From header takes it: `Name <address>` or a bare address

Line breaks, control characters, encoded words (`=?utf-8?q?...?=`, which may decode to line breaks) and lists
of addresses are refused, so a header can never be forged from content.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

from backpub.text.textrules import single_line


def _address(value: str) -> str:
    single_line(value)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an e-mail address: {exc}") from None
    return value


def _mailbox(value: str) -> str:
    single_line(value)
    if "=?" in value:
        raise ValueError("encoded words (=?...?=) are not allowed here; write the name as plain text")
    found = getaddresses([value])
    if len(found) != 1 or value.count("@") != 1:
        raise ValueError(f"{value!r} must be exactly one address, e.g. 'Name <sunday@example.org>'")
    _address(found[0][1])
    return value


EmailAddress = Annotated[str, Field(min_length=3), AfterValidator(_address)]
MailboxHeader = Annotated[str, Field(min_length=3), AfterValidator(_mailbox)]
