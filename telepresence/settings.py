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
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

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
REDIS_CONNECT_TIMEOUT_SECONDS = env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=2.0)
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=2_000)

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

# --- Event streams (one per user, both transports) -----------------------------------------
EVENT_STREAM_MAX_EVENTS = env.int("EVENT_STREAM_MAX_EVENTS", default=1_000)
EVENT_STREAM_TTL_SECONDS = env.int("EVENT_STREAM_TTL_SECONDS", default=86_400)
EVENTS_LONG_POLL_MAX_SECONDS = env.int("EVENTS_LONG_POLL_MAX_SECONDS", default=30)

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
# (queue settings go here)

# --- Appointments (appointments/) ----------------------------------------------------------
# (appointment settings go here)
