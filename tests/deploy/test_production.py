"""The production settings as an operator runs them: `check --deploy` is clean with a realistic
environment, collectstatic builds the compressed manifest, and required settings are required."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Return a realistic production environment (nothing is connected to by these commands)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x7Qp2-LrT9vWz_kN4sYb8mHcJ1dFgA6eU3oXiZ5qRwE0tVnPyKjS",
        "DJANGO_ALLOWED_HOSTS": "dmc.example.go.th",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://dmc.example.go.th",
        "DATABASE_URL": "postgres://opendmc:secret@db.internal:5432/opendmc",
        "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
        "OPENDMC_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SIGNING_DIR": str(tmp_path / "keys"),
        "VERIFY_BASE_URL": "https://dmc.example.go.th",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(tmp_path: Path, *args: str, **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_reports_a_weakened_setting(tmp_path):
    # The same command catches a production setting turned off: HSTS disabled is a warning.
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECURE_HSTS_SECONDS="0"
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_production_hashes_passwords_with_argon2id_and_still_reads_pbkdf2(tmp_path):
    # argon2-cffi is in requirements.txt, and the production settings put our hasher first.
    script = (
        "from django.contrib.auth.hashers import get_hasher, make_password\n"
        "print(make_password('x')); print(get_hasher('pbkdf2_sha256').algorithm)"
    )
    result = manage(tmp_path, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    encoded, pbkdf2 = result.stdout.strip().splitlines()[-2:]
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert pbkdf2 == "pbkdf2_sha256"


PROBE = """
from django.test import Client
client = Client(HTTP_HOST="dmc.example.go.th")
print(client.get("/healthz/").status_code, client.get("/accounts/login/").status_code)
"""


def test_plain_http_health_probe_is_not_redirected_to_https(tmp_path):
    # Every plain-HTTP request is sent to HTTPS, except the load balancer's probe, which answers
    # (503 here: nothing listens at the database's and the broker's port).
    closed = {
        "DATABASE_URL": "postgres://opendmc@127.0.0.1:1/opendmc",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    result = manage(tmp_path, "shell", "-c", PROBE, **closed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["503", "301"]


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:////tmp/opendmc.sqlite3"}, "PostgreSQL"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_services(tmp_path, overrides, message):
    result = manage(tmp_path, "check", **overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


# The database plays no part, and compressing every file takes a minute or two: once, in the
# SQLite pass of `.ci/run`.
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="run once, in the SQLite pass")
def test_collectstatic_builds_the_compressed_manifest(tmp_path):
    result = manage(tmp_path, "collectstatic", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    static = tmp_path / "static"
    assert (static / "staticfiles.json").is_file()
    # WhiteNoise serves hashed names, pre-compressed; the Sarabun font comes from its package.
    assert list(static.glob("fonts/sarabun/*.*.woff2")) or list(static.glob("fonts/sarabun/*.*"))
    assert list(static.rglob("*.css.gz"))


def env_example() -> dict[str, str]:
    lines = (ROOT / "deploy" / "opendmc.env.example").read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_the_example_environment_passes_check_deploy_once_its_secret_is_set(tmp_path):
    example = env_example()
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**example, "DJANGO_SECRET_KEY": "x7Qp2-LrT9vWz_kN4sYb8mHcJ1dFgA6eU3oXiZ5qRwE0tVnPyKjS"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_units_run_what_the_settings_route():
    deploy = ROOT / "deploy"
    example = env_example()
    annexes = (deploy / "opendmc-worker-annexes.service").read_text(encoding="utf-8")
    default = (deploy / "opendmc-worker.service").read_text(encoding="utf-8")
    assert f"--queues {example['CELERY_ANNEX_QUEUE']}" in annexes
    assert "--queues celery" in default and "annexes" not in default.split("[Service]")[1]
    web = (deploy / "opendmc-web.service").read_text(encoding="utf-8")
    assert "gunicorn config.wsgi" in web
    assert "celery -A config beat" in (deploy / "opendmc-beat.service").read_text(encoding="utf-8")
    for unit in deploy.glob("*.service"):
        text = unit.read_text(encoding="utf-8")
        if "ExecStart=/bin/systemctl" in text:
            continue  # the timer's helper only stops a unit: it runs none of ours
        assert "EnvironmentFile=/etc/opendmc/opendmc.env" in text, unit.name
    # The annex worker renders off-peak: started at 16:30 and stopped at 08:00 by its timers.
    assert "OnCalendar=*-*-* 16:30" in (deploy / "opendmc-worker-annexes.timer").read_text(
        encoding="utf-8"
    )
    assert "08:00" in (deploy / "opendmc-worker-annexes-stop.timer").read_text(encoding="utf-8")


def test_production_reads_the_client_address_behind_exactly_the_documented_nginx(tmp_path):
    # deploy/nginx-opendmc.conf is one proxy appending the address it saw to X-Forwarded-For: the
    # login rate limit must key on that entry (config/client_ip.py), not on nginx's 127.0.0.1.
    conf = (ROOT / "deploy" / "nginx-opendmc.conf").read_text()
    assert conf.count("X-Forwarded-For $proxy_add_x_forwarded_for") == 1
    probe = "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"
    result = manage(tmp_path, "shell", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1"
