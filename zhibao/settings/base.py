"""Settings shared by every environment. Everything that varies comes from the environment."""

import datetime as dt
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from zhibao.env import env, env_bool, env_int, env_list

# Generic Django classes written with their type arguments (DecimalField[...], Paginator[...]) also work at
# run time, not only under mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("ZHIBAO_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # First, so its admin templates override the stock ones.
    "backoffice",
    "backoffice.apps.ZhibaoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # OpClass in index expressions (claims.tracking.PatternIndex); its other pieces act on PostgreSQL only.
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "audit",
    "catalogue",
    "accounts",
    "merchants",
    "policies",
    "claims",
    "ledger",
    "notices",
    "integrations",
    "pricing",
    "reports",
    "portal",
    "ops",
    "payments",
]

MIDDLEWARE = [
    # First: load balancers' probes skip host checks, the HTTPS redirect and everything else.
    "ops.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "integrations.api.errors.JsonErrorsUnderApiMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhibao.urls"
WSGI_APPLICATION = "zhibao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The site-wide pages that belong to no one app (the sign-in lockout of the admin and the portal).
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhibao.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
# Behind PgBouncer in transaction mode (production's pooler; CI and the bench run the same): a server
# connection serves one transaction of a client, then another client's, so nothing may outlive a
# transaction on it. A server-side cursor declared WITH HOLD (Django's iterator() outside a
# transaction) would, and so would a statement psycopg prepared after its fifth run. (SQLite has no pooler.)
_postgresql = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if env_bool("DATABASE_TRANSACTION_POOLING", False) and _postgresql:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
# Reports, exports, bordereaux and the figures read from a streaming replica when one is named; every
# write, and every other read, goes to the primary (kernel.replica, README "Production engines").
REPLICA_DATABASE_URL = env("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(REPLICA_DATABASE_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]),
        **{
            key: DATABASES["default"][key]
            for key in ("DISABLE_SERVER_SIDE_CURSORS", "OPTIONS")
            if key in DATABASES["default"]
        },
    }
DATABASE_ROUTERS = ["kernel.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # Bulk API calls stay one statement per table (see zhibao/db/sqlite3).
    DATABASES["default"]["ENGINE"] = "zhibao.db.sqlite3"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins from a locked-out name and address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling on the admin and the portal (django-axes): a user name that fails
# AXES_FAILURE_LIMIT times in a row from one address waits AXES_COOLOFF_MINUTES. Name and address
# together, so that nobody can lock a colleague out from elsewhere by guessing their name.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
# No "AXES: BEGIN" banner per process, nor a log line per sign-in: `make run` ends on the logins.
# Lockouts are still logged (axes' warnings).
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Site-wide files that belong to no app (the favicon), as templates/ holds site-wide templates.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))

# Evidence and other uploads: local files by default, S3-compatible storage when a bucket is named.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            # Evidence is proof: a second upload must never replace the first.
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/" + MEDIA_URL},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "/portal/login/"

# Cookies: never readable by scripts, never sent on another site's POST (production adds Secure).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# A merchant's stale form gets the portal's page telling them to reload it; elsewhere Django's page.
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp; Django 5.2 has none built in). Scripts and styles come
# from our own static files only: no inline code, no eval, no other origin.
# tests/security/test_headers.py fails if an admin or portal page carries inline code it would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# One cache for every process where CACHE_URL names a Redis database (so that an API client's
# budget is counted across web workers, and webhook subscribers are read once per change). Without
# it, the embedded default is a file-based cache under var/cache, shared by every process of this
# machine (README "Settings" says why files rather than database rows); its folder is made when the
# cache is first used. Production refuses to start without CACHE_URL (ops.checks).
CACHE_URL = env("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
}
# Production sets this: a machine's embedded cache cannot be shared by several machines.
ZHIBAO_REQUIRE_CACHE_URL = False

# Celery: an embedded filesystem broker by default, so a new machine needs nothing running.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Which queues each exchange feeds (the workers' control messages); kombu's default is ./control.
        "control_folder": str(_broker_dir / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # A task whose worker died unacknowledged goes back on the queue after this many seconds.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        # How often workers look for such tasks (kombu's default looks every 100 s).
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": 1,
    }
)
# The embedded defaults keep their state under var/; its folders are made where they are used, never at
# import (the SQLite backend zhibao.db.sqlite3 makes the database's, zhibao.celery the broker's and beat's).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task at a time per worker process: a long task (a month's bordereaux, the audit chain) never
# sits reserved behind another, and a killed worker takes only the task it was running with it.
# Production's short-task pools raise it on their command line (docs/operations.md).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# A queue per workload, so that a month's bordereaux or a slow receiver never holds up a payout:
# production gives each its own pool (docs/operations.md). A worker started without -Q consumes
# every queue of CELERY_TASK_QUEUES (the embedded worker of `make run`, the tests' real workers).
CELERY_TASK_DEFAULT_QUEUE = "default"
ZHIBAO_QUEUES = ("default", "webhooks", "payouts", "email", "sweeps", "reports")
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ZHIBAO_QUEUES]
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_TASK_ROUTES = {
    "integrations.tasks.deliver_webhooks": {"queue": "webhooks"},
    "integrations.tasks.send_due_webhooks": {"queue": "webhooks"},
    "integrations.tasks.publish_daily_root": {"queue": "webhooks"},
    # A publication's first webhook attempts; its e-mails go on to the e-mail queue from there.
    "notices.tasks.dispatch": {"queue": "webhooks"},
    "notices.tasks.email_notices": {"queue": "email"},
    "accounts.tasks.send_invitation": {"queue": "email"},
    "claims.tasks.pay_out": {"queue": "payouts"},
    "payments.tasks.send_payout": {"queue": "payouts"},
    "payments.tasks.check_payout": {"queue": "payouts"},
    "payments.tasks.check_due_payouts": {"queue": "payouts"},
    "payments.tasks.retry_refused_payouts": {"queue": "payouts"},
    "claims.tasks.process_deadlines": {"queue": "sweeps"},
    "claims.tasks.fill_review_pool": {"queue": "sweeps"},
    "claims.tasks.fill_review_pools": {"queue": "sweeps"},
    "claims.tasks.refresh_figures": {"queue": "reports"},
    "integrations.tasks.purge_idempotency_records": {"queue": "sweeps"},
    "notices.tasks.maintain_partitions": {"queue": "sweeps"},
    # The long ones: minutes over a month's or a day's rows.
    "payments.tasks.reconcile_payouts": {"queue": "reports"},
    "reports.tasks.make_bordereaux": {"queue": "reports"},
    "pricing.tasks.recompute_rates": {"queue": "reports"},
    "audit.tasks.verify_audit_chain": {"queue": "reports"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every entry expires: a beat message still queued when the next one of its kind is due (its
# workers were down or busy) is dropped instead of run late, so a backlog of minute sweeps never
# piles up behind an outage. The daily and monthly jobs keep theirs for most of a day: their next
# run is far off, and each makes what is missing, never twice.
MINUTE, HOUR, DAY = 60, 3600, 86400
CELERY_BEAT_SCHEDULE = {
    "process-deadlines": {
        "task": "claims.tasks.process_deadlines",
        "schedule": 60.0,
        "options": {"expires": MINUTE - 5},
    },
    # R-ASSIGN-1: pool claims a fill skipped (locked at the time) or whose fill task was lost.
    "fill-review-pools": {
        "task": "claims.tasks.fill_review_pools",
        "schedule": 60.0,
        "options": {"expires": MINUTE - 5},
    },
    # R-KPI-1: the figures' daily rollups, rebuilt for the days that changed.
    "refresh-figures": {
        "task": "claims.tasks.refresh_figures",
        "schedule": 60.0,
        "options": {"expires": MINUTE - 5},
    },
    # Webhook retries (and first attempts whose task was lost); the rows are the retry state.
    "send-due-webhooks": {
        "task": "integrations.tasks.send_due_webhooks",
        "schedule": 60.0,
        "options": {"expires": MINUTE - 5},
    },
    # The coming months' partitions of the notices and the webhook outbox made ahead, the months
    # past retention dropped.
    "maintain-partitions": {
        "task": "notices.tasks.maintain_partitions",
        "schedule": crontab(minute=20, hour=4),
        "options": {"expires": DAY - HOUR},
    },
    "purge-idempotency-records": {
        "task": "integrations.tasks.purge_idempotency_records",
        "schedule": 3600.0,
        "options": {"expires": HOUR - 60},
    },
    # R-RATE-1: monthly repricing, 03:00 Shanghai on the 1st.
    "recompute-rates": {
        "task": "pricing.tasks.recompute_rates",
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
        "options": {"expires": DAY - HOUR},
    },
    # R-PAY-6: unknown payout outcomes are queried, lost sends sent.
    "check-payouts": {"task": "payments.tasks.check_due_payouts", "schedule": 60.0, "options": {"expires": MINUTE - 5}},
    # R-PAY-7: yesterday's bill, once Alipay has published it (from 09:00 Shanghai).
    "reconcile-payouts": {
        "task": "payments.tasks.reconcile_payouts",
        "schedule": crontab(minute=30, hour=10),
        "options": {"expires": DAY - HOUR},
    },
    # R-BDX-1: the bordereaux of the month just closed, 04:00 Shanghai on the 1st.
    "make-bordereaux": {
        "task": "reports.tasks.make_bordereaux",
        "schedule": crontab(minute=0, hour=4, day_of_month=1),
        "options": {"expires": DAY - HOUR},
    },
    # R-AUD-1: the root of the day just over (Shanghai), published; then every chain re-checked.
    "publish-daily-root": {
        "task": "integrations.tasks.publish_daily_root",
        "schedule": crontab(minute=5, hour=0),
        "options": {"expires": DAY - HOUR},
    },
    "verify-audit-chain": {
        "task": "audit.tasks.verify_audit_chain",
        "schedule": crontab(minute=30, hour=0),
        "options": {"expires": DAY - HOUR},
    },
}

# R-PAY-6: the payment provider. With ALIPAY_* unset, the local stand-in of Alipay's gateway
# (`manage.py run_payment_gateway`, started by `make run`) with its keys under var/payment-gateway/.
PAYMENT_PROVIDER = "payments.providers.alipay.AlipayProvider"
PAYMENT_GATEWAY_PORT = env_int("PAYMENT_GATEWAY_PORT", 8765)
ALIPAY_APP_ID = env("ALIPAY_APP_ID", "2021000000000000")
ALIPAY_GATEWAY_URL = env("ALIPAY_GATEWAY_URL", f"http://127.0.0.1:{PAYMENT_GATEWAY_PORT}/gateway.do")
ALIPAY_APP_PRIVATE_KEY = env("ALIPAY_APP_PRIVATE_KEY", "")
ALIPAY_PUBLIC_KEY = env("ALIPAY_PUBLIC_KEY", "")
# Seconds the SDK waits for an answer; a later answer leaves the transfer's outcome unknown.
ALIPAY_TIMEOUT = env_int("ALIPAY_TIMEOUT", 15)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "zhibao@localhost")
# Where the links in e-mails (sign-up, password reset) point: the portal as people reach it.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "integrations.api.schema.ContractSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["integrations.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.authentication.IsApiClient"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.authentication.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "integrations.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zhibao integration API",
    "DESCRIPTION": "The contract of ../shared/spec/api.md; how to integrate: docs/api.md.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "DecisionOutcomeEnum": "claims.choices.Outcome",
        "BordereauKindEnum": "reports.models.BordereauKind",
        "KindEnum": "claims.choices.Kind",
        "RatingSourceEnum": "claims.feedback.RatingSource",
    },
    "PREPROCESSING_HOOKS": ["integrations.api.schema.contract_paths"],
    # /api/docs/ serves Swagger UI from our own static files: the CSP allows no other origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# Requests per client (DRF rate syntax); one bulk call of 1000 orders counts once.
ZHIBAO_API_RATE = env("ZHIBAO_API_RATE", "1200/min")
ZHIBAO_WEBHOOK_TIMEOUT = env_int("ZHIBAO_WEBHOOK_TIMEOUT", 10)
# R-KPI-1: the figures page rebuilds the rollups itself when the sweeper has not for this long.
FIGURES_FRESH_SECONDS = env_int("FIGURES_FRESH_SECONDS", 60)
# Whole months of notices kept before the current one (on PostgreSQL a month is a partition,
# dropped whole once past this; kernel.partitions): a year back, and the month a statement covers.
ZHIBAO_NOTICE_RETENTION_MONTHS = env_int("ZHIBAO_NOTICE_RETENTION_MONTHS", 13)
# Webhook deliveries and their attempts, likewise: a delivery is retried for a day, and integrators
# look back over a quarter at most.
ZHIBAO_WEBHOOK_RETENTION_MONTHS = env_int("ZHIBAO_WEBHOOK_RETENTION_MONTHS", 3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # kombu warns "No hostname was supplied" for the embedded filesystem broker, which has none.
    "loggers": {"kombu.connection": {"level": "ERROR"}},
}
