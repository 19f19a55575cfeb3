"""The broken-content corpus: every case in tests/roots/broken/ fails with exactly its expected located errors.

Each case folder holds only a `case.toml` describing how it differs from the minimal project:

    description = "what is wrong"
    expected = ["content/protocols/ice.md:4:1: error: ..."]   # every problem line, in the order printed
    crlf = ["protocols/ice.md"]                               # optional: convert these files to CRLF
    bom = ["protocols/ice.md"]                                # optional: prefix a UTF-8 byte order mark

    [[replace]]   file, old, new                 (text replaced once; the old text must be there)
    [[write]]     file, text [, encoding] [, repeat]
    [[delete]]    file
    [[symlink]]   file, target                   ("{outside}" is a real file outside the project)

Both `backpub validate` and `backpub build -f json` must print exactly those lines, exit 1 without a traceback,
and leave the outputs/ of the previous good build byte-for-byte (and inode-for-inode) as it was.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from backpub.build import build

ROOTS = Path(__file__).resolve().parents[1] / "roots"
CORPUS = ROOTS / "broken"
AS_OF = "2026-11-25"
PROBLEM_LINE = re.compile(r"^\S+:\d+:\d+: (?:error|warning): ")
CASES = sorted(path.name for path in CORPUS.iterdir() if (path / "case.toml").is_file())


def load_case(name: str) -> dict:
    return tomllib.loads((CORPUS / name / "case.toml").read_text(encoding="utf-8"))


def apply_case(case: dict, content: Path) -> None:
    """Turn a copy of the minimal project's content into the broken one the case describes."""
    for edit in case.get("replace", []):
        path = content / edit["file"]
        text = path.read_text(encoding="utf-8")
        assert edit["old"] in text, f"{edit['old']!r} not in {edit['file']}"
        path.write_text(text.replace(edit["old"], edit["new"], 1), encoding="utf-8")
    for edit in case.get("write", []):
        path = content / edit["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((edit["text"] * edit.get("repeat", 1)).encode(edit.get("encoding", "utf-8")))
    for edit in case.get("delete", []):
        (content / edit["file"]).unlink()
    for edit in case.get("symlink", []):
        target = edit["target"]
        if target == "{outside}":
            outside = content.parent.parent / "outside-the-project.png"
            outside.write_bytes((ROOTS / "minimal/content/assets/artwork.png").read_bytes())
            target = str(outside)
        (content / edit["file"]).symlink_to(target)
    for name in case.get("crlf", []):
        path = content / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    for name in case.get("bom", []):
        path = content / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


@pytest.fixture(scope="session")
def built_minimal(tmp_path_factory) -> Path:
    """The minimal project after one good json build: its outputs/ must survive every failed build."""
    project = tmp_path_factory.mktemp("good") / "project"
    shutil.copytree(ROOTS / "minimal/content", project / "content")
    build(project / "content", formats=["json"], as_of=date.fromisoformat(AS_OF), jobs=1)
    assert any((project / "outputs/json").rglob("*.json"))
    return project


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if PROBLEM_LINE.match(line)]


def assert_refused(result, expected: list[str]) -> None:
    assert isinstance(result.exception, SystemExit), result.exception  # not an unhandled exception
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert problem_lines(result.output) == expected, result.output
    errors = sum(": error: " in line for line in expected)
    warnings = len(expected) - errors
    assert f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}" in result.output


def test_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_broken_case(name, built_minimal, tmp_path, run_cli):
    case = load_case(name)
    assert case["expected"], "a broken case must expect at least one problem"
    project = tmp_path / "project"
    shutil.copytree(built_minimal, project, symlinks=True)
    apply_case(case, project / "content")
    before = snapshot(project / "outputs")

    assert_refused(run_cli("validate", "content", "--as-of", AS_OF, cwd=project), case["expected"])
    built = run_cli("build", "--content", "content", "-f", "json", "--as-of", AS_OF, "--jobs", "1", cwd=project)
    assert_refused(built, case["expected"])

    assert snapshot(project / "outputs") == before
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".outputs.")]
    assert leftovers == []


def test_every_case_describes_itself():
    for name in CASES:
        case = load_case(name)
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name), name
        assert case.get("description"), name
        unknown = set(case) - {"description", "expected", "replace", "write", "delete", "symlink", "crlf", "bom"}
        assert not unknown, (name, unknown)
        for operation in ("replace", "write", "delete", "symlink"):
            for edit in case.get(operation, []):
                assert ".." not in Path(edit["file"]).parts, (name, edit["file"])  # cases stay inside content/
