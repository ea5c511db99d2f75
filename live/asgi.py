"""The ASGI application of live updates: `uvicorn live.asgi:application`, beside gunicorn.

    GET /live/events/<event id>/   text/event-stream of the chat's messages
    GET /live/healthz              "ok", no I/O (the proxy's and orchestrators' probe)

A viewer is authorised once, at connect, through Django (the session cookie, the user,
the community's paywall): 403 for non-members, 404 for no such chat, 204 once the event
is not live (a 204 stops EventSource from reconnecting). A stream starts after the
client's `Last-Event-ID` (a reconnecting EventSource sends it), else after `?after=`
(the last message the page showed), else at the current message; the gap is read from
PostgreSQL, then messages come from the process's hub, without gaps or duplicates.
"""

import asyncio
import os
import re
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicplatform.settings.local")
django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.http import HttpRequest, parse_cookie  # noqa: E402

from communities import selectors  # noqa: E402
from communities.models import LiveEvent, LiveEventStatus, LiveEventType  # noqa: E402
from live.hub import END, GONE, HEARTBEAT, LAGGING, Hub, frames_after  # noqa: E402

EVENT_PATH = re.compile(
    r"^/live/events/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/$"
)
# How long a browser waits before reconnecting after the stream closes.
RETRY_MILLISECONDS = 3000

hub = Hub()


def authorize(*, session_key: str | None, event_id: str) -> tuple[int, LiveEvent | None, object]:
    """(HTTP status, event, community) for this session's viewer of this event."""
    # What Django's request_started signal does for a view: drop a broken or old connection.
    close_old_connections()
    event = LiveEvent.objects.filter(pk=event_id, event_type=LiveEventType.CHAT).first()
    info = event and selectors.community_info(community_id=event.community_id)
    if info is None:
        return 404, None, None
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if not selectors.can_view_content(info=info, user=get_user(request)):
        return 403, None, None
    if event.status != LiveEventStatus.LIVE:
        return 204, None, None
    return 200, event, info.community


def _cursor(headers: dict[bytes, bytes], query: str) -> int | None:
    values = [headers.get(b"last-event-id", b"").decode("latin-1")]
    values += [part[len("after=") :] for part in query.split("&") if part.startswith("after=")]
    for value in values:
        if value.isdigit() and len(value) < 10:
            return int(value)
    return None


async def _plain(send, status: int, body: bytes = b"") -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await hub.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "http":
        return None
    if scope["path"] == "/live/healthz":
        return await _plain(send, 200, b"ok")
    match = EVENT_PATH.match(scope["path"])
    if match is None or scope["method"] not in ("GET", "HEAD"):
        return await _plain(send, 404, b"Not found.")
    headers = dict(scope["headers"])
    cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
    # Not thread-sensitive: the checks of many connections opening at once (a reconnecting
    # crowd) overlap their waits on PostgreSQL and Redis in a pool of threads instead of
    # queueing behind one.
    status, event, community = await sync_to_async(authorize, thread_sensitive=False)(
        session_key=cookies.get(settings.SESSION_COOKIE_NAME), event_id=match[1]
    )
    if status != 200:
        body = {403: b"This is for the community's members.", 404: b"Not found."}
        return await _plain(send, status, body.get(status, b""))
    return await _stream(
        scope, receive, send, event, community, _cursor(headers, scope["query_string"].decode())
    )


async def _stream(scope, receive, send, event, community, after: int | None) -> None:
    listener, cursor = await hub.join(event=event, community=community)

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        listener.put(GONE)

    watcher = asyncio.create_task(watch_disconnect())
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-store"),
                    # nginx and some proxies buffer responses unless told not to.
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        body = f"retry: {RETRY_MILLISECONDS}\n\n".encode()
        if after is not None and after < cursor:
            missed = await sync_to_async(frames_after)(
                event=event, community=community, after=after
            )
            body += b"".join(data for _seq, data in missed)
            cursor = max([after, *(seq for seq, _data in missed)])
        elif after is not None:
            cursor = after
        await send({"type": "http.response.body", "body": body, "more_body": True})
        while True:
            # Frames queued while this connection waited for its turn go out in one write.
            items = await listener.take()
            frames = []
            for item in items:
                if item in (END, GONE, LAGGING):
                    break
                if item == HEARTBEAT:
                    frames.append(b": \n\n")
                    continue
                seq, data = item
                if seq > cursor:
                    cursor = seq
                    frames.append(data)
            if frames:
                await send(
                    {"type": "http.response.body", "body": b"".join(frames), "more_body": True}
                )
            if item == END:
                await send({"type": "http.response.body", "body": b"event: end\ndata: \n\n"})
                return
            if item in (GONE, LAGGING):
                break
        await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()
        hub.leave(event_id=event.pk, listener=listener)
