"""The app containers' healthcheck: GET /healthz on gunicorn's unix socket, as the proxy would.

`python deploy/healthcheck.py SOCKET [PATH]` (PATH: /healthz; the live service's
/live/healthz) exits 0 when the app answers 200 (PostgreSQL answers;
docs: musicplatform/views.py healthz). It sends the first of ALLOWED_HOSTS as Host and
X-Forwarded-Proto: https, or Django would refuse the host or redirect to HTTPS.
"""

import http.client
import os
import socket
import sys


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=4)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def main(path: str, url_path: str = "/healthz") -> int:
    host = os.environ["ALLOWED_HOSTS"].split(",")[0].strip()
    connection = UnixConnection(path)
    try:
        connection.request("GET", url_path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        return 0 if connection.getresponse().status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
