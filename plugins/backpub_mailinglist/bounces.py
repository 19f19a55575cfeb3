"""Bounces and complaints: whoever's mail bounced for good, or who marked it as spam, is never mailed again.

Reports come as messages (read from a mailbox with `backpub newsletter bounces`, or POSTed to the service's
bounces path) or as an e-mail provider's webhook (POSTed):

- a delivery status notification (RFC 3464) or a mail server's own bounce format, read with flufl.bounce (GNU
  Mailman's detectors); only permanent failures suppress, a temporary one ("mailbox full") is ignored;
- a complaint in the Abuse Reporting Format (RFC 5965, `multipart/report; report-type=feedback-report`), the
  feedback loops' format: the complained-about address is the original message's recipient;
- Amazon SES notifications (bare, or inside an SNS notification): `Bounce` with `bounceType: Permanent`, and
  `Complaint`;
- Postmark webhooks: `RecordType: Bounce` with `Type: HardBounce` (or another permanent type), and
  `RecordType: SpamComplaint`.
"""

from __future__ import annotations

import email
import json
import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from backpub import ConfigError
from backpub_mailinglist.addresses import address_key
from backpub_mailinglist.store import BOUNCE, COMPLAINT, MailingList

POSTMARK_PERMANENT = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "SpamNotification"}
"""Postmark's bounce types that mean the address must not be mailed again (its docs' "hard" kinds)."""


class ReportError(ValueError):
    """A posted report that is none of the shapes above."""


@dataclass(frozen=True)
class Report:
    """One address to suppress, and why."""

    address: str
    reason: str
    detail: str


@dataclass
class Counts:
    suppressed: int = 0
    already: int = 0
    ignored: int = 0
    """Reports that name nobody to suppress (a temporary failure, a delivery notice, a test)."""
    addresses: list[str] = field(default_factory=list)


def from_message(message: Message) -> list[Report]:
    """The addresses a bounce or complaint message names (an empty list for anything else)."""
    complaint = _arf_complaint(message)
    if complaint is not None:
        return complaint
    from flufl.bounce import all_failures

    _temporary, permanent = all_failures(message)
    subject = str(message.get("Subject", ""))[:120]
    return [Report(address_key(_text(found)), BOUNCE, f"bounce: {subject}") for found in sorted(permanent)]


def _text(found: bytes | str) -> str:
    return found.decode("utf-8", "replace") if isinstance(found, bytes) else found


def _arf_complaint(message: Message) -> list[Report] | None:
    """The complained-about recipient of an ARF report; None when the message is not one."""
    if message.get_content_type() != "multipart/report" or message.get_param("report-type") != "feedback-report":
        return None
    reports = []
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            fields = _feedback_fields(part)
            kind = fields.get("feedback-type", ["abuse"])[0]
            for _, found in getaddresses(fields.get("original-rcpt-to", [])):
                reports.append(Report(address_key(found), COMPLAINT, f"complaint: {kind}"))
        elif part.get_content_type() in ("message/rfc822", "text/rfc822-headers") and not reports:
            original = _embedded(part)
            if original is not None:
                for _, found in getaddresses(original.get_all("To", [])):
                    reports.append(Report(address_key(found), COMPLAINT, "complaint: abuse"))
    return reports


def _feedback_fields(part: Message) -> dict[str, list[str]]:
    payload = part.get_payload()
    raw = part.get_payload(decode=True)
    if isinstance(payload, list):  # the email package parses message/* parts into messages
        text = "\n".join(str(item) for item in payload)
    else:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip().lower(), []).append(value.strip())
    return fields


def _embedded(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    raw = part.get_payload(decode=True)
    return email.message_from_bytes(raw, policy=policy.compat32) if isinstance(raw, bytes) and raw else None


def from_json(data: object) -> list[Report] | None:
    """The addresses an Amazon SES (or SNS-wrapped) or Postmark notification names; None for another shape."""
    if not isinstance(data, dict):
        return None
    if data.get("Type") in ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return _sns(data)
    if "notificationType" in data or "eventType" in data:
        return _ses(data)
    if "RecordType" in data:
        return _postmark(data)
    return None


def _sns(data: dict) -> list[Report] | None:
    if data.get("Type") != "Notification":
        # Confirming an SNS subscription means opening its SubscribeURL: the operator does that once, by hand.
        return []
    try:
        inner = json.loads(data.get("Message") or "")
    except (TypeError, ValueError):
        return None
    return _ses(inner) if isinstance(inner, dict) else None


def _ses(data: dict) -> list[Report]:
    kind = data.get("notificationType") or data.get("eventType")
    if kind == "Bounce":
        bounce = data.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        detail = f"bounce: {bounce.get('bounceSubType', 'permanent')}"
        return [
            Report(address_key(str(item.get("emailAddress", ""))), BOUNCE, detail)
            for item in _items(bounce, "bouncedRecipients")
        ]
    if kind == "Complaint":
        complaint = data.get("complaint") or {}
        detail = f"complaint: {complaint.get('complaintFeedbackType', 'abuse')}"
        return [
            Report(address_key(str(item.get("emailAddress", ""))), COMPLAINT, detail)
            for item in _items(complaint, "complainedRecipients")
        ]
    return []


def _items(data: dict, key: str) -> list[dict]:
    found = data.get(key)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _postmark(data: dict) -> list[Report]:
    address = address_key(str(data.get("Email", "")))
    if data.get("RecordType") == "SpamComplaint":
        return [Report(address, COMPLAINT, "complaint: Postmark spam complaint")]
    if data.get("RecordType") == "Bounce" and data.get("Type") in POSTMARK_PERMANENT:
        return [Report(address, BOUNCE, f"bounce: {data.get('Type')}")]
    return []


def parse_posted(content_type: str, body: bytes) -> list[Report]:
    """The reports in a POSTed body: JSON (a webhook) or a whole message (a DSN or ARF report)."""
    if "json" in content_type or body.lstrip()[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except ValueError:
            raise ReportError("the body is not JSON") from None
        found = from_json(data)
        if found is None:
            raise ReportError("not an Amazon SES, SNS or Postmark notification")
        return found
    return from_message(email.message_from_bytes(body, policy=policy.compat32))


def suppress_reports(mailing: MailingList, content_type: str, body: bytes, *, source: str) -> Counts:
    """Suppress every address a posted report names."""
    return suppress(mailing, parse_posted(content_type, body), source=source)


def suppress(mailing: MailingList, reports: Iterable[Report], *, source: str) -> Counts:
    counts = Counts()
    any_report = False
    for report in reports:
        any_report = True
        if "@" not in report.address:
            counts.ignored += 1
        elif mailing.suppress(report.address, report.reason, report.detail, source):
            counts.suppressed += 1
            counts.addresses.append(report.address)
        else:
            counts.already += 1
    if not any_report:
        counts.ignored += 1
    return counts


def read_mailbox(path: Path) -> Iterator[Message]:
    """Every message of an mbox file or a Maildir folder."""
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise ConfigError(f"{str(path)!r} is a folder but not a Maildir (no cur/ or new/)")
        box: mailbox.Mailbox = mailbox.Maildir(path, factory=None, create=False)
    elif path.is_file():
        box = mailbox.mbox(path, create=False)
    else:
        raise ConfigError(f"no mailbox at {str(path)!r}")
    try:
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            yield email.message_from_bytes(raw, policy=policy.compat32)
    finally:
        box.close()
