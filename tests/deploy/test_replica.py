"""The streaming replica (scripts/replica.sh, config/db_router.py), against the real pair.

These run only when DATABASE_REPLICA_URL names a running replica of the PostgreSQL test database
(`.ci/run` starts one with `make replica`): the dashboards read the replica; a block that wrote reads
its write; a replica that lags, or is stopped in the middle of the run, changes nothing the user sees.
To tell the two databases apart, the replica's replay is paused (pg_wal_replay_pause) while the
primary gets a new school: a page read from the replica does not show it yet.
"""

import fcntl
import logging
import subprocess
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from census.models import SchoolRound
from census.services import academic_year_create
from config import db_router
from config.db_router import REPLICA, replica_reads
from schools.models import AreaOffice

from ..factories import AreaOfficeFactory, SchoolFactory

pytestmark = [
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "replica.sh"
# Replay of a few statements takes milliseconds; this bound only stops a broken replica hanging CI.
CATCH_UP_SECONDS = 60


@pytest.fixture(autouse=True)
def one_test_at_a_time():
    """Pausing or stopping the replica must not meet another pytest process's replica test."""
    with open(Path(tempfile.gettempdir()) / "opendmc-replica-tests.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        db_router.replica_state_forget()
        yield
        db_router.replica_state_forget()


def _lsn(alias, sql):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _wait_for(what, sql):
    """Wait until the replica has `what` (received, replayed) everything the primary wrote so far."""
    target = _lsn("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(f"SELECT {sql} >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail(f"the replica has not {what} {target} in {CATCH_UP_SECONDS} s")


def caught_up():
    _wait_for("replayed", "pg_last_wal_replay_lsn()")


def streaming_again():
    """Wait until the router's own check would read from the restarted replica: it replays the WAL
    it kept at once, but its WAL receiver connects to the primary a moment later, and until then
    the router counts it behind by the age of its last replayed transaction (CI: 11.6 s > 10)."""
    caught_up()
    deadline = time.monotonic() + CATCH_UP_SECONDS
    lag = None
    while time.monotonic() < deadline:
        try:
            lag = db_router.replica_lag()
        except DatabaseError:  # still starting: ask again on a new connection
            connections[REPLICA].close()
            lag = None
        if lag is not None and lag <= django_settings.DATABASE_REPLICA_MAX_LAG:
            return
        time.sleep(0.1)
    pytest.fail(f"the restarted replica is not streaming after {CATCH_UP_SECONDS} s (lag {lag})")


def received():
    _wait_for("received", "pg_last_wal_receive_lsn()")


@contextmanager
def replay_paused():
    """Hold the replica at what it has replayed now: later writes reach the primary only."""
    caught_up()
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        caught_up()


@pytest.fixture
def counted(area, school):
    """A round with two schools of the area counted (certified, confirmed)."""
    round2 = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    SchoolRound.objects.create(round=round2, school=school, state="certified")
    other = SchoolFactory(area_office=area, code="1050130002")
    SchoolRound.objects.create(round=round2, school=other, state="confirmed")
    return round2


def dashboard(area, round2):
    return reverse("census:area_dashboard", args=[area.code]) + f"?round={round2.pk}"


def a_third_school(area, round2):
    third = SchoolFactory(area_office=area, code="1050130003")
    SchoolRound.objects.create(round=round2, school=third, state="certified")


def read(client, url, *, replica_up=True):
    """GET url; return the codes of the schools it shows and the queries each database ran."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        # Capturing connects first: not to a replica that is stopped.
        CaptureQueriesContext(connections[REPLICA]) if replica_up else nullcontext() as replica,
    ):
        response = client.get(url)
    assert response.status_code == 200
    codes = sorted(s.code for s in response.context["schools"])
    return codes, [q["sql"] for q in primary], [q["sql"] for q in replica or []]


def reads_schools(queries):
    return any('FROM "schools_school"' in sql for sql in queries)


def test_the_dashboard_is_read_from_the_replica(client_as, area_officer, area, counted, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 3600  # paused, it is behind: still read it
    client = client_as(area_officer)
    with replay_paused():
        a_third_school(area, counted)
        codes, primary, replica = read(client, dashboard(area, counted))
        # The replica's two schools, not the primary's three: the page was read on the replica.
        assert codes == ["1050130001", "1050130002"]
        assert reads_schools(replica) and not reads_schools(primary)
        # The session and the signed-in user were read on the primary, before the view.
        assert any('FROM "django_session"' in sql for sql in primary)
    codes, _, replica = read(client, dashboard(area, counted))
    assert codes == ["1050130001", "1050130002", "1050130003"] and reads_schools(replica)


def test_other_pages_and_the_workers_read_the_primary(client_as, area_officer, area, counted):
    with replay_paused():
        a_third_school(area, counted)
        with CaptureQueriesContext(connections[REPLICA]) as replica:
            roster = client_as(area_officer).get(reverse("schools:index"))
            assert AreaOffice.objects.filter(code=area.code).exists()  # outside any page
        assert roster.status_code == 200
        assert not replica.captured_queries


def test_a_replica_further_behind_than_the_setting_is_not_read(
    client_as, area_officer, area, counted, settings, caplog
):
    settings.DATABASE_REPLICA_MAX_LAG = 0  # any lag at all is too much
    with replay_paused():
        a_third_school(area, counted)
        received()  # it has the new school, but has not applied it
        with caplog.at_level(logging.WARNING, logger="config.db_router"):
            codes, primary, replica = read(client_as(area_officer), dashboard(area, counted))
    assert codes == ["1050130001", "1050130002", "1050130003"]
    assert reads_schools(primary) and not reads_schools(replica)
    assert "s behind" in caplog.text


def test_a_block_that_wrote_reads_its_write_from_the_primary(area, counted, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 3600
    with replay_paused():
        with replica_reads():
            before = AreaOffice.objects.count()  # the replica
            assert AreaOffice.objects.db == REPLICA
            AreaOfficeFactory(code="5099")
            # Written in this block: every later read of it goes to the primary, which has it.
            assert AreaOffice.objects.db == "default"
            assert AreaOffice.objects.filter(code="5099").exists()
            assert AreaOffice.objects.count() == before + 1
        with replica_reads(), transaction.atomic():
            # Inside a transaction, even one that has not written yet: the primary.
            assert AreaOffice.objects.db == "default"
        with replica_reads():
            # A new block starts on the replica again, which has not replayed the new office.
            assert not AreaOffice.objects.filter(code="5099").exists()


def _replica(command):
    subprocess.run(  # noqa: S603 — our own script, fixed arguments
        ["/bin/bash", str(SCRIPT), command], check=True, capture_output=True, timeout=120
    )


@pytest.fixture
def restarted_after():
    yield
    _replica("start")
    streaming_again()


def test_stopping_the_replica_mid_run_changes_nothing_the_user_sees(
    client_as, area_officer, area, counted, settings, caplog, restarted_after
):
    client = client_as(area_officer)
    caught_up()
    page = dashboard(area, counted)
    codes, _, replica = read(client, page)
    assert codes == ["1050130001", "1050130002"] and reads_schools(replica)
    # The router last saw the replica up and will not check it again for an hour: the page that
    # meets the stopped replica is read again on the primary.
    settings.DATABASE_REPLICA_CHECK_SECONDS = 3600
    _replica("stop")
    connections[REPLICA].close()
    with caplog.at_level(logging.WARNING, logger="config.db_router"):
        assert read(client, page, replica_up=False)[0] == codes
        assert "reading it from the primary" in caplog.text
        # Marked down: the next pages go straight to the primary, and so does a fresh check.
        assert read(client, page, replica_up=False)[0] == codes
        db_router.replica_state_forget()
        export = client.get(page + "&format=xlsx")
        assert export.status_code == 200 and export["Content-Type"].endswith("sheet")
        assert "The replica is not used" in caplog.text
    # The health check names it; the node still serves (200).
    health = client.get(reverse("healthz"))
    assert health.status_code == 200
    assert health.json() == {"database": "ok", "broker": "ok", "replica": "error"}
    # Back up: read from it again once it has caught up.
    _replica("start")
    streaming_again()
    db_router.replica_state_forget()
    codes_again, _, replica = read(client, page)
    assert codes_again == codes and reads_schools(replica)
    assert client.get(reverse("healthz")).json()["replica"] == "ok"
