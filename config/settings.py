"""Settings for Comrade Pay. Every value that differs between machines comes from the environment
(see the README's configuration table). Production is the default: development mode (a known
secret key, the sandbox provider, plain http) is only had with DJANGO_DEBUG=true, which `make run`,
the tests and the demo set. config/safety.py refuses to start with a setting that gives money away."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_decimal, env_int, env_list, env_str
from config.safety import (
    DEV_SANDBOX_WEBHOOK_SECRET,
    DEV_SECRET_KEY,
    require_deliberate_sandbox,
    require_production_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
if not DEBUG:
    require_production_secret_key(SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",  # logins (issue 15)
    "axes",  # logins (issue 15)
    "django_otp",  # staff two-factor (issue 15)
    "django_otp.plugins.otp_totp",  # staff two-factor (issue 15)
    "django_otp.plugins.otp_static",  # staff two-factor (issue 15)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our own static files (issue 11)
    "csp",  # the Content-Security-Policy header (issue 11)
    "django_htmx",  # request.htmx for partial responses (issue 11)
    "health_check",
    "django_prometheus",
    "pgtrigger",  # ops-db: ledger rules as triggers (PostgreSQL only)
    "pghistory",  # ops-db: history of editable rows (PostgreSQL only)
    "comrade.core",
    "comrade.accounts",
    "comrade.ledger",
    "comrade.transfers",
    "comrade.gateways",
    "comrade.groups",
    "comrade.standing_orders",
    "comrade.commerce",
    "comrade.statements",
    "comrade.bank",  # bank transfers on ISO 20022 files (issue 14)
    "comrade.web",  # the web app for people (issue 11)
    "django_structlog",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # staff two-factor (issue 15)
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # the web app (issue 11): only our own origin
    "django_htmx.middleware.HtmxMiddleware",  # the web app (issue 11)
    "axes.middleware.AxesMiddleware",  # logins (issue 15): after the others that handle the request
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # last: measures the whole response
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comrade.web.context_processors.currency",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # with "database is locked" halfway through a transfer; WAL lets readers run beside them.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Comrade Pay <no-reply@comrade.local>")
# Email verification (README "Email verification"): link lifetime and how often a user may ask again.
EMAIL_VERIFICATION_MAX_AGE_HOURS = env_int("EMAIL_VERIFICATION_MAX_AGE_HOURS", 72)
EMAIL_VERIFICATION_RESEND_RATE = env_str("EMAIL_VERIFICATION_RESEND_RATE", "5/hour")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "comrade.core.pagination.DefaultPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("THROTTLE_USER_RATE", "1000/hour"),
        "anon": env_str("THROTTLE_ANON_RATE", "100/hour"),
    },
    "EXCEPTION_HANDLER": "comrade.core.errors.exception_handler",
    # The JSON parser refuses deep nesting with a 400 instead of a RecursionError (a 500).
    "DEFAULT_PARSER_CLASSES": [
        "comrade.core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Comrade Pay API",
    "DESCRIPTION": "Wallets, transfers, groups, standing orders and commerce on a double-entry ledger.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"StatementKindEnum": ["wallet", "group"]},
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files, never a CDN (issue 11).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Money
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "USD")
MAX_TRANSACTION_AMOUNT = env_decimal("MAX_TRANSACTION_AMOUNT", "1000000.00")
# Revenue is credited to one of this many accounts per stream (revenue:sales, revenue:sales:1, ...),
# chosen by the payer's account, so that purchases by different people do not queue on one row.
# 1 puts everything on revenue:sales / revenue:subscriptions as before. Money stays in the shard it
# was paid into when this changes: readers sum every shard and refunds debit the sale's own shard.
# 64: with 8 purchases in flight, 16 shards still made them wait on each other (docs/performance.md).
LEDGER_REVENUE_SHARDS = env_int("LEDGER_REVENUE_SHARDS", 64)
if LEDGER_REVENUE_SHARDS < 1:
    raise ImproperlyConfigured("LEDGER_REVENUE_SHARDS must be at least 1.")

# HTTPS protections: on whenever DEBUG is off; each is turned off only by its own variable.
# The proxy header is trusted only behind a proxy that sets it and strips it from clients (README).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Subscription tiers and their limits: the one place they are defined (see comrade/limits.py).
# None means unlimited. Prices are per period; a period is PERIOD_DAYS long.
SUBSCRIPTION_PERIOD_DAYS = env_int("SUBSCRIPTION_PERIOD_DAYS", 30)
SUBSCRIPTION_TIERS = {
    "BASIC": {
        "price": "0.00",
        "max_group_members": 3,
        "max_purchases_per_month": 6,
        "max_groups_created": 3,
        "max_purchase_amount": "500.00",
        "transactions_per_hour": 1000,
    },
    "STANDARD": {
        "price": "9.99",
        "max_group_members": 7,
        "max_purchases_per_month": 25,
        "max_groups_created": 10,
        "max_purchase_amount": "2000.00",
        "transactions_per_hour": 1000,
    },
    "PREMIUM": {
        "price": "19.99",
        "max_group_members": 12,
        "max_purchases_per_month": 45,
        "max_groups_created": 20,
        "max_purchase_amount": "10000.00",
        "transactions_per_hour": 1000,
    },
    "ENTERPRISE": {
        "price": "49.99",
        "max_group_members": None,
        "max_purchases_per_month": None,
        "max_groups_created": None,
        "max_purchase_amount": None,
        "transactions_per_hour": 1000,
    },
}

# External payment providers. A provider is enabled only when its settings are present.
SANDBOX_PAYMENTS_ENABLED = env_bool("SANDBOX_PAYMENTS_ENABLED", DEBUG)
SANDBOX_WEBHOOK_SECRET = env_str("SANDBOX_WEBHOOK_SECRET", DEV_SANDBOX_WEBHOOK_SECRET)
SANDBOX_WEBHOOK_DELIVERY = env_str(
    "SANDBOX_WEBHOOK_DELIVERY", "http"
)  # "http" posts to SITE_URL; "inline" calls in-process
STRIPE_API_KEY = env_str("STRIPE_API_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
PAYPAL_CLIENT_ID = env_str("PAYPAL_CLIENT_ID")
PAYPAL_SECRET = env_str("PAYPAL_SECRET")
PAYPAL_WEBHOOK_ID = env_str("PAYPAL_WEBHOOK_ID")
PAYPAL_API_BASE = env_str("PAYPAL_API_BASE", "https://api-m.sandbox.paypal.com")
MPESA_CONSUMER_KEY = env_str("MPESA_CONSUMER_KEY")
MPESA_CONSUMER_SECRET = env_str("MPESA_CONSUMER_SECRET")
MPESA_SHORTCODE = env_str("MPESA_SHORTCODE")
MPESA_PASSKEY = env_str("MPESA_PASSKEY")
MPESA_INITIATOR_NAME = env_str("MPESA_INITIATOR_NAME")
MPESA_SECURITY_CREDENTIAL = env_str("MPESA_SECURITY_CREDENTIAL")
MPESA_CALLBACK_SECRET = env_str("MPESA_CALLBACK_SECRET")
MPESA_API_BASE = env_str("MPESA_API_BASE", "https://sandbox.safaricom.co.ke")
if SANDBOX_PAYMENTS_ENABLED and not DEBUG:
    require_deliberate_sandbox(
        webhook_secret=SANDBOX_WEBHOOK_SECRET,
        real_providers=[
            name
            for name, credential in (
                ("Stripe", STRIPE_API_KEY),
                ("PayPal", PAYPAL_CLIENT_ID),
                ("M-Pesa", MPESA_CONSUMER_KEY),
            )
            if credential
        ],
    )
# Bank transfers (docs/external_payments.md, "Bank transfers"): the platform's own account that
# customers pay into (shown with each wallet's RF reference); the `bank` provider is enabled when
# the IBAN and BIC are set. Where the statement job reads files from ("" = the job does nothing),
# the largest statement file accepted, and after how many days a payout sent in a pain.001 file
# that no statement has debited or returned is flagged for staff.
BANK_ACCOUNT_NAME = env_str("BANK_ACCOUNT_NAME", "Comrade Pay (development)" if DEBUG else "")
BANK_ACCOUNT_IBAN = env_str("BANK_ACCOUNT_IBAN", "DE89370400440532013000" if DEBUG else "")
BANK_ACCOUNT_BIC = env_str("BANK_ACCOUNT_BIC", "COBADEFFXXX" if DEBUG else "")
BANK_STATEMENT_INBOX = env_str("BANK_STATEMENT_INBOX")
BANK_STATEMENT_MAX_BYTES = env_int("BANK_STATEMENT_MAX_BYTES", 10 * 1024 * 1024)
BANK_STATEMENT_JOB_SECONDS = env_int("BANK_STATEMENT_JOB_SECONDS", 300)
BANK_PAYOUT_OVERDUE_DAYS = env_int("BANK_PAYOUT_OVERDUE_DAYS", 5)
BANK_EXPORT_JOB_SECONDS = env_int("BANK_EXPORT_JOB_SECONDS", 3600)
# Development only: a job plays staff and the bank (comrade/bank/fakebank.py), so under `make run`
# a withdrawal to a bank account is filed, "executed" and imported within a minute.
FAKE_BANK_ENABLED = env_bool("FAKE_BANK_ENABLED", DEBUG)
if FAKE_BANK_ENABLED and not DEBUG:
    raise ImproperlyConfigured("FAKE_BANK_ENABLED books statements no bank sent: it is for development only.")
PROVIDER_TIMEOUT_SECONDS = env_int("PROVIDER_TIMEOUT_SECONDS", 10)
EXTERNAL_PAYMENT_TTL_MINUTES = env_int("EXTERNAL_PAYMENT_TTL_MINUTES", 60)

# Standing orders and the scheduler (docs/standing_orders.md)
STANDING_ORDER_MAX_RETRIES = env_int("STANDING_ORDER_MAX_RETRIES", 3)  # retries of a period after insufficient funds
STANDING_ORDER_RETRY_MINUTES = env_int("STANDING_ORDER_RETRY_MINUTES", 60)
STANDING_ORDER_CATCH_UP = env_str("STANDING_ORDER_CATCH_UP", "all")  # "all" missed periods, or only the "latest"
if STANDING_ORDER_CATCH_UP not in ("all", "latest"):
    raise RuntimeError("STANDING_ORDER_CATCH_UP must be 'all' or 'latest'")
STANDING_ORDER_JOB_SECONDS = env_int("STANDING_ORDER_JOB_SECONDS", 60)
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", 30)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL  # no broker: tasks run in-process, nothing else to start
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", "/tmp/comrade-celerybeat-schedule")

# Commerce (docs/commerce.md): tier prices may be overridden per deployment; renewal grace and retry.
for _tier_name, _tier in SUBSCRIPTION_TIERS.items():
    _tier["price"] = env_str(f"SUBSCRIPTION_PRICE_{_tier_name}", _tier["price"])
SUBSCRIPTION_GRACE_DAYS = env_int("SUBSCRIPTION_GRACE_DAYS", 3)
SUBSCRIPTION_RETRY_HOURS = env_int("SUBSCRIPTION_RETRY_HOURS", 24)
RECOMMENDATIONS_DEFAULT_LIMIT = env_int("RECOMMENDATIONS_DEFAULT_LIMIT", 10)

# Statements (docs/statements.md): the longest period one statement covers, how many movements a
# PDF may hold (CSV and JSON stream without a limit), and rows fetched per database round trip.
STATEMENT_MAX_DAYS = env_int("STATEMENT_MAX_DAYS", 366)
STATEMENT_PDF_MAX_ROWS = env_int("STATEMENT_PDF_MAX_ROWS", 5000)
STATEMENT_CHUNK_SIZE = env_int("STATEMENT_CHUNK_SIZE", 2000)

# Payment groups (docs/groups.md)
GROUP_INVITATION_EXPIRY_DAYS = env_int("GROUP_INVITATION_EXPIRY_DAYS", 7)
GROUP_INVITATION_JOB_SECONDS = env_int("GROUP_INVITATION_JOB_SECONDS", 300)
GROUP_APPROVAL_EXPIRY_HOURS = env_int("GROUP_APPROVAL_EXPIRY_HOURS", 72)
GROUP_DUES_JOB_SECONDS = env_int("GROUP_DUES_JOB_SECONDS", 300)  # dues obligations, reminders, automatic rotation
STRIPE_CONFIRMATION_URL = env_str("STRIPE_CONFIRMATION_URL")  # only for test servers without next_action URLs

# A retry that arrives while the first request with its Idempotency-Key is still running waits
# this long for the first answer before it is told 409.
IDEMPOTENCY_WAIT_SECONDS = env_int("IDEMPOTENCY_WAIT_SECONDS", 10)
# A request that claimed an Idempotency-Key and did not answer within this long is taken as dead
# (see comrade/core/idempotency.py); keep it above the longest request (gunicorn's timeout).
IDEMPOTENCY_STALE_SECONDS = env_int("IDEMPOTENCY_STALE_SECONDS", 120)

# Money at the edges (docs/external_payments.md, "Reconciliation"): open payments are asked about
# after RECONCILE_AFTER_MINUTES, again after a backoff that doubles from BASE up to MAX, and are
# flagged for staff after RECONCILE_FLAG_AFTER_MINUTES.
RECONCILE_AFTER_MINUTES = env_int("RECONCILE_AFTER_MINUTES", 15)
RECONCILE_BACKOFF_BASE_SECONDS = env_int("RECONCILE_BACKOFF_BASE_SECONDS", 60)
RECONCILE_BACKOFF_MAX_SECONDS = env_int("RECONCILE_BACKOFF_MAX_SECONDS", 6 * 3600)
RECONCILE_FLAG_AFTER_MINUTES = env_int("RECONCILE_FLAG_AFTER_MINUTES", 24 * 60)
RECONCILE_JOB_SECONDS = env_int("RECONCILE_JOB_SECONDS", 120)
# Webhooks: a larger body is refused (413); each source address may send WEBHOOK_THROTTLE_RATE;
# rejected requests are kept (a short excerpt only) for WEBHOOK_REJECTED_RETENTION_DAYS.
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 64 * 1024)
WEBHOOK_THROTTLE_RATE = env_str("WEBHOOK_THROTTLE_RATE", "600/minute")
WEBHOOK_REJECTED_RETENTION_DAYS = env_int("WEBHOOK_REJECTED_RETENTION_DAYS", 30)

# Retention (the purge_old_records job, comrade/core/retention.py): answered Idempotency-Keys are
# forgotten after this many days, so a retry later than that runs as a new request.
IDEMPOTENCY_RETENTION_DAYS = env_int("IDEMPOTENCY_RETENTION_DAYS", 7)  # Stripe keeps keys 24 hours
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000)
RETENTION_JOB_SECONDS = env_int("RETENTION_JOB_SECONDS", 3600)

# --- Logs and errors (issue 15; README "Running in production" > "Logs and errors") ---------------
# JSON lines in production, readable text in development; request_id, user_id, transaction_token,
# job and task ids ride along on every line (config/logging.py). Sentry only when SENTRY_DSN is set,
# with money fields and secrets scrubbed before an event leaves (config/sentry.py).
from config.logging import configure_structlog, logging_config  # noqa: E402
from config.sentry import init_sentry  # noqa: E402

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
configure_structlog()
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = env_bool("LOG_CLIENT_IP", True)
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
SENTRY_RELEASE = env_str("SENTRY_RELEASE")
init_sentry(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    release=SENTRY_RELEASE,
)

# --- Operations: health, metrics, static files (issue 15; docs/operations-health.md) ---
# /health/ checks the scheduler's heartbeat only where a scheduler must run (production default).
SCHEDULER_REQUIRED = env_bool("SCHEDULER_REQUIRED", not DEBUG)
# /metrics answers a direct caller from these addresses or networks, or a bearer METRICS_TOKEN.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Probes and scrapers talk plain http to gunicorn itself, not through the TLS proxy: no redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
# Static files served by whitenoise under gunicorn: hashed and compressed by `collectstatic` in
# production; the plain storage in development and tests, which need no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "comrade.core.staticfiles.ForgivingManifestStaticFilesStorage"
    },
}
# Development and the tests serve straight from the apps' static folders, no collectstatic (named
# here because the test runner turns settings.DEBUG off, whitenoise's default for both).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG


# ---------------------------------------------------------------------------------------------
# Logins and staff two-factor (issue 15; docs/operations-logins.md, README "Logins").
# django-axes counts failed logins on the admin, /api-auth/login/ and /api/auth/token/ and locks
# out one (email, client IP) pair after AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES;
# a success resets the count. Locking the pair (not the account alone) keeps a stranger from
# locking a user out of their own account from another address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "comrade.accounts.lockout.login_username"
AXES_LOCKOUT_CALLABLE = "comrade.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "new_password"]
# The client address axes counts by: REMOTE_ADDR, or behind LOGIN_PROXY_COUNT trusted proxies that
# each append to X-Forwarded-For, the address the outermost of them saw (never one the client wrote).
LOGIN_PROXY_COUNT = env_int("LOGIN_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "comrade.accounts.lockout.client_address"

# Refresh tokens are single use: each refresh answers a new one and blacklists the old.
SIMPLE_JWT["ROTATE_REFRESH_TOKENS"] = True
SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"] = True
SIMPLE_JWT["TOKEN_OBTAIN_SERIALIZER"] = "comrade.accounts.tokens.TokenObtainPairSerializer"

# Password reset by email (POST /api/auth/password-reset/): links last PASSWORD_RESET_TIMEOUT.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 3600)
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE", "5/hour")  # per client address, each endpoint
# Your app's reset page, with {uid} and {token} placeholders; empty: the email gives both values.
PASSWORD_RESET_URL = env_str("PASSWORD_RESET_URL")

# Staff two-factor: TOTP devices enrolled with `manage.py otp_enrol <email>`.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Comrade Pay")
# --- ops-db: database rules as code and history of editable rows (issue 15) ---------------------
# The ledger's triggers are declared on the models (django-pgtrigger) and installed by migrations
# (ledger 0006), not at every migrate; history (django-pghistory) is kept by triggers too. Both are
# PostgreSQL-only: on SQLite nothing is installed and the model layer alone guards the ledger.
PGTRIGGER_MIGRATIONS = True
PGTRIGGER_INSTALL_ON_MIGRATE = False
# History: the request's user and path are attached to every history row a request writes.
# pghistory's context is PostgreSQL-only (it prefixes statements with set_config), so the
# middleware is only added there; on SQLite the history tables stay empty. It is skipped on the
# paths below, which write no history-tracked row (the transfer path: issue 12).
HISTORY_CONTEXT_SKIP_PATHS = frozenset({"/payments/transactions/create_transaction/"})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "comrade.core.history.HistoryMiddleware",
    )

# --- The web app (issue 11; comrade/web) ---
LOGIN_URL = "auth:login"
LOGIN_REDIRECT_URL = "wallet:home"
LOGOUT_REDIRECT_URL = "auth:login"
# A failed CSRF check shows a page (or, for htmx, a fragment) instead of Django's debug-ish 403.
CSRF_FAILURE_VIEW = "comrade.web.auth.views.csrf_failure"
# Content-Security-Policy (django-csp 4): every page, the admin and the API docs load scripts,
# styles, fonts, images and requests from our own origin only; no inline script or style, no eval.
# htmx runs under it with allowEval off (base.html). The admin's one inline <style> (the changelist
# without actions) is dropped by the browser, which only widens a column: no exception is needed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
