"""Settings shared by every mode. Everything that differs per machine comes from the environment."""

from pathlib import Path

import environ
import fontpkg_sarabun
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# Everything the app writes at run time (SQLite file, media, mail, keys) lives under var/.
VAR_DIR = Path(env("OPENDMC_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "config.apps.OpenDMCAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "config.apps.OpenDMCStaticFilesConfig",  # django.contrib.staticfiles
    "django.contrib.humanize",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "schools",
    "census",
    "workflows",
    "documents",
    "buildings",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.PersonalDataNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known: a signed-in person's saved language wins over the device's.
    "config.middleware.ThaiFirstLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user is known: a session that still owes its second factor reaches only the pages
    # that ask for it; each session's device, address and last-seen time, at most once a minute.
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.SessionActivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workflows.middleware.WorkflowConflictMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: runs the read-only report views on the streaming replica, if any (config/db_router.py).
    "config.db_router.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
            "builtins": ["schools.templatetags.thai"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# SQLite lets one writer in at a time. A transaction that begins by reading and then writes is
# refused at once ("database is locked") when another writer got in first, whatever the timeout;
# one that takes the write lock as it begins (IMMEDIATE) waits for it instead, up to `timeout`
# seconds: two clicks at once on the embedded default then queue, as row locks do on PostgreSQL.
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# DATABASE_POOLER=pgbouncer: DATABASE_URL names a PgBouncer in transaction mode (scripts/pgbouncer.sh),
# where each transaction may run on another server connection. Nothing may then outlive a
# transaction on the server: no server-side cursor (.iterator() would DECLARE one), no prepared
# statement (psycopg prepares a query run five times), no session SET or advisory lock (none here).
DATABASE_POOLER = env("DATABASE_POOLER", default="")


def pooled(database: dict) -> dict:
    """Adapt a PostgreSQL database's settings to the pooler named by DATABASE_POOLER."""
    if DATABASE_POOLER == "pgbouncer" and database["ENGINE"] == "django.db.backends.postgresql":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None
    elif DATABASE_POOLER not in ("", "pgbouncer"):
        raise ImproperlyConfigured(
            f"DATABASE_POOLER: {DATABASE_POOLER!r} is not 'pgbouncer' or empty"
        )
    return database


pooled(DATABASES["default"])


def replica_database(default: dict) -> dict | None:
    """The streaming replica's settings (config/db_router.py), or None without DATABASE_REPLICA_URL.

    Its connections live as long as the primary's. In tests it is a mirror of the primary's test
    database: the same test database name, read on the replica's own host and port."""
    if not env("DATABASE_REPLICA_URL", default=""):
        return None
    replica = env.db("DATABASE_REPLICA_URL")
    replica["CONN_MAX_AGE"] = default.get("CONN_MAX_AGE", 0)
    replica["CONN_HEALTH_CHECKS"] = True
    # A replica machine that does not answer must not hold a page for long: the primary serves it.
    replica.setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_REPLICA_CONNECT_TIMEOUT", default=2
    )
    replica["TEST"] = {"MIRROR": "default"}
    return replica


if replica := replica_database(DATABASES["default"]):
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
# A replica further behind than this (seconds) is not read; it is checked at most this often.
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=10.0)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=5.0)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/IP pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "AnonymousUser" row: anonymous visitors hold no object permission.
ANONYMOUS_USER_NAME = None
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2id at OWASP's parameters (accounts/hashers.py). Django's PBKDF2 hashers stay after it, so
# that every existing hash still verifies; Django rehashes it with the first on its next login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
# Ours first (it wins on a shared msgid), then the Thai for viewflow and django-axes, which ship none.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Sarabun is served from the font package itself: no CDN and no system font.
STATICFILES_DIRS = [BASE_DIR / "static", ("fonts/sarabun", fontpkg_sarabun.ROOT / "files")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Celery: a real broker in production and CI; the embedded default runs tasks in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OpenDMC <no-reply@opendmc.invalid>")

# How many learners a roster page shows at once.
ROSTER_PAGE_SIZE = 50

# The growth reference and the nutrition bands (schools/nutrition.py): a directory with a manifest.json,
# the WHO LMS tables and the band cut-offs. Another reference is another directory, then
# `manage.py nutrition_backfill` to compute every measurement's status again.
NUTRITION_REFERENCE_DIR = Path(
    env("NUTRITION_REFERENCE_DIR", default=str(BASE_DIR / "schools" / "growth"))
)

# The checks on weights and heights before confirming (schools/validation.py): a room where at least
# same_values_min_room learners and same_values_share of them have one weight and height; a height
# lower than the last measurement by more than height_drop_cm; a change since the last measurement
# beyond the allowance plus so much a month; a date outside every round's measurement period
# ((month, day) from, to, by round). The periods are the school terms of the Ministry of Education's
# regulation on the academic year and the opening and closing of schools, B.E. 2549, clause 7 (term 1
# opens 16 May and closes on 11 October; term 2 opens 1 November and closes on 1 April), and for the
# 30 April round, the end of the academic year in the long holiday, the days up to its count day. A
# measurement from 11 to 31 October or from 1 to 15 May (after the last count, before the year
# begins) serves no round.
MEASUREMENT_CHECKS = {
    "same_values_min_room": 5,
    "same_values_share": 0.5,
    "height_drop_cm": 2.0,
    "height_gain_allowance_cm": 3.0,
    "height_gain_cm_per_month": 1.5,
    "weight_change_allowance_kg": 3.0,
    "weight_change_kg_per_month": 1.0,
    "measurement_periods": {
        1: ((5, 16), (10, 10)),  # the 10 June round: term 1
        2: ((11, 1), (3, 31)),  # the 10 November round: term 2
        3: ((11, 1), (4, 30)),  # the 30 April round: term 2 and the holiday up to the count day
    },
}

# Signed records (documents/). Production names the institution's PKCS#12 key and its trust roots;
# the embedded default uses the development CA that `manage.py signing_init` writes to SIGNING_DIR.
SIGNING_DIR = Path(env("SIGNING_DIR", default=str(VAR_DIR / "keys")))
SIGNING_P12 = env("SIGNING_P12", default=None)
SIGNING_P12_PASSWORD = env("SIGNING_P12_PASSWORD", default=None)
SIGNING_TRUST_ROOTS = env.list("SIGNING_TRUST_ROOTS", default=[])
# The public address printed under each record's QR code: <VERIFY_BASE_URL>/verify/<uuid>/.
VERIFY_BASE_URL = env("VERIFY_BASE_URL", default="http://127.0.0.1:8000")
# A longer annex is laid out this many rows at a time, each chunk freed before the next, and
# the chunks joined into one PDF: a 3,000-learner roster peaked at 599 MiB laid out whole.
ANNEX_CHUNK_ROWS = env.int("ANNEX_CHUNK_ROWS", default=500)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Citizen IDs never reach a log line: every handler masks 13-digit sequences.
    "filters": {"mask_citizen_ids": {"()": "config.log_filters.MaskCitizenIds"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_citizen_ids"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_citizen_ids"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # runserver's access log: the request line holds the URL.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs each layout step at INFO, and parses its own stylesheets on import.
        "weasyprint.progress": {"level": "WARNING"},
        # pyHanko subsets the stamp font with fontTools, which logs every table at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

CELERY_BEAT_SCHEDULE = {
    # Tasks the broker refused while it was down (accounts/outbox.py), queued again once it is back.
    "send-outbox": {"task": "accounts.tasks.send_outbox", "schedule": 60},
    "fire-workflow-timers": {"task": "workflows.tasks.fire_workflow_timers", "schedule": 60},
    "open-due-rounds": {"task": "workflows.tasks.open_due_rounds", "schedule": 5 * 60},
    "remind-waiting-transfers": {
        "task": "workflows.tasks.remind_waiting_transfers",
        "schedule": 24 * 60 * 60,
    },
    "send-count-day-reminders": {"task": "census.tasks.send_due_reminders", "schedule": 5 * 60},
    "open-due-survey-years": {"task": "workflows.tasks.open_due_survey_years", "schedule": 5 * 60},
    "sync-membership-permissions": {
        "task": "accounts.tasks.sync_membership_permissions",
        "schedule": 60
        * 60,  # hourly: a membership starting or ending today takes effect within the hour
    },
}

# Uploads: evidence files and weight/height files.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=5 * 1024 * 1024)
MEASUREMENT_UPLOAD_MAX_BYTES = env.int("MEASUREMENT_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# The ministry's school list (about 29,000 schools: ~9 MB as CSV, ~3 MB as .xlsx); nginx takes 12 MB.
SCHOOL_REGISTER_MAX_BYTES = env.int("SCHOOL_REGISTER_MAX_BYTES", default=12 * 1024 * 1024)
# A file with at least this many rows is processed by Celery, with a progress bar.
MEASUREMENT_UPLOAD_ASYNC_ROWS = env.int("MEASUREMENT_UPLOAD_ASYNC_ROWS", default=1000)
# A roster file: an area office's file of 100,000 learners is about 15 MB as CSV.
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", default=40 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DEMO_SAMPLES_DIR = VAR_DIR / "samples"

# Certification processes start this many days before a round's confirm window, so that staff
# can check and prepare their data; confirming and certifying still wait for the windows.
ROUND_OPENS_DAYS_BEFORE = env.int("ROUND_OPENS_DAYS_BEFORE", default=14)

# Per-head subsidy (census.allocation). Term 1 is paid an advance share on the previous November
# count, then a balance on the June count. Whether that balance is a fixed share of the June
# amount ("fixed_share") or the June amount less the advance ("true_up") is not confirmed.
SUBSIDY_BALANCE_MODE = env("SUBSIDY_BALANCE_MODE", default="fixed_share")
SUBSIDY_ADVANCE_SHARE = env("SUBSIDY_ADVANCE_SHARE", default="0.70")
# Learners younger than this on the as-of date of the count that funds them are not funded.
SUBSIDY_MIN_AGE = env.int("SUBSIDY_MIN_AGE", default=4)

# Approval requests: how long an e-mailed ID-correction link lives; when a waiting transfer is chased.
ID_CORRECTION_LINK_DAYS = env.int("ID_CORRECTION_LINK_DAYS", default=7)
# An invitation's link (accounts/invitations.py) works this many days after it is e-mailed.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
TRANSFER_REMIND_DAYS = env.int("TRANSFER_REMIND_DAYS", default=3)

# Login rate limit (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked out for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_TIME", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The address of a login attempt (config/client_ip.py): how many reverse proxies stand in front of
# gunicorn and append to X-Forwarded-For. 0 (the embedded default, runserver): the header is never
# read. Production's default is 1, the documented nginx.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

# Password reset by e-mail (accounts/views.py). A link works once and for PASSWORD_RESET_TIMEOUT
# seconds. Requests are counted in the cache, from the address the login limit sees (above) and
# for the e-mail address asked about: past either limit within PASSWORD_RESET_LIMIT_WINDOW
# seconds, no e-mail is sent until the window ends. The counts are shared by every worker only
# through a shared cache (production's CACHE_URL); without it each worker counts on its own.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=24 * 60 * 60)
PASSWORD_RESET_LIMIT_PER_IP = env.int("PASSWORD_RESET_LIMIT_PER_IP", default=10)
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_LIMIT_WINDOW = env.int("PASSWORD_RESET_LIMIT_WINDOW", default=60 * 60)

# The second factor (accounts/second_factor.py, django-otp). These roles must sign in with a code
# from an authenticator app (TOTP) after the password; everyone else may enrol one and is then
# asked for it too. A session whose OpenID Connect sign-in was strong (the session flag
# "dmc_strong_auth") is not asked.
OPENDMC_SECOND_FACTOR_ROLES = env.list(
    "OPENDMC_SECOND_FACTOR_ROLES", default=["ministry_admin", "area_officer", "id_approver"]
)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="OpenDMC")
# django-otp's exponential delays are off: the lockout below, counted on the person's TOTP device
# in the database (shared by every worker), does as django-axes does for the password: after
# SECOND_FACTOR_FAILURE_LIMIT wrong codes, none is tried for SECOND_FACTOR_COOLOFF_MINUTES.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
SECOND_FACTOR_FAILURE_LIMIT = env.int("SECOND_FACTOR_FAILURE_LIMIT", default=AXES_FAILURE_LIMIT)
SECOND_FACTOR_COOLOFF_MINUTES = env.int(
    "SECOND_FACTOR_COOLOFF_MINUTES", default=int(AXES_COOLOFF_TIME * 60)
)
SECOND_FACTOR_RECOVERY_CODES = 10
# A session's "last seen" on the profile is written at most this often (seconds), not per request.
SESSION_SEEN_EVERY = env.int("SESSION_SEEN_EVERY", default=60)
# Sign-in with ThaiD (OpenID Connect; accounts/oidc.py). Off unless OIDC_ISSUER and OIDC_CLIENT_ID are
# set: then the login page offers "เข้าสู่ระบบด้วย ThaiD" and /accounts/oidc/… answer (404 otherwise).
# The provider's discovery document is read from <OIDC_ISSUER>/.well-known/openid-configuration; the
# ID token's `iss` must equal OIDC_ISSUER and its `aud` name OIDC_CLIENT_ID. Register
# https://<host>/accounts/oidc/callback/ as the client's redirect URI at the provider.
OIDC_ISSUER = env("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_SCOPES = env.list("OIDC_SCOPES", default=["openid", "pid"])
# The ID token's claim that holds the person's citizen ID (ThaiD: "pid"). It is matched to
# User.citizen_id, which only an invitation sets: never an e-mail, and no user or role is created.
OIDC_CITIZEN_ID_CLAIM = env("OIDC_CITIZEN_ID_CLAIM", default="pid")
# Seconds of clock difference allowed on the token's exp/iat; seconds to wait for the provider.
OIDC_LEEWAY = env.int("OIDC_LEEWAY", default=60)
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
# A sign-in whose ID token's `amr` (authentication methods) holds one of OIDC_STRONG_AMR, or whose
# `acr` (assurance level) is one of OIDC_STRONG_ACR, counts as a second factor: the session gets
# session["dmc_strong_auth"] = True and the TOTP step is skipped. Values are the provider's own
# (RFC 8176 names for amr); empty lists make every OIDC sign-in ask for the second factor too.
OIDC_STRONG_AMR = env.list("OIDC_STRONG_AMR", default=["mfa", "hwk", "otp"])
OIDC_STRONG_ACR = env.list("OIDC_STRONG_ACR", default=[])
# Signing out after a ThaiD sign-in also signs out at the provider (RP-Initiated Logout): the browser
# goes to the discovery document's end_session_endpoint with id_token_hint, client_id and
# post_logout_redirect_uri = https://<host>/accounts/login/, which must be registered at the provider
# as the client's post-logout redirect URI. Off (or a provider without end_session_endpoint): only
# OpenDMC's session ends.
OIDC_LOGOUT_AT_PROVIDER = env.bool("OIDC_LOGOUT_AT_PROVIDER", default=True)
# A deployment may turn the password form off (ThaiD only) — or leave OIDC unset (password only).
PASSWORD_LOGIN_ENABLED = env.bool("PASSWORD_LOGIN_ENABLED", default=True)

# --- the API (api/) ------------------------------------------------------------------------------
# Keys only (no session, so no CSRF question); every error a problem-details body (api/problems.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.KeyScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Calls per key (DRF's rate syntax), counted in the cache: production's CACHE_URL shares the count.
API_RATE_LIMIT = env("API_RATE_LIMIT", default="600/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenDMC API",
    "DESCRIPTION": (
        "The census for the systems schools and area offices already run. "
        "ระบบ API ของ OpenDMC สำหรับระบบของโรงเรียนและสำนักงานเขตพื้นที่ "
        "Authenticate with an API key (Authorization: Bearer <key>); errors are RFC 9457 "
        "problem details in the language of Accept-Language (th by default, or en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its page are public (no data); served from our own static files (the CSP).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"GradeEnum": "schools.models.Grade"},
}
