"""What makes up a Sunday's issue: the episode released that day, one protocol and one mistake it covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backpub import Episode, Mistake, Protocol, Publication

WEBSITE_FOLDER = "newsletter"
"""Where the issues' web editions are served on the programme's website: /newsletter/<YYYY-MM-DD>/."""


@dataclass(frozen=True)
class IssuePlan:
    """The entities one Sunday's newsletter shows."""

    day: date
    episode: Episode
    protocol: Protocol | None
    mistake: Mistake | None
    instead: tuple[Protocol, ...]
    """What to do instead of the mistake, as the mistake lists it."""

    @property
    def web_edition(self) -> str:
        """The site path of this issue's web edition (the browser preview the site publishes)."""
        return f"/{WEBSITE_FOLDER}/{self.day.isoformat()}/"

    @property
    def entity_ids(self) -> frozenset[str]:
        """Every entity whose data the issue shows."""
        shown = [self.episode, self.protocol, self.mistake, *self.instead]
        return frozenset(entity.id for entity in shown if entity is not None)


def issue_days(publication: Publication, as_of: date) -> list[date]:
    """The Sundays with an episode released on or before `as_of`, oldest first."""
    return sorted({episode.release for episode in publication.released_episodes(as_of)})


def plan_issue(publication: Publication, day: date) -> IssuePlan | None:
    """The issue for `day`, or None when no episode is released that day."""
    released = publication.episodes_on(day)
    if not released:
        return None
    # A full episode leads the issue over a trailer or bonus released the same day.
    episode = min(released, key=lambda ep: (ep.episode_type != "full", ep.number))
    covered = [publication.by_id[entity_id] for entity_id in episode.covers if entity_id in publication.by_id]
    protocols = [entity for entity in covered if isinstance(entity, Protocol)]
    mistakes = [entity for entity in covered if isinstance(entity, Mistake)]
    # The first covered protocol with a dose: the issue promises "with its dose" when the programme gives one.
    protocol = next((p for p in protocols if p.dose is not None), protocols[0] if protocols else None)
    mistake = mistakes[0] if mistakes else None
    instead = _instead(publication, mistake)
    return IssuePlan(day=day, episode=episode, protocol=protocol, mistake=mistake, instead=instead)


def _instead(publication: Publication, mistake: Mistake | None) -> tuple[Protocol, ...]:
    if mistake is None:
        return ()
    found = (publication.by_id.get(entity_id) for entity_id in mistake.instead)
    return tuple(entity for entity in found if isinstance(entity, Protocol))
