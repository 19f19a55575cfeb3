"""What search engines and link previews read: schema.org JSON-LD, sitemap.xml and robots.txt."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from backpub import Entity, Episode, Publication

SCHEMA = "https://schema.org"


def _publisher(publication: Publication) -> dict[str, Any]:
    return {"@type": "Organization", "name": publication.programme.publisher, "url": publication.home_url}


def _series(publication: Publication) -> dict[str, Any]:
    series = {"@type": "PodcastSeries", "name": publication.programme.title, "url": publication.home_url}
    # The feed and the artwork's public URL come from the feed format, when it is installed.
    for key, link in (("webFeed", "feed"), ("image", "podcast-artwork")):
        if publication.link(link):
            series[key] = publication.link(link)
    return series


def iso_duration(seconds: int) -> str:
    """A running time as an ISO 8601 duration, e.g. 'PT40M21S'."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def home_json_ld(publication: Publication) -> dict[str, Any]:
    """The home page: the website and the podcast series it publishes."""
    programme = publication.programme
    return {
        "@context": SCHEMA,
        "@graph": [
            {
                "@type": "WebSite",
                "name": programme.title,
                "url": publication.home_url,
                "inLanguage": programme.language,
                "publisher": _publisher(publication),
            },
            _series(publication),
        ],
    }


def collection_json_ld(publication: Publication, name: str, path: str) -> dict[str, Any]:
    """An index page: a collection of the programme's pages."""
    return {
        "@context": SCHEMA,
        "@type": "CollectionPage",
        "name": f"{name} · {publication.programme.title}",
        "url": publication.programme.site_url + path,
        "inLanguage": publication.programme.language,
    }


def episode_json_ld(publication: Publication, episode: Episode) -> dict[str, Any]:
    """An episode page: a PodcastEpisode with its audio."""
    audio = episode.audio
    data: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": publication.url_for(episode),
        "description": episode.summary,
        "episodeNumber": episode.number,
        "datePublished": episode.release.isoformat(),
        "inLanguage": publication.programme.language,
        "partOfSeries": _series(publication),
        "publisher": _publisher(publication),
    }
    if publication.withheld(episode):  # members-only: schema.org's word for it, and no audio to point to
        data["isAccessibleForFree"] = False
        return data
    data["associatedMedia"] = {"@type": "AudioObject", "contentUrl": audio.url, "encodingFormat": audio.mime_type}
    if audio.duration_seconds:
        data["timeRequired"] = iso_duration(audio.duration_seconds)
        data["associatedMedia"]["duration"] = iso_duration(audio.duration_seconds)
    return data


def library_json_ld(publication: Publication, entity: Entity, summary: str) -> dict[str, Any]:
    """A library page: a MedicalWebPage for patients, with its clinical review."""
    return {
        "@context": SCHEMA,
        "@type": "MedicalWebPage",
        "name": entity.title,
        "url": publication.url_for(entity),
        "description": summary,
        "inLanguage": publication.programme.language,
        "audience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        **_review(entity),
        "publisher": _publisher(publication),
    }


def _review(entity: Entity) -> dict[str, object]:
    """Who reviewed the page and when, as schema.org says it; nothing for a preview of unreviewed content."""
    if not entity.is_reviewed:
        return {}
    return {"lastReviewed": entity.reviewed.isoformat(), "reviewedBy": {"@type": "Person", "name": entity.reviewer}}


def sitemap(entries: list[tuple[str, str | None]]) -> bytes:
    """sitemap.xml for (absolute URL, last-modified date or None) pairs, in the given order."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, modified in entries:
        lastmod = f"<lastmod>{modified}</lastmod>" if modified else ""
        lines.append(f"  <url><loc>{escape(url)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def robots(publication: Publication) -> bytes:
    """robots.txt: everything may be crawled; the sitemap's absolute URL."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {publication.programme.site_url}/sitemap.xml\n".encode()
