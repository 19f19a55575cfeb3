"""`backpub newsletter send` killed with SIGKILL at several points and resumed: nobody gets two, nobody is forgotten.

Reuses the newsletter tests' SMTP recorder (aiosmtpd on loopback) by import.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins" / "mailinglist"))
from list_smtp import SECRET, LoopbackController, Recorder, add_subscribers, send_args

BACKPUB = str(Path(sys.executable).with_name("backpub"))
ENV = {**os.environ, "BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
SUBSCRIBERS = 24


@dataclass
class KillingRecorder(Recorder):
    """Records like the newsletter tests' server, and can SIGKILL the sender at the Nth MAIL FROM or Nth accept."""

    kill_at_mail: int | None = None
    kill_after_accept: int | None = None
    mails: int = 0
    victim: subprocess.Popen | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if self.victim is not None and self.mails == self.kill_at_mail:
            os.kill(self.victim.pid, signal.SIGKILL)  # between messages: the previous one was fully acknowledged
        envelope.mail_from = address
        return "250 OK"

    def accepted(self, count: int) -> None:
        if self.victim is not None and count == self.kill_after_accept:
            os.kill(self.victim.pid, signal.SIGKILL)  # the message is in; the sender never hears the 250


@pytest.fixture
def server() -> Iterator[tuple[KillingRecorder, str]]:
    recorder = KillingRecorder()
    recorder.after_accept = recorder.accepted
    controller = LoopbackController(recorder)
    controller.start()
    yield recorder, controller.address
    controller.stop()


def send(project: Path, address: str, *extra: str, arm: Callable[[subprocess.Popen], None] = lambda p: None):
    command = [BACKPUB, *send_args(str(project / "list.sqlite"), address, *extra)]
    process = subprocess.Popen(command, cwd=project, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    arm(process)
    output, _ = process.communicate(timeout=120)
    return process.returncode, output.decode()


def resume(run_cli, project: Path, address: str, *extra: str) -> tuple[int, str]:
    """A run after the kills, in the test's process: only the killed runs need processes of their own."""
    result = run_cli(
        *send_args(str(project / "list.sqlite"), address, *extra),
        cwd=project,
        env={"BACKPUB_UNSUBSCRIBE_SECRET": SECRET},
    )
    return result.exit_code, result.output


def copies(recorder: Recorder) -> dict[str, int]:
    return {rcpt: len(items) for rcpt, items in recorder.by_recipient().items()}


def test_kills_before_any_send_mid_way_and_near_the_end_then_resume_sends_everyone_once(project, server, run_cli):
    recorder, address = server
    subscribers = add_subscribers(str(project / "list.sqlite"), SUBSCRIBERS)
    # (where, kill at this run's Nth MAIL FROM, kill after the server's Nth accept overall, delivered afterwards)
    kills = [
        ("before any send", 1, None, 0),
        ("between messages, mid-way", 10, None, 9),
        ("after an accept, mid-way", None, 15, 15),
        ("between the last two", 9, None, 23),  # 15 done: the 9th MAIL of this run is the 24th subscriber's
        ("after the last accept", None, SUBSCRIBERS, SUBSCRIBERS),
    ]
    for label, at_mail, after_accept, delivered in kills:
        recorder.mails, recorder.kill_at_mail, recorder.kill_after_accept = 0, at_mail, after_accept
        code, output = send(project, address, arm=lambda process: setattr(recorder, "victim", process))
        assert code == -signal.SIGKILL, (label, output)
        assert len(recorder.received) == delivered, label
        assert set(copies(recorder).values()) <= {1}, label
    recorder.victim = None

    code, output = resume(run_cli, project, address)
    assert code == 1, output  # uncertain deliveries: not a success for a scheduled job
    assert sorted(copies(recorder)) == subscribers
    assert set(copies(recorder).values()) == {1}
    # The two killed inside the uncertain window were delivered, and are reported, not resent.
    assert "uncertain 2" in output and "sent      0" in output and "skipped   22" in output
    assert "Not delivered for certain: 0 failed, 2 uncertain" in output


def test_a_kill_before_the_server_accepts_never_sends_twice_and_resend_uncertain_completes(project, server, run_cli):
    """The uncertain window where the message did NOT arrive: reported, never resent unless the operator asks."""
    recorder, address = server
    subscribers = add_subscribers(str(project / "list.sqlite"), 6)
    refused_once: set[str] = set()

    def kill_during_data(recipient: str, attempt: int) -> str | None:
        if recipient == subscribers[3] and not refused_once:
            refused_once.add(recipient)
            os.kill(recorder.victim.pid, signal.SIGKILL)
            return "451 4.3.0 Not stored"  # the server dropped it: the sender died before it could know
        return None

    recorder.decide = kill_during_data
    code, _ = send(project, address, arm=lambda process: setattr(recorder, "victim", process))
    assert code == -signal.SIGKILL
    assert sorted(copies(recorder)) == subscribers[:3]

    code, output = resume(run_cli, project, address)
    assert code == 1, output  # one delivery is uncertain
    assert "uncertain 1" in output and subscribers[3] in output
    assert subscribers[3] not in copies(recorder)  # at most once: not resent on its own
    assert sorted(copies(recorder)) == subscribers[:3] + subscribers[4:]

    code, output = resume(run_cli, project, address, "--resend-uncertain")
    assert code == 0, output
    assert sorted(copies(recorder)) == subscribers and set(copies(recorder).values()) == {1}
