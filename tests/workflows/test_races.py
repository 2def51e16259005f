"""Races on PostgreSQL: two clicks on the same step at once act once."""

import threading
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from census.models import RosterSnapshot, SchoolRound
from documents.models import Kind, SignedDocument

from .helpers import at, open_task, step

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(user, url, data):
    """POST the same form from two browsers of the same user at the same moment."""
    barrier = threading.Barrier(2)
    results = []

    def click():
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data, follow=True)
            results.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_certify_clicks_make_one_snapshot_and_one_record(
    round2, school, clean_roster, staff, director, time_machine
):
    from workflows.services import round_open

    time_machine.move_to(at(9, 0, day=date(2026, 11, 10)), tick=True)
    round_open(round=round2)
    client = Client()
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    client.force_login(director)
    url = open_task(client, director, "certify")
    results = _race(director, url, {"decision": "certify"})
    assert [code for code, _ in results] == [200, 200]
    assert any("ขั้นตอนนี้ดำเนินการไปแล้ว" in body or "มีผู้อื่นกำลังดำเนินการ" in body for _, body in results)
    assert RosterSnapshot.objects.count() == 1
    assert SignedDocument.objects.filter(kind=Kind.CERTIFICATION).count() == 1
    assert SchoolRound.objects.get().state == SchoolRound.State.CERTIFIED
    assert Task.objects.filter(flow_task_type="HUMAN", status="NEW").count() == 1  # acknowledge


def test_two_confirm_clicks_make_one_record(round2, school, clean_roster, staff, time_machine):
    from workflows.services import round_open

    time_machine.move_to(at(9, 0, day=date(2026, 11, 10)), tick=True)
    round_open(round=round2)
    client = Client()
    step(client, staff, "prepare")
    client.force_login(staff)
    url = open_task(client, staff, "confirm")
    results = _race(staff, url, {})
    assert [code for code, _ in results] == [200, 200]
    assert SignedDocument.objects.filter(kind=Kind.CONFIRMATION).count() == 1
    assert reverse("workflows:inbox")


def test_two_schools_claiming_one_learner_leave_one_active_enrollment(school, other_school, staff):
    from django.core.exceptions import ValidationError
    from django.utils import timezone as tz

    from schools.models import Enrollment, Grade
    from schools.services import enrollment_move

    from ..factories import EnrollmentFactory, SchoolFactory

    releasing = SchoolFactory()
    held = EnrollmentFactory(school=releasing)
    barrier = threading.Barrier(2)
    outcomes = []

    def release_to(receiving):
        try:
            barrier.wait(timeout=10)
            enrollment_move(
                student=held.student, from_school=releasing, to_school=receiving, actor=staff,
                on=tz.localdate(), grade=Grade.P4, room=1,
            )  # fmt: skip
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=release_to, args=(s,)) for s in (school, other_school)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One move wins; the other finds the learner no longer at the releasing school.
    assert sorted(outcomes) == ["moved", "ok"]
    assert Enrollment.objects.filter(student=held.student, status="active").count() == 1


def test_a_school_acting_on_its_round_does_not_hold_up_the_other_schools(
    round2, school, other_school
):
    """The state lock is the school's row alone: the round's row (every school's) stays free."""
    from django.db import OperationalError, transaction

    from census.models import Round
    from census.services import _lock, school_round_open

    mine, _ = school_round_open(round=round2, school=school)
    theirs, _ = school_round_open(round=round2, school=other_school)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                _lock(mine)
                holding.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with transaction.atomic():
            Round.objects.select_for_update(nowait=True).get(pk=round2.pk)
            _lock(theirs)  # another school's state: free as well
            with pytest.raises(OperationalError):  # the same school's state: held
                with transaction.atomic():
                    SchoolRound.objects.select_for_update(nowait=True).get(pk=mine.pk)
    finally:
        release.set()
        thread.join()
