"""The `backpub newsletter` commands, gathered for the group (`backpub_mailinglist.register_commands`)."""

from __future__ import annotations

from backpub_mailinglist.list_commands import LIST_COMMANDS
from backpub_mailinglist.send_command import send

COMMANDS = (send, *LIST_COMMANDS)
