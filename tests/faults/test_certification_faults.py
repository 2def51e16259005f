"""A database connection lost in the middle of a certification: no partial snapshot, the school's
round unchanged, the director's task still open; certifying again then works.

The fault is injected with ``connection.execute_wrapper`` right after the INSERT … SELECT that
copies the roster (rows are written, the counts are not): the worst moment to lose it.
"""

import pytest
from django.db import OperationalError, connection
from django.test import Client
from viewflow.workflow.models import Task

from census import services as census_services
from census.models import RosterSnapshot, SchoolRound, SnapshotRow
from documents.models import Kind, SignedDocument

from ..workflows.helpers import at, open_task, step


class LoseConnectionAfterRows:
    """Fail the first statement that counts the snapshot's rows (its learners per grade), after its
    rows were inserted."""

    def __init__(self, close: bool = False):
        self.close = close
        self.fired = False
        self.rows_written = None

    def __call__(self, execute, sql, params, many, context):
        if not self.fired and "INSERT INTO census_snapshotgradecount" in sql:
            self.fired = True
            self.rows_written = SnapshotRow.objects.count()
            if self.close:
                context["connection"].connection.close()  # the server is gone
            else:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def certify_with_fault(client, director, fault):
    client.force_login(director)
    url = open_task(client, director, "certify")
    client.raise_request_exception = False
    with connection.execute_wrapper(fault):
        response = client.post(url, {"decision": "certify"})
    client.raise_request_exception = True
    return url, response


def assert_nothing_certified(school_round):
    assert not RosterSnapshot.objects.exists()
    assert not SnapshotRow.objects.exists()
    assert not SignedDocument.objects.filter(kind=Kind.CERTIFICATION).exists()
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CONFIRMED
    assert school_round.certified_at is None and school_round.certified_by is None
    certify = Task.objects.get(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"])
    assert certify.flow_task.name == "certify"


def assert_certified_once(school_round, learners: int):
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CERTIFIED
    snapshot = RosterSnapshot.objects.get()
    assert snapshot.learner_count == learners == SnapshotRow.objects.count()
    assert SignedDocument.objects.filter(kind=Kind.CERTIFICATION).count() == 1


def test_a_lost_connection_mid_certification_leaves_nothing_and_a_retry_works(
    client, opened, staff, director, clean_roster, time_machine
):
    time_machine.move_to(at(9, 0), tick=False)
    assert step(client, staff, "prepare").status_code == 302
    assert step(client, staff, "confirm").status_code == 302
    school_round = opened.school_round
    fault = LoseConnectionAfterRows()
    url, response = certify_with_fault(client, director, fault)
    assert fault.fired and fault.rows_written == len(clean_roster)  # rows were half-way in
    assert response.status_code == 500
    assert_nothing_certified(school_round)

    # The director clicks again: the same task, certified once.
    client.force_login(director)
    again = client.post(url, {"decision": "certify"})
    assert again.status_code == 302
    assert_certified_once(school_round, len(clean_roster))


def test_a_lost_connection_in_the_service_leaves_nothing(
    opened, director, clean_roster, time_machine
):
    """The same fault under the service alone (no view, no flow lock around it)."""
    time_machine.move_to(at(9, 0), tick=False)
    school_round = opened.school_round
    SchoolRound.objects.filter(pk=school_round.pk).update(state=SchoolRound.State.CONFIRMED)
    time_machine.move_to(at(10, 0), tick=False)
    fault = LoseConnectionAfterRows()
    with pytest.raises(OperationalError), connection.execute_wrapper(fault):
        census_services.school_round_certify(school_round=school_round, actor=director)
    assert fault.fired
    assert not RosterSnapshot.objects.exists() and not SnapshotRow.objects.exists()
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CONFIRMED
    snapshot = census_services.school_round_certify(school_round=school_round, actor=director)
    assert snapshot.learner_count == len(clean_roster) == SnapshotRow.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_really_closed_mid_certification_on_postgresql(
    round2,
    school,
    clean_roster,
    staff,
    director,
    time_machine,
):
    from workflows.models import CertificationProcess
    from workflows.services import round_open

    time_machine.move_to(at(9, 0), tick=False)
    round_open(round=round2)
    process = CertificationProcess.objects.get(school=school)
    client = Client()
    assert step(client, staff, "prepare").status_code == 302
    assert step(client, staff, "confirm").status_code == 302
    fault = LoseConnectionAfterRows(close=True)
    url, response = certify_with_fault(client, director, fault)
    assert fault.fired and response.status_code == 500
    connection.close()  # what the request_finished handler does with an unusable connection
    assert_nothing_certified(process.school_round)
    client.force_login(director)
    assert client.post(url, {"decision": "certify"}).status_code == 302
    assert_certified_once(process.school_round, len(clean_roster))
