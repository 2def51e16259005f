"""Settings of the test OpenID provider (a process of its own; never OpenDMC's settings)."""

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ["OIDC_PROVIDER_DIR"])

SECRET_KEY = os.environ["OIDC_PROVIDER_SECRET"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.oidc_provider.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": STATE / "provider.sqlite3",
        # Concurrent sign-ins (the count-day bench): writers wait for each other instead of
        # failing with "database is locked" when a read transaction turns into a write.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LOGIN_URL = "/login/"
# A cheap hash: the provider's passwords are test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Two sessions (OpenDMC's and the provider's) on one host in the browser test: distinct cookies.
SESSION_COOKIE_NAME = "provider_sessionid"
CSRF_COOKIE_NAME = "provider_csrftoken"

ISSUER = os.environ["OIDC_PROVIDER_ISSUER"]
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RSA_PRIVATE_KEY": (STATE / "signing-key.pem").read_text(),
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "pid": "Citizen ID", "profile": "Name"},
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_provider.validator.ThaiDLikeValidator",
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    # RP-Initiated Logout: the discovery document names end_session_endpoint and, for an
    # id_token_hint of the signed-in person, the provider signs them out without asking.
    # OIDC_PROVIDER_RP_LOGOUT=0 leaves it out (a provider that has none).
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": os.environ.get("OIDC_PROVIDER_RP_LOGOUT", "1") == "1",
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
}

# username → {"password", "claims": {...}, "fault": ""}: written by the tests (server.py).
ACCOUNTS = json.loads((STATE / "accounts.json").read_text())
