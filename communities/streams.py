"""A live event's stream: a link to any https address, shown as a player when it is on
YouTube or Twitch (the only hosts the Content-Security-Policy lets the pages frame)."""

import re
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError

YOUTUBE_EMBED = "https://www.youtube-nocookie.com/embed/{}"
TWITCH_EMBED = "https://player.twitch.tv/?channel={}&parent={}"
# settings.SECURE_CSP's frame-src: the players above and nothing else.
EMBED_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.twitch.tv")

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_CHANNEL = re.compile(r"^[A-Za-z0-9_]{3,25}$")


def validate_stream_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError("A stream link is a full https:// address.")


def stream_embed_url(url: str, *, site_host: str) -> str | None:
    """The player address for a YouTube video or live stream or a Twitch channel; None for
    any other link (shown as a link only). `site_host` is Twitch's required `parent`."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = [segment for segment in parts.path.split("/") if segment]
    video = None
    if host in _YOUTUBE_HOSTS and path[:1] == ["watch"]:
        video = parse_qs(parts.query).get("v", [None])[0]
    elif host in _YOUTUBE_HOSTS and len(path) == 2 and path[0] in ("live", "embed"):
        video = path[1]
    elif host == "youtu.be" and len(path) == 1:
        video = path[0]
    if video and _VIDEO_ID.match(video):
        return YOUTUBE_EMBED.format(video)
    if host in ("twitch.tv", "www.twitch.tv") and len(path) == 1 and _CHANNEL.match(path[0]):
        return TWITCH_EMBED.format(path[0], site_host)
    return None
