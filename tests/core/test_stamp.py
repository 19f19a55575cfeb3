"""The no-op fast path: a build is skipped only when nothing it depends on changed since the last good build."""

from __future__ import annotations

import json

import pytest

from backpub_testkit import edit


def build(run_cli, project, *args, env=None):
    result = run_cli("build", "-f", "json", "--report", "json", *args, cwd=project, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def skipped(report) -> bool:
    return report["rendered"] == [] and report["formats"]["json"]["written"] == 0


def test_unchanged_build_is_skipped_and_reports_the_files(run_cli, project):
    first = build(run_cli, project)
    assert first["rendered"] == ["json/programme.json"]
    second = build(run_cli, project)
    assert skipped(second)
    assert second["formats"]["json"]["unchanged"] == 1


@pytest.mark.parametrize(
    "change",
    ["content", "new file", "output edited", "output deleted", "theme", "as-of", "environment", "strict"],
)
def test_any_change_means_a_real_build(run_cli, project, change):
    build(run_cli, project)
    args, env = [], None
    if change == "content":
        edit(project / "content/protocols/ice.md", "title: Ice the lower back", "title: Ice it")
    elif change == "new file":
        (project / "content/assets/new.txt").write_text("x")
    elif change == "output edited":
        (project / "outputs/json/programme.json").write_text("tampered")
    elif change == "output deleted":
        (project / "outputs/json/programme.json").unlink()
    elif change == "theme":
        (project / "theme/json").mkdir(parents=True)
        (project / "theme/json/extra.css").write_text("p {}")
    elif change == "as-of":
        args = ["--as-of", "2026-12-01"]
    elif change == "environment":
        env = {"SOURCE_DATE_EPOCH": "1700000000"}
    elif change == "strict":
        args = ["--strict"]
    report = build(run_cli, project, *args, env=env)
    assert not skipped(report) or change in ("theme", "new file", "as-of", "environment", "strict")
    assert report["formats"]["json"]["written"] + report["formats"]["json"]["unchanged"] == 1
    assert (project / "outputs/json/programme.json").read_text().startswith("{")
    if change in ("output edited", "output deleted", "content"):
        assert report["rendered"] == ["json/programme.json"]


def test_real_build_follows_a_change_even_when_its_fingerprints_match(run_cli, project):
    """A changed input the json format does not use still re-plans the build (and then renders nothing)."""
    build(run_cli, project)
    (project / "content/assets/new.txt").write_text("x")
    report = build(run_cli, project)
    assert report["seconds"] >= 0 and report["counts"]["concepts"] == 1, "a skipped build has no fresh counts"


def test_no_cache_never_skips(run_cli, project):
    build(run_cli, project)
    report = build(run_cli, project, "--no-cache")
    assert report["rendered"] == ["json/programme.json"]


def test_no_cache_on_one_format_leaves_the_others_records_alone(run_cli, project):
    build(run_cli, project, "-f", "json", "-f", "site")
    assert build(run_cli, project, "-f", "json", "--no-cache")["rendered"] == ["json/programme.json"]
    again = build(run_cli, project, "-f", "json", "-f", "site")
    assert again["rendered"] == []  # the site's records survived; the json's were recorded afresh
