"""Generate a synthetic programme of any size for benchmarks: obviously generated text, valid content.

    python benchmarks/generate.py /tmp/bench --episodes 500 --handouts 100 --clinics 3

writes /tmp/bench/content/ (programme.yaml, assets and every entity folder). Every sentence says it is
synthetic; nothing here is medical content. The output passes `backpub validate`.
"""

from __future__ import annotations

import argparse
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "content"
LAST_SUNDAY = date(2026, 11, 22)
"""The newest episode's release; benchmarks build with --as-of this date so every episode is published."""
REVIEWED = date(2026, 11, 1)
REVIEWER = "Synthetic Reviewer"
PHASES = ("phase-one", "rebuilding-resilience")
GUID_NAMESPACE = uuid.UUID("5b3c6a7e-1d2f-4e8a-9b0c-7d6e5f4a3b2c")


@dataclass(frozen=True)
class Size:
    """How many of each entity to generate."""

    episodes: int = 50
    handouts: int = 10
    clinics: int = 3
    concepts: int = 30
    mistakes: int = 20
    protocols: int = 40
    treatments: int = 6
    principles: int = 6
    protocols_per_handout: int = 4
    pdf_branding: str | None = None
    """`formats.pdf.branding` (None: the pdf format's default)."""


def sentence(subject: str, number: int) -> str:
    """One obviously generated sentence."""
    return f"Generated sentence {number} about {subject}, written only to give the benchmark something to render."


def paragraph(subject: str, start: int, count: int = 4) -> str:
    return " ".join(sentence(subject, start + i) for i in range(count))


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings as block scalars, as an author would."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def front_matter(data: dict, body: str) -> str:
    dumped = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{dumped}---\n{body.strip()}\n"


def write(folder: Path, entity_id: str, data: dict, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{entity_id}.md").write_text(front_matter(data, body))


def common(title: str) -> dict:
    return {"title": title, "reviewed": REVIEWED, "reviewer": REVIEWER}


def ids(prefix: str, count: int) -> list[str]:
    return [f"synthetic-{prefix}-{n}" for n in range(1, count + 1)]


def generate(target: Path, size: Size) -> Path:
    """Write a complete content folder under `target/content` and return it."""
    content = target / "content"
    if content.exists():
        shutil.rmtree(content)
    content.mkdir(parents=True)
    shutil.copytree(SHIPPED / "assets", content / "assets")
    write_programme(content, size.pdf_branding)
    names = {
        kind: ids(kind, count)
        for kind, count in (
            ("concept", size.concepts),
            ("mistake", size.mistakes),
            ("protocol", size.protocols),
            ("treatment", size.treatments),
            ("principle", size.principles),
            ("episode", size.episodes),
            ("handout", size.handouts),
            ("clinic", size.clinics),
        )
    }
    write_concepts(content, names)
    write_mistakes(content, names)
    write_protocols(content, names)
    write_treatments(content, names)
    write_principles(content, names)
    write_episodes(content, names)
    write_handouts(content, names, size.protocols_per_handout)
    write_clinics(content, names)
    return content


def write_programme(content: Path, pdf_branding: str | None = None) -> None:
    programme = yaml.safe_load((SHIPPED / "programme.yaml").read_text())
    programme["title"] = "Synthetic Benchmark Programme"
    programme["subtitle"] = "Generated content for measuring backpub; not medical advice"
    programme["introduction"] = paragraph("the synthetic programme", 1, 5)
    programme["site_url"] = "https://synthetic.example.org"
    programme["reading_grade"] = 20  # generated filler is not patient prose: measure it, but do not flag it
    programme["formats"]["feed"]["title"] = "Synthetic Benchmark Podcast"
    programme["formats"]["feed"]["artwork_url"] = "https://synthetic.example.org/podcast/artwork.png"
    programme["formats"]["feed"]["feed_url"] = "https://synthetic.example.org/podcast/feed.xml"
    if pdf_branding:
        programme["formats"].setdefault("pdf", {})["branding"] = pdf_branding
    (content / "programme.yaml").write_text(yaml.safe_dump(programme, sort_keys=False, allow_unicode=True))


def pick(pool: list[str], index: int, count: int, step: int = 1) -> list[str]:
    """`count` distinct ids from a pool, starting at `index`, wrapping around."""
    count = min(count, len(pool))
    return [pool[(index + i * step) % len(pool)] for i in range(count)]


def write_concepts(content: Path, names: dict[str, list[str]]) -> None:
    pool = names["concept"]
    for n, entity_id in enumerate(pool, 1):
        subject = f"synthetic concept {n}"
        data = {
            **common(f"Synthetic concept {n}"),
            "summary": sentence(subject, 0),
            "analogy": {"title": f"Synthetic analogy {n}", "body": paragraph(f"synthetic analogy {n}", 1, 2)},
            "related": [other for other in pick(pool, n, 2) if other != entity_id],
        }
        write(content / "concepts", entity_id, data, paragraph(subject, 1) + "\n\n" + paragraph(subject, 5))


def write_mistakes(content: Path, names: dict[str, list[str]]) -> None:
    for n, entity_id in enumerate(names["mistake"], 1):
        subject = f"synthetic mistake {n}"
        data = {
            **common(f"Synthetic mistake {n}"),
            "summary": sentence(subject, 0),
            "examples": [f"Synthetic example {n}.{k}" for k in range(1, 4)],
            "feels_good": sentence(subject, 1),
            "harms": sentence(subject, 2),
            "instead": pick(names["protocol"], n, 2, step=3),
        }
        write(content / "mistakes", entity_id, data, paragraph(subject, 3))


def write_protocols(content: Path, names: dict[str, list[str]]) -> None:
    pool = names["protocol"]
    images = sorted((SHIPPED / "assets" / "images").glob("*.svg"))
    phase_of = {entity_id: PHASES[0] if n <= len(pool) // 2 else PHASES[1] for n, entity_id in enumerate(pool, 1)}
    for n, entity_id in enumerate(pool, 1):
        subject = f"synthetic protocol {n}"
        previous = pool[n - 2] if n > 1 else None
        following = pool[n] if n < len(pool) else None
        data = {
            **common(f"Synthetic protocol {n}"),
            "phase": phase_of[entity_id],
            "purpose": sentence(subject, 0),
            "equipment": [f"Synthetic item {n}"],
            "steps": [f"Synthetic step {k} of protocol {n}." for k in range(1, 5)],
            "dose": {"duration": f"{n % 5 + 1}-{n % 5 + 3} min", "sets": 2, "frequency": "daily"},
            "cautions": [sentence(subject, 1)],
            # A symmetric chain inside each phase: the previous one is a prerequisite, the next a progression.
            "prerequisites": [previous] if previous and phase_of[previous] == phase_of[entity_id] else [],
            "progressions": [following] if following and phase_of[following] == phase_of[entity_id] else [],
        }
        if images:
            image = images[n % len(images)]
            data["image"] = {"src": f"assets/images/{image.name}", "alt": f"Synthetic illustration for protocol {n}"}
        write(content / "protocols", entity_id, data, paragraph(subject, 2))


def write_treatments(content: Path, names: dict[str, list[str]]) -> None:
    for n, entity_id in enumerate(names["treatment"], 1):
        subject = f"synthetic treatment {n}"
        data = {
            **common(f"Synthetic treatment {n}"),
            "treatment_kind": "manual-therapy" if n % 2 else "targeted-technology",
            "what_it_does": sentence(subject, 0),
            "targets_root_cause": n % 2 == 0,
            "limitations": [sentence(subject, 1), sentence(subject, 2)],
        }
        write(content / "treatments", entity_id, data, paragraph(subject, 3))


def write_principles(content: Path, names: dict[str, list[str]]) -> None:
    for n, entity_id in enumerate(names["principle"], 1):
        subject = f"synthetic principle {n}"
        data = {**common(f"Synthetic principle {n}"), "statement": sentence(subject, 0)}
        write(content / "principles", entity_id, data, paragraph(subject, 1))


def write_episodes(content: Path, names: dict[str, list[str]]) -> None:
    pool = names["episode"]
    extras = [*names["treatment"], *names["principle"]]
    for n, entity_id in enumerate(pool, 1):
        subject = f"synthetic episode {n}"
        # Every issue has a concept, a mistake and a protocol to feature, like the real programme's episodes.
        covers = [
            *pick(names["concept"], n, 1),
            *pick(names["mistake"], n, 1),
            *pick(names["protocol"], n * 7, 2, step=5),
            *pick(extras, n, 1),
        ]
        data = {
            **common(f"Synthetic episode {n}"),
            "number": n,
            "release": LAST_SUNDAY - timedelta(weeks=len(pool) - n),
            "guid": str(uuid.uuid5(GUID_NAMESPACE, entity_id)),
            "summary": sentence(subject, 0),
            "show_notes": paragraph(subject, 1, 2) + "\n\n" + "\n".join(f"- Synthetic point {k}" for k in range(1, 4)),
            "audio": {
                "url": f"https://media.synthetic.example.org/episode-{n:04d}.mp3",
                "mime_type": "audio/mpeg",
                "size_bytes": 30_000_000 + n,
                "duration_seconds": 1800 + n,
            },
            "covers": covers,
            "related_episodes": [pool[n - 2]] if n > 1 else [],
        }
        write(content / "episodes", entity_id, data, episode_body(subject, covers))


def episode_body(subject: str, covers: list[str]) -> str:
    """A deep-dive article: headings, paragraphs, a list and links to the entities it covers."""
    parts = []
    for section in range(1, 4):
        parts.append(f"## Synthetic section {section}")
        parts.append(paragraph(subject, section * 10, 5))
        parts.append(f"See [the covered entity](@{covers[section % len(covers)]}) for more generated text.")
    parts.append("\n".join(f"- Generated list item {k} about {subject}" for k in range(1, 5)))
    return "\n\n".join(parts)


def write_handouts(content: Path, names: dict[str, list[str]], protocols_per_handout: int) -> None:
    episodes = names["episode"]
    for n, entity_id in enumerate(names["handout"], 1):
        subject = f"synthetic handout {n}"
        # Consecutive handouts share protocols, so one protocol appears in several handouts.
        protocols = pick(names["protocol"], n * 3, protocols_per_handout)
        data = {
            **common(f"Synthetic handout {n}"),
            "audience": f"Readers of synthetic handout {n}.",
            "summary": sentence(subject, 0),
            "episode": episodes[n % len(episodes)] if episodes else None,
            "sections": [
                {
                    "heading": "Synthetic ideas",
                    "intro": sentence(subject, 1),
                    "entities": pick(names["concept"], n, 2) + pick(names["principle"], n, 1),
                },
                {"heading": "Synthetic protocols", "entities": protocols},
                {
                    "heading": "Synthetic habits and treatments",
                    "entities": pick(names["mistake"], n, 2) + pick(names["treatment"], n, 1),
                },
            ],
        }
        if data["episode"] is None:
            del data["episode"]
        write(content / "handouts", entity_id, data, paragraph(subject, 2))


def write_clinics(content: Path, names: dict[str, list[str]]) -> None:
    logos = sorted((SHIPPED / "assets" / "clinics").glob("*.svg"))
    for n, entity_id in enumerate(names["clinic"], 1):
        data = {
            **common(f"Synthetic Clinic {n}"),
            "country": "US" if n % 2 == 0 else "GB",  # each paper size with its country's notice
            "address": f"{n} Synthetic Street, Generated Town",
            "phone": f"+44 20 7946 {n:04d}",
            "website": f"https://clinic-{n}.synthetic.example.org",
            "email": f"desk@clinic-{n}.synthetic.example.org",
            "accent_colour": f"#{(n * 0x2F4B3) % 0xFFFFFF:06x}",
            "paper": "Letter" if n % 2 == 0 else "A4",
        }
        if logos:
            data["logo"] = f"assets/clinics/{logos[n % len(logos)].name}"
            data["logo_alt"] = f"Synthetic Clinic {n} logo"
        write(content / "clinics", entity_id, data, sentence(f"synthetic clinic {n}", 0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="The project folder; content/ is (re)created inside it.")
    defaults = Size()
    for name in Size.__dataclass_fields__:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=int, default=getattr(defaults, name), help=f"default {getattr(defaults, name)}")
    args = parser.parse_args(argv)
    size = Size(**{name: getattr(args, name) for name in Size.__dataclass_fields__})
    content = generate(args.target, size)
    print(f"wrote {content}")


if __name__ == "__main__":
    main()
