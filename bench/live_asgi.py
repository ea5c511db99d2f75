"""live.asgi's application for bench/live_load.py, noting when each frame was written.

The benchmark's clients stamp each frame when they read it; the server side is stamped
here, with `time.time()` just after uvicorn's `send()` has handed the bytes to the socket
(uvloop writes at once when the socket accepts them). The difference between the two is
the measuring client's own share of the latency: its processes waiting for a core and
parsing. Each uvicorn process writes its stamps, {seq: [times]}, as JSON to
`$LIVE_BENCH_STAMPS/<pid>.json` when it shuts down.
"""

import json
import os
import re
import time
from pathlib import Path

from live.asgi import application as live_application

FRAME_ID = re.compile(rb"^id: (\d+)$", re.MULTILINE)

written: dict[int, list[float]] = {}


def _save() -> None:
    path = Path(os.environ["LIVE_BENCH_STAMPS"]) / f"{os.getpid()}.json"
    path.write_text(json.dumps(written))


async def application(scope, receive, send) -> None:
    if scope["type"] == "lifespan":

        async def send_after_saving(message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                _save()
            await send(message)

        return await live_application(scope, receive, send_after_saving)

    async def send_noting_frames(message) -> None:
        await send(message)
        body = message.get("body", b"")
        if body.startswith(b"id: ") and b"\nid: " not in body:
            # One frame, as almost every write is: no regular expression on the hot path.
            written.setdefault(int(body[4 : body.index(b"\n")]), []).append(time.time())
        elif b"id: " in body:
            at = time.time()
            for seq in FRAME_ID.findall(body):
                written.setdefault(int(seq), []).append(at)

    return await live_application(scope, receive, send_noting_frames)
