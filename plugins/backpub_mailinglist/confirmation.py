"""Signed, expiring confirmation links for double opt-in, and the confirmation email itself.

A token is base64url(address) '.' expiry (Unix seconds) '.' base64url(HMAC-SHA256(k, list, address, expiry)),
where k is derived from the unsubscribe secret for this purpose only: a confirmation token is never a valid
unsubscribe token, nor the other way round.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from backpub_newsletter.message import COMPOSE_POLICY, WIRE_POLICY

PURPOSE = b"backpub newsletter confirmation v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()


def confirmation_token(secret: str, list_id: str, address: str, expires: int) -> str:
    """The token of a confirmation link for `address`, valid until `expires` (Unix seconds)."""
    address = address.lower()
    message = f"{list_id}\n{address}\n{expires}".encode()
    signature = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return f"{_b64(address.encode())}.{expires}.{_b64(signature)}"


def verify_confirmation(secret: str, list_id: str, token: str, now: float) -> str | None:
    """The address if the token is genuine for this list and not expired, else None."""
    payload, _, rest = token.partition(".")
    expires_text, _, _signature = rest.partition(".")
    if not re.fullmatch(r"[0-9]{1,12}", expires_text):
        return None
    try:
        address = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    expected = confirmation_token(secret, list_id, address, int(expires_text))
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return None
    return address if int(expires_text) >= now else None


def confirmation_message(sender: Address, recipient: str, subject: str, text: str, language: str, now: float) -> bytes:
    """The plain-text confirmation email on the wire (CRLF, quoted-printable)."""
    message = EmailMessage(policy=COMPOSE_POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # RFC 3834: sent because someone asked, so vacation responders do not answer it.
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language  # after set_content, which replaces every Content-* header
    return message.as_bytes(policy=WIRE_POLICY)
