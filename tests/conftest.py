"""Personas: one user per role, each with a membership that grants its object permissions."""

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from accounts.models import Role
from accounts.services import membership_create

from .factories import AreaOfficeFactory, SchoolFactory, UserFactory

# Hypothesis profiles, loaded before any test module is imported. "ci" (`make test`) is
# derandomized: the same examples every run, so a red run is red again when rerun. "fuzz"
# (`make fuzz`) draws new examples from a seed it prints, six times as many. Function-scoped
# fixtures (personas, the client) are shared by the examples on purpose: each example that writes
# runs in a savepoint that is rolled back. No example database is written into the checkout.
_HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("ci", max_examples=50, derandomize=True, **_HYPOTHESIS)
hypothesis_settings.register_profile("fuzz", max_examples=300, **_HYPOTHESIS)
# `make mutate`: the examples of "ci", but a failing example is not shrunk. A mutant is killed by
# the first failure; shrinking it would only spend the run's time (and time the mutant out).
hypothesis_settings.register_profile(
    "mutate",
    max_examples=50,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    **_HYPOTHESIS,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# `make mutate` runs a few tests hundreds of times, each run a new pytest session: building the
# SQLite test database (every migration) and the signing CA each time would cost more than the
# tests. With OPENDMC_TEST_PREPARED=<dir>, a session copies the database that `make mutate`
# migrated once into that directory (dir/db.sqlite3, used with --reuse-db) and signs with the CA
# kept there. Unset (make test, CI's suites), every session builds its own as before.
PREPARED = (
    Path(os.environ["OPENDMC_TEST_PREPARED"]) if os.environ.get("OPENDMC_TEST_PREPARED") else None
)


# Tests move the clock to fixed dates (count days, the demo's seeding moment) and sign there: keys
# valid only from yesterday made those tests fail once real time passed the date by a day.
KEYS_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def signing_keys(tmp_path_factory):
    """Sign every record of the session with a throwaway development CA."""
    from django.test import override_settings

    from documents import signing

    if PREPARED and signing.development_keys_exist(PREPARED / "keys"):
        directory = PREPARED / "keys"
        keys = signing.DevelopmentKeys(
            p12_path=directory / signing.DEV_P12, ca_path=directory / signing.DEV_CA
        )
    else:
        directory = tmp_path_factory.mktemp("keys")
        keys = signing.development_keys_create(directory=directory, valid_from=KEYS_VALID_FROM)
    with override_settings(
        SIGNING_DIR=directory, SIGNING_P12=None, SIGNING_P12_PASSWORD=None, SIGNING_TRUST_ROOTS=[]
    ):
        yield keys


def _copy_prepared_postgres(database: dict, template: str) -> None:
    """Make this session's test database (kept by --reuse-db) a fresh copy of the one `make
    mutate` migrated once on PostgreSQL: one session at a time there (scripts/mutate.py)."""
    import psycopg

    name = (database.get("TEST") or {}).get("NAME") or f"test_{database['NAME']}"
    with psycopg.connect(
        host=database["HOST"] or None, port=database["PORT"] or None, user=database["USER"],
        password=database["PASSWORD"] or None, dbname="postgres", autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Put the SQLite test database in a file of this run, so that threads share it.

    Each thread of a concurrency test opens its own connection; in memory SQLite shares one
    database between connections only through table locks that fail at once instead of waiting.
    Nothing here needs to survive a crash, so the file is written without waiting for the disk.
    """
    database = settings.DATABASES["default"]
    if PREPARED and (PREPARED / "postgres-template").exists() and connection.vendor == "postgresql":
        _copy_prepared_postgres(database, (PREPARED / "postgres-template").read_text())
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("db") / "test.sqlite3"
        if PREPARED and (PREPARED / "db.sqlite3").exists():
            shutil.copyfile(PREPARED / "db.sqlite3", name)
        database.setdefault("TEST", {})["NAME"] = str(name)
        database.setdefault("OPTIONS", {})["init_command"] = "PRAGMA synchronous=OFF"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Behind PgBouncer, end its pooled server connections to the test database before the drop.

    PgBouncer keeps a server connection idle in its pool after the client goes (10 minutes), and
    PostgreSQL refuses to drop a database someone is connected to. The connections are ended from
    a connection through PgBouncer too, to the "postgres" database, as Django creates and drops."""
    yield
    if settings.DATABASE_POOLER != "pgbouncer":
        return
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )


@pytest.fixture(scope="session", autouse=True)
def url_patterns_loaded():
    """Build the URL configuration once: flow task URLs reverse only after it is loaded."""
    from django.urls import get_resolver

    assert get_resolver().url_patterns


@pytest.fixture(autouse=True)
def force_login_signs_in_fully(monkeypatch):
    """Make the test client's force_login a finished sign-in, second factor included
    (tests/sign_in.py): the pages behind it are what the tests are about."""
    from django.test import Client

    from .sign_in import sign_in_complete

    force_login = Client.force_login

    def force_login_fully(self, user, backend=None):
        force_login(self, user, backend)
        sign_in_complete(self, user)

    monkeypatch.setattr(Client, "force_login", force_login_fully)


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache: a summary kept by one test is not another's."""
    from django.core.cache import cache

    cache.clear()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if "replica" in item.keywords and "replica" not in settings.DATABASES:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs a streaming replica (DATABASE_REPLICA_URL, make replica)"
                )
            )


@pytest.fixture
def area(db):
    return AreaOfficeFactory(code="5001", name_th="สพป.ทดสอบ เขต 1")


@pytest.fixture
def other_area(db):
    return AreaOfficeFactory(code="5002", name_th="สพป.ทดสอบ เขต 2")


@pytest.fixture
def school(area):
    return SchoolFactory(code="1050130001", name_th="โรงเรียนบ้านทดสอบ", area_office=area)


@pytest.fixture
def other_school(other_area):
    return SchoolFactory(code="1050130999", name_th="โรงเรียนอื่น", area_office=other_area)


# Personas have held their role for years: a test that moves the clock to a fixed date (a count
# day, a survey window) must find them in it whatever the real date is (a membership starting
# "today" in Bangkok made such tests fail after 17:00 UTC, when Bangkok's today is tomorrow).
PERSONAS_SINCE = date(2020, 1, 1)


def _persona(username, role, **scope):
    user = UserFactory(username=username)
    membership_create(user=user, role=role, starts_on=PERSONAS_SINCE, **scope)
    user.refresh_from_db()
    return user


@pytest.fixture
def staff(school):
    return _persona("staff", Role.STAFF, school=school)


@pytest.fixture
def director(school):
    return _persona("director", Role.DIRECTOR, school=school)


@pytest.fixture
def other_school_staff(other_school):
    return _persona("other_staff", Role.STAFF, school=other_school)


@pytest.fixture
def other_school_director(other_school):
    return _persona("other_director", Role.DIRECTOR, school=other_school)


@pytest.fixture
def area_officer(area):
    return _persona("area_officer", Role.AREA_OFFICER, area_office=area)


@pytest.fixture
def other_area_officer(other_area):
    return _persona("other_area_officer", Role.AREA_OFFICER, area_office=other_area)


@pytest.fixture
def id_approver(db):
    return _persona("id_approver", Role.ID_APPROVER)


@pytest.fixture
def ministry_admin(db):
    return _persona("ministry_admin", Role.MINISTRY_ADMIN)


@pytest.fixture
def client_as(client):
    """Return a function that signs the test client in as a persona."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
