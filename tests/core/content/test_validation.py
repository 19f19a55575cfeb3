"""`backpub validate`: every kind of content problem is found, located at its key, and reported at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backpub_testkit import edit


def validate(run_cli, project: Path, *args: str):
    return run_cli("validate", "content", *args, cwd=project)


def assert_reports(result, expected_line: str) -> None:
    assert result.exit_code == 1, result.output
    assert expected_line in result.output, result.output
    assert "Traceback" not in result.output


def test_valid_project_prints_counts(run_cli, project):
    result = validate(run_cli, project)
    assert result.exit_code == 0, result.output
    assert "content is valid: 1 concept, 1 mistake, 1 protocol, 0 treatments" in result.output


def test_the_full_test_programme_is_valid(run_cli, make_project):
    result = validate(run_cli, make_project("back-in-shape"), "--as-of", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "content is valid" in result.output


def test_yaml_syntax_error_is_located(run_cli, project):
    edit(project / "content/concepts/back-not-leg.md", "summary: The leg", "summary: [The leg")
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert "content/concepts/back-not-leg.md:" in result.output
    assert "YAML syntax error" in result.output


def test_unknown_field_points_at_key_and_suggests(run_cli, project):
    edit(project / "content/protocols/ice.md", "purpose:", "purpsoe:")
    result = validate(run_cli, project)
    assert_reports(result, "content/protocols/ice.md:4:1: error: unknown field 'purpsoe'; did you mean 'purpose'?")


def test_missing_field_is_reported(run_cli, project):
    edit(project / "content/mistakes/stretching.md", "harms: It rounds the lower back.\n", "")
    result = validate(run_cli, project)
    assert_reports(result, "content/mistakes/stretching.md:2:1: error: missing required field 'harms'")


def test_wrong_type_points_at_value(run_cli, project):
    edit(project / "content/episodes/episode-one.md", "number: 1", "number: one")
    result = validate(run_cli, project)
    assert_reports(result, "content/episodes/episode-one.md:3:9: error: number: Input should be a valid integer")


def test_nested_wrong_type_points_at_nested_value(run_cli, project):
    edit(project / "content/episodes/episode-one.md", "size_bytes: 1000000", "size_bytes: lots")
    result = validate(run_cli, project)
    assert_reports(
        result, "content/episodes/episode-one.md:11:15: error: audio.size_bytes: Input should be a valid integer"
    )


def test_duplicate_ids_across_kinds(run_cli, project):
    source = project / "content/protocols/ice.md"
    (project / "content/concepts/ice.md").write_text(
        "---\ntitle: Ice\nsummary: Cold.\nreviewed: 2026-11-01\nreviewer: R\n---\n"
    )
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert "duplicate id 'ice'" in result.output
    assert source.exists()


def test_duplicate_episode_number_and_guid(run_cli, project):
    first = project / "content/episodes/episode-one.md"
    second = project / "content/episodes/episode-two.md"
    second.write_text(first.read_text().replace("2026-11-22", "2026-11-29"))
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert "content/episodes/episode-two.md:3:9: error: duplicate episode number 1" in result.output
    assert "content/episodes/episode-two.md:5:7: error: duplicate episode guid" in result.output


def test_dangling_reference_suggests_close_id(run_cli, project):
    edit(project / "content/mistakes/stretching.md", "instead: [ice]", "instead: [icee]")
    result = validate(run_cli, project)
    assert_reports(result, "content/mistakes/stretching.md:9:11: error: unknown protocol 'icee'; did you mean 'ice'?")


def test_reference_to_wrong_kind(run_cli, project):
    edit(project / "content/mistakes/stretching.md", "instead: [ice]", "instead: [back-not-leg]")
    result = validate(run_cli, project)
    assert_reports(result, "error: 'back-not-leg' is a concept, but this field takes a protocol")


def test_dangling_entity_link_in_markdown_body(run_cli, project):
    edit(project / "content/concepts/back-not-leg.md", "(@ice)", "(@ise)")
    result = validate(run_cli, project)
    assert_reports(
        result, "content/concepts/back-not-leg.md:11:1: error: link to unknown entity '@ise'; did you mean 'ice'?"
    )


def test_episode_not_on_sunday(run_cli, project):
    edit(project / "content/episodes/episode-one.md", "release: 2026-11-22", "release: 2026-11-23")
    result = validate(run_cli, project)
    assert_reports(
        result,
        "content/episodes/episode-one.md:4:10: error: episode release 2026-11-23 is a Monday; episodes go out on Sundays",
    )


def test_dose_minimum_above_maximum(run_cli, project):
    edit(project / "content/protocols/ice.md", "duration: 3-5 min", "duration: 5-3 min")
    result = validate(run_cli, project)
    assert_reports(
        result, "content/protocols/ice.md:10:13: error: dose.duration: the minimum (5) exceeds the maximum (3)"
    )


def test_dose_mapping_form_is_checked_too(run_cli, project):
    edit(project / "content/protocols/ice.md", "duration: 3-5 min", "duration: {min: 10, max: 5, unit: s}")
    result = validate(run_cli, project)
    assert_reports(result, "dose.duration: the minimum (10) exceeds the maximum (5)")


def test_missing_asset_file(run_cli, project):
    edit(project / "content/programme.yaml", "artwork: assets/artwork.png", "artwork: assets/missing.png")
    result = validate(run_cli, project)
    assert_reports(
        result,
        "content/programme.yaml:7:10: error: artwork: file 'assets/missing.png' does not exist in the content folder",
    )


def test_file_that_is_not_utf8(run_cli, project):
    path = project / "content/concepts/back-not-leg.md"
    path.write_bytes(path.read_bytes().replace(b"The leg pain", b"The leg \xe9pain"))
    result = validate(run_cli, project)
    assert_reports(
        result, "content/concepts/back-not-leg.md:3:1: error: file is not UTF-8 (byte 0xe9); save it as UTF-8"
    )


def test_empty_file(run_cli, project):
    (project / "content/concepts/empty.md").write_text("")
    result = validate(run_cli, project)
    assert_reports(result, "content/concepts/empty.md:1:1: error: file is empty")


def test_missing_front_matter(run_cli, project):
    (project / "content/concepts/plain.md").write_text("Just prose.\n")
    result = validate(run_cli, project)
    assert_reports(result, "content/concepts/plain.md:1:1: error: file must start with '---' and YAML front matter")


def test_bad_file_name(run_cli, project):
    source = project / "content/concepts/back-not-leg.md"
    source.rename(project / "content/concepts/Back_Not_Leg.md")
    result = validate(run_cli, project)
    assert_reports(result, "must be a kebab-case id")


def test_all_problems_reported_in_one_run(run_cli, project):
    edit(project / "content/protocols/ice.md", "purpose:", "purpsoe:")
    edit(project / "content/episodes/episode-one.md", "release: 2026-11-22", "release: 2026-11-24")
    (project / "content/concepts/empty.md").write_text("")
    result = validate(run_cli, project)
    assert result.exit_code == 1
    # the typo gives two errors: the unknown key and the missing required one
    assert "4 errors, 0 warnings" in result.output


def test_overdue_review_is_a_warning_and_strict_makes_it_an_error(run_cli, project):
    relaxed = validate(run_cli, project, "--as-of", "2028-01-01")
    assert relaxed.exit_code == 0, relaxed.output
    assert "warning: content review is overdue: reviewed 2026-11-01, due 2027-11-01" in relaxed.output
    strict = validate(run_cli, project, "--as-of", "2028-01-01", "--strict")
    assert strict.exit_code == 1
    assert "error: content review is overdue" in strict.output


def test_a_review_due_in_a_shorter_month_falls_due_on_its_last_day(run_cli, project):
    edit(project / "content/programme.yaml", "review_interval_months: 12", "review_interval_months: 6")
    edit(project / "content/protocols/ice.md", "reviewed: 2026-11-01", "reviewed: 2026-08-31")
    on_time = validate(run_cli, project, "--as-of", "2027-02-28", "--ahead", "0")
    assert "ice.md" not in on_time.output, on_time.output
    late = validate(run_cli, project, "--as-of", "2027-03-01")
    assert "warning: content review is overdue: reviewed 2026-08-31, due 2027-02-28 (6-month interval)" in late.output


def test_json_output_for_machines(run_cli, project):
    edit(project / "content/episodes/episode-one.md", "release: 2026-11-22", "release: 2026-11-24")
    result = validate(run_cli, project, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    [problem] = data["problems"]
    assert problem["path"] == "content/episodes/episode-one.md"
    assert (problem["line"], problem["severity"], problem["entity"]) == (4, "error", "episode-one")


def test_github_actions_annotations(run_cli, project):
    edit(project / "content/episodes/episode-one.md", "release: 2026-11-22", "release: 2026-11-24")
    result = run_cli("validate", "content", cwd=project, env={"GITHUB_ACTIONS": "true"})
    assert "::error file=content/episodes/episode-one.md,line=4,col=10::episode release" in result.output


def test_missing_content_folder_is_a_plain_error(run_cli, tmp_path):
    result = run_cli("validate", "nowhere", cwd=tmp_path)
    assert result.exit_code == 1
    assert "content folder 'nowhere' does not exist" in result.output


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("title: !!python/object/apply:os.system ['echo hi']", "YAML tag"),
        ("a: &x [1, 2]\nb: *x", "anchors and aliases are not allowed"),
        ("title: A\ntitle: B", "duplicate key 'title'"),
        ("- just\n- a list", "front matter must be a mapping"),
    ],
)
def test_unsafe_or_odd_yaml_is_refused(run_cli, project, front_matter, message):
    (project / "content/concepts/odd.md").write_text(f"---\n{front_matter}\n---\n")
    result = validate(run_cli, project)
    assert_reports(result, message)


def test_remote_image_in_markdown_is_refused(run_cli, project):
    edit(project / "content/concepts/back-not-leg.md", "The nerve", "![x](http://127.0.0.1:9/x.png)\n\nThe nerve")
    result = validate(run_cli, project)
    assert_reports(result, "content/concepts/back-not-leg.md:11:1: error: image 'http://127.0.0.1:9/x.png' is a remote")


def test_protocol_that_lists_itself_is_a_loop(run_cli, project):
    edit(project / "content/protocols/ice.md", "cautions:", "prerequisites: [ice]\ncautions:")
    result = validate(run_cli, project)
    assert_reports(
        result, "content/protocols/ice.md:11:1: error: prerequisites and progressions go round in a loop: ice -> ice"
    )


def test_prerequisites_and_progressions_that_go_round_are_reported_once(run_cli, project):
    second = project / "content/protocols/wall.md"
    second.write_text(
        (project / "content/protocols/ice.md").read_text().replace("title: Ice the lower back", "title: Wall")
    )
    edit(second, "cautions:", "progressions: [ice]\ncautions:")
    edit(project / "content/protocols/ice.md", "cautions:", "progressions: [wall]\ncautions:")
    result = validate(run_cli, project)
    assert_reports(result, "error: prerequisites and progressions go round in a loop: ice -> wall -> ice")
    assert result.output.count("go round in a loop") == 1


def test_each_separate_loop_is_reported_once_at_its_first_protocol(run_cli, project):
    ice = (project / "content/protocols/ice.md").read_text()
    for name, extra in [
        ("wall", "progressions: [ice]"),
        ("bridge", "prerequisites: [walk]"),
        ("walk", "prerequisites: [bridge, ice]"),
    ]:
        (project / f"content/protocols/{name}.md").write_text(ice.replace("cautions:", f"{extra}\ncautions:"))
    edit(project / "content/protocols/ice.md", "cautions:", "progressions: [wall]\ncautions:")
    result = validate(run_cli, project)
    loop = "error: prerequisites and progressions go round in a loop:"
    assert_reports(result, f"content/protocols/bridge.md:11:1: {loop} bridge -> walk -> bridge")
    assert f"content/protocols/ice.md:11:1: {loop} ice -> wall -> ice" in result.output
    assert result.output.count("go round in a loop") == 2


@pytest.mark.parametrize(
    ("later", "loops"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"a"}}, [["a"]]),
        ({"c": {"a"}, "a": {"b"}, "b": {"c"}}, [["a", "b", "c"]]),
        # two loops through one protocol: reported once (fixing one often fixes the other)
        ({"a": {"b", "c"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        # a loop through an id that is not a protocol starts at the protocol
        ({"unknown": {"p"}, "p": {"unknown"}}, [["p", "unknown"]]),
    ],
)
def test_loops_in_the_comes_before_graph(later, loops):
    from backpub.content.crosschecks import _loops

    protocols = {node for node in later if node != "unknown"}
    assert _loops(later, first_among=protocols) == loops


def test_members_only_content_needs_a_membership_page(run_cli, project):
    edit(project / "content/protocols/ice.md", "purpose:", "access: members\npurpose:")
    assert_reports(
        validate(run_cli, project),
        "content/protocols/ice.md:4:9: error: access: members needs programme.yaml `membership_url`",
    )
    edit(
        project / "content/programme.yaml",
        "disclaimer:",
        "membership_url: https://minimal.example.org/join\ndisclaimer:",
    )
    assert validate(run_cli, project).exit_code == 0
