"""Production: every secret must come from the environment, or the process refuses to start."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    MAILERS,
    MIDDLEWARE,
    SMTP_EMAIL_BACKEND,
    STORAGES,
    env,
    env_bool,
    env_list,
    env_required,
)

SECRET_KEY = env_required("SECRET_KEY")
PAYOUT_ENCRYPTION_KEY = env_required("PAYOUT_ENCRYPTION_KEY")
# DATABASE_URL names the runtime role, which reads and writes rows but cannot change the
# schema (`manage.py db_roles`, docs/operations.md). The release step runs `migrate` with
# DATABASE_URL set to the schema owner instead (docker-compose.yml's `migrate`): each process
# is given only its own role's password, so web and worker never hold the owner's.
env_required("DATABASE_URL")
env_required("REDIS_URL")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's hosts in production.")

# Production never takes fake money: without Stripe's keys the test gateway would "sell"
# everything for nothing. A staging site says PAYMENTS_ALLOW_TEST_GATEWAY=true instead, and
# then every page shows the test-mode banner (PAYMENTS_TEST_MODE, set in base).
if not env_bool("PAYMENTS_ALLOW_TEST_GATEWAY", False):
    for _name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        if env(_name) is None:
            raise ImproperlyConfigured(
                f"The {_name} environment variable is required in production (a real "
                "payment gateway); a staging site may set PAYMENTS_ALLOW_TEST_GATEWAY=true "
                "to take test payments instead."
            )

# Mail that is never delivered would also write password-reset links into the logs.
_EMAIL_BACKENDS_THAT_DELIVER_NOTHING = {
    f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "locmem", "dummy", "filebased")
}
if MAILERS["default"]["BACKEND"] in _EMAIL_BACKENDS_THAT_DELIVER_NOTHING:
    raise ImproperlyConfigured(
        "Production needs a real email backend: set EMAIL_HOST (SMTP) or an EMAIL_BACKEND "
        f"that delivers mail, not {MAILERS['default']['BACKEND']}."
    )
if MAILERS["default"]["BACKEND"] == SMTP_EMAIL_BACKEND and not env("EMAIL_HOST"):
    raise ImproperlyConfigured("The EMAIL_HOST environment variable is required for SMTP.")

SITE_URL = env("SITE_URL", f"https://{ALLOWED_HOSTS[0]}").rstrip("/")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The login limit counts per client address: behind this many proxies (the TLS-terminating
# one by default) the address is read from X-Forwarded-For, not the proxy's own.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1"))
# ...and only when the request comes from one of these addresses: a client reaching
# gunicorn another way would otherwise choose its own address. "unix" is a peer on
# gunicorn's unix socket, which only the proxy can open (deploy/topology.yml).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["unix"])
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Lax, not Strict: the Google and Spotify logins come back to us by a cross-site redirect
# that must carry the session.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
# A year, for every subdomain, and eligible for the browsers' preload lists.
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
# Static files are served by the app itself (gunicorn + WhiteNoise), compressed and hashed.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
