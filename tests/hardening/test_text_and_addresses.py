"""Characters no format can carry and sender addresses are refused by `validate` (issue 16, items 5 and 6).

A U+2028 or CR/LF in a title once passed validation and crashed the newsletter ("Header values may not contain
linefeed") naming no file; U+0001 crashed the feed and the EPUB. Forged and listed sender addresses passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backpub_testkit import edit


def validate(run_cli, project: Path):
    result = run_cli("validate", "--content", "content", cwd=project)
    assert "Traceback" not in result.output
    return result


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


@pytest.mark.parametrize(
    ("escaped", "says"),
    [
        ("\\u2028", "a line separator (U+2028)"),
        ("\\x85", "a next-line character (U+0085)"),
        ("\\r\\nBcc: x@y.example", "a carriage return"),
        ("\\n", "a line break"),
        ("\\x01", "a control character (U+0001)"),
    ],
)
def test_a_title_with_a_character_no_format_carries_is_a_located_error(project: Path, run_cli, escaped, says) -> None:
    episode = project / "content" / "episodes" / "episode-one.md"
    title = next(text for text in episode.read_text().splitlines() if text.startswith("title:"))
    edit(episode, title, f'title: "Week one{escaped} starts"')
    result = validate(run_cli, project)
    assert result.exit_code == 1, result.output
    line = line_of(episode, "title:")
    assert f"content/episodes/episode-one.md:{line}:" in result.output
    assert "title" in result.output and says in result.output


def test_a_control_character_in_a_multi_line_field_is_refused_but_newlines_are_kept(project: Path, run_cli) -> None:
    protocol = project / "content" / "protocols" / "ice.md"
    edit(protocol, "purpose: Calm inflammation.", 'purpose: "Calm\\ninflammation."')
    assert validate(run_cli, project).exit_code == 0
    edit(protocol, 'purpose: "Calm\\ninflammation."', 'purpose: "Calm\\x1binflammation."')
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert f"content/protocols/ice.md:{line_of(protocol, 'purpose:')}:" in result.output
    assert "purpose" in result.output and "U+001B" in result.output


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("from_address", '"\\"Evil\\r\\nBcc: v@e.example\\" <a@b.example>"', "a carriage return"),
        ("from_address", "nobody", "must be exactly one address"),
        ("from_address", '"a@b.example, evil@x.example"', "must be exactly one address"),
        ("from_address", '"=?utf-8?q?x=0D=0AFrom:_v@e.example?= <a@b.example>"', "encoded words"),
        ("reply_to", '"Name <a@b.example>"', "is not an e-mail address"),
        ("owner_email", "owner@", "is not an e-mail address"),
    ],
)
def test_sender_addresses_are_validated(project: Path, run_cli, field: str, value: str, says: str) -> None:
    programme = project / "content" / "programme.yaml"
    old = next(text for text in programme.read_text().splitlines() if text.strip().startswith(f"{field}:"))
    edit(programme, old, f"{old.split(':')[0]}: {value}")
    result = validate(run_cli, project)
    assert result.exit_code == 1, result.output
    assert f"content/programme.yaml:{line_of(programme, field + ':')}:" in result.output
    assert field in result.output and says in result.output


def test_a_clinic_email_must_be_one_address(project: Path, run_cli) -> None:
    clinic = project / "content" / "clinics" / "test-clinic.md"
    edit(clinic, "paper: Letter\n", "paper: Letter\nemail: front desk at the clinic\n")
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert f"content/clinics/test-clinic.md:{line_of(clinic, 'email:')}:" in result.output
    assert "is not an e-mail address" in result.output
    edit(clinic, "email: front desk at the clinic", "email: desk@clinic.example.org")
    assert validate(run_cli, project).exit_code == 0
