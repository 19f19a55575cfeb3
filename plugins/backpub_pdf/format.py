"""The `pdf` format: printable patient handouts (plain and clinic-branded) and clinic packs, with WeasyPrint.

This module stays light: WeasyPrint is imported only in prepare()/render(), in the processes that render.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backpub import Clinic, Format, Handout, Job, Prescription, Problem, Publication, ResolvedPrescription
from backpub_pdf.version import __version__

if TYPE_CHECKING:
    from backpub_pdf.budget import Edition
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
    branding: Literal["stamped", "laid-out"] = "stamped"
    """How an edition of a handout is made: `stamped` (the default), from the handout's layout shared by every
    edition in the same paper and country (the branding band's cells left empty) with the edition's branding put
    over it (branding.py), and each clinic's pack likewise from the pack its handouts, paper and country share; or
    `laid-out`, each edition and pack laid out for its clinic."""


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
        if self.options.branding == "stamped":
            return self._stamped_jobs(publication, editions, prints, themed, templates)
        jobs = [
            self._handout_job(handout, clinic, prints[handout.id], themed, templates)
            for clinic, handouts in editions
            for handout in handouts
        ]
        for clinic in publication.clinics:
            # Made from the clinic's editions of its handouts as this build wrote them: nothing laid out twice.
            made_from = tuple(f"{clinic.id}/{handout.id}.pdf" for handout in pack_handouts(publication, clinic))
            jobs.append(self._pack_job(publication, clinic, prints, themed, templates, made_from))
        return jobs

    def _stamped_jobs(
        self,
        publication: Publication,
        editions: list[tuple[Clinic | None, list[Handout]]],
        prints: dict[str, Footprint],
        themed: bool,
        templates: frozenset[Path],
    ) -> list[Job]:
        """Every edition stamped from its handout's layout shared by its paper and country and from its branding,
        every pack from the pack shared by its handouts, paper and country and from its clinic's branding
        (branding.py): intermediate files, laid out once each."""
        from backpub_pdf.budget import edition_of
        from backpub_pdf.planning import shared_layout_output, shared_pack_output

        layouts: dict[tuple[str, Edition], Job] = {}
        brandings: dict[str | None, Job] = {}
        shared_packs: dict[tuple[Edition, tuple[str, ...]], Job] = {}
        made: list[tuple[int, int, Job]] = []
        packs = []
        order = {handout.id: number for number, handout in enumerate(publication.handouts)}
        for place, (clinic, handouts) in enumerate(editions):
            edition = edition_of(publication, clinic, self.options.paper)
            branding = brandings[clinic.id if clinic else None] = self._branding_job(clinic, themed, templates)
            for handout in handouts:
                key = (handout.id, edition)
                if key not in layouts:
                    layouts[key] = self._shared_job(
                        shared_layout_output(handout, edition.paper, edition.country), prints[handout.id], templates,
                        {"kind": "shared-layout", "handout": handout.id, "paper": edition.paper,
                         "country": edition.country},
                    )  # fmt: skip
                inputs = (layouts[key].output, branding.output)
                job = self._handout_job(handout, clinic, prints[handout.id], themed, templates, inputs)
                made.append((order[handout.id], place, job))
            if clinic is None:
                continue
            contents = tuple(handout.id for handout in handouts)
            if (edition, contents) not in shared_packs:
                shared_packs[edition, contents] = self._shared_job(
                    shared_pack_output(edition.paper, edition.country, contents), self._contents_footprint(prints, contents), templates,
                    {"kind": "shared-pack", "handouts": list(contents), "paper": edition.paper,
                     "country": edition.country},
                    inputs=tuple(layouts[handout_id, edition].output for handout_id in contents),
                )  # fmt: skip
            inputs = (shared_packs[edition, contents].output, branding.output)
            packs.append(self._pack_job(publication, clinic, prints, themed, templates, inputs))
        # A handout's editions one after another: a worker keeps the handout's shared layouts open between them.
        editions_in_order = [job for _, _, job in sorted(made, key=lambda entry: entry[:2])]
        return [*layouts.values(), *brandings.values(), *shared_packs.values(), *editions_in_order, *packs]

    def _handout_job(
        self,
        handout: Handout,
        clinic: Clinic | None,
        footprint: Footprint,
        themed: bool,
        templates: frozenset[Path],
        inputs: tuple[str, ...] = (),
    ) -> Job:
        from backpub_pdf.planning import clinic_footprint, merged

        entities, fields, assets = merged(footprint, clinic_footprint(clinic, themed))
        return Job(
            f"{clinic.id}/{handout.id}.pdf" if clinic else f"{handout.id}.pdf",
            inputs=inputs,
            entities=entities,
            fields=fields,
            assets=assets,
            templates=templates,
            values=(self.context.build_time.isoformat(), footprint.episode_released),
            args={"kind": "handout", "handout": handout.id, "clinic": clinic.id if clinic else None},
        )

    def _pack_job(
        self,
        publication: Publication,
        clinic: Clinic,
        prints: dict[str, Footprint],
        themed: bool,
        templates: frozenset[Path],
        inputs: tuple[str, ...],
    ) -> Job:
        from backpub_pdf.planning import PACK_NAME, clinic_footprint, merged, pack_footprint

        pack = pack_footprint(publication, clinic, prints)
        entities, fields, assets = merged(pack, clinic_footprint(clinic, themed))
        return Job(
            f"{clinic.id}/{PACK_NAME}.pdf",
            inputs=inputs,
            entities=entities,
            fields=fields,
            assets=assets,
            templates=templates,
            values=(self.context.build_time.isoformat(), pack.episode_released),
            args={"kind": "pack", "clinic": clinic.id},
        )

    def _branding_job(self, clinic: Clinic | None, themed: bool, templates: frozenset[Path]) -> Job:
        """A clinic's branding (its band, later pages' running head and pack cover), or the programme's band."""
        from backpub_pdf.planning import BRANDING_FIELDS, branding_output, clinic_footprint

        shows = clinic_footprint(clinic, themed, BRANDING_FIELDS)
        return Job(
            branding_output(clinic),
            entities=shows.entities,
            fields=shows.fields,
            assets=shows.assets,
            templates=templates,
            values=(self.context.build_time.isoformat(),),
            args={"kind": "branding", "clinic": clinic.id if clinic else None},
            intermediate=True,
        )

    def _shared_job(
        self,
        output: str,
        footprint: Footprint,
        templates: frozenset[Path],
        args: dict[str, Any],
        inputs: tuple[str, ...] = (),
    ) -> Job:
        """A shared layout or shared pack: what every edition (or pack) in its paper and country is stamped on."""
        return Job(
            output,
            inputs=inputs,
            entities=footprint.entities,
            fields=footprint.fields,
            assets=footprint.assets,
            templates=templates,
            values=(self.context.build_time.isoformat(), footprint.episode_released),
            args=args,
            intermediate=True,
        )

    @staticmethod
    def _contents_footprint(prints: dict[str, Footprint], contents: tuple[str, ...]) -> Footprint:
        """What a shared pack shows of its handouts (their footprints), and each one's release state in order."""
        from backpub_pdf.planning import Footprint, merged, release_state

        entities, fields, assets = merged(*(prints[handout_id] for handout_id in contents))
        return Footprint(entities, fields, assets, tuple(release_state(prints[handout_id]) for handout_id in contents))

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
