"""The cyclic garbage collector's share of a page's time, and the setups of deploy/gunicorn.conf.py.

    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python bench/gc_pauses.py --requests 1500 --rounds 2

Over generated data (`generate_data --scale 1`), each setup runs in a fresh process that loads
the app with the benchmark's production settings (bench/settings.py) as gunicorn's master does,
then serves the heavier pages (feed, post page, artist search, site search, home) in turn,
each as the next of 16 signed-in generated fans, straight through Django's WSGI handler (no
HTTP, no other process). The setups alternate, `--rounds` times:

- `default`: CPython's thresholds, nothing frozen (gunicorn without our configuration);
- `freeze`: what deploy/gunicorn.conf.py does: `musicplatform.prefork.prepare_to_fork()` (the
  master's warm-up) and `gc.freeze()`;
- `threshold`: the youngest generation's threshold raised to `--threshold` (CPython's is 700);
- `both`: the freeze and the raised threshold.

Each request's CPU (`time.process_time`) and every collection during it (`gc.callbacks`, by
generation, its CPU time) are recorded; the first request of each page is reported apart (what a new worker
pays). Prints a Markdown table for docs/performance.md.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PAGES = ("feed", "post page (200+ comments)", "search", "site search", "home")
SETUPS = ("default", "freeze", "threshold", "both")


def measure(setup: str, requests: int, threshold: int) -> dict:
    """One setup in this process: load, warm up as the setup says, serve, report."""
    # bench.load sets up the benchmark's settings and Django, as the master's preload does.
    sys.path.insert(0, str(BASE_DIR))
    from django.core.management import call_command
    from django.test.client import RequestFactory

    from bench.load import HTMX, clients
    from musicplatform.prefork import prepare_to_fork
    from musicplatform.wsgi import application

    call_command("collectstatic", interactive=False, verbosity=0)  # the hashed names' manifest
    all_clients = clients(16)
    if setup in ("freeze", "both"):
        prepare_to_fork()
        gc.collect()
        gc.freeze()
    if setup in ("threshold", "both"):
        gc.set_threshold(threshold, *gc.get_threshold()[1:])

    factory = RequestFactory()
    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def on_collection(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.process_time()
        else:
            pauses.append((info["generation"], time.process_time() - started[0]))

    def serve(page: str, index: int) -> dict:
        client = all_clients[index % len(all_clients)]
        path, _, query = client.urls[page].partition("?")
        environ = factory._base_environ(
            PATH_INFO=path,
            QUERY_STRING=query,
            HTTP_HOST="127.0.0.1",
            HTTP_COOKIE=client.cookie,
            **({"HTTP_HX_REQUEST": HTMX["HX-Request"]} if "poll" in page else {}),
        )
        pauses.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        statuses = []
        response = application(environ, lambda status, headers: statuses.append(status))
        for _chunk in response:
            pass
        response.close()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if not statuses[0].startswith("200"):
            sys.exit(f"{setup}: {page} answered {statuses[0]}")
        return {"page": page, "cpu": cpu, "wall": wall, "pauses": list(pauses)}

    gc.callbacks.append(on_collection)
    first = [serve(page, 0) for page in PAGES]
    served = [serve(PAGES[i % len(PAGES)], i) for i in range(requests)]
    gc.callbacks.remove(on_collection)
    rss_kib = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return {
        "setup": setup,
        "first": first,
        "served": served,
        "tracked": len(gc.get_objects()),
        "frozen": gc.get_freeze_count(),
        "rss_mib": rss_kib / 1024,
    }


def summary(results: list[dict]) -> dict:
    served = [request for result in results for request in result["served"]]
    count = len(served)
    by_generation = {
        generation: [pause for r in served for g, pause in r["pauses"] if g == generation]
        for generation in (0, 1, 2)
    }
    with_full = [r for r in served if any(g == 2 for g, _ in r["pauses"])]
    gc_ms = sorted(sum(p for _, p in r["pauses"]) * 1000 for r in served)
    cpu = [r["cpu"] * 1000 for r in served]
    return {
        "requests": count,
        "per_1000": {g: 1000 * len(p) / count for g, p in by_generation.items()},
        "mean_ms": {g: 1000 * statistics.mean(p) if p else 0.0 for g, p in by_generation.items()},
        "full_share": len(with_full) / count,
        "gc_ms_per_request": statistics.mean(gc_ms),
        "gc_ms_p99": gc_ms[int(0.99 * (count - 1))],
        "cpu_median": statistics.median(cpu),
        "cpu_mean": statistics.mean(cpu),
        "cpu_p99": sorted(cpu)[int(0.99 * (count - 1))],
        "first_cpu": statistics.mean(
            sum(r["cpu"] for r in result["first"]) * 1000 for result in results
        ),
        "tracked": statistics.mean(result["tracked"] for result in results),
        "frozen": statistics.mean(result["frozen"] for result in results),
        "rss_mib": statistics.mean(result["rss_mib"] for result in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500, help="per setup and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--setups", nargs="*", default=SETUPS, choices=SETUPS)
    parser.add_argument(
        "--threshold", type=int, default=50_000, help="the youngest generation's, to try"
    )
    parser.add_argument("--one", choices=SETUPS, help=argparse.SUPPRESS)  # a child's setup
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.requests, args.threshold)))
        return

    load_before = os.getloadavg()[0]
    results: dict[str, list[dict]] = {setup: [] for setup in args.setups}
    for round_ in range(args.rounds):
        for setup in args.setups:
            child = subprocess.run(
                [sys.executable, __file__, "--one", setup, "--requests", str(args.requests),
                 "--threshold", str(args.threshold)],
                capture_output=True, text=True, check=True, cwd=BASE_DIR,
            )  # fmt: skip
            results[setup].append(json.loads(child.stdout.splitlines()[-1]))
            print(f"round {round_ + 1}: {setup} done", file=sys.stderr, flush=True)
    rows = {setup: summary(runs) for setup, runs in results.items()}
    print(
        f"\n{args.requests} requests per setup and round, {args.rounds} rounds, pages "
        f"{', '.join(PAGES)} in turn; load {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores.\n"
    )
    print(
        "| setup | gen-0 / gen-1 / gen-2 collections per 1 000 requests | mean pause, CPU ms "
        "(gen 0 / 1 / 2) | requests with a gen-2 collection | GC ms per request (mean, p99) "
        "| CPU ms per request (median, mean, p99) | first request of each page, CPU ms (sum) "
        "| objects tracked / frozen | RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for setup, row in rows.items():
        per, mean = row["per_1000"], row["mean_ms"]
        print(
            f"| {setup} | {per[0]:.0f} / {per[1]:.0f} / {per[2]:.1f} "
            f"| {mean[0]:.2f} / {mean[1]:.2f} / {mean[2]:.1f} | {100 * row['full_share']:.1f} % "
            f"| {row['gc_ms_per_request']:.2f}, {row['gc_ms_p99']:.1f} "
            f"| {row['cpu_median']:.2f}, {row['cpu_mean']:.2f}, {row['cpu_p99']:.1f} "
            f"| {row['first_cpu']:.0f} | {row['tracked']:,.0f} / {row['frozen']:,.0f} "
            f"| {row['rss_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
