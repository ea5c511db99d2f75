"""What the production front costs: req/s through Caddy (TLS) + PgBouncer against gunicorn
straight, on prod-local's topology (docs/performance.md, "Through the proxy and the pooler").

    .venv/bin/python bench/proxy_load.py [--duration 10] [--connections 16]

Starts scripts/prodlocal.py with gunicorn also bound to a loopback port (`--app-port`), then
runs `wrk` (Debian's `wrk`) against each page twice: https://localhost:PORT through Caddy,
and http://127.0.0.1:APP_PORT straight to gunicorn (with the X-Forwarded-Proto header the
proxy would add, or Django would redirect to HTTPS). Both ways, the app reaches PostgreSQL
through PgBouncer: what differs is the proxy. Anonymous requests to the demo data; wrk
shares the machine's cores with everything else. Prints a Markdown table.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from devservices import data_dir, free_port  # noqa: E402

PAGES = ("/healthz", "/", "/communities/")
WRK = shutil.which("wrk") or "/usr/bin/wrk"  # apt-get install wrk


def wrk(
    url: str, duration: int, connections: int, headers: dict[str, str]
) -> tuple[float, str, int]:
    """(req/s, mean latency, non-2xx/3xx answers) of one wrk run."""
    options = [f"--header={name}: {value}" for name, value in headers.items()]
    result = subprocess.run(
        [WRK, "--threads", "2", "--connections", str(connections), "--duration", f"{duration}s",
         "--latency", *options, url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    output = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    latency = re.search(r"Latency\s+(\S+)", output)[1]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, latency, int(errors[1]) if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    app_port = free_port()
    with tempfile.TemporaryDirectory() as temporary:
        ready = Path(temporary) / "ready.json"
        topology = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "prodlocal.py"),
             "--data-dir", str(data_dir() / "prodlocal-bench"), "--port", str(free_port()),
             "--app-port", str(app_port), "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            while not ready.exists():
                if topology.poll() is not None:
                    raise SystemExit("prod-local did not start")
                time.sleep(1)
            site = json.loads(ready.read_text())["url"]
            print(f"load: {os.getloadavg()[0]:.1f} before the run, {os.cpu_count()} cores")
            print("| page | through Caddy + PgBouncer | straight to gunicorn (+ PgBouncer) |")
            print("|---|---|---|")
            for page in PAGES:
                proxied = wrk(f"{site}{page}", args.duration, args.connections, {})
                direct = wrk(
                    f"http://127.0.0.1:{app_port}{page}",
                    args.duration,
                    args.connections,
                    {"Host": "localhost", "X-Forwarded-Proto": "https"},
                )
                print(
                    f"| `{page}` | {proxied[0]:.0f} req/s (mean {proxied[1]}, {proxied[2]} errors)"
                    f" | {direct[0]:.0f} req/s (mean {direct[1]}, {direct[2]} errors) |",
                    flush=True,
                )
        finally:
            topology.send_signal(signal.SIGTERM)
            topology.wait(timeout=90)
    return 0


if __name__ == "__main__":
    sys.exit(main())
