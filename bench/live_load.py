"""Thousands of viewers of one live chat: server-sent events from uvicorn (live/).

    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python bench/live_load.py --viewers 5000

Over generated data (manage.py generate_data): picks a live chat event (or makes one live
in a generated community) and `--members` of its community, signed in (sessions written
directly, as bench/load.py does). Starts uvicorn (`--processes`, production settings,
bench/settings.py) and gunicorn (deploy/gunicorn.conf.py: 2 sync workers a core) on loopback, then:

1. measures /healthz/live and the community page with wrk while nobody watches;
2. opens `--viewers` connections to /live/events/<id>/ from `--client-processes` client
   processes (bench/live_viewers.py: uvloop, no Django), each as one of the members in
   turn, and measures the uvicorn processes' RSS before and after: memory per idle
   connection = the difference / viewers;
3. posts `--messages` chat messages through communities.services (each by another member,
   `--interval` seconds apart) and records when each viewer receives each message: the
   delivery latency from just before the post (its commit) to the viewer's receipt, both
   read from `time.time()` in different processes, p50/p95/max; and the CPU time the
   uvicorn processes and the client processes spent meanwhile;
4. while the viewers are connected and messages go out, the same wrk runs again: the other
   pages' throughput beside step 1's.

The connections go straight to uvicorn (not through Caddy); the load generator, uvicorn,
gunicorn, PostgreSQL and Redis share the machine's cores. The soft limit of open files is
raised to the hard one (each viewer is a socket on both sides).
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

# Django is set up by bench.load, with the benchmark's production settings.
from bench.load import BARE, SERVER_ENV, Client, free_port, run_page, signed_in_cookie  # noqa: E402, I001
from bench.load import GUNICORN_CONFIG  # noqa: E402
from bench.live_viewers import Viewers  # noqa: E402

import requests  # noqa: E402
import uvloop  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from communities.services.live import live_event_message_post  # noqa: E402
from communities.models import (  # noqa: E402
    CommunitySubscription,
    LiveEvent,
    LiveEventStatus,
    LiveEventType,
)


def live_chat_and_members(count: int) -> tuple[LiveEvent, list]:
    """A live chat event of a generated community with at least `count` members."""
    now = timezone.now()
    chats = LiveEvent.objects.filter(event_type=LiveEventType.CHAT).order_by("pk")
    live_first = [
        *chats.filter(status=LiveEventStatus.LIVE),
        *chats.exclude(status=LiveEventStatus.LIVE),
    ]
    for event in live_first:
        members = [
            sub.user
            for sub in CommunitySubscription.objects.filter(
                community_id=event.community_id, is_active=True, end_date__gt=now
            )
            .select_related("user")
            .order_by("pk")[:count]
        ]
        if len(members) == count:
            if event.status != LiveEventStatus.LIVE:
                # A benchmark database of its own (make bench's): the event goes live here.
                LiveEvent.objects.filter(pk=event.pk).update(status=LiveEventStatus.LIVE)
                event.refresh_from_db()
            return event, members
    sys.exit("Generate data first: manage.py generate_data --scale 1")


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def uvicorn_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, children)]


def cpu_seconds(pids: list[int], *, kernel_only: bool = False) -> float:
    """User + system (or only system) CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[12]) + (0 if kernel_only else int(fields[11]))  # stime, utime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent busy so far, whoever used it."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuShares:
    """The CPU that the uvicorn processes, the measuring client processes, gunicorn and
    the whole machine spend between `start()` and `report()`."""

    def __init__(self, *, servers: list[int], clients: list[int], web: list[int]) -> None:
        self.groups = {"uvicorn": servers, "client": clients, "gunicorn": web}

    def _now(self) -> dict[str, float]:
        used = {name: cpu_seconds(pids) for name, pids in self.groups.items()}
        kernel = cpu_seconds(self.groups["uvicorn"], kernel_only=True)
        return {
            **used,
            "kernel": kernel,
            "machine": machine_busy_seconds(),
            "wall": time.monotonic(),
        }

    def start(self) -> None:
        self.before = self._now()

    def report(self) -> str:
        spent = {name: value - self.before[name] for name, value in self._now().items()}
        cores = os.cpu_count() or 1
        return (
            f"uvicorn {spent['uvicorn']:.2f} s ({spent['kernel']:.2f} s of it in the kernel), client processes {spent['client']:.2f} s "
            f"({spent['client'] / spent['machine']:.0%} of the machine's busy CPU), "
            f"gunicorn {spent['gunicorn']:.2f} s; the machine {spent['machine']:.1f} s busy "
            f"of {spent['wall'] * cores:.1f} s ({cores} cores); load {os.getloadavg()[0]:.1f}"
        )


def wrk_pair(base: str, client: Client, duration: int) -> dict[str, float]:
    for page in (BARE, "community page"):
        run_page(base, [client], page, 2, 16)  # warm-up: caches, connections, imports
    return {
        page: run_page(base, [client], page, duration, 16)["rps"]
        for page in (BARE, "community page")
    }


async def post_messages(args, event, members, first: int) -> dict[int, float]:
    """Posts `--messages` messages; when each post started (time.time()), by seq."""
    posted: dict[int, float] = {}
    for index in range(first, first + args.messages):
        author = members[(index + 1) % len(members)]
        at = time.time()
        message = await asyncio.to_thread(
            live_event_message_post,
            event=event,
            by=author,
            content=f"Benchmark message {index + 1}",
        )
        posted[message.seq] = at
        await asyncio.sleep(args.interval)
    await asyncio.sleep(2)
    return posted


def written_by_servers(stamps: Path) -> dict[int, list[float]]:
    """When the uvicorn processes wrote each frame (bench/live_asgi.py), by seq."""
    merged: dict[int, list[float]] = {}
    for path in stamps.glob("*.json"):
        for seq, times in json.loads(path.read_text()).items():
            merged.setdefault(int(seq), []).extend(times)
    return merged


def delivery(posted: dict[int, float], arrivals: dict[int, list[float]], viewers: int) -> str:
    """The latency of every delivery, from just before each post to each receipt."""
    latencies, slowest = [], []
    for seq, at in posted.items():
        times = arrivals.get(seq, [])
        latencies += [(t - at) * 1000 for t in times]
        slowest.append(f"{(max(times) - at) * 1000:.0f}" if times else "never")
    cut = statistics.quantiles(latencies, n=100, method="inclusive")
    return (
        f"p50 {cut[49]:.0f} ms, p95 {cut[94]:.0f} ms, max {max(latencies):.0f} ms over "
        f"{len(latencies)} deliveries (expected {viewers * len(posted)}); "
        f"the last viewer reached after (ms) {', '.join(slowest)}"
    )


async def run(args, event: LiveEvent, members: list, cookies: list[str]) -> None:
    community = f"/communities/{event.community_id}/"
    page_client = Client(cookie=cookies[0], urls={BARE: BARE, "community page": community})
    live_port, web_port = free_port(), free_port()
    stamps = Path(tempfile.mkdtemp(prefix="live-stamps-"))
    env = {**SERVER_ENV, "ALLOWED_HOSTS": "127.0.0.1", "LIVE_BENCH_STAMPS": str(stamps)}
    # `--live-nice`, `--web-nice`: the processes' priorities (docs/scaling.md, "Live events").
    nice = shutil.which("nice") or "nice"
    uvicorn = subprocess.Popen(
        [nice, "-n", str(args.live_nice),
         str(Path(sys.executable).parent / "uvicorn"), "bench.live_asgi:application",
         "--host", "127.0.0.1", "--port", str(live_port), "--workers", str(args.processes),
         "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning", "--backlog", "4096",
         "--timeout-graceful-shutdown", "2",
         # On a machine loaded many times over, a busy worker may answer the master's
         # ping late: restarted, it would drop its thousands of viewers mid-measurement.
         "--timeout-worker-healthcheck", "60"],
        cwd=BASE_DIR, env=env,
    )  # fmt: skip
    gunicorn = subprocess.Popen(
        [nice, "-n", str(args.web_nice),
         str(Path(sys.executable).parent / "gunicorn"),
         f"--config={GUNICORN_CONFIG}", f"--bind=127.0.0.1:{web_port}"],
        cwd=BASE_DIR, env=env,
    )  # fmt: skip
    web = f"http://127.0.0.1:{web_port}"
    try:
        for url in (f"http://127.0.0.1:{live_port}/live/healthz", web + BARE):
            deadline = time.monotonic() + 300  # a loaded machine starts slowly
            while True:
                try:
                    if requests.get(url, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    sys.exit(f"{url} did not answer")
                time.sleep(0.3)
        requests.get(web + community, headers={"Cookie": cookies[0]}, timeout=30)
        print(f"load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores", flush=True)
        quiet = wrk_pair(web, page_client, args.duration)
        print(f"without viewers: {quiet}", flush=True)
        pids = uvicorn_pids(uvicorn.pid)
        rss_before = rss_kib(pids)
        viewers = Viewers(
            port=live_port,
            path=f"/live/events/{event.pk}/",
            cookies=cookies,
            count=args.viewers,
            processes=args.client_processes,
        )
        started = time.perf_counter()
        await asyncio.to_thread(viewers.wait_open)
        print(
            f"{viewers.connected} viewers connected ({viewers.failed} failed) from "
            f"{args.client_processes} client processes in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        await asyncio.sleep(3)
        servers = uvicorn_pids(uvicorn.pid)
        rss_after = rss_kib(servers)
        per_viewer = (rss_after - rss_before) / max(viewers.connected, 1)
        print(
            f"uvicorn RSS {rss_before / 1024:.0f} MiB -> {rss_after / 1024:.0f} MiB: "
            f"{per_viewer:.1f} KiB per idle connection",
            flush=True,
        )
        # First the messages alone, then again while wrk measures the other pages. The CPU
        # the servers and the clients spend on the messages alone says which part dominates.
        # One message first, not measured: the poster's first rendering loads the templates.
        await post_messages(argparse.Namespace(messages=1, interval=0), event, members, first=-1)
        cpu = CpuShares(servers=servers, clients=viewers.pids(), web=uvicorn_pids(gunicorn.pid))
        cpu.start()
        alone = await post_messages(args, event, members, first=0)
        cpu_alone = cpu.report()
        loop = asyncio.get_running_loop()
        busy = loop.run_in_executor(None, wrk_pair, web, page_client, args.duration)
        # wrk_pair warms up for 4 s first: the messages go out while wrk measures.
        await asyncio.sleep(4)
        cpu.start()
        beside_pages = await post_messages(args, event, members, first=args.messages)
        cpu_loaded = cpu.report()
        loaded = await busy
        arrivals = await asyncio.to_thread(viewers.arrivals)
        stop(uvicorn)  # it writes its stamps as it shuts down
        written = written_by_servers(stamps)
        print(
            f"\n{viewers.connected} viewers on {args.processes} uvicorn processes, from "
            f"{args.client_processes} client processes; {args.messages} messages "
            f"{args.interval:g} s apart, latency from just before each post to each viewer's "
            f"receipt:\n"
            f"- messages alone: {delivery(alone, arrivals, viewers.connected)}\n"
            f"  written by uvicorn: {delivery(alone, written, viewers.connected)}\n"
            f"  CPU: {cpu_alone}\n"
            f"- while wrk loads the pages: {delivery(beside_pages, arrivals, viewers.connected)}\n"
            f"  written by uvicorn: {delivery(beside_pages, written, viewers.connected)}\n"
            f"  CPU: {cpu_loaded}\n"
            f"- memory per idle connection: {per_viewer:.1f} KiB "
            f"(uvicorn RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB)\n"
            f"- other pages, req/s without -> with the viewers: "
            + ", ".join(f"{page} {quiet[page]:.0f} -> {loaded[page]:.0f}" for page in quiet)
        )
    finally:
        stop(uvicorn, gunicorn)
        shutil.rmtree(stamps)


def stop(*servers: subprocess.Popen) -> None:
    # All told first: one slow to stop must not leave another running.
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--client-processes", type=int, default=4, help="viewers' processes")
    parser.add_argument("--members", type=int, default=30, help="signed-in members, in turn")
    parser.add_argument("--messages", type=int, default=5, help="per phase")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between messages")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument(
        "--live-nice",
        type=int,
        default=0,
        help="uvicorn's niceness (below 0 needs root or CAP_SYS_NICE)",
    )
    parser.add_argument(
        "--web-nice", type=int, default=0, help="gunicorn's niceness (0: the same as uvicorn's)"
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 2 * args.viewers + 100:
        sys.exit(f"the open-files limit ({hard}) is too low for {args.viewers} viewers")
    # The ORM outside the event loop; inside it, through threads.
    call_command("collectstatic", interactive=False, verbosity=0)
    event, members = live_chat_and_members(args.members)
    cookies = [signed_in_cookie(member) for member in members]
    uvloop.run(run(args, event, members, cookies))


if __name__ == "__main__":
    main()
