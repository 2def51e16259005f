"""The approval flows end to end over HTTP as each persona: dropout, ID correction by e-mail,
transfer between schools, G-code issuance."""

import re
from datetime import date, timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from documents.models import Kind, SignedDocument
from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade, Student
from workflows.models import (
    Decision,
    DropoutProcess,
    GCodeProcess,
    IdCorrectionProcess,
    TransferProcess,
)

from ..factories import EnrollmentFactory, make_citizen_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, started_on=date(2026, 5, 16))


def take_and_decide(client, user, model, data):
    client.force_login(user)
    task = Task.objects.get(
        process__in=model.objects.values("pk"),
        flow_task_type="HUMAN",
        status__in=["NEW", "ASSIGNED"],
    )
    response = client.post(reverse("workflows:take", args=[task.pk]))
    assert response.status_code == 302, response.status_code
    return client.post(response["Location"], data)


# --- dropout (2.7.6) ------------------------------------------------------------------------------


def request_dropout(client, staff, learner, **extra):
    client.force_login(staff)
    data = {
        "kind": "dropped_out",
        "reason": "family_moved",
        "reason_note": "",
        "effective_on": timezone.localdate().isoformat(),
        "evidence": [pdf()],
    }
    data.update(extra)
    url = reverse(
        "workflows:dropout_request", args=[learner.school.code, learner.student.public_id]
    )
    return client.post(url, data)


def test_dropout_approved_by_the_area_office(client, staff, area_officer, learner):
    assert request_dropout(client, staff, learner).status_code == 302
    process = DropoutProcess.objects.get()
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE  # nothing changes before the approval
    response = take_and_decide(
        client, area_officer, DropoutProcess, {"decision": "approved", "comment": ""}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert (
        learner.status == EnrollmentStatus.DROPPED_OUT and learner.ended_on == timezone.localdate()
    )
    record = SignedDocument.objects.get(kind=Kind.DROPOUT_DECISION)
    assert record.actor == area_officer
    process.refresh_from_db()
    assert process.decision == Decision.APPROVED and process.status == "DONE"
    page = client.get(reverse("workflows:request", args=["dropout", process.pk])).content.decode()
    assert str(record.public_id) in page


def test_dropout_rejected_changes_nothing_and_is_signed(client, staff, area_officer, learner):
    request_dropout(client, staff, learner)
    response = take_and_decide(
        client, area_officer, DropoutProcess, {"decision": "rejected", "comment": "ยังติดต่อผู้ปกครองได้"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE
    assert SignedDocument.objects.filter(kind=Kind.DROPOUT_DECISION).count() == 1


def test_reject_needs_a_reason(client, staff, area_officer, learner):
    request_dropout(client, staff, learner)
    response = take_and_decide(
        client, area_officer, DropoutProcess, {"decision": "rejected", "comment": ""}
    )
    assert response.status_code == 200
    assert not SignedDocument.objects.exists()


def test_other_area_cannot_see_or_decide_a_dropout(
    client, staff, other_area_officer, other_school_staff, learner
):
    request_dropout(client, staff, learner)
    process = DropoutProcess.objects.get()
    task = Task.objects.get(process=process, flow_task_type="HUMAN")
    for user in (other_area_officer, other_school_staff):
        client.force_login(user)
        assert client.post(reverse("workflows:take", args=[task.pk])).status_code == 404
        assert (
            client.get(reverse("workflows:request", args=["dropout", process.pk])).status_code
            == 404
        )
        assert not client.get(reverse("workflows:inbox")).context["rows"]
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


def test_staff_cannot_decide_their_own_dropout(client, staff, director, learner):
    request_dropout(client, staff, learner)
    task = Task.objects.get(flow_task_type="HUMAN")
    for user in (staff, director):
        client.force_login(user)
        assert client.post(reverse("workflows:take", args=[task.pk])).status_code == 404


def test_dropout_request_checks_its_input(client, staff, learner):
    response = request_dropout(client, staff, learner, reason="other", reason_note="")
    assert response.status_code == 200
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    assert request_dropout(client, staff, learner, effective_on=future).status_code == 200
    assert not DropoutProcess.objects.exists()


# --- citizen-ID correction by e-mail ----------------------------------------------------------------


def request_correction(client, staff, learner, new_id):
    client.force_login(staff)
    url = reverse(
        "workflows:id_correction_request", args=[learner.school.code, learner.student.public_id]
    )
    return client.post(url, {"new_citizen_id": new_id, "evidence": [pdf("idcard.pdf")]})


def emailed_link(mailoutbox):
    return re.search(r"http://\S+/workflows/id-link/\S+/", mailoutbox[-1].body).group(0)


def test_id_correction_approved_from_the_emailed_link(
    client, staff, id_approver, learner, mailoutbox, django_capture_on_commit_callbacks
):
    new_id = make_citizen_id()
    with django_capture_on_commit_callbacks(execute=True):
        assert request_correction(client, staff, learner, new_id).status_code == 302
    assert [m.to for m in mailoutbox] == [[id_approver.email]]
    link = emailed_link(mailoutbox)
    client.force_login(id_approver)
    page = client.get(link)  # a mail scanner's GET decides nothing
    assert page.status_code == 200
    assert IdCorrectionProcess.objects.get().decision == ""
    response = client.post(link, {"decision": "approved", "comment": ""})
    assert response.status_code == 302
    learner.student.refresh_from_db()
    assert learner.student.citizen_id == new_id
    assert (
        AuditEntry.objects.filter(action=AuditEntry.Action.ID_CHANGE, actor=id_approver).count()
        == 1
    )
    assert SignedDocument.objects.filter(kind=Kind.ID_CORRECTION_DECISION).count() == 1
    # reused
    again = client.post(link, {"decision": "rejected", "comment": "ลองใช้ลิงก์ซ้ำ"})
    assert again.status_code == 403 and "ลิงก์ใช้ไม่ได้อีก" in again.content.decode()


def test_id_correction_rejected(
    client, staff, id_approver, learner, mailoutbox, django_capture_on_commit_callbacks
):
    old = learner.student.citizen_id
    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, learner, make_citizen_id())
    client.force_login(id_approver)
    client.post(emailed_link(mailoutbox), {"decision": "rejected", "comment": "หลักฐานไม่ชัดเจน"})
    learner.student.refresh_from_db()
    assert learner.student.citizen_id == old
    assert SignedDocument.objects.filter(kind=Kind.ID_CORRECTION_DECISION).count() == 1


def test_tampered_link_decides_nothing(
    client, staff, id_approver, learner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, learner, make_citizen_id())
    link = emailed_link(mailoutbox)
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"l": 1, "n": "0" * 32}, salt="another-salt")
    client.force_login(id_approver)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged):
        response = client.post(reverse("workflows:id_link", args=[bad]), {"decision": "approved"})
        assert response.status_code == 403 and "ลิงก์ไม่ถูกต้องหรือถูกแก้ไข" in response.content.decode()
    assert IdCorrectionProcess.objects.get().decision == ""


def test_someone_elses_link_decides_nothing(
    client,
    staff,
    id_approver,
    ministry_admin,
    learner,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, learner, make_citizen_id())
    client.force_login(ministry_admin)
    response = client.post(emailed_link(mailoutbox), {"decision": "approved"})
    assert response.status_code == 403 and "ลิงก์นี้ส่งถึงผู้อนุมัติคนอื่น" in response.content.decode()
    assert IdCorrectionProcess.objects.get().decision == ""


def test_expired_link_decides_nothing_and_the_request_expires(
    client,
    staff,
    id_approver,
    learner,
    mailoutbox,
    time_machine,
    django_capture_on_commit_callbacks,
):
    from workflows.tasks import fire_workflow_timers

    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, learner, make_citizen_id())
    time_machine.move_to(timezone.now() + timedelta(days=8), tick=False)
    client.force_login(id_approver)
    response = client.post(emailed_link(mailoutbox), {"decision": "approved"})
    assert response.status_code == 403 and "ลิงก์หมดอายุแล้ว" in response.content.decode()
    assert fire_workflow_timers.delay().get() == 1
    assert IdCorrectionProcess.objects.get().decision == Decision.EXPIRED


def test_new_id_held_elsewhere_is_refused(
    client,
    staff,
    id_approver,
    learner,
    other_school,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    holder = EnrollmentFactory(school=other_school)
    response = request_correction(client, staff, learner, holder.student.citizen_id)
    assert response.status_code == 200 and "เป็นของนักเรียนคนอื่นแล้ว" in response.content.decode()
    # taken between the request and the decision: the decision is refused, nothing changes
    new_id = make_citizen_id()
    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, learner, new_id)
    Student.objects.filter(pk=holder.student.pk).update(citizen_id=new_id)
    client.force_login(id_approver)
    response = client.post(emailed_link(mailoutbox), {"decision": "approved"})
    assert response.status_code == 200 and "เป็นของนักเรียนคนอื่นแล้ว" in response.content.decode()
    learner.student.refresh_from_db()
    assert learner.student.citizen_id != new_id
    assert not SignedDocument.objects.filter(kind=Kind.ID_CORRECTION_DECISION).exists()


def test_g_code_learner_receives_a_citizen_id_and_keeps_the_g_code(
    client, staff, id_approver, school, mailoutbox, django_capture_on_commit_callbacks
):
    from ..factories import StudentFactory

    g = EnrollmentFactory(
        school=school, student=StudentFactory(citizen_id=None, gcode="G690000000042")
    )
    new_id = make_citizen_id()
    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, g, new_id)
    client.force_login(id_approver)
    client.post(emailed_link(mailoutbox), {"decision": "approved"})
    g.student.refresh_from_db()
    assert g.student.citizen_id == new_id and g.student.gcode == "G690000000042"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ID_CHANGE)
    assert entry.changes == {"citizen_id": ["G690000000042", new_id]}


# --- transfer (2.7.1) -------------------------------------------------------------------------------


def request_transfer(client, user, school, identifier):
    client.force_login(user)
    return client.post(
        reverse("workflows:transfer_in", args=[school.code]),
        {"identifier": identifier, "grade": Grade.P4, "room": "2", "evidence": [pdf("letter.pdf")]},
    )


def test_transfer_released_moves_the_enrollment(
    client, staff, other_school_staff, school, other_school
):
    held = EnrollmentFactory(school=other_school)
    assert request_transfer(client, staff, school, held.student.citizen_id).status_code == 302
    process = TransferProcess.objects.get()
    response = take_and_decide(
        client,
        other_school_staff,
        TransferProcess,
        {"decision": "approved", "comment": "", "on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    enrollments = Enrollment.objects.filter(student=held.student)
    assert enrollments.filter(status="active").get().school == school
    assert enrollments.get(pk=held.pk).status == EnrollmentStatus.TRANSFERRED_OUT
    assert SignedDocument.objects.filter(kind=Kind.TRANSFER_RECORD).count() == 1
    process.refresh_from_db()
    assert process.released_on == timezone.localdate()


def test_transfer_refused_keeps_the_learner(
    client, staff, other_school_staff, school, other_school
):
    held = EnrollmentFactory(school=other_school)
    request_transfer(client, staff, school, held.student.citizen_id)
    take_and_decide(
        client,
        other_school_staff,
        TransferProcess,
        {"decision": "rejected", "comment": "นักเรียนยังเรียนอยู่"},
    )
    assert Enrollment.objects.get(student=held.student, status="active").school == other_school
    assert SignedDocument.objects.filter(kind=Kind.TRANSFER_RECORD).count() == 1


def test_only_the_releasing_school_releases(client, staff, area_officer, school, other_school):
    held = EnrollmentFactory(school=other_school)
    request_transfer(client, staff, school, held.student.citizen_id)
    task = Task.objects.get(flow_task_type="HUMAN")
    for user in (staff, area_officer):
        client.force_login(user)
        assert client.post(reverse("workflows:take", args=[task.pk])).status_code == 404


def test_a_learner_held_by_nobody_is_enrolled_at_once(client, staff, school, other_school):
    gone = EnrollmentFactory(
        school=other_school, status=EnrollmentStatus.TRANSFERRED_OUT, ended_on=date(2026, 5, 1)
    )
    response = request_transfer(client, staff, school, gone.student.citizen_id)
    assert response.status_code == 302
    assert Enrollment.objects.get(student=gone.student, status="active").school == school
    assert not TransferProcess.objects.exists()


def test_an_unknown_id_points_to_add_learner(client, staff, school):
    response = request_transfer(client, staff, school, make_citizen_id())
    assert response.status_code == 200 and "2.7.3" in response.content.decode()


def test_waiting_transfers_are_reminded_once_a_day(
    client,
    staff,
    other_school_staff,
    school,
    other_school,
    mailoutbox,
    time_machine,
    settings,
    django_capture_on_commit_callbacks,
):
    from workflows.requests import transfers_remind

    settings.TRANSFER_REMIND_DAYS = 3
    held = EnrollmentFactory(school=other_school)
    request_transfer(client, staff, school, held.student.citizen_id)
    assert transfers_remind() == 0
    time_machine.move_to(timezone.now() + timedelta(days=4), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_remind() == 1
    assert transfers_remind() == 0
    assert mailoutbox[-1].to == [other_school_staff.email]


# --- G-code (2.7.4) -----------------------------------------------------------------------------------


def gcode_data(**extra):
    data = {
        "title": "ด.ช.", "first_name_th": "อาทิตย์", "last_name_th": "ไม่มีนามสกุล", "first_name_en": "", "last_name_en": "",
        "sex": "M", "birth_date": "2018-03-01", "nationality": "ไม่ปรากฏสัญชาติ", "guardian_name": "นางคำ แสงดี",
        "guardian_relation": "มารดา", "guardian_phone": "", "address": "บ้านห้วยน้ำ อ.แม่ริม", "grade": Grade.P2, "room": "1",
        "evidence": [pdf()],
    }  # fmt: skip
    data.update(extra)
    return data


def test_g_code_issued_and_the_learner_added(client, staff, area_officer, school):
    client.force_login(staff)
    assert (
        client.post(
            reverse("workflows:gcode_request", args=[school.code]), gcode_data()
        ).status_code
        == 302
    )
    take_and_decide(client, area_officer, GCodeProcess, {"decision": "approved", "comment": ""})
    process = GCodeProcess.objects.get()
    assert re.fullmatch(r"G\d{12}", process.issued_gcode)
    assert (
        Enrollment.objects.get(student__gcode=process.issued_gcode, status="active").school
        == school
    )
    assert SignedDocument.objects.filter(kind=Kind.GCODE_RECORD).count() == 1


def test_g_codes_are_unique(db):
    from workflows.requests import gcode_next

    codes = {gcode_next(year_be=2569) for _ in range(50)}
    assert len(codes) == 50


def test_g_code_rejected_adds_nobody(client, staff, area_officer, other_area_officer, school):
    client.force_login(staff)
    client.post(reverse("workflows:gcode_request", args=[school.code]), gcode_data())
    task = Task.objects.get(flow_task_type="HUMAN")
    client.force_login(other_area_officer)
    assert client.post(reverse("workflows:take", args=[task.pk])).status_code == 404
    take_and_decide(
        client, area_officer, GCodeProcess, {"decision": "rejected", "comment": "ไม่มีหลักฐานประกอบ"}
    )
    assert not Student.objects.exists()
    assert SignedDocument.objects.filter(kind=Kind.GCODE_RECORD).count() == 1


def test_request_pages_are_scoped(
    client, staff, area_officer, other_area_officer, other_school_staff, school
):
    client.force_login(staff)
    client.post(reverse("workflows:gcode_request", args=[school.code]), gcode_data())
    process = GCodeProcess.objects.get()
    url = reverse("workflows:request", args=["gcode", process.pk])
    for user in (staff, area_officer):
        client.force_login(user)
        assert client.get(url).status_code == 200
    for user in (other_area_officer, other_school_staff):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert (
            client.get(reverse("workflows:school_requests", args=[school.code])).status_code == 404
        )


def test_the_approver_sees_the_evidence_and_outsiders_do_not(
    client,
    staff,
    id_approver,
    other_school_staff,
    learner,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    from schools.models import StudentDocument

    with django_capture_on_commit_callbacks(execute=True):
        request_correction(client, staff, learner, make_citizen_id())
    process = IdCorrectionProcess.objects.get()
    document = StudentDocument.objects.get(request_key=process.request_key)
    url = reverse(
        "workflows:request_evidence", args=["id-correction", process.pk, document.public_id]
    )
    client.force_login(id_approver)
    page = client.get(emailed_link(mailoutbox)).content.decode()
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(other_school_staff)
    assert client.get(url).status_code == 404
