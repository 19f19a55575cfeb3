"""The one token scheme of the list's links: unsubscribe (in every issue) and confirm (in the confirmation mail);
and the private feeds' tokens.

    token = base64url(address) "." expires "." base64url(HMAC-SHA256(key, list_id, address, expires, binding))

`key` is derived from BACKPUB_UNSUBSCRIBE_SECRET for one purpose, so a token made for one purpose is never valid
for another. `expires` is Unix seconds, 0 for never (unsubscribe links must keep working: CAN-SPAM asks for at
least 30 days). `binding` ties a token to state the database holds: a confirmation link is bound to the
address's current pending request, so it stops working once that request is confirmed, or the address leaves, or
signs up again (only the newest request's links work). Signatures are compared in constant time, as bytes.

A private feed's token is base64url(HMAC-SHA256(key, list_id, address, nonce)) with its own key: 43 characters no
one can guess without the secret and the random nonce the database keeps beside the token's SHA-256 (never the
token), so the same URL can be written into a mail again, and revoking the row ends it for good.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from urllib.parse import quote

UNSUBSCRIBE = "unsubscribe"
CONFIRM = "confirm"
FEED = "feed"
_PURPOSES = {
    UNSUBSCRIBE: b"backpub list token v2: unsubscribe",
    CONFIRM: b"backpub list token v2: confirm",
    FEED: b"backpub list token v2: private feed",
}
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
"""What a private feed token looks like."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, purpose: str, list_id: str, address: str, expires: int, binding: str) -> bytes:
    key = hmac.new(secret.encode(), _PURPOSES[purpose], hashlib.sha256).digest()
    return hmac.new(key, f"{list_id}\n{address}\n{expires}\n{binding}".encode(), hashlib.sha256).digest()


def make_token(secret: str, purpose: str, list_id: str, address: str, *, expires: int = 0, binding: str = "") -> str:
    """A token naming `address` (lower-cased) for `purpose` on this list."""
    address = address.lower()
    signature = _signature(secret, purpose, list_id, address, expires, binding)
    return f"{_b64(address.encode())}.{expires}.{_b64(signature)}"


def read_token(
    secret: str,
    purpose: str,
    list_id: str,
    token: str,
    *,
    now: float,
    binding: Callable[[str], str | None] = lambda address: "",
) -> str | None:
    """The address a genuine, unexpired token names, else None. `binding(address)` gives what the token must be
    bound to now (None: nothing can be, so no token is valid)."""
    match = re.fullmatch(r"([A-Za-z0-9_-]{1,400})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})", token)
    if match is None:
        return _legacy_unsubscribe(secret, purpose, list_id, token)
    try:
        address = _unb64(match[1]).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    expires = int(match[2])
    if address != address.lower() or (expires and expires < now):
        return None
    bound = binding(address)
    if bound is None:
        return None
    expected = make_token(secret, purpose, list_id, address, expires=expires, binding=bound)
    return address if hmac.compare_digest(expected.encode(), token.encode()) else None


def _legacy_unsubscribe(secret: str, purpose: str, list_id: str, token: str) -> str | None:
    """The unsubscribe links of issues sent before this scheme (base64url(address) "." HMAC(secret, list, address))
    keep working: they are in people's inboxes, and an unsubscribe link must work for at least 30 days."""
    match = re.fullmatch(r"([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})", token)
    if purpose != UNSUBSCRIBE or match is None:
        return None
    try:
        address = _unb64(match[1]).decode().lower()
    except (ValueError, UnicodeDecodeError):
        return None
    signature = hmac.new(secret.encode(), f"{list_id}\n{address}".encode(), hashlib.sha256).digest()
    expected = f"{match[1]}.{_b64(signature)}"
    return address if hmac.compare_digest(expected.encode(), token.encode()) else None


def feed_token(secret: str, list_id: str, address: str, nonce: str) -> str:
    """The private feed token of `address` for the feed row with this `nonce`."""
    key = hmac.new(secret.encode(), _PURPOSES[FEED], hashlib.sha256).digest()
    return _b64(hmac.new(key, f"{list_id}\n{address.lower()}\n{nonce}".encode(), hashlib.sha256).digest())


def link(base_url: str, token: str) -> str:
    """`base_url` with the token as its `token` query parameter."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}token={quote(token, safe='')}"
