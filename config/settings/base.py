"""Settings shared by every mode. Everything that differs per machine comes from the environment."""

from pathlib import Path

import environ
import fontpkg_sarabun
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
    "accounts",
    "schools",
    "census",
    "workflows",
    "documents",
    "buildings",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.PersonalDataNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ThaiFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workflows.middleware.WorkflowConflictMiddleware",
    "axes.middleware.AxesMiddleware",
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

# Signed records (documents/). Production names the institution's PKCS#12 key and its trust roots;
# the embedded default uses the development CA that `manage.py signing_init` writes to SIGNING_DIR.
SIGNING_DIR = Path(env("SIGNING_DIR", default=str(VAR_DIR / "keys")))
SIGNING_P12 = env("SIGNING_P12", default=None)
SIGNING_P12_PASSWORD = env("SIGNING_P12_PASSWORD", default=None)
SIGNING_TRUST_ROOTS = env.list("SIGNING_TRUST_ROOTS", default=[])
# The public address printed under each record's QR code: <VERIFY_BASE_URL>/verify/<uuid>/.
VERIFY_BASE_URL = env("VERIFY_BASE_URL", default="http://127.0.0.1:8000")

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
# A file with at least this many rows is processed by Celery, with a progress bar.
MEASUREMENT_UPLOAD_ASYNC_ROWS = env.int("MEASUREMENT_UPLOAD_ASYNC_ROWS", default=1000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DEMO_SAMPLES_DIR = VAR_DIR / "samples"

# Certification processes start this many days before a round's confirm window, so that staff
# can check and prepare their data; confirming and certifying still wait for the windows.
ROUND_OPENS_DAYS_BEFORE = env.int("ROUND_OPENS_DAYS_BEFORE", default=14)

# Per-head subsidy (census.subsidy). Term 1 is paid an advance share on the previous November
# count, then a balance on the June count. Whether that balance is a fixed share of the June
# amount ("fixed_share") or the June amount less the advance ("true_up") is not confirmed.
SUBSIDY_BALANCE_MODE = env("SUBSIDY_BALANCE_MODE", default="fixed_share")
SUBSIDY_ADVANCE_SHARE = env("SUBSIDY_ADVANCE_SHARE", default="0.70")
# Learners younger than this on the as-of date of the count that funds them are not funded.
SUBSIDY_MIN_AGE = env.int("SUBSIDY_MIN_AGE", default=4)

# Approval requests: how long an e-mailed ID-correction link lives; when a waiting transfer is chased.
ID_CORRECTION_LINK_DAYS = env.int("ID_CORRECTION_LINK_DAYS", default=7)
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
