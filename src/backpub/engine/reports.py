"""What a build reports: per-format figures, the files rendered, warnings and notes; and its progress events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backpub.errors import Problem


@dataclass
class FormatReport:
    """What one format did in a build."""

    name: str
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    intermediate: int = 0
    """Intermediate files made for other jobs (`Job.intermediate`): rendered, never written to outputs/."""


@dataclass
class BuildReport:
    """What a build did: per-format figures, the outputs rendered, and the warnings it passed over."""

    output_dir: Path
    formats: dict[str, FormatReport] = field(default_factory=dict)
    rendered: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unchanged: bool = False
    """True when nothing changed since the last build: nothing was loaded, rendered or written, and the figures
    are the last build's, restated (its files all counted unchanged)."""

    @classmethod
    def restated(cls, last: dict[str, Any], seconds: float) -> BuildReport:
        """The report of a build that found nothing to do, from the last successful build's (`as_dict`)."""
        formats = {
            name: FormatReport(name, unchanged=stats["written"] + stats["unchanged"])
            for name, stats in last["formats"].items()
        }
        warnings = [Problem(**problem) for problem in last["warnings"]]
        return cls(
            Path(last["output_dir"]), formats, [], warnings, seconds, last["counts"], last["notes"], unchanged=True
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "output_dir": str(self.output_dir),
            "seconds": round(self.seconds, 3),
            "formats": {name: vars(report) for name, report in self.formats.items()},
            "rendered": self.rendered,
            "warnings": [problem.as_dict() for problem in self.warnings],
            "counts": self.counts,
            "notes": self.notes,
        }


class Progress:
    """Receives progress events; the CLI shows them, tests ignore them."""

    def start(self, total: int) -> None:
        """`total` jobs will be rendered (intermediate files, `Job.intermediate`, included)."""

    def advance(self, output: str) -> None:
        """One job finished."""

    def stop(self) -> None:
        """Rendering is over."""
