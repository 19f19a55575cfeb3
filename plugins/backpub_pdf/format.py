"""The `pdf` format: printable patient handouts (plain and clinic-branded) and clinic packs, with WeasyPrint.

This module stays light: WeasyPrint is imported only in prepare()/render(), in the processes that render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backpub import Clinic, Format, Handout, Job, Prescription, Problem, Publication, ResolvedPrescription
from backpub_pdf.version import __version__

if TYPE_CHECKING:
    from backpub_pdf.planning import Footprint

WEBSITE_FOLDER = "handouts"
"""Where the PDFs are served on the programme's website."""


class PdfOptions(BaseModel):
    """programme.yaml `formats.pdf`: the look of the unbranded edition (clinic editions use the clinic's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accent_colour: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f5f8b"
    """The accent colour of the unbranded handouts."""
    paper: Literal["A4", "Letter"] = "A4"
    """The paper size of the unbranded handouts."""
    branding: Literal["laid-out", "stamped"] = "laid-out"
    """How a clinic's edition of a handout is made: laid out for the clinic (`laid-out`), or `stamped`: the
    handout is laid out once for every clinic in the same paper and country with the branding band's cells left
    empty, and each clinic's band is put over it (branding.py). A prototype for networks of hundreds of clinics
    (issue 29)."""


class PdfFormat(Format):
    """Writes `<handout>.pdf`, `<clinic>/<handout>.pdf` and `<clinic>/pack.pdf` under outputs/pdf/."""

    name = "pdf"
    version = __version__
    description = "Printable handouts (plain and clinic-branded) and clinic packs, as tagged PDF/UA."
    Options = PdfOptions
    on_request = frozenset({Prescription.kind})

    def check(self, publication: Publication) -> list[Problem]:
        from backpub_pdf.band import band_problems
        from backpub_pdf.coverage import glyph_problems
        from backpub_pdf.planning import PACK_NAME

        return (
            [
                self.problem(publication, handout.id, f"a handout may not be called {PACK_NAME!r}: clinic packs use it")
                for handout in publication.handouts
                if handout.id == PACK_NAME
            ]
            + glyph_problems(self, publication)
            + band_problems(self, publication)
            + self.budget_problems(publication, before_rendering=True)
        )

    def budget_problems(self, publication: Publication, before_rendering: bool) -> list[Problem]:
        """Each handout whose editions run over its sheets (budget.py). A build that renders leaves it to its
        renders (reported by `finish`); `validate`, and a strict build, which must stop before rendering, lay out
        what no build has."""
        from backpub_pdf.budget import budget_problems

        deferred = self.context.renders and not self.context.strict
        if before_rendering == deferred:
            return []
        renderer = self.renderer(publication)
        return budget_problems(
            self,
            publication,
            lambda handout, edition: renderer.measure(publication, handout, edition, lay_out=before_rendering),
        )

    def finish(self, publication: Publication, written: list[str]) -> list[Problem]:
        """The handouts whose editions this build found running over their sheets."""
        return self.budget_problems(publication, before_rendering=False)

    def renderer(self, publication: Publication):
        if getattr(self, "_renderer", None) is None:
            self.prepare(publication)
        return self._renderer

    def links(self, publication: Publication) -> dict[str, str]:
        """Each handout's unbranded edition is its file on the website (a members-only handout has none)."""
        return {handout.id: f"/{WEBSITE_FOLDER}/{handout.id}.pdf" for handout in public_handouts(publication)}

    def website_path(self, output: str, publication: Publication) -> str:
        """Every edition and pack is downloadable from the website's handouts folder."""
        return f"{WEBSITE_FOLDER}/{output}"

    def jobs(self, publication: Publication) -> list[Job]:
        from backpub_pdf.planning import footprint, pack_handouts
        from backpub_pdf.rendering import template_files, themed_templates

        theme = self.context.theme_dir(self.name)
        templates = template_files(theme) | self.messages(publication).files()
        themed = themed_templates(theme)
        handouts = public_handouts(publication)
        prints = {handout.id: footprint(publication, handout, self.context.as_of, themed) for handout in handouts}
        # Every handout unbranded; a clinic's editions of the handouts it gives out (its `handouts`, else all).
        editions: list[tuple[Clinic | None, list[Handout]]] = [(None, handouts)]
        editions += [(clinic, pack_handouts(publication, clinic)) for clinic in publication.clinics]
        jobs = [
            self._handout_job(handout, clinic, prints[handout.id], themed, templates)
            for clinic, handouts in editions
            for handout in handouts
        ]
        jobs.extend(self._pack_job(publication, clinic, prints, themed, templates) for clinic in publication.clinics)
        return jobs

    def _handout_job(self, handout: Handout, clinic: Clinic | None, footprint: Footprint, themed: bool, templates):
        from backpub_pdf.planning import clinic_footprint, merged

        entities, fields, assets = merged(footprint, clinic_footprint(clinic, themed))
        return Job(
            f"{clinic.id}/{handout.id}.pdf" if clinic else f"{handout.id}.pdf",
            entities=entities,
            fields=fields,
            assets=assets,
            templates=templates,
            values=(self.context.build_time.isoformat(), footprint.episode_released),
            args={"kind": "handout", "handout": handout.id, "clinic": clinic.id if clinic else None},
        )

    def _pack_job(
        self, publication: Publication, clinic: Clinic, prints: dict[str, Footprint], themed: bool, templates
    ):
        from backpub_pdf.planning import PACK_NAME, clinic_footprint, merged, pack_footprint, pack_handouts

        pack = pack_footprint(publication, clinic, prints)
        entities, fields, assets = merged(pack, clinic_footprint(clinic, themed))
        return Job(
            f"{clinic.id}/{PACK_NAME}.pdf",
            # Made from the clinic's editions of its handouts as this build wrote them: nothing laid out twice.
            inputs=tuple(f"{clinic.id}/{handout.id}.pdf" for handout in pack_handouts(publication, clinic)),
            entities=entities,
            fields=fields,
            assets=assets,
            templates=templates,
            values=(self.context.build_time.isoformat(), pack.episode_released),
            args={"kind": "pack", "clinic": clinic.id},
        )

    def prepare(self, publication: Publication) -> None:
        from backpub_pdf.rendering import Renderer

        words = self.messages(publication)
        self._renderer = Renderer(
            self.context,
            self.options.accent_colour,
            self.options.paper,
            words,
            stamped=self.options.branding == "stamped",
        )

    def render_on_request(self, kind: str, document: Any, publication: Publication) -> bytes:
        """A prescription's sheet (`backpub prescribe`, a clinic's service), in memory."""
        if kind != Prescription.kind or not isinstance(document, ResolvedPrescription):
            return super().render_on_request(kind, document, publication)
        return self.sheets(publication).render(document, publication)

    def sheets(self, publication: Publication):
        """The prescription sheets' Typst typesetter (sheet.py), made once per process."""
        if getattr(self, "_sheets", None) is None:
            from backpub_pdf.sheet import Sheets

            self._sheets = Sheets(self.context, self.messages(publication), self.options.paper)
        return self._sheets

    def render(self, job: Job, publication: Publication) -> bytes:
        inputs = [self.read_input(job, output) for output in job.inputs]
        return self.renderer(publication).render(job, publication, inputs)


def public_handouts(publication: Publication) -> list[Handout]:
    """The handouts everyone may print: not those only members read (`access: members`)."""
    return [handout for handout in publication.of(Handout) if not publication.withheld(handout)]
