"""The viewers of bench/live_load.py, spread over several client processes.

One asyncio process parsing thousands of streams is itself a bottleneck on a small
machine: each process here (started with `spawn`, without Django) holds its share of the
connections and stamps every frame with `time.time()` when its bytes arrive, a clock the
poster's process shares. The parent talks to each process through a pipe:

    child -> parent   (connected, failed)        once every connection is open (or failed)
    parent -> child   "report"
    child -> parent   {seq: [receipt times]}      then the child closes its connections
"""

import asyncio
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import uvloop

# Connections opened at once per process: the server authorises each one (a session read
# and a query), so opening all of them together only makes every one wait longer.
OPENING_AT_ONCE = 100


@dataclass
class Share:
    """One process's connections and what they received."""

    port: int
    path: str
    cookies: list[str]
    arrivals: dict[int, list[float]] = field(default_factory=dict)
    connected: int = 0
    failed: int = 0

    async def view(self, cookie: str, gate: asyncio.Semaphore, ready: asyncio.Event) -> None:
        try:
            async with gate:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(
                    f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode()
                )
                status = await reader.readline()
                if b" 200 " not in status:
                    raise ConnectionError(status)
                while await reader.readline() not in (b"\r\n", b""):
                    pass  # the headers
                await reader.readline()  # the first chunk holds "retry:": the stream is open
                self.connected += 1
        except (OSError, ConnectionError):
            self.failed += 1
            ready.set()
            return
        ready.set()
        # Each server write is one chunk of whole frames, so a line never spans two
        # chunks; a read may still end inside a line, kept for the next read.
        rest = b""
        while data := await reader.read(65536):
            received_at = time.time()
            lines = (rest + data).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if line.startswith(b"id: "):
                    self.arrivals.setdefault(int(line[4:]), []).append(received_at)


async def _serve(pipe: Connection, share: Share) -> None:
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    ready = [asyncio.Event() for _ in share.cookies]
    tasks = [
        asyncio.create_task(share.view(cookie, gate, opened))
        for cookie, opened in zip(share.cookies, ready, strict=True)
    ]
    await asyncio.gather(*(opened.wait() for opened in ready))
    pipe.send((share.connected, share.failed))
    asked = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(pipe.fileno(), asked.set)
    await asked.wait()
    # The loop made the pipe non-blocking: the report (hundreds of KB) is written whole.
    loop.remove_reader(pipe.fileno())
    os.set_blocking(pipe.fileno(), True)
    pipe.recv()
    pipe.send(share.arrivals)
    for task in tasks:
        task.cancel()


def _child(pipe: Connection, port: int, path: str, cookies: list[str]) -> None:
    uvloop.run(_serve(pipe, Share(port, path, cookies)))


class Viewers:
    """`count` EventSource-like connections over `processes` client processes, each
    connection signed in as one of `cookies` in turn."""

    def __init__(self, *, port: int, path: str, cookies: list[str], count: int, processes: int):
        spawn = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for index in range(processes):
            parent, child = spawn.Pipe()
            share = [cookies[i % len(cookies)] for i in range(index, count, processes)]
            process = spawn.Process(target=_child, args=(child, port, path, share), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.connected = self.failed = 0

    def wait_open(self) -> None:
        """Blocks until every process has opened (or failed) all its connections."""
        for pipe in self.pipes:
            connected, failed = pipe.recv()
            self.connected += connected
            self.failed += failed

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes if process.pid is not None]

    def arrivals(self) -> dict[int, list[float]]:
        """Every process's receipt times by seq; the processes then close and exit."""
        for pipe in self.pipes:
            pipe.send("report")
        merged: dict[int, list[float]] = {}
        for pipe in self.pipes:
            for seq, times in pipe.recv().items():
                merged.setdefault(seq, []).extend(times)
        for process in self.processes:
            process.join(timeout=30)
        return merged
