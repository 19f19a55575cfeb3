"""An address that unsubscribed is never mailed again, however a list spells it: e-mail users read
`Left@Example.net` and `left@example.net` as one person, so the list does too (through the CLI only, so the test
holds whatever keeps the list)."""

from __future__ import annotations

from pathlib import Path

from list_smtp import AS_OF, ISSUE, SECRET

ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}


def test_an_unsubscribed_address_in_another_case_is_never_mailed_again(project: Path, smtp_server, run_cli) -> None:
    (project / "first.csv").write_text("email,name\nstay@example.net,Stay\nleft@example.net,Left\n")
    assert run_cli("newsletter", "import", "first.csv", cwd=project).exit_code == 0
    result = run_cli("newsletter", "unsubscribe", "Left@Example.NET", cwd=project)
    assert result.exit_code == 0, result.output
    # The same person again, spelt as another list had them: they stay out.
    (project / "second.csv").write_text("email,name\nLEFT@example.net,Left\nNew@Example.net,New\n")
    imported = run_cli("newsletter", "import", "second.csv", cwd=project)
    assert imported.exit_code == 0, imported.output
    assert "left out           1" in imported.output

    recorder, address = smtp_server()
    sent = run_cli("newsletter", "send", "--issue", ISSUE, "--smtp", address, "--as-of", AS_OF, cwd=project, env=ENV)
    assert sent.exit_code == 0, sent.output
    mailed = sorted(recipient.lower() for recipient in recorder.by_recipient())
    assert mailed == ["new@example.net", "stay@example.net"]


def test_a_csv_that_spells_an_unsubscribed_address_otherwise_does_not_mail_it(
    project: Path, smtp_server, run_cli
) -> None:
    """A CSV is only ever imported (`send --subscribers` is gone): the list's database is the only source."""
    assert run_cli("newsletter", "unsubscribe", "left@example.net", cwd=project).exit_code == 0
    (project / "export.csv").write_text("email,name\nLeft@Example.net,Left\nstay@example.net,Stay\n")
    recorder, address = smtp_server()
    args = ["--issue", ISSUE, "--subscribers", "export.csv", "--smtp", address, "--as-of", AS_OF]
    refused = run_cli("newsletter", "send", *args, cwd=project, env=ENV)
    assert refused.exit_code == 1 and "--subscribers is gone" in refused.output
    imported = run_cli("newsletter", "import", "export.csv", cwd=project)
    assert "left out           1" in imported.output
    sent = run_cli(
        "newsletter", "send", *[a for a in args if a not in ("--subscribers", "export.csv")], cwd=project, env=ENV
    )
    assert sent.exit_code == 0, sent.output
    assert sorted(recorder.by_recipient()) == ["stay@example.net"]
