"""Line endings and byte order marks are an editor's choice, not an error: the model is the same either way."""

from __future__ import annotations

from pathlib import Path

from backpub.content.validation import load


def rewrite_every_text_file(content: Path, convert) -> None:
    for path in content.rglob("*"):
        if path.suffix in (".md", ".yaml"):
            path.write_bytes(convert(path.read_bytes()))


def dump(content: Path) -> dict:
    validation = load(content)
    assert validation.problems == [], validation.problems
    publication = validation.publication
    return {
        "programme": publication.programme.model_dump(mode="json"),
        "entities": [entity.model_dump(mode="json") for entity in publication.entities],
    }


def test_crlf_bom_and_lf_give_the_same_model(make_project):
    plain = make_project("minimal", "plain")
    windows = make_project("minimal", "windows")
    rewrite_every_text_file(windows / "content", lambda data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert dump(windows / "content") == dump(plain / "content")


def test_crlf_project_validates_and_builds(make_project, run_cli):
    project = make_project("minimal")
    rewrite_every_text_file(project / "content", lambda data: data.replace(b"\n", b"\r\n"))
    validated = run_cli("validate", "content", "--as-of", "2026-11-25", cwd=project)
    assert validated.exit_code == 0, validated.output
    built = run_cli("build", "--content", "content", "-f", "json", "--as-of", "2026-11-25", "--jobs", "1", cwd=project)
    assert built.exit_code == 0, built.output
    assert list((project / "outputs/preview-2026-11-25/json").rglob("*.json"))
