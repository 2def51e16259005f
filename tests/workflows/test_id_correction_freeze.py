"""Citizen-ID corrections freeze from a round's cut-off until its count day is over and its certify
window has closed: new requests are refused, and a request already waiting is not decided (it
keeps waiting, and its e-mailed link still works once the freeze ends)."""

from datetime import timedelta

import pytest

from census.models import Round
from census.services import demo_round_create
from documents.models import Kind, SignedDocument
from workflows.models import IdCorrectionLink, IdCorrectionProcess

from ..factories import EnrollmentFactory, make_citizen_id
from .helpers import COUNT_DAY, at
from .test_approvals import emailed_link, request_correction

NEXT_DAY = COUNT_DAY + timedelta(days=1)


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, started_on=COUNT_DAY - timedelta(days=90))


@pytest.fixture
def requested(client, staff, learner, mailoutbox, time_machine, django_capture_on_commit_callbacks):
    """Return a function that sends a correction at 10:00 on the count day (or when given) and
    returns the new ID and the approver's link."""

    def send(when=None):
        time_machine.move_to(when or at(10, 0), tick=False)
        new_id = make_citizen_id()
        with django_capture_on_commit_callbacks(execute=True):
            assert request_correction(client, staff, learner, new_id).status_code == 302
        return new_id, emailed_link(mailoutbox)

    return send


@pytest.mark.parametrize(
    "hh, mm, ss, day, accepted",
    [
        (16, 29, 59, COUNT_DAY, True),
        (16, 30, 0, COUNT_DAY, False),
        (23, 59, 59, COUNT_DAY, False),
        (0, 0, 0, NEXT_DAY, True),
    ],
)
def test_requests_stop_from_the_cutoff_to_the_end_of_the_count_day(
    client, staff, id_approver, learner, round2, time_machine, hh, mm, ss, day, accepted
):
    time_machine.move_to(at(hh, mm, ss, day=day), tick=False)
    response = request_correction(client, staff, learner, make_citizen_id())
    assert (response.status_code == 302) is accepted
    assert IdCorrectionProcess.objects.exists() is accepted
    if not accepted:
        assert "2569/2" in response.content.decode()


@pytest.mark.parametrize(
    "hh, mm, ss, day, decided",
    [
        (16, 29, 59, COUNT_DAY, True),
        (16, 30, 0, COUNT_DAY, False),
        (23, 59, 59, COUNT_DAY, False),
        (0, 0, 0, NEXT_DAY, True),
    ],
)
def test_a_waiting_request_is_decided_only_outside_the_freeze(
    client, id_approver, learner, round2, time_machine, requested, hh, mm, ss, day, decided
):
    new_id, link = requested()
    time_machine.move_to(at(hh, mm, ss, day=day), tick=False)
    client.force_login(id_approver)
    response = client.post(link, {"decision": "approved", "comment": ""})
    assert (response.status_code == 302) is decided
    learner.student.refresh_from_db()
    assert (learner.student.citizen_id == new_id) is decided
    assert SignedDocument.objects.filter(kind=Kind.ID_CORRECTION_DECISION).exists() is decided


def test_a_refused_decision_keeps_the_request_waiting_and_its_link_usable(
    client, id_approver, learner, round2, time_machine, requested
):
    new_id, link = requested()
    time_machine.move_to(at(16, 45), tick=False)
    client.force_login(id_approver)
    page = client.get(link)
    body = page.content.decode()
    # The page says why and until when (the end of the count day, in the Buddhist year).
    assert page.status_code == 200 and 'id="frozen"' in body and "11 พ.ย. 2569 00:00" in body
    assert "คำขอนี้ยังรอการพิจารณาอยู่" in body
    assert 'name="decision"' not in body
    response = client.post(link, {"decision": "approved", "comment": ""})
    assert response.status_code == 200 and 'id="frozen"' in response.content.decode()
    process = IdCorrectionProcess.objects.get()
    assert process.decision == "" and process.status == "NEW"
    assert not IdCorrectionLink.objects.filter(used_at__isnull=False).exists()
    learner.student.refresh_from_db()
    assert learner.student.citizen_id != new_id

    time_machine.move_to(at(8, 0, day=NEXT_DAY), tick=False)
    client.force_login(id_approver)  # the evening's session has expired
    assert client.post(link, {"decision": "approved", "comment": ""}).status_code == 302
    learner.student.refresh_from_db()
    assert learner.student.citizen_id == new_id
    assert SignedDocument.objects.filter(kind=Kind.ID_CORRECTION_DECISION).count() == 1


@pytest.mark.parametrize("seconds_before_close, decided", [(1, False), (0, True)])
def test_the_freeze_lasts_until_a_certify_window_that_closes_after_the_count_day(
    client, staff, id_approver, learner, round2, time_machine, requested,
    seconds_before_close, decided,
):  # fmt: skip
    closes = at(12, 0, day=NEXT_DAY)
    Round.objects.filter(pk=round2.pk).update(certify_closes=closes)
    new_id, link = requested()
    time_machine.move_to(closes - timedelta(seconds=seconds_before_close), tick=False)
    assert (
        request_correction(
            client, staff, EnrollmentFactory(school=learner.school), make_citizen_id()
        )
    ).status_code == (302 if decided else 200)
    client.force_login(id_approver)
    response = client.post(link, {"decision": "approved", "comment": ""})
    assert (response.status_code == 302) is decided
    learner.student.refresh_from_db()
    assert (learner.student.citizen_id == new_id) is decided


def test_each_round_of_a_day_enforces_its_own_cutoff(
    client, id_approver, learner, round2, time_machine, requested
):
    # The demo round of the same day allows corrections until midnight; round 2 stops them at 16:30.
    demo_round_create(day=COUNT_DAY)
    new_id, link = requested()
    time_machine.move_to(at(16, 30), tick=False)
    client.force_login(id_approver)
    assert client.post(link, {"decision": "approved", "comment": ""}).status_code == 200
    learner.student.refresh_from_db()
    assert learner.student.citizen_id != new_id


def test_a_demo_round_alone_freezes_nothing(client, id_approver, learner, time_machine, requested):
    # Its cut-off, the end of its day and its certify close are the same midnight.
    demo_round_create(day=COUNT_DAY)
    new_id, link = requested(when=at(23, 59, 59))
    time_machine.move_to(at(0, 0, day=NEXT_DAY), tick=False)
    client.force_login(id_approver)
    assert client.post(link, {"decision": "approved", "comment": ""}).status_code == 302
    learner.student.refresh_from_db()
    assert learner.student.citizen_id == new_id
