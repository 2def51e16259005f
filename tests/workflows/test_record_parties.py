"""Who may fetch a request's signed record: each party to the request downloads it from the
request's page; anyone else gets 404 (the public verify page stays open to all)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import Role
from documents.models import Kind, SignedDocument
from schools.models import Grade
from workflows.models import TransferProcess

from ..conftest import _persona
from ..factories import AreaOfficeFactory, EnrollmentFactory, SchoolFactory, make_citizen_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf():
    return SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def outsiders(db):
    """A school and an area office that have no part in the requests, and an ID approver of that
    area office (whom no request of the test's schools is e-mailed to)."""
    area = AreaOfficeFactory(code="5003")
    school = SchoolFactory(code="1050130777", area_office=area)
    return [
        _persona("third_staff", Role.STAFF, school=school),
        _persona("third_area_officer", Role.AREA_OFFICER, area_office=area),
        _persona("third_area_approver", Role.ID_APPROVER, area_office=area),
    ]


def fetches(user, record, kind, process) -> tuple[int, int, bool]:
    """Return the download's status, the request page's status, and whether it links the download."""
    client = Client()
    client.force_login(user)
    download = reverse("documents:download", args=[record.public_id])
    page = client.get(reverse("workflows:request", args=[kind, process.pk]))
    links = page.status_code == 200 and download in page.content.decode()
    return client.get(download).status_code, page.status_code, links


def assert_parties(record, kind, process, parties, others):
    wrong = []
    for user in parties:
        if fetches(user, record, kind, process) != (200, 200, True):
            wrong.append(f"party {user.username}: {fetches(user, record, kind, process)}")
    for user in others:
        if fetches(user, record, kind, process) != (404, 404, False):
            wrong.append(f"outsider {user.username}: {fetches(user, record, kind, process)}")
    assert not wrong, "\n".join(wrong)
    assert Client().get(reverse("documents:verify", args=[record.public_id])).status_code == 200


def test_each_party_to_an_id_correction_fetches_its_decision_and_no_one_else(
    client, school, staff, director, area_officer, id_approver, ministry_admin,
    other_school_staff, other_area_officer, outsiders, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    learner = EnrollmentFactory(school=school, grade=Grade.P3)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "workflows:id_correction_request", args=[school.code, learner.student.public_id]
            ),
            {"new_citizen_id": make_citizen_id(), "evidence": [pdf()]},
        )
    link = re.search(r"http://\S+(/workflows/id-link/\S+/)", mailoutbox[-1].body).group(1)
    client.force_login(id_approver)
    decided = client.post(link, {"decision": "approved", "comment": ""})
    assert decided.status_code == 302
    record = SignedDocument.objects.get(kind=Kind.ID_CORRECTION_DECISION)
    assert_parties(
        record,
        "id-correction",
        record.subject,
        parties=[id_approver, staff, director, area_officer, ministry_admin],
        others=[other_school_staff, other_area_officer, *outsiders],
    )


def test_each_party_to_a_transfer_fetches_its_record_and_no_one_else(
    client, school, other_school, staff, director, area_officer, ministry_admin,
    other_school_staff, other_school_director, other_area_officer, id_approver, outsiders,
):  # fmt: skip
    held = EnrollmentFactory(school=other_school)
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
    process = TransferProcess.objects.get()
    task = Task.objects.get(process=process, flow_task_type="HUMAN", status="NEW")
    client.force_login(other_school_staff)
    url = client.post(reverse("workflows:take", args=[task.pk]))["Location"]
    data = {"decision": "approved", "comment": "", "on": timezone.localdate().isoformat()}
    assert client.post(url, data).status_code == 302
    record = SignedDocument.objects.get(kind=Kind.TRANSFER_RECORD)
    assert_parties(
        record,
        "transfer",
        process,
        parties=[
            staff, director, area_officer,  # the receiving school and its area office
            other_school_staff, other_school_director, other_area_officer,  # the releasing ones
            ministry_admin,
        ],
        others=[id_approver, *outsiders],
    )  # fmt: skip
