"""Production settings for the load benchmark on loopback (bench/load.py).

Everything production does (DEBUG off, WhiteNoise with hashed static files, cached_db
sessions in Redis), except what plain HTTP on 127.0.0.1 cannot have: no redirect to
HTTPS, and collected static files go to a directory of the benchmark's own.
"""

import os

# Production refuses to start without a real payment gateway and a mail server; the
# benchmark pays nothing and sends no mail.
os.environ.setdefault("PAYMENTS_ALLOW_TEST_GATEWAY", "true")
os.environ.setdefault("EMAIL_HOST", "127.0.0.1")

from musicplatform.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
# The site's URLs, /healthz/whoami (the signed-in bare view) and /healthz/page (bench/urls.py).
ROOT_URLCONF = "bench.urls"
