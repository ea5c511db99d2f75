"""Settings shared by every environment; each value comes from the environment.

`local.py` (development), `test.py` and `production.py` adjust these. Defaults here are
safe for development only; production.py refuses to start without its secrets.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, overload

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from kombu import Exchange, Queue

if TYPE_CHECKING:
    from musicplatform.images import PictureBudget

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_required(name: str) -> str:
    value = env(name)
    if value is None:
        raise ImproperlyConfigured(f"The {name} environment variable is required.")
    return value


SECRET_KEY = env("SECRET_KEY", "django-insecure-development-only-key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Peers whose X-Forwarded-For names the client (accounts.adapters, production.py); "unix"
# is any peer on a unix socket.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    # Django's admin, on a site whose login is rate-limited (musicplatform/admin.py).
    "musicplatform.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.spotify",
    "storages",
    "django_htmx",
    # status_change() and status_history: the core audit every domain writes through.
    "musicplatform.audit",
    "accounts",
    "artists",
    "content",
    "communities",
    "payments",
    "shop",
    "catalogue",
    "notifications",
    "operations",
    "ledger",
    # seed_demo and generate_data: they import every app above, nothing imports them.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Outside the session middleware, so that saving a session counts as a write.
    "musicplatform.routers.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user read from Redis rather than PostgreSQL (accounts/middleware.py).
    "accounts.middleware.CachedUserAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view reads the path or the query (after the user is known, for the page):
    # a NUL there is a 400, never a 500.
    "musicplatform.middleware.RefuseUnusableAddressesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Remembers the browsers people sign in with (accounts/ratelimit.py).
    "accounts.ratelimit.KnownDeviceMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After CsrfViewMiddleware: fills in the CSRF token before that one sets its cookie.
    "musicplatform.fragments.FragmentPlaceholderMiddleware",
]

ROOT_URLCONF = "musicplatform.urls"
WSGI_APPLICATION = "musicplatform.wsgi.application"
ASGI_APPLICATION = "musicplatform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # musicplatform/ is the project package, not an app: its tags are named here.
            "libraries": {
                "fragments": "musicplatform.templatetags.fragments",
                "site": "musicplatform.templatetags.site",
            },
            # Times (`{% when %}`) and money (`|money`) are written the same way on every page;
            # user text always goes through `|markdown` (musicplatform/markup.py).
            "builtins": ["musicplatform.templatetags.site", "musicplatform.templatetags.markup"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "musicplatform.context_processors.current_path",
                "musicplatform.context_processors.csrf_token",
                "musicplatform.context_processors.payments_test_mode",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]


# A DATABASE_URL such as postgresql://user@/musicplatform?host=/run/postgresql (a
# unix-socket directory as host) is passed to psycopg as it is. Behind PgBouncer in
# transaction mode, DATABASE_DISABLE_SERVER_SIDE_CURSORS=true (docs/scaling.md).
def database(url: str) -> dict:
    return dj_database_url.parse(
        url,
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
        disable_server_side_cursors=env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False),
    )


DATABASES = {
    "default": database(env("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/musicplatform"))
}
# --- Read replicas (musicplatform/routers.py, docs/scaling.md) ---
# Streaming replicas of DATABASE_URL, comma-separated: web requests read from them while
# they have not written. They mirror the primary in tests (no test database of their
# own), and a replica that does not answer within the timeout is skipped.
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS", [])):
    _replica = database(_url)
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES[f"replica_{_index}"] = {**_replica, "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["musicplatform.routers.ReplicaRouter"]
# The feed's statement is prepared on each connection (musicplatform.db.prepared_rows): off
# behind a pooler in transaction mode that does not keep prepared statements (docs/scaling.md).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
# After a write, the same browser reads the primary this long: longer than replicas lag.
REPLICA_PIN_SECONDS = int(env("REPLICA_PIN_SECONDS", "5"))
REPLICA_RETRY_SECONDS = int(env("REPLICA_RETRY_SECONDS", "30"))
# --- end of read replicas ---
# How long rendered fragments (post cards, comments, the explore and artist pages) are
# shared between viewers before they are rendered again (musicplatform/fragments.py).
FRAGMENT_CACHE_SECONDS = int(env("FRAGMENT_CACHE_SECONDS", "60"))
# How long /healthz/ready reuses its checks within a process (see musicplatform.views).
HEALTHZ_READY_CACHE_SECONDS = float(env("HEALTHZ_READY_CACHE_SECONDS", "2"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        # clear() deletes only this cache's keys: the Celery broker shares the database.
        "BACKEND": "musicplatform.cache.OwnKeysRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "mp"),
        # With Redis down the cache answers "miss" and pages render from PostgreSQL.
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "IGNORE_EXCEPTIONS": True,
        },
    },
    # allauth's rate limits, in PostgreSQL so that they keep limiting while Redis is down
    # (accounts/ratelimit.py, table `rate_limits`).
    "ratelimits": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "rate_limits",
        # Expired entries are deleted once the table holds this many.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Sessions are read from Redis and written through to PostgreSQL, so a Redis outage
# signs nobody out (Django's cached_db, which also reads the signed-in user's cached entry
# in the session's round trip: accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "SCOPE": ["profile", "email"],
        "APPS": [{"client_id": env("GOOGLE_CLIENT_ID"), "secret": env("GOOGLE_CLIENT_SECRET")}]
        if env("GOOGLE_CLIENT_ID")
        else [],
    },
    "spotify": {
        "SCOPE": ["user-read-email"],
        "APPS": [{"client_id": env("SPOTIFY_CLIENT_ID"), "secret": env("SPOTIFY_CLIENT_SECRET")}]
        if env("SPOTIFY_CLIENT_ID")
        else [],
    },
}

# --- Accounts (accounts app, issue 3) -------------------------------------------------
# Adapters route allauth's writes through accounts.services; tokens for email verification
# and password reset live hashed in `user_verification` (docs/accounts.md).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.PasswordResetTokenGenerator"
# Failed logins (and reauthentications) are limited by accounts/ratelimit.py in
# PostgreSQL instead of allauth's cache-based limits, which with Redis down would refuse
# every login. Counted within LOGIN_FAILURE_WINDOW. Per account and address: the first
# LOGIN_PAIR_FREE_FAILURES are free, then each next attempt waits twice as long as the one
# before (LOGIN_PAIR_DELAY: first, longest), so an attacker elsewhere never locks the owner
# out. Per address across accounts (password spraying): failures and distinct accounts.
# Per account from every address: a ceiling that a known device (signed in there before)
# is exempt from.
LOGIN_FAILURE_WINDOW = timedelta(hours=1)
LOGIN_PAIR_FREE_FAILURES = 3
LOGIN_PAIR_DELAY = (timedelta(seconds=5), timedelta(minutes=15))
LOGIN_FAILURE_LIMITS = {"ip": 30, "ip_accounts": 5, "login": 100}
ACCOUNT_RATE_LIMITS = {
    "login": None,
    "login_failed": None,
    "reauthenticate": None,
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
# Email addresses and payout details change only after the password was entered again
# within the last five minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Linking Google or Spotify is confirmed at the provider, which signs the user in there;
# allauth's pause for reauthentication cannot keep a half-linked account of ours.
SOCIALACCOUNT_REAUTHENTICATION_REQUIRED = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Music Platform] "
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "accounts.validators.username_validators"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_QUERY_EMAIL = True
# A provider-verified email that matches an account logs into it and links the provider.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Spotify's access token is kept to import the user's top artists.
SOCIALACCOUNT_STORE_TOKENS = True
SOCIALACCOUNT_PROVIDERS["spotify"]["SCOPE"] = ["user-read-email", "user-top-read"]
SPOTIFY_API_URL = "https://api.spotify.com/v1"
# --- end of accounts -------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes; in production the proxy serves /static/ from there.
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / ".data" / "staticfiles")))
# htmx comes from the npm registry (package.json); its dist folder is served as-is.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / ".data" / "private")))

# Public uploads (pictures) and private ones (verification documents, downloads) go
# through Django's storage API: the file system by default, S3 when AWS_* is set.
if env("AWS_STORAGE_BUCKET_NAME"):
    # Private files never share a bucket with public ones: a bucket readable by public
    # URLs would reach a private prefix in it too.
    if env("AWS_PRIVATE_BUCKET_NAME") in (None, env("AWS_STORAGE_BUCKET_NAME")):
        raise ImproperlyConfigured(
            "Set AWS_PRIVATE_BUCKET_NAME to a bucket of its own, not the public one."
        )
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": env("AWS_STORAGE_BUCKET_NAME")},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env("AWS_PRIVATE_BUCKET_NAME"),
                "default_acl": "private",
                "querystring_auth": True,
                "location": "private",
            },
        },
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT, "base_url": f"/{MEDIA_URL}"},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
        },
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        },
    }

# Error reports hide POST fields named like passwords, card numbers and payout details.
DEFAULT_EXCEPTION_REPORTER_FILTER = "musicplatform.debug.SensitiveFieldsFilter"

# --- Content-Security-Policy (docs/security.md, "Web security") ---
# Scripts and styles run only from our own files or with the request's nonce: no inline
# code, no inline style attributes. Uploads may live on S3, so pictures and media may
# come from its bucket. No form-action: login with Google and Stripe Checkout leave the
# site by redirects after a form post.
_UPLOAD_ORIGINS = (
    [f"https://{env('AWS_STORAGE_BUCKET_NAME')}.s3.amazonaws.com"]
    if env("AWS_STORAGE_BUCKET_NAME")
    else []
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *_UPLOAD_ORIGINS],
    "media-src": [CSP.SELF, *_UPLOAD_ORIGINS],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # Live events' players (communities/streams.py EMBED_ORIGINS), nothing else.
    "frame-src": [CSP.SELF, "https://www.youtube-nocookie.com", "https://player.twitch.tv"],
}
# --- end of Content-Security-Policy ---

# Django 6.1's MAILERS: the console in development, SMTP when EMAIL_HOST is set, or any
# backend named by EMAIL_BACKEND (a provider's, say). Production refuses the ones that
# deliver nothing (settings/production.py).
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_email_backend = env(
    "EMAIL_BACKEND",
    SMTP_EMAIL_BACKEND if env("EMAIL_HOST") else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend == SMTP_EMAIL_BACKEND:
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST"),
        "port": int(env("EMAIL_PORT", "587")),
        "username": env("EMAIL_HOST_USER", ""),
        "password": env("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Music Platform <no-reply@musicplatform.local>")

# The site's own address, for links in emails sent outside a request (Celery tasks).
SITE_URL = env("SITE_URL", "http://localhost:8000").rstrip("/")

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")

# --- Payments (payments/, docs/payments.md) ---
# Everything is charged in one currency with two decimal places (cents).
PAYMENTS_CURRENCY = env("PAYMENTS_CURRENCY", "USD")
# A paid placement on the explore page costs this much per started day.
FEATURED_PLACEMENT_DAILY_PRICE = env("FEATURED_PLACEMENT_DAILY_PRICE", "2.00")
# The range of a community's fee, in the currency (communities.services.listing.fee_check).
COMMUNITY_FEE_MIN = Decimal(env("COMMUNITY_FEE_MIN", "0.50"))
COMMUNITY_FEE_MAX = Decimal(env("COMMUNITY_FEE_MAX", "1000.00"))
# The test gateway answers a saved-card charge after this long, as a real one does (~300 ms),
# so a benchmark of renewals measures the waiting a worker pool must overlap (bench/renewals.py).
PAYMENTS_TEST_GATEWAY_LATENCY_MS = int(env("PAYMENTS_TEST_GATEWAY_LATENCY_MS", "0") or 0)
# --- end of payments ---

# --- Ledger and payouts (ledger/, docs/payments.md "Ledger and payouts") ---
# The platform's cut of an artist's sale, in percent; per purpose ("order",
# "subscription") through LEDGER_COMMISSION_BY_PURPOSE="subscription=8,order=12".
PLATFORM_COMMISSION_PERCENT = Decimal(env("PLATFORM_COMMISSION_PERCENT", "10"))
PLATFORM_COMMISSION_PERCENT_BY_PURPOSE = {
    purpose: Decimal(percent)
    for purpose, _, percent in (
        item.partition("=") for item in env_list("LEDGER_COMMISSION_BY_PURPOSE", [])
    )
}
# The built-in test gateway's fee model (a card processor's shape: percent + fixed).
LEDGER_TEST_FEE_PERCENT = Decimal(env("LEDGER_TEST_FEE_PERCENT", "2.9"))
LEDGER_TEST_FEE_FIXED = Decimal(env("LEDGER_TEST_FEE_FIXED", "0.30"))
# Earnings are pending this long (refunds and chargebacks come early), then available.
LEDGER_HOLDING_DAYS = int(env("LEDGER_HOLDING_DAYS", "7"))
# Artists are paid when their available balance reaches this much.
PAYOUT_MINIMUM = Decimal(env("PAYOUT_MINIMUM", "20.00"))
# The platform's own account, the debtor of SEPA credit-transfer files.
PAYOUT_SEPA_DEBTOR_NAME = env("PAYOUT_SEPA_DEBTOR_NAME", "Music Platform")
PAYOUT_SEPA_DEBTOR_IBAN = env("PAYOUT_SEPA_DEBTOR_IBAN", "DE89370400440532013000")
PAYOUT_SEPA_DEBTOR_BIC = env("PAYOUT_SEPA_DEBTOR_BIC", "COBADEFFXXX")
# Stripe signs Connect events (account.updated, transfer.*, payout.*) with the secret of
# the Connect webhook endpoint (/payouts/webhooks/stripe/).
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET")
# --- end of ledger ---

# Key that encrypts artists' payout details at rest (Fernet, urlsafe base64 of 32 bytes).
PAYOUT_ENCRYPTION_KEY = env("PAYOUT_ENCRYPTION_KEY", "3gS5cVvJ0iX9r1mY7C8yQ0b3dQ2aN6kZpTfWlEoHuRs=")

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = False
# A request must not hang on a broker that is down: publishing gives up quickly, and the
# beat sweeps pick up what could not be queued.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
# One queue per kind of work (docs/scaling.md), so that a burst of one kind (a fan-out to
# 100 000 fans, their emails) never holds up another (renewals charging cards). A worker
# started without -Q consumes every queue, as in development; production may give each
# queue workers of its own (`celery -A musicplatform worker -Q payments`). Tasks routed
# nowhere go to the default queue, "celery".
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in ("celery", "notifications", "payments", "maintenance")
]
CELERY_TASK_ROUTES = {
    "notifications.tasks.*": {"queue": "notifications"},
    "content.tasks.post*": {"queue": "notifications"},
    "communities.tasks.*_notify_members": {"queue": "notifications"},
    "payments.tasks.payment_receipt*": {"queue": "notifications"},
    "communities.tasks.subscription*": {"queue": "payments"},
    "payments.tasks.payment_refund_unwanted": {"queue": "payments"},
    "payments.tasks.saved_payment_method*": {"queue": "payments"},
    "shop.tasks.orders_release_abandoned": {"queue": "payments"},
    "ledger.tasks.*": {"queue": "payments"},
    "accounts.tasks.*": {"queue": "maintenance"},
    "content.tasks.share_links_purge": {"queue": "maintenance"},
}
CELERY_BEAT_SCHEDULE: dict = {
    "shop-orders-release-abandoned": {
        "task": "shop.tasks.orders_release_abandoned",
        "schedule": 300,
    },
    "verification-tokens-purge": {
        "task": "accounts.tasks.verification_tokens_purge",
        "schedule": 60 * 60 * 6,
    },
    "share-links-purge": {
        "task": "content.tasks.share_links_purge",
        "schedule": 60 * 60 * 6,
    },
    "notification-emails-sweep": {
        "task": "notifications.tasks.notification_emails_sweep",
        "schedule": 600,
    },
    "payment-receipts-sweep": {
        "task": "payments.tasks.payment_receipts_sweep",
        "schedule": 600,
    },
    "posts-announce-sweep": {
        "task": "content.tasks.posts_announce_sweep",
        "schedule": 600,
    },
    "forum-posts-announce-sweep": {
        "task": "communities.tasks.forum_posts_announce_sweep",
        "schedule": 600,
    },
    "live-events-announce-sweep": {
        "task": "communities.tasks.live_events_announce_sweep",
        "schedule": 600,
    },
    # Within communities.services.live_reminders.REMINDER_LEAD (30 minutes).
    "live-event-reminders": {
        "task": "communities.tasks.live_event_reminders_send",
        "schedule": 300,
    },
    "communities-renew-due": {
        "task": "communities.tasks.subscriptions_renew_due",
        "schedule": 900,
    },
    # Memberships and saved cards of people who left, whose ending task was lost (a
    # broker outage) or failed (the gateway refused the refund): docs/payments.md.
    "communities-end-leavers": {
        "task": "communities.tasks.subscriptions_of_leavers_end",
        "schedule": 3600,
    },
    "shop-detach-cards-of-deleted-accounts": {
        "task": "payments.tasks.saved_payment_methods_of_deleted_detach",
        "schedule": 3600,
    },
    "communities-expire": {
        "task": "communities.tasks.subscriptions_expire",
        "schedule": 900,
    },
    "communities-member-counts-refresh": {
        "task": "communities.tasks.member_counts_refresh",
        "schedule": 60,
    },
    # Plays counted in Redis into tracks.play_count (catalogue/plays.py).
    "ledger-payouts-run": {
        "task": "ledger.tasks.payouts_run",
        "schedule": crontab(minute=0, hour=6, day_of_week="monday"),
    },
    "ledger-stripe-fees-record": {
        "task": "ledger.tasks.stripe_fees_record",
        "schedule": 3600,
    },
    "catalogue-plays-flush": {
        "task": "catalogue.tasks.plays_flush",
        "schedule": 60,
    },
}

# --- Shop (shop/, README "Shop") ---
# A pending order holds its stock this long before it is cancelled and the stock released.
SHOP_ORDER_HOLD_MINUTES = int(env("SHOP_ORDER_HOLD_MINUTES", "30"))
SHOP_DOWNLOAD_LINK_DAYS = int(env("SHOP_DOWNLOAD_LINK_DAYS", "7"))
# Fresh download links per buyer, per item, per hour: never a lifetime cap, which would
# lock a buyer out of what they bought (docs/payments.md, "Promises").
SHOP_DOWNLOAD_LINKS_PER_HOUR = int(env("SHOP_DOWNLOAD_LINKS_PER_HOUR", "5"))
# The lowest price above 0.00 (which is a free download): Stripe refuses to charge less
# than 0.50 in most currencies, so a lower price would make orders nobody can pay.
SHOP_MIN_PRICE = Decimal(env("SHOP_MIN_PRICE", "0.50"))
# Where buyers are sent for what they cannot do themselves (a refund after delivery).
SUPPORT_EMAIL = env("SUPPORT_EMAIL", "support@musicplatform.local")
SHOP_MAX_QUANTITY = int(env("SHOP_MAX_QUANTITY", "20"))
# --- end Shop ---

# --- Catalogue (catalogue/) ---
# A listener's plays of one track count once per this many seconds.
CATALOGUE_PLAY_WINDOW_SECONDS = int(env("CATALOGUE_PLAY_WINDOW_SECONDS", str(30 * 60)))
# --- end Catalogue ---

# --- Operations (operations/, docs/operations.md) ---
# Where `manage.py backup` writes unless told otherwise.
BACKUP_DIR = Path(env("BACKUP_DIR", str(BASE_DIR / ".data" / "backups")))
# A directory holding pg_dump and pg_restore of the server's major version; unset, the ones
# pgserver ships are used, then PATH's.
PG_BIN_DIR = env("PG_BIN_DIR")
# --- end operations ---

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secret_paths": {"()": "musicplatform.log_filters.RedactSecretPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # The loggers that write request paths, which may hold a verification or reset token.
    "loggers": {
        name: {"filters": ["redact_secret_paths"]}
        for name in ("django.request", "django.server", "gunicorn.access")
    },
}

# --- Hardening (issue 23, docs/security.md "Abuse and hostile input") ---
# Picture uploads (musicplatform/images.py): per use, the largest file and the most pixels
# decoding may hold (a JPEG is decoded scaled down, so a 12 or 48 megapixel phone photo
# fits). The budgets bound what one picture costs (about 4 bytes a pixel); with the most
# pictures a form takes, a request stays under ~1 s of CPU and ~100 MB of memory
# (docs/performance.md, "Picture uploads").
megabyte = 1024 * 1024  # lower case: a helper, not a setting
PICTURE_UPLOADS: dict[str, "PictureBudget"] = {
    "avatar": {"label": "profile picture", "max_bytes": 5 * megabyte, "max_pixels": 4_000_000},
    "cover": {"label": "cover photo", "max_bytes": 5 * megabyte, "max_pixels": 4_000_000},
    "post": {"label": "post picture", "max_bytes": 6 * megabyte, "max_pixels": 3_200_000},
    "review": {"label": "review picture", "max_bytes": 6 * megabyte, "max_pixels": 3_200_000},
    "product": {"label": "product picture", "max_bytes": 5 * megabyte, "max_pixels": 1_500_000},
    "fan_art": {"label": "fan art picture", "max_bytes": 6 * megabyte, "max_pixels": 3_200_000},
    "release_cover": {"label": "cover art", "max_bytes": 8 * megabyte, "max_pixels": 9_000_000},
    "document": {"label": "scanned document", "max_bytes": 10 * megabyte, "max_pixels": 2_000_000},
}
# No form takes more files than this (a product's six pictures, five verification documents).
DATA_UPLOAD_MAX_NUMBER_FILES = 8
# Per-user limits on writes (musicplatform/ratelimits.py): action -> (POSTs, within).
USER_RATE_LIMITS = {
    "post": (20, timedelta(hours=1)),
    "comment": (30, timedelta(minutes=10)),
    "review": (10, timedelta(hours=1)),
    "forum_message": (30, timedelta(minutes=1)),
    "chat_message": (30, timedelta(minutes=1)),
}
# An item with this many open flags is hidden until a moderator reviews it (issue 22).
FLAGS_TO_HIDE = int(env("FLAGS_TO_HIDE", "3"))
# Reviews by accounts younger than this many days are shown but left out of rating
# averages (content.selectors.counted_in_ratings); 0 counts every review.
REVIEW_MIN_ACCOUNT_AGE_DAYS = int(env("REVIEW_MIN_ACCOUNT_AGE_DAYS", "0"))
# Members-only pictures (communities/media.py): how long a signed link lives, and the
# internal location the web server serves private files from (X-Accel-Redirect), if any.
PRIVATE_MEDIA_URL_AGE = 600
PRIVATE_MEDIA_ACCEL_PREFIX = env("PRIVATE_MEDIA_ACCEL_PREFIX", "")
