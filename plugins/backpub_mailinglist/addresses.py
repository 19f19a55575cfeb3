"""Addresses and names as they enter the list (the sign-up form, an imported CSV, a bounce): checked and cleaned once.

An address is checked with email-validator and kept in the ASCII form plain SMTP can deliver (an international
domain in its xn-- form); its key, the identity the list, the ledger and unsubscribes match on, is that form in
lower case (`Reader@Example.NET` and `reader@example.net` are one subscriber).

A name is shown in the `To:` header and the exported CSV, so control characters, invisible format characters and
RFC 2047 encoded words (`=?utf-8?q?...?=`, which a mail client decodes into anything, line breaks included) are
removed, runs of spaces become one, and it is cut to a sensible length.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS = 254
"""RFC 5321's limit on a forward path."""
MAX_NAME = 100
ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=")


class InvalidAddress(ValueError):
    """Not an address this list can write to; the message says why."""


@dataclass(frozen=True)
class Address:
    """A checked address: as it will be written (`email`) and the key the list knows it by."""

    email: str

    @property
    def key(self) -> str:
        return self.email.lower()


def check_address(text: str) -> Address:
    """The address in `text` (surrounding spaces ignored), or InvalidAddress."""
    text = text.strip()
    if not text:
        raise InvalidAddress("no email address")
    if len(text) > MAX_ADDRESS:
        raise InvalidAddress(f"longer than {MAX_ADDRESS} characters")
    try:
        found = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return Address(found.ascii_email or found.normalized)


def address_key(text: str) -> str:
    """The list's key for an address that may not be valid (a bounce report's, an operator's): lower case."""
    try:
        return check_address(text).key
    except InvalidAddress:
        return text.strip().lower()


def clean_name(text: str | None) -> str:
    """A display name safe for a header and a CSV cell: no control or format characters, no encoded words."""
    if not text:
        return ""
    text = ENCODED_WORD.sub(" ", text)
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(text.split())[:MAX_NAME].strip()
