"""Signed unsubscribe tokens: every issue's one-click unsubscribe link names its subscriber with one."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote


def unsubscribe_token(secret: str, list_id: str, address: str) -> str:
    """A signed token naming the subscriber: base64url(address) '.' base64url(HMAC-SHA256(list, address))."""
    address = address.lower()
    payload = base64.urlsafe_b64encode(address.encode()).rstrip(b"=").decode()
    signature = hmac.new(secret.encode(), f"{list_id}\n{address}".encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def verify_token(secret: str, list_id: str, token: str) -> str | None:
    """The subscriber's address if the token is genuine for this list, else None (for the unsubscribe endpoint)."""
    payload, _, _signature = token.partition(".")
    try:
        address = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    # Compared as bytes: a str comparison raises on non-ASCII input, and tokens come from anyone's URL.
    expected = unsubscribe_token(secret, list_id, address).encode()
    return address if hmac.compare_digest(expected, token.encode()) else None


def personal_unsubscribe_url(base_url: str, token: str) -> str:
    """The one-click unsubscribe URL for one subscriber."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}token={quote(token, safe='')}"
