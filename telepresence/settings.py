"""Settings for Telepresence, read from the environment (django-environ).

Every value that tunes behaviour can be set in the environment; a bad value stops the start
with ImproperlyConfigured instead of being guessed at.
"""
from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-telepresence-development-only-never-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (
    not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "presence",
    "queueing",
    "appointments",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "telepresence.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "telepresence.asgi.application"
WSGI_APPLICATION = None

# --- Databases -----------------------------------------------------------------------------
# SQLite is the embedded default, PostgreSQL is what CI runs on, MongoDB goes through MongoDB's
# django-mongodb-backend (see README). Model code stays portable: UUID keys, no raw SQL.
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
if DATABASE_URL.startswith(("mongodb://", "mongodb+srv://")):
    import django_mongodb_backend  # type: ignore[import-not-found]

    DATABASES = {"default": django_mongodb_backend.parse_uri(DATABASE_URL)}
else:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers (daphne, Celery) wait for SQLite's lock instead of failing at once;
        # the test database is a file so that daphne processes started by tests can share it.
        DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
        DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
# Persistent connections: async code reaches the database through one shared thread, and
# opening a PostgreSQL connection per call cost 15 ms per WebSocket connect.
# (No CONN_HEALTH_CHECKS: async code closes stale connections before every call anyway, and a
# health check would add a round trip to each.)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Django's default hashers unless the environment names others (the tests use a fast one).
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-ca"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The pages' JavaScript client and styles (static/telepresence/), shared by every page.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development WhiteNoise serves straight from the apps' static folders, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/admin/login/"

# --- Production protections (on whenever DEBUG is off) -------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo, so it is the deployer's explicit choice, not a default.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    if env.bool("SECURE_PROXY_SSL", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Redis: live presence state, event streams, tickets, channel layer, Celery broker --------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Every key this service writes starts with this prefix, so that several deployments (or test
# runs) can share one Redis without touching each other's keys.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="tp")
# WARNING: above 5 s on purpose. channels-redis blocks on BZPOPMIN for 5 s; a shorter socket
# timeout kills its receive loop (the redis-py 8 default did exactly that).
REDIS_SOCKET_TIMEOUT_SECONDS = env.float("REDIS_SOCKET_TIMEOUT_SECONDS", default=15.0)
# Generous on purpose: a refused connection fails at once anyway, and during a reconnect storm
# (3,000 handshakes at once) a busy event loop took over 10 s to complete healthy connects.
REDIS_CONNECT_TIMEOUT_SECONDS = env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=30.0)
# Per pool and process: the channel layer's pools and the synchronous client.
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=1_000)
# The asynchronous client of each web process (presence, streams): callers queue for these.
REDIS_ASYNC_POOL_SIZE = env.int("REDIS_ASYNC_POOL_SIZE", default=64)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                    "max_connections": REDIS_MAX_CONNECTIONS,
                }
            ],
            "prefix": f"{REDIS_KEY_PREFIX}:asgi",
            # Groups are per user and rejoined on every connect; a stale member left by a
            # crashed process should not linger for the default day.
            "group_expiry": env.int("CHANNEL_GROUP_EXPIRY_SECONDS", default=3_600),
            "capacity": env.int("CHANNEL_CAPACITY", default=500),
            "expiry": 30,
        },
    }
}

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:"}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}  # each app adds its periodic tasks below

# --- Auth and the HTTP API -----------------------------------------------------------------
WS_TICKET_TTL_SECONDS = env.int("WS_TICKET_TTL_SECONDS", default=60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "telepresence.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Telepresence API",
    "DESCRIPTION": "Presence, waiting room and appointments for telemedicine.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="telepresence@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}

# --- WebSocket gateway ---------------------------------------------------------------------
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=65_536)
# How many WebSocket connects one process sets up at the same time; the rest wait their turn.
WS_CONNECT_CONCURRENCY = env.int("WS_CONNECT_CONCURRENCY", default=128)

# --- Event streams (one per user, both transports) -----------------------------------------
EVENT_STREAM_MAX_EVENTS = env.int("EVENT_STREAM_MAX_EVENTS", default=1_000)
EVENT_STREAM_TTL_SECONDS = env.int("EVENT_STREAM_TTL_SECONDS", default=86_400)
EVENTS_LONG_POLL_MAX_SECONDS = env.int("EVENTS_LONG_POLL_MAX_SECONDS", default=30)
# Live pushes sent at once by one publish; the rest follow in turn.
EVENT_PUSH_CONCURRENCY = env.int("EVENT_PUSH_CONCURRENCY", default=32)

# --- Presence (presence/) ------------------------------------------------------------------
# A client sends a heartbeat every PRESENCE_HEARTBEAT_SECONDS; a connection silent for
# PRESENCE_TIMEOUT_SECONDS is dead; the sweep runs every PRESENCE_SWEEP_SECONDS, so a vanished
# client is offline within timeout + sweep (30 s by default). A clean close of a user's last
# connection waits PRESENCE_GRACE_SECONDS for a reconnect before the user goes offline.
PRESENCE_HEARTBEAT_SECONDS = env.float("PRESENCE_HEARTBEAT_SECONDS", default=10)
PRESENCE_TIMEOUT_SECONDS = env.float("PRESENCE_TIMEOUT_SECONDS", default=20)
PRESENCE_SWEEP_SECONDS = env.float("PRESENCE_SWEEP_SECONDS", default=10)
PRESENCE_GRACE_SECONDS = env.float("PRESENCE_GRACE_SECONDS", default=5)
PRESENCE_SWEEP_BATCH = env.int("PRESENCE_SWEEP_BATCH", default=1_000)
PRESENCE_MAX_SUBSCRIPTIONS = env.int("PRESENCE_MAX_SUBSCRIPTIONS", default=500)
if not 0 < PRESENCE_HEARTBEAT_SECONDS < PRESENCE_TIMEOUT_SECONDS:
    raise ImproperlyConfigured("PRESENCE_HEARTBEAT_SECONDS must be below PRESENCE_TIMEOUT_SECONDS.")
CELERY_BEAT_SCHEDULE["presence-sweep"] = {
    "task": "presence.tasks.sweep",
    "schedule": PRESENCE_SWEEP_SECONDS,
    # A sweep that waited longer than one interval is superseded by the next one.
    "options": {"expires": PRESENCE_SWEEP_SECONDS},
}

# --- Waiting room (queueing/) --------------------------------------------------------------
# A waiting patient who goes offline keeps their place this long before the entry becomes `left`;
# a doctor holding a claim who goes offline has as long to return before it goes back to the queue.
QUEUE_AWAY_GRACE_SECONDS = env.int("QUEUE_AWAY_GRACE_SECONDS", default=120)
# Priority ageing: after this much waiting an entry counts as one urgency level more urgent...
QUEUE_AGING_SECONDS_PER_LEVEL = env.int("QUEUE_AGING_SECONDS_PER_LEVEL", default=600)
# ...but ageing alone never lifts an entry above this level (1 = resuscitation stays first).
QUEUE_AGING_MAX_PROMOTION_LEVEL = env.int("QUEUE_AGING_MAX_PROMOTION_LEVEL", default=2)
# A checked-in appointment that is due counts this many levels more urgent (< 1: it goes ahead of
# walk-ins of its own urgency, never ahead of a more urgent one).
QUEUE_APPOINTMENT_BONUS_LEVELS = env.float("QUEUE_APPOINTMENT_BONUS_LEVELS", default=0.5)
# An appointment is due from this long before its start.
QUEUE_APPOINTMENT_DUE_LEAD_SECONDS = env.int("QUEUE_APPOINTMENT_DUE_LEAD_SECONDS", default=600)
# Estimated consultation length when the queue has no finished consultation today.
QUEUE_DEFAULT_CONSULTATION_SECONDS = env.int("QUEUE_DEFAULT_CONSULTATION_SECONDS", default=600)
# Estimates shown to patients are rounded to this, so they do not flicker with every second.
QUEUE_ESTIMATE_ROUNDING_SECONDS = env.int("QUEUE_ESTIMATE_ROUNDING_SECONDS", default=60)
# Patients' positions are recomputed after each change in their queue: in a Celery task (at most
# once per debounce window per queue) or, when false, right after the commit in the same process.
QUEUE_POSITIONS_REFRESH_ASYNC = env.bool("QUEUE_POSITIONS_REFRESH_ASYNC", default=True)
QUEUE_POSITIONS_DEBOUNCE_MS = env.int("QUEUE_POSITIONS_DEBOUNCE_MS", default=500)
# How many candidates per urgency `next` reads at a time (more are read if all of them fail).
QUEUE_NEXT_BATCH_SIZE = env.int("QUEUE_NEXT_BATCH_SIZE", default=10)
QUEUE_EXPIRE_INTERVAL_SECONDS = env.float("QUEUE_EXPIRE_INTERVAL_SECONDS", default=5.0)
QUEUE_RECONCILE_INTERVAL_SECONDS = env.float("QUEUE_RECONCILE_INTERVAL_SECONDS", default=30.0)
for _name in (
    "QUEUE_AWAY_GRACE_SECONDS",
    "QUEUE_AGING_SECONDS_PER_LEVEL",
    "QUEUE_DEFAULT_CONSULTATION_SECONDS",
    "QUEUE_ESTIMATE_ROUNDING_SECONDS",
    "QUEUE_NEXT_BATCH_SIZE",
    "QUEUE_EXPIRE_INTERVAL_SECONDS",
    "QUEUE_RECONCILE_INTERVAL_SECONDS",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be greater than 0.")
if not 1 <= QUEUE_AGING_MAX_PROMOTION_LEVEL <= 5:
    raise ImproperlyConfigured("QUEUE_AGING_MAX_PROMOTION_LEVEL must be between 1 and 5.")
if not 0 <= QUEUE_APPOINTMENT_BONUS_LEVELS < 5:
    raise ImproperlyConfigured("QUEUE_APPOINTMENT_BONUS_LEVELS must be between 0 and 5.")
if QUEUE_APPOINTMENT_DUE_LEAD_SECONDS < 0 or QUEUE_POSITIONS_DEBOUNCE_MS < 0:
    raise ImproperlyConfigured(
        "QUEUE_APPOINTMENT_DUE_LEAD_SECONDS and QUEUE_POSITIONS_DEBOUNCE_MS cannot be negative."
    )
CELERY_BEAT_SCHEDULE["queue-expire-away"] = {
    "task": "queueing.tasks.expire_away",
    "schedule": QUEUE_EXPIRE_INTERVAL_SECONDS,
}
# Ageing reorders a queue with nobody doing anything: recompute everyone's position now and then.
CELERY_BEAT_SCHEDULE["queue-refresh-positions"] = {
    "task": "queueing.tasks.refresh_positions",
    "schedule": QUEUE_RECONCILE_INTERVAL_SECONDS,
}
CELERY_BEAT_SCHEDULE["queue-reconcile-presence"] = {
    "task": "queueing.tasks.reconcile_presence",
    "schedule": QUEUE_RECONCILE_INTERVAL_SECONDS,
}

# --- Appointments (appointments/) ----------------------------------------------------------
# Patients may not cancel or reschedule closer than this to the start (doctors and staff may);
# a doctor's schedule can set its own notice instead.
APPOINTMENT_CANCEL_NOTICE_SECONDS = env.int("APPOINTMENT_CANCEL_NOTICE_SECONDS", default=86_400)
# Check-in opens this long before the start and closes at the no-show cut-off.
APPOINTMENT_CHECK_IN_OPENS_SECONDS = env.int("APPOINTMENT_CHECK_IN_OPENS_SECONDS", default=900)
# A booked appointment not checked in this long after its start becomes `noshow`.
APPOINTMENT_NO_SHOW_AFTER_SECONDS = env.int("APPOINTMENT_NO_SHOW_AFTER_SECONDS", default=900)
# The reminder email goes out this long before the start (once).
APPOINTMENT_REMINDER_BEFORE_SECONDS = env.int(
    "APPOINTMENT_REMINDER_BEFORE_SECONDS", default=86_400
)
# How many waitlisted patients are told when a slot frees up (the first to book gets it).
APPOINTMENT_WAITLIST_NOTIFY_COUNT = env.int("APPOINTMENT_WAITLIST_NOTIFY_COUNT", default=3)
# Longest date range one slots request may ask for.
APPOINTMENT_SLOTS_MAX_DAYS = env.int("APPOINTMENT_SLOTS_MAX_DAYS", default=31)
# How often beat runs the no-show and reminder sweeps.
APPOINTMENT_SWEEP_INTERVAL_SECONDS = env.int("APPOINTMENT_SWEEP_INTERVAL_SECONDS", default=60)
for _name in (
    "APPOINTMENT_CANCEL_NOTICE_SECONDS", "APPOINTMENT_CHECK_IN_OPENS_SECONDS",
    "APPOINTMENT_NO_SHOW_AFTER_SECONDS", "APPOINTMENT_REMINDER_BEFORE_SECONDS",
    "APPOINTMENT_WAITLIST_NOTIFY_COUNT",
):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must not be negative.")
if APPOINTMENT_SLOTS_MAX_DAYS < 1 or APPOINTMENT_SWEEP_INTERVAL_SECONDS < 1:
    raise ImproperlyConfigured(
        "APPOINTMENT_SLOTS_MAX_DAYS and APPOINTMENT_SWEEP_INTERVAL_SECONDS must be positive."
    )
CELERY_BEAT_SCHEDULE["appointments-mark-no-shows"] = {
    "task": "appointments.tasks.mark_no_shows",
    "schedule": float(APPOINTMENT_SWEEP_INTERVAL_SECONDS),
}
CELERY_BEAT_SCHEDULE["appointments-send-reminders"] = {
    "task": "appointments.tasks.send_reminders",
    "schedule": float(APPOINTMENT_SWEEP_INTERVAL_SECONDS),
}
