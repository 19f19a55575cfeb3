"""The benchmark's own logic (benchmarks/run.py and probes.py), without timing anything."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from backpub_testkit import REPO


def load(name: str):
    """A benchmark script as a module of its own name (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", REPO / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run = load("run")
probes = load("probes")


def test_pack_ratios_compare_each_pack_with_the_handout_layouts_it_is_made_from() -> None:
    def job(seconds: float, kind: str = "handout", inputs: tuple[str, ...] = (), intermediate: bool = False) -> dict:
        return {"seconds": seconds, "kind": kind, "inputs": list(inputs), "intermediate": intermediate}

    laid_out = {
        "a.pdf": job(9.0),  # the plain edition belongs to no pack
        "clinic-1/a.pdf": job(1.0),
        "clinic-1/b.pdf": job(3.0),
        "clinic-1/pack.pdf": job(0.5, "pack", ("clinic-1/a.pdf", "clinic-1/b.pdf")),
        "clinic-2/a.pdf": job(2.0),
        "clinic-2/pack.pdf": job(4.0, "pack", ("clinic-2/a.pdf", "clinic-2/b.pdf")),  # b.pdf kept from before
    }
    assert run.pack_ratios(laid_out) == {"clinic-1": (0.5, 4.0, 2), "clinic-2": (4.0, 2.0, 1)}
    layouts = (".shared/layouts/A4-GB/a.pdf", ".shared/layouts/A4-GB/b.pdf")
    stamped = {
        layouts[0]: job(1.0, "shared-layout", intermediate=True),
        layouts[1]: job(3.0, "shared-layout", intermediate=True),
        ".shared/packs/A4-GB-1.pdf": job(0.4, "shared-pack", layouts, intermediate=True),
        ".shared/brandings/clinic-1.pdf": job(0.1, "branding", intermediate=True),
        "clinic-1/a.pdf": job(0.01, "handout", (layouts[0], ".shared/brandings/clinic-1.pdf")),
        "clinic-1/pack.pdf": job(0.2, "pack", (".shared/packs/A4-GB-1.pdf", ".shared/brandings/clinic-1.pdf")),
    }
    # The pack with the shared pack it is stamped on, against the layouts of its handouts (not their stamps).
    assert run.pack_ratios(stamped) == {"clinic-1": (pytest.approx(0.6), 4.0, 2)}


def test_editions_are_every_handout_pdf_but_the_packs() -> None:
    assert probes.is_edition("handout.pdf")
    assert probes.is_edition("clinic/handout.pdf")
    assert not probes.is_edition("clinic/pack.pdf")
    assert not probes.is_edition("clinic/notes.txt")


def test_the_job_log_keeps_the_last_time_of_each_output_and_leaves_out_intermediate_files(tmp_path: Path) -> None:
    log = tmp_path / "jobs.jsonl"
    lines = [
        {"output": "a.pdf", "seconds": 1.0, "intermediate": False},
        {"output": "b.pdf", "seconds": 2.0, "intermediate": False},
        {"output": "a.pdf", "seconds": 3, "intermediate": False},
        {"output": ".shared/layouts/A4-GB/a.pdf", "seconds": 0.5, "intermediate": True},
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run.read_job_log(log) == {"a.pdf": 3, "b.pdf": 2.0}
    assert run.job_log_entries(log)[".shared/layouts/A4-GB/a.pdf"]["seconds"] == 0.5
    assert run.read_job_log(tmp_path / "missing.jsonl") == {}


def test_entity_links_point_at_the_books_headings_or_become_text() -> None:
    text = "See [the drill](@wall-drill) and [a handout](@some-handout), or [the site](https://example.org)."
    assert probes.pandoc_links(text, {"wall-drill"}) == (
        "See [the drill](#wall-drill) and a handout, or [the site](https://example.org)."
    )


def write_entity(folder: Path, name: str, front: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"---\n{front}---\nBody.\n")


def test_the_shipped_content_edits_are_chosen_from_the_content(tmp_path: Path) -> None:
    for name in ("p-1", "p-2", "p-3"):
        write_entity(tmp_path / "protocols", name, "title: x\n")
    sections = "sections:\n  - heading: h\n    entities: [p-2, concept-1, {}]\n"
    write_entity(tmp_path / "handouts", "h-1", "episode: e-9\n" + sections.format("p-3"))
    write_entity(tmp_path / "handouts", "h-2", sections.format("p-1"))
    write_entity(tmp_path / "handouts", "h-3", sections.format("p-3"))
    write_entity(tmp_path / "episodes", "e-1", "release: 2026-11-15\n")
    write_entity(tmp_path / "episodes", "e-9", "release: 2026-11-22\n")
    assert run.shown_protocols(tmp_path) == {"p-1": 1, "p-2": 3, "p-3": 2}
    assert run.most_shown_protocol(tmp_path) == ("p-2", 3)
    assert run.named_episode(tmp_path) == "e-9"
    assert run.latest_release(tmp_path) == "2026-11-22"


def test_the_table_prints_every_row_with_its_verdict_in_markdown() -> None:
    table = run.Table()
    table.add("met", "1 s", "< 2 s", True)
    table.add("missed", "3 s", "< 2 s", False)
    table.add("shown", "4 s")
    assert table.markdown().splitlines()[2:] == ["| met | 1 s | < 2 s | yes |", "| missed | 3 s | < 2 s | NO |",
                                                 "| shown | 4 s |  |  |"]  # fmt: skip


@pytest.mark.parametrize(("argv", "rows"), [([], run.DEFAULT_ROWS), (["--tests"], (*run.DEFAULT_ROWS, "tests"))])
def test_the_default_run_leaves_the_test_suite_and_the_serial_build_out(argv: list[str], rows: tuple) -> None:
    args = run.parse(argv)
    assert tuple(args.rows) == rows
    assert (args.episodes, args.handouts, args.clinics, args.growth_episodes) == (500, 100, 3, 5000)


def test_quick_sizes_and_a_choice_of_rows() -> None:
    args = run.parse(["--quick", "--only", "book,help"])
    assert args.rows == ["book", "help"]
    assert args.episodes < 500 and args.growth_episodes == 10 * args.episodes
    with pytest.raises(SystemExit):
        run.parse(["--only", "no-such-row"])


def test_the_network_rows_project_by_the_number_of_pdfs() -> None:
    assert run.network_pdfs(100, 100) == 100 + 100 * 100 + 100  # plain editions, clinic editions, packs
    assert run.network_scale(100, 100) == 1
    assert run.network_scale(10, 20) == pytest.approx(10200 / 230)


def test_outputs_differ_by_bytes_or_by_presence(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        (folder / "clinic").mkdir(parents=True)
        (folder / "same.pdf").write_bytes(b"%PDF-same")
    (first / "clinic" / "pack.pdf").write_bytes(b"one")
    (second / "clinic" / "pack.pdf").write_bytes(b"two")
    (second / "extra.pdf").write_bytes(b"")
    assert run.different_files(first, second) == ["clinic/pack.pdf", "extra.pdf"]
    assert run.different_files(first, first) == []
