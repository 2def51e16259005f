"""Many clicks at once on a POST that finishes a flow step or a request (a double click, a user with
several tabs, a retrying proxy): the step acts once, and every other click is told so in a page or
a message; none gets a server error. On SQLite (the embedded default) and on PostgreSQL."""

import re
import threading
from datetime import date

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from census.models import RosterSnapshot, SchoolRound
from documents.models import Kind, SignedDocument
from schools.models import AuditEntry, Enrollment, Grade
from workflows.certification import CertificationFlow
from workflows.models import DropoutProcess, GCodeProcess, TransferProcess
from workflows.services import round_open

from ..factories import EnrollmentFactory, make_citizen_id
from ..workflows.helpers import at, open_task

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# What a click that lost the race is told (the pages are in English for these clients).
ALREADY = re.compile(
    r"already been done|right now|already been decided|cannot be used again|Not possible while"
)


def pdf():
    return SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf")


def clicks_at_once(user, url, data, n):
    """POST the same form from n browsers of one signed-in user at the same moment."""
    signed_in = Client()
    signed_in.force_login(user)
    barrier = threading.Barrier(n)
    answers = []

    def click():
        client = Client(raise_request_exception=False)  # a server error is an answer too
        client.cookies = signed_in.cookies
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        try:
            barrier.wait(timeout=60)
            response = client.post(url, data)
            told = [str(m) for m in get_messages(response.wsgi_request)]
            if not response.streaming:
                told.append(response.content.decode())
            answers.append((response.status_code, " ".join(told)))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


# --- the steps, each brought to the moment before the clicks ------------------------------------------
# A walk is a list of steps: (name, reach, acted once). `reach` brings the step to the moment before
# the click and returns (user, url, data); `acted once` says whether the step did its work once.
# The certification steps follow one another on one process, so that they share its setup.


def take(user, node):
    """Take the user's task of that certification node; return its page."""
    client = Client()
    client.force_login(user)
    return open_task(client, user, node)


def certification(request):
    time_machine, round2 = (
        request.getfixturevalue("time_machine"),
        request.getfixturevalue("round2"),
    )
    request.getfixturevalue("clean_roster")
    time_machine.move_to(at(9, 0, day=date(2026, 11, 10)), tick=True)
    round_open(round=round2)
    staff, director = request.getfixturevalue("staff"), request.getfixturevalue("director")
    officer, admin = (
        request.getfixturevalue("area_officer"),
        request.getfixturevalue("ministry_admin"),
    )
    return [
        ("prepare", lambda: (staff, take(staff, "prepare"), {}), lambda: state() == "prepared"),
        (
            "confirm",
            lambda: (staff, take(staff, "confirm"), {}),
            lambda: records(Kind.CONFIRMATION) == 1,
        ),
        (
            "send back",
            lambda: (
                director,
                take(director, "certify"),
                {"decision": "reject", "reason": "ป.3 ไม่ตรง"},
            ),
            lambda: state() == "prepared" and waiting() == 1,
        ),
        (
            "confirm again",
            lambda: (staff, take(staff, "confirm"), {}),
            lambda: records(Kind.CONFIRMATION) == 2,
        ),
        (
            "certify",
            lambda: (director, take(director, "certify"), {"decision": "certify"}),
            lambda: RosterSnapshot.objects.count() == 1 and records(Kind.CERTIFICATION) == 1,
        ),
        (
            "acknowledge",
            lambda: (officer, take(officer, "acknowledge"), {}),
            lambda: state() == "acknowledged",
        ),
        (
            "revoke",
            lambda: (
                admin,
                reverse("workflows:revoke", args=[SchoolRound.objects.get().pk]),
                {"reason": "ตรวจพบนักเรียนซ้ำจากการสุ่มตรวจ"},
            ),
            lambda: (
                records(Kind.REVOCATION) == 1
                and RosterSnapshot.objects.filter(status="revoked").count() == 1
            ),
        ),
    ]


def taken(client, user, model):
    """Take the request's waiting task as the user; return its page."""
    client.force_login(user)
    task = Task.objects.get(
        process__in=model.objects.values("pk"), flow_task_type="HUMAN", status="NEW"
    )
    return client.post(reverse("workflows:take", args=[task.pk]))["Location"]


def dropout(request):
    staff, learner = request.getfixturevalue("staff"), request.getfixturevalue("learner")
    client = Client()
    client.force_login(staff)
    client.post(
        reverse("workflows:dropout_request", args=[learner.school.code, learner.student.public_id]),
        {
            "kind": "dropped_out",
            "reason": "family_moved",
            "reason_note": "",
            "effective_on": timezone.localdate().isoformat(),
            "evidence": [pdf()],
        },
    )
    officer = request.getfixturevalue("area_officer")
    data = {"decision": "approved", "comment": ""}
    return [
        (
            "approve",
            lambda: (officer, taken(client, officer, DropoutProcess), data),
            lambda: (
                records(Kind.DROPOUT_DECISION) == 1
                and AuditEntry.objects.filter(action=AuditEntry.Action.STATUS).count() == 1
            ),
        )
    ]


def transfer(request):
    school, staff = request.getfixturevalue("school"), request.getfixturevalue("staff")
    held = EnrollmentFactory(school=request.getfixturevalue("other_school"))
    client = Client()
    client.force_login(staff)
    client.post(
        reverse("workflows:transfer_in", args=[school.code]),
        {
            "identifier": held.student.citizen_id,
            "grade": Grade.P4,
            "room": "2",
            "evidence": [pdf()],
        },
    )
    releasing = request.getfixturevalue("other_school_staff")
    data = {"decision": "approved", "comment": "", "on": timezone.localdate().isoformat()}
    return [
        (
            "release",
            lambda: (releasing, taken(client, releasing, TransferProcess), data),
            lambda: (
                records(Kind.TRANSFER_RECORD) == 1
                and Enrollment.objects.filter(status="active").count() == 1
            ),
        )
    ]


def gcode(request):
    school, staff = request.getfixturevalue("school"), request.getfixturevalue("staff")
    client = Client()
    client.force_login(staff)
    client.post(
        reverse("workflows:gcode_request", args=[school.code]),
        {
            "title": "ด.ช.", "first_name_th": "อาทิตย์", "last_name_th": "ไม่มีนามสกุล", "sex": "M",
            "birth_date": "2018-03-01", "nationality": "ไม่ปรากฏสัญชาติ", "guardian_name": "นางคำ แสงดี",
            "guardian_relation": "มารดา", "address": "บ้านห้วยน้ำ อ.แม่ริม", "grade": Grade.P2, "room": "1",
            "evidence": [pdf()],
        },
    )  # fmt: skip
    officer = request.getfixturevalue("area_officer")
    data = {"decision": "approved", "comment": ""}
    return [
        (
            "verify",
            lambda: (officer, taken(client, officer, GCodeProcess), data),
            lambda: records(Kind.GCODE_RECORD) == 1 and Enrollment.objects.count() == 1,
        )
    ]


def id_correction(request):
    staff, learner = request.getfixturevalue("staff"), request.getfixturevalue("learner")
    approver, mailoutbox = (
        request.getfixturevalue("id_approver"),
        request.getfixturevalue("mailoutbox"),
    )
    client = Client()
    client.force_login(staff)
    client.post(
        reverse(
            "workflows:id_correction_request", args=[learner.school.code, learner.student.public_id]
        ),
        {"new_citizen_id": make_citizen_id(), "evidence": [pdf()]},
    )
    link = re.search(r"http://\S+/workflows/id-link/\S+/", mailoutbox[-1].body).group(0)
    return [
        (
            "decide from the e-mailed link",
            lambda: (approver, link, {"decision": "approved", "comment": ""}),
            lambda: (
                records(Kind.ID_CORRECTION_DECISION) == 1
                and AuditEntry.objects.filter(action=AuditEntry.Action.ID_CHANGE).count() == 1
            ),
        )
    ]


def records(kind):
    return SignedDocument.objects.filter(kind=kind).count()


def state():
    return SchoolRound.objects.get().state


def waiting():
    return Task.objects.filter(status="NEW", flow_task_type="HUMAN").count()


WALKS = {
    "certification": certification,
    "dropout": dropout,
    "transfer": transfer,
    "g-code": gcode,
    "id correction": id_correction,
}


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, started_on=date(2026, 5, 16))


@pytest.mark.parametrize("clicks", [2, 50])
@pytest.mark.parametrize("walk", list(WALKS))
def test_clicks_at_once_act_once_and_the_others_are_told_without_a_server_error(
    request, walk, clicks
):
    for name, reach, acted_once in WALKS[walk](request):
        user, url, data = reach()
        answers = clicks_at_once(user, url, data, clicks)
        assert len(answers) == clicks, name
        assert [code for code, _ in answers if code >= 500] == [], name
        assert acted_once(), name
        told = [said for _, said in answers if ALREADY.search(said)]
        assert len(told) == clicks - 1, (name, [said[:300] for said in told])


@pytest.mark.postgres
def test_a_revocation_meeting_a_step_in_progress_waits_for_it_then_acts(request):
    """The ministry revokes while the area officer's acknowledgement holds the process's lock: the
    revocation waits for the step to finish (no server error, no deadlock), then revokes once."""
    walk = certification(request)
    for _name, reach, _acted_once in walk[:5]:  # up to the director's certification
        user, url, data = reach()
        client = Client()
        client.force_login(user)
        client.post(url, data)
    assert SchoolRound.objects.get().state == "certified"
    process_pk = Task.objects.filter(flow_task_type="HUMAN", status="NEW").get().process_id
    held, seen_waiting = threading.Event(), threading.Event()

    def a_step_in_progress():
        try:
            with CertificationFlow.instance.lock(process_pk):  # as the acknowledgement holds it
                held.set()
                for _ in range(300):  # until the revocation waits on it, then finish the step
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        )
                        if cursor.fetchone()[0]:
                            seen_waiting.set()
                            break
                    threading.Event().wait(0.1)
        finally:
            connection.close()

    step = threading.Thread(target=a_step_in_progress)
    step.start()
    assert held.wait(timeout=30)
    admin = Client(raise_request_exception=False)
    admin.force_login(request.getfixturevalue("ministry_admin"))
    response = admin.post(
        reverse("workflows:revoke", args=[SchoolRound.objects.get().pk]),
        {"reason": "ตรวจพบนักเรียนซ้ำจากการสุ่มตรวจ"},
    )
    step.join()
    assert seen_waiting.is_set()
    assert response.status_code == 302
    assert records(Kind.REVOCATION) == 1
    assert RosterSnapshot.objects.get().status == "revoked"
