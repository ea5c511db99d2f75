"""One Redis pub/sub subscription per process, fanned out to the process's connections.

Each event with viewers in this process has a `Stream`: its cursor (the last `seq` the
hub has handed out) and its listeners. A published message carries its rendered frame
(live/publish.py): the next `seq` after the cursor is offered to every listener as it
is, with no query and no rendering here. A `seq` further on (a publication lost, or two
commits published out of order) wakes one read of PostgreSQL for the event instead (never
one per viewer): every message after the cursor, in `seq` order, rendered once, then
offered to every listener. Reads of one event never overlap; messages arriving meanwhile
make the read run again.
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field

import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings

from communities import selectors
from communities.models import Community, LiveEvent
from live.publish import CHANNEL, message_frame

logger = logging.getLogger(__name__)

# A connection that has this many frames waiting is too slow to follow the chat: it is
# closed, and its browser reconnects from its Last-Event-ID, reading the rest from the
# database, rather than this process holding an ever-growing backlog for it.
LISTENER_BACKLOG = 500

# A comment line this often keeps proxies and browsers from closing an idle stream. One
# timer per process queues it to every connection: a timeout on each connection's wait
# would cost more than the rest of a delivery.
HEARTBEAT_SECONDS = 20

HEARTBEAT = "heartbeat"  # time for the comment line
END = "end"  # the event is over: the stream says so and closes
LAGGING = "lagging"  # the connection fell behind: closed without "end", so it reconnects
GONE = "gone"  # the client disconnected


def frames_after(*, event: LiveEvent, community: Community, after: int) -> list[tuple[int, bytes]]:
    """Every message of the event after `after` (0: the latest window), as SSE frames."""
    frames = []
    while True:
        messages = selectors.live_chat_messages(event=event, after=after)
        frames += [
            (message.seq, message_frame(message=message, community=community))
            for message in messages
        ]
        if len(messages) < selectors.CHAT_WINDOW:
            return frames
        after = messages[-1].seq


class Listener:
    """One connection's pending (seq, frame) items or closing reasons, and the wake-up of
    the task writing them.

    A plain list and one future rather than an asyncio.Queue: the fan-out hands a frame to
    thousands of listeners per message, and the Queue's bookkeeping (its getters' deque,
    unfinished-task count, several Python-level calls per item) was a visible part of the
    CPU each delivery costs (docs/performance.md, "Round 3: live events under load").
    """

    __slots__ = ("_waiter", "pending")

    def __init__(self) -> None:
        self.pending: list = []
        self._waiter: asyncio.Future | None = None

    def put(self, item) -> None:
        self.pending.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def offer(self, item) -> bool:
        """False once the connection has fallen too far behind and is being closed."""
        if len(self.pending) >= LISTENER_BACKLOG:
            self.put(LAGGING)
            return False
        self.put(item)
        return True

    async def take(self) -> list:
        """Every pending item, in order, once there is at least one."""
        while not self.pending:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        items, self.pending = self.pending, []
        return items


@dataclass
class Stream:
    event: LiveEvent
    community: Community
    cursor: int
    listeners: set[Listener] = field(default_factory=set)


class Hub:
    def __init__(self) -> None:
        self.streams: dict[str, Stream] = {}
        # The read under way for each event (kept: the loop holds tasks only weakly).
        self._reading: dict[str, asyncio.Task] = {}
        self._announced_again: set[str] = set()
        self._subscribed = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._beat())]
        await self._subscribed.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for stream in self.streams.values():
                for listener in stream.listeners:
                    listener.put(HEARTBEAT)

    async def join(self, *, event: LiveEvent, community: Community) -> tuple[Listener, int]:
        """A listener for the event, and the hub's cursor when it joined: everything after
        that cursor reaches the listener."""
        await self.start()
        key = str(event.pk)
        stream = self.streams.get(key)
        if stream is None:
            cursor = await sync_to_async(selectors.last_seq)(event=event)
            stream = self.streams.setdefault(key, Stream(event, community, cursor))
        listener = Listener()
        stream.listeners.add(listener)
        return listener, stream.cursor

    def leave(self, *, event_id, listener: Listener) -> None:
        key = str(event_id)
        stream = self.streams.get(key)
        if stream is not None:
            stream.listeners.discard(listener)
            if not stream.listeners:
                del self.streams[key]

    async def _listen(self) -> None:
        while True:
            client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                if self._subscribed.is_set():
                    # Back after an outage: announcements may have been lost meanwhile.
                    for key in list(self.streams):
                        self._wake(key)
                self._subscribed.set()
                async for item in pubsub.listen():
                    self._dispatch(item["data"])
            except (redis.RedisError, OSError):
                logger.warning("live: Redis subscription lost; resubscribing", exc_info=True)
                await asyncio.sleep(1)
            finally:
                await pubsub.aclose()
                await client.aclose()

    def _dispatch(self, raw: bytes) -> None:
        announcement = json.loads(raw)
        key = announcement.get("event")
        stream = self.streams.get(key)
        if stream is None:
            return
        seq = announcement.get("seq", 0)
        if announcement.get("end"):
            for listener in stream.listeners:
                listener.put(END)
        elif seq == stream.cursor + 1 and "frame" in announcement:
            self._offer(stream, seq, announcement["frame"].encode())
        elif seq > stream.cursor:
            self._wake(key)

    def _offer(self, stream: Stream, seq: int, data: bytes) -> None:
        """The frame to every listener, the cursor moved past it (a read under way skips
        it); listeners too far behind are dropped."""
        stream.cursor = seq
        lagging = [listener for listener in stream.listeners if not listener.offer((seq, data))]
        stream.listeners.difference_update(lagging)

    def _wake(self, key: str) -> None:
        if key in self._reading:
            self._announced_again.add(key)
        else:
            self._reading[key] = asyncio.create_task(self._read(key))

    async def _read(self, key: str) -> None:
        try:
            while True:
                self._announced_again.discard(key)
                stream = self.streams.get(key)
                if stream is None:
                    return
                frames = await sync_to_async(frames_after)(
                    event=stream.event, community=stream.community, after=stream.cursor
                )
                for seq, data in frames:
                    if seq > stream.cursor:
                        self._offer(stream, seq, data)
                if key not in self._announced_again:
                    return
        except Exception:
            # The next announcement reads again from the same cursor.
            logger.exception("live: reading event %s failed", key)
        finally:
            self._reading.pop(key, None)
