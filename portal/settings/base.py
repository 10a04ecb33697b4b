"""Settings for every environment.

Every value that comes from the environment is read in this module, through django-environ, and checked
here: a malformed value stops start-up with a message naming the variable. With nothing set, the portal runs
on embedded defaults (SQLite, tasks inline, email printed to the console), which is what `make run` uses.
Production differs only by environment variables, never by another settings file.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


_DATABASE_ENGINES = {
    "django.db.backends.postgresql": "PostgreSQL",
    "django.db.backends.sqlite3": "SQLite",
}


def _database(url: str) -> dict:
    hint = "expected e.g. postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3"
    if "://" not in url:
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} is not a URL; {hint}.")
    config = env.db_url_config(url)
    if config.get("ENGINE") not in _DATABASE_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_URL uses the scheme {urlsplit(url).scheme!r}, which the portal does not support; {hint}."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database; {hint}.")
    config["CONN_MAX_AGE"] = _int("DATABASE_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    planner = _planner_options()  # read (and refused when malformed) whichever the database
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(filter(None, [options.get("options", ""), *planner]))
        # A database host that drops packets must not hold a page (or /healthz) until TCP gives up.
        options.setdefault("connect_timeout", 3)
    return config


def _planner_options() -> list[str]:
    """How the portal's sessions ask PostgreSQL to plan (docs/operations.md, "Database planner settings").

    The defaults suit a database that is mostly in memory or on SSD, and a web workload of many short queries:
    a random read costs about what a sequential one does (PostgreSQL assumes four times as much, for spinning
    disks, and then prefers to walk a whole index over reading an organisation's own), and no query starts
    parallel workers (starting them costs more than any page's query takes).
    """
    cost = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1").strip()
    try:
        if float(cost) <= 0:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(f"DATABASE_RANDOM_PAGE_COST={cost!r} is not a positive number.") from None
    workers = _int("DATABASE_PARALLEL_WORKERS", 0)
    return [f"-c random_page_cost={cost}", f"-c max_parallel_workers_per_gather={workers}"]


def _redis(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ImproperlyConfigured(f"REDIS_URL={url!r} is not a Redis URL; expected e.g. redis://127.0.0.1:6379/0.")
    return url


_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
}


def _mailer(url: str) -> dict:
    """EMAIL_URL as Django 6.1's MAILERS entry."""
    try:
        config = env.email_url_config(url)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            f"EMAIL_URL={url!r} is not understood; expected e.g. smtp://user:password@host:587, "
            "smtp+tls://..., or consolemail:// (print to the console)."
        ) from None
    backend = config["EMAIL_BACKEND"]
    if backend.endswith("filebased.EmailBackend"):
        # django-environ drops the leading slash of filemail:///absolute/path; read the path ourselves.
        path = urlsplit(url).path
        if not path:
            raise ImproperlyConfigured(f"EMAIL_URL={url!r} names no folder; expected filemail:///absolute/folder.")
        return {"BACKEND": backend, "OPTIONS": {"file_path": path}}
    if not backend.endswith("smtp.EmailBackend"):
        return {"BACKEND": backend}
    if not config.get("EMAIL_HOST"):
        raise ImproperlyConfigured(f"EMAIL_URL={url!r} names no mail server host.")
    options = {option: config[key] for key, option in _SMTP_OPTIONS.items() if config.get(key) not in (None, "")}
    options["timeout"] = 20
    return {"BACKEND": backend, "OPTIONS": options}


# --- Core -------------------------------------------------------------------------------------------------

DEBUG = _bool("DEBUG", default=False)
# Without SECRET_KEY the portal runs on a development key that `manage.py check --deploy` reports (W009).
SECRET_KEY = env.str("SECRET_KEY", default="") or "django-insecure-development-key-for-the-embedded-defaults"
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY is shorter than 32 characters; use a long random value.")


def _hosts(raw: str) -> list[str]:
    hosts = [host.strip() for host in raw.split(",")]
    if not raw.strip() or any(not host for host in hosts):
        raise ImproperlyConfigured(
            f"ALLOWED_HOSTS={raw!r} has an empty entry; give a comma-separated list of host names."
        )
    return hosts


ALLOWED_HOSTS = _hosts(env.str("ALLOWED_HOSTS", default="127.0.0.1,localhost"))
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if urlsplit(SITE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # search fields and indexes; inert on SQLite
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "portal",
    "accounts",
    "workflow",
    "tickets",
]

MIDDLEWARE = [
    # First, so that every response (redirects to HTTPS and static files too) and every log line carry the id.
    "portal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Static files from the web process itself (compressed, with cache headers); no separate file server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "accounts.middleware.PersonalPreferencesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Form widgets render with the project's templates too (the priority choice shows each priority's meaning); the
# label and Django's common widgets are written in Python, as Django's templates would (portal/forms_renderer.py).
FORM_RENDERER = "portal.forms_renderer.PortalFormRenderer"

# --- Data -------------------------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="")
if not DATABASE_URL:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its SQLite file in var/, which git ignores
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _redis(env.str("REDIS_URL")) if env.str("REDIS_URL", default="") else ""
if REDIS_URL:
    # Falls back to each process's memory while Redis is unreachable (portal/cache.py): nothing in it is essential.
    CACHES = {"default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
else:
    # One process in development: a local-memory cache is enough for allauth's rate limits.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Tasks (Celery) ---------------------------------------------------------------------------------------
# Without REDIS_URL every task runs inline, in the process that queued it.

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Publishing a task must not hang a web request when Redis is down: the outbox sweep delivers later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email ------------------------------------------------------------------------------------------------

MAILERS = {"default": _mailer(env.str("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Support <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Replies to notifications go to reply+<request>.<token>@REPLY_DOMAIN; Message-IDs use the same domain.
REPLY_DOMAIN = env.str("REPLY_DOMAIN", default="") or DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").strip()
if not REPLY_DOMAIN or " " in REPLY_DOMAIN:
    raise ImproperlyConfigured(
        f"REPLY_DOMAIN={REPLY_DOMAIN!r} is not a mail domain; set REPLY_DOMAIN=support.example.com."
    )
# Email in: mail to this address that answers nothing opens a new request; IMAP_URL (imap[s]://user:password@
# host[:port]/FOLDER) is polled by beat when set. Larger messages are refused whole.
SUPPORT_ADDRESS = env.str("SUPPORT_ADDRESS", default="") or DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
IMAP_URL = env.str("IMAP_URL", default="")
if IMAP_URL and urlsplit(IMAP_URL).scheme not in {"imap", "imaps"}:
    raise ImproperlyConfigured("IMAP_URL must look like imaps://user:password@mail.example.com/INBOX.")
INBOUND_MAX_BYTES = _int("INBOUND_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# An undelivered email is retried with growing waits, then given up (kept in the outbox, marked failed).
OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)

# --- People and sign-in -----------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "tickets:my_requests"

ACCOUNT_ADAPTER = "accounts.adapter.PortalAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRECONFIRM_EMAIL_ADDRESSES = True
# A reset asked for an unknown address sends nothing: allauth's default mail would invite to the closed sign-up.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# allauth's rate limits stay on (sign-ins, failed sign-ins, password resets); only the failed sign-in limit is
# tunable here: per IP per minute, and per address over a window.
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{_int('LOGIN_ATTEMPTS_LIMIT', 5, minimum=1)}/"
    f"{_int('LOGIN_ATTEMPTS_TIMEOUT', 300, minimum=1)}s/key",
}

# Two-factor sign-in with an authenticator app (allauth's MFA): anyone may enrol under "Two-factor
# authentication"; with MFA_REQUIRED_FOR_STAFF (on unless DEBUG) agents and site admins must enrol before any
# other page opens for them (accounts.middleware.StaffTwoFactorMiddleware).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Support portal"
MFA_REQUIRED_FOR_STAFF = _bool("MFA_REQUIRED_FOR_STAFF", default=not DEBUG)

# --- HTTPS and security headers ---------------------------------------------------------------------------

# With HTTPS (on unless DEBUG) the portal is only served over HTTPS: plain HTTP is redirected, the session and CSRF
# cookies are only sent over HTTPS, and HSTS tells browsers to use nothing else for HSTS_SECONDS (a year; 0 leaves
# the header out, e.g. while trying HTTPS for the first time). HTTPS=0 is for plain HTTP on a machine of one's own;
# `make run` (DEBUG=1) serves plain HTTP already.
HTTPS = _bool("HTTPS", default=not DEBUG)
_hsts_seconds = _int("HSTS_SECONDS", 365 * 24 * 60 * 60)  # read (and refused when malformed) with HTTPS off too
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer may probe over plain HTTP on the private network
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _hsts_seconds if HTTPS else 0
# The header covers the portal's own subdomains and allows preloading; it puts nobody on a browser's preload list
# (that takes a submission for the whole domain).
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Load balancers probe over plain HTTP and take a redirect for a failure; /healthz holds nothing to protect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a proxy that terminates TLS every request arrives as plain HTTP and would be redirected to itself forever.
# PROXY_SETS_X_FORWARDED_PROTO=1 says the proxy sets X-Forwarded-Proto on every request, replacing any a client
# sent; only then is the header believed.
if _bool("PROXY_SETS_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Every response, in development too (so the browser tests meet what it blocks): scripts and styles only from the
# portal's own static files, never inline (portal/tests/test_security_headers.py scans templates/ for any). A page
# gets a nonce only when a template asks for one, as Django's admin templates do; the portal's own never need one.
# data: images are the empty favicon and the QR code of a new authenticator (allauth's MFA).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Language and time ------------------------------------------------------------------------------------

# The languages of the source documents (SPEC §12). A person's own choice (their profile) wins, then the
# language they picked in the header (a cookie), then the browser's Accept-Language, then English. Names are
# shown in their own language, so nobody needs to read English to find theirs.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "español"),
    ("id", "Bahasa Indonesia"),
    ("ja", "日本語"),
    ("ko", "한국어"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Stored times are UTC; pages and emails show them in the person's own timezone (their profile). Counts are
# grouped per locale with intcomma; request numbers never are (USE_THOUSAND_SEPARATOR stays off).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even before the first collectstatic
# collectstatic also writes gzipped copies, which whitenoise serves; in DEBUG nothing changes. Not the manifest
# variant: with it, `{% static %}` raises for any file missing from a manifest that only collectstatic writes, so
# the test suite (DEBUG off, no collectstatic) and a deploy that skipped the step would fail on every page.


def _attachment_storage() -> dict:
    """Where attachments are kept: `local` (MEDIA_ROOT, the default) or `s3`, any S3-compatible object store via
    django-storages. Either way they are read through the storage and streamed by the visibility gate; the store
    is private and its URLs are never handed out."""
    kind = env.str("ATTACHMENT_STORAGE", default="local").strip().lower()
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"ATTACHMENT_STORAGE={kind!r} is not one of: local, s3.")
    bucket = env.str("S3_BUCKET", default="").strip()
    if not bucket:
        raise ImproperlyConfigured("ATTACHMENT_STORAGE=s3 needs S3_BUCKET (and credentials, see docs/operations.md).")
    options = {
        "bucket_name": bucket,
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        # Without these boto3 finds credentials and region itself (AWS_* variables, an instance role).
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("S3_REGION", default="") or None,
        "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": _attachment_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments live outside the static root and are only ever served through the visibility gate.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # no URL pattern serves it: files go out only through tickets:attachment

ATTACHMENT_MAX_BYTES = _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
ATTACHMENT_MAX_COUNT = _int("ATTACHMENT_MAX_COUNT", 5, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Portal -----------------------------------------------------------------------------------------------

REQUESTS_PER_PAGE = _int("REQUESTS_PER_PAGE", 25, minimum=1)
# Lists count their rows up to these numbers and beyond them say "more than …" (tickets.listing.CappedPaginator):
# an exact count costs as much as reading every row, which an organisation with 100,000 requests, or a word in
# a tenth of them, would pay on every page.
LIST_COUNT_LIMIT = _int("LIST_COUNT_LIMIT", 10_000, minimum=1)
SEARCH_COUNT_LIMIT = _int("SEARCH_COUNT_LIMIT", 100, minimum=1)
# A request's page shows this many of the latest replies; earlier ones are behind "Show the whole conversation".
THREAD_LATEST = _int("THREAD_LATEST", 20, minimum=1)
# What every reader of a request's page shares (its conversation, an agent's panel) is kept in the cache this long
# at most (tickets.thread); any change is seen at once all the same. 0 keeps nothing.
REQUEST_PAGE_CACHE_SECONDS = _int("REQUEST_PAGE_CACHE_SECONDS", 3600, minimum=0)

# Logs go to standard error, one JSON object per line (portal/logs.py), each with the id of the request it was
# written for (portal/request_id.py); LOG_FORMAT=text writes the same as plain lines, for reading in a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not one of: json, text.")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.request_id.RequestIdFilter"}},
    "formatters": {"json": {"()": "portal.logs.JsonFormatter"}, "text": {"()": "portal.logs.TextFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
