"""The certification flow over HTTP as each persona, with the windows at their edges."""

from datetime import date

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from census.models import RosterSnapshot, Round, SchoolRound, SnapshotRow
from documents.models import Kind, SignedDocument
from schools.models import Grade
from workflows.models import CertificationProcess
from workflows.services import round_open

from ..factories import EnrollmentFactory, MeasurementFactory, StudentFactory
from .helpers import at, open_task, run_to_certify, step


def test_the_whole_count_day(client, opened, staff, director, area_officer, time_machine):
    run_to_certify(client, staff, director, time_machine)
    school_round = SchoolRound.objects.get()
    assert school_round.state == SchoolRound.State.CONFIRMED
    confirmation = SignedDocument.objects.get(kind=Kind.CONFIRMATION)
    assert confirmation.actor == staff and confirmation.school == opened.school
    response = step(client, director, "certify", {"decision": "certify"})
    assert response.status_code == 302
    snapshot = RosterSnapshot.objects.get()
    assert snapshot.learner_count == 4 and snapshot.counts == {Grade.P3: {"M": 4, "F": 0}}
    assert SnapshotRow.objects.filter(snapshot=snapshot).count() == 4
    certification = SignedDocument.objects.get(kind=Kind.CERTIFICATION)
    assert certification.actor == director
    annex = SignedDocument.objects.get(kind=Kind.ROSTER_ANNEX)
    assert annex.parent == certification
    assert step(client, area_officer, "acknowledge").status_code == 302
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.ACKNOWLEDGED
    opened.refresh_from_db()
    assert opened.status == "DONE"


@pytest.mark.parametrize(
    "moment,allowed",
    [
        (at(7, 59, 59), False),
        (at(8, 0, 0), True),  # the guideline: the confirm button works from 08:00
        (at(16, 29, 59), True),
        (at(16, 30, 0), False),
        (at(10, 0, day=date(2026, 11, 9)), False),
    ],
)
def test_confirm_window_edges(client, opened, staff, time_machine, moment, allowed):
    time_machine.move_to(at(7, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(moment, tick=False)
    response = step(client, staff, "confirm")
    school_round = SchoolRound.objects.get()
    if allowed:
        assert response.status_code == 302
        assert school_round.state == SchoolRound.State.CONFIRMED
    else:
        assert response.status_code == 200
        assert "ยืนยันข้อมูลได้เฉพาะ" in response.content.decode()
        assert school_round.state == SchoolRound.State.PREPARED
        assert not SignedDocument.objects.exists()


@pytest.mark.parametrize(
    "moment,allowed",
    [
        (at(8, 29, 59), False),
        (at(8, 30, 0), True),
        (at(16, 29, 59), True),
        (at(16, 30, 0), False),
        (at(10, 0, day=date(2026, 11, 11)), False),
    ],
)
def test_certify_window_edges(client, opened, staff, director, time_machine, moment, allowed):
    # Confirm early (the button works from 08:00), certify at the edge.
    time_machine.move_to(at(8, 5), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    time_machine.move_to(moment, tick=False)
    response = step(client, director, "certify", {"decision": "certify"})
    if allowed:
        assert response.status_code == 302
        assert RosterSnapshot.objects.count() == 1
    else:
        assert response.status_code == 200
        assert "รับรองข้อมูลได้เฉพาะ" in response.content.decode()
        assert not RosterSnapshot.objects.exists()


def test_the_confirm_page_says_the_guideline_asks_for_0830_and_the_button_works_from_0800(
    client, opened, staff, time_machine
):
    time_machine.move_to(at(8, 0), tick=False)
    step(client, staff, "prepare")
    page = client.get(open_task(client, staff, "confirm")).content.decode()
    assert "10 พ.ย. 2569 08:00–16:30 น." in page
    assert "แนวปฏิบัติให้เจ้าหน้าที่ยืนยันข้อมูลตั้งแต่ 08:30 น. ปุ่มยืนยันใช้ได้ตั้งแต่ 08:00 น." in page


def _area_dashboard_state(client, area_officer, school, round):
    client.force_login(area_officer)
    response = client.get(
        reverse("census:area_dashboard", args=[school.area_office.code]) + f"?round={round.pk}"
    )
    return {s.pk: s.round_state for s in response.context["schools"]}[school.pk]


def test_prepare_refused_while_errors_remain_then_allowed(
    client, opened, staff, area_officer, school, time_machine
):
    unmeasured = EnrollmentFactory(
        school=school, grade=Grade.P3, student=StudentFactory(birth_date=date(2017, 8, 1))
    )
    time_machine.move_to(at(9, 0), tick=False)
    response = step(client, staff, "prepare")
    assert response.status_code == 200
    assert "แก้ไขก่อนยืนยัน" in response.content.decode()
    assert SchoolRound.objects.get().state == SchoolRound.State.NOT_STARTED
    assert _area_dashboard_state(client, area_officer, school, opened.round) == "not_started"
    MeasurementFactory(
        student=unmeasured.student, measured_on=date(2026, 11, 9), weight_kg=28, height_cm=131
    )
    assert step(client, staff, "prepare").status_code == 302
    assert SchoolRound.objects.get().state == SchoolRound.State.PREPARED
    assert _area_dashboard_state(client, area_officer, school, opened.round) == "prepared"


def test_prepare_needs_queries_explained(client, opened, staff, school, time_machine):
    odd = EnrollmentFactory(
        school=school, grade=Grade.P3, student=StudentFactory(birth_date=date(2017, 8, 1))
    )
    MeasurementFactory(
        student=odd.student, measured_on=date(2026, 6, 1), weight_kg=17, height_cm=104
    )
    time_machine.move_to(at(9, 0), tick=False)
    response = step(client, staff, "prepare")
    assert "รายการที่ยังไม่ได้อธิบาย" in response.content.decode()
    assert SchoolRound.objects.get().state == SchoolRound.State.NOT_STARTED
    client.post(
        reverse("schools:validation", args=[school.code]),
        {"rule": "implausible", "subject_key": str(odd.student.public_id), "text": "ชั่งซ้ำแล้ว ถูกต้อง"},
    )
    assert step(client, staff, "prepare").status_code == 302
    assert step(client, staff, "confirm").status_code == 302


def test_confirm_refused_when_an_error_appears_after_prepare(
    client, opened, staff, school, time_machine
):
    time_machine.move_to(at(9, 0), tick=False)
    assert step(client, staff, "prepare").status_code == 302
    unmeasured = EnrollmentFactory(
        school=school, grade=Grade.P3, student=StudentFactory(birth_date=date(2017, 8, 1))
    )
    response = step(client, staff, "confirm")
    assert response.status_code == 200
    assert "แก้ไขก่อนยืนยัน" in response.content.decode()
    assert SchoolRound.objects.get().state == SchoolRound.State.PREPARED
    MeasurementFactory(
        student=unmeasured.student, measured_on=date(2026, 11, 9), weight_kg=28, height_cm=131
    )
    assert step(client, staff, "confirm").status_code == 302
    assert SchoolRound.objects.get().state == SchoolRound.State.CONFIRMED


def test_roster_is_locked_while_confirmed(
    client, opened, staff, director, school, clean_roster, time_machine
):
    run_to_certify(client, staff, director, time_machine)
    learner = clean_roster[0]
    response = client.post(
        reverse("schools:class", args=[school.code, learner.student.public_id]),
        {"grade": Grade.P4, "room": "2"},
    )
    assert response.status_code == 200
    assert "ยืนยันแล้วและรอผู้อำนวยการรับรอง" in response.content.decode()
    step(client, director, "certify", {"decision": "certify"})
    client.force_login(staff)
    response = client.post(
        reverse("schools:class", args=[school.code, learner.student.public_id]),
        {"grade": Grade.P4, "room": "2"},
    )
    assert response.status_code == 302  # after certification, edits go on for the next round


def test_snapshot_does_not_change_after_a_later_edit(
    client, opened, staff, director, school, clean_roster, time_machine
):
    run_to_certify(client, staff, director, time_machine)
    step(client, director, "certify", {"decision": "certify"})
    snapshot = RosterSnapshot.objects.get()
    before = list(
        SnapshotRow.objects.filter(snapshot=snapshot).values_list(
            "student_id", "grade", "room", "first_name_th"
        )
    )
    client.force_login(staff)
    learner = clean_roster[0]
    client.post(
        reverse("schools:class", args=[school.code, learner.student.public_id]),
        {"grade": Grade.P4, "room": "3"},
    )
    client.post(
        reverse("schools:name", args=[school.code, learner.student.public_id]),
        {"title": "ด.ช.", "first_name_th": "เปลี่ยนชื่อ", "last_name_th": "ใหม่"},
    )
    after = list(
        SnapshotRow.objects.filter(snapshot=snapshot).values_list(
            "student_id", "grade", "room", "first_name_th"
        )
    )
    assert after == before
    snapshot.refresh_from_db()
    assert snapshot.counts == {Grade.P3: {"M": 4, "F": 0}}


def test_reject_then_confirm_again_then_certify(client, opened, staff, director, time_machine):
    run_to_certify(client, staff, director, time_machine)
    response = step(
        client,
        director,
        "certify",
        {"decision": "reject", "reason": "ตัวเลขชั้น ป.3 ไม่ตรงกับสมุดทะเบียน"},
    )
    assert response.status_code == 302
    school_round = SchoolRound.objects.get()
    assert school_round.state == SchoolRound.State.PREPARED
    assert "ป.3" in school_round.last_rejection
    assert not RosterSnapshot.objects.exists()
    assert step(client, staff, "confirm").status_code == 302
    assert SignedDocument.objects.filter(kind=Kind.CONFIRMATION).count() == 2
    assert step(client, director, "certify", {"decision": "certify"}).status_code == 302
    assert RosterSnapshot.objects.count() == 1


@pytest.fixture
def record_facts():
    """Collect what each signed record printed, by kind (the PDF's Thai text is font glyphs)."""
    from django.test.signals import template_rendered

    printed = {}

    def collect(sender, template, context, **kwargs):
        if template.name == "documents/summary_record.html":
            printed.setdefault(context["record"].kind, []).append(dict(context["facts"]))

    template_rendered.connect(collect)
    yield printed
    template_rendered.disconnect(collect)


def test_each_send_back_signs_a_record_with_its_reason(
    client, opened, staff, director, time_machine, record_facts
):
    run_to_certify(client, staff, director, time_machine)
    reasons = ["ตัวเลขชั้น ป.3 ไม่ตรงกับสมุดทะเบียน", "ยังขาดนักเรียนย้ายเข้า 1 คน"]
    step(client, director, "certify", {"decision": "reject", "reason": reasons[0]})
    sent_back = SignedDocument.objects.get(kind=Kind.SEND_BACK)
    assert (sent_back.actor, sent_back.school) == (director, opened.school)
    assert sent_back.actor_role == "ผู้อำนวยการโรงเรียน"
    facts = record_facts[Kind.SEND_BACK][0]
    assert facts["เหตุผลที่ส่งกลับ"] == reasons[0]
    assert director.display_name in facts["ส่งกลับโดย"]
    assert staff.display_name in facts["ยืนยันโดย"]
    # The staff see it on their confirm page, and a second send-back signs a second record.
    client.force_login(staff)
    page = client.get(open_task(client, staff, "confirm")).content.decode()
    assert str(sent_back.public_id) in page
    assert step(client, staff, "confirm").status_code == 302
    step(client, director, "certify", {"decision": "reject", "reason": reasons[1]})
    assert SignedDocument.objects.filter(kind=Kind.SEND_BACK).count() == 2
    assert [f["เหตุผลที่ส่งกลับ"] for f in record_facts[Kind.SEND_BACK]] == reasons


def test_the_area_office_acknowledgement_signs_a_record(
    client, opened, staff, director, area_officer, other_area_officer, time_machine, record_facts
):
    from workflows.certification import CertificationFlow

    snapshot = certified(client, staff, director, time_machine)
    task = _task(CertificationFlow.acknowledge)
    client.force_login(other_area_officer)
    assert client.post(reverse("workflows:take", args=[task.pk])).status_code == 404
    assert not SignedDocument.objects.filter(kind=Kind.ACKNOWLEDGEMENT).exists()
    assert step(client, area_officer, "acknowledge").status_code == 302
    acknowledged = SignedDocument.objects.get(kind=Kind.ACKNOWLEDGEMENT)
    assert (acknowledged.actor, acknowledged.school) == (area_officer, opened.school)
    assert acknowledged.actor_role == "เจ้าหน้าที่สำนักงานเขตพื้นที่การศึกษา"
    assert acknowledged.subject == snapshot
    facts = record_facts[Kind.ACKNOWLEDGEMENT][0]
    assert facts["จำนวนนักเรียนที่รับรอง"] == "4 คน"
    assert director.display_name in facts["การรับรอง"]
    assert area_officer.display_name in facts["ผู้รับทราบ"]
    assert SchoolRound.objects.get().acknowledged_by == area_officer


def test_reject_needs_a_reason(client, opened, staff, director, time_machine):
    run_to_certify(client, staff, director, time_machine)
    response = step(client, director, "certify", {"decision": "reject", "reason": ""})
    assert response.status_code == 200
    assert SchoolRound.objects.get().state == SchoolRound.State.CONFIRMED


def test_missed_at_window_close_by_the_beat_task(
    client,
    opened,
    staff,
    area_officer,
    time_machine,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    from workflows.tasks import fire_workflow_timers

    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(at(16, 29, 59), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_workflow_timers.delay().get() == 0
    time_machine.move_to(at(16, 30, 1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_workflow_timers.delay().get() == 1
    assert SchoolRound.objects.get().state == SchoolRound.State.MISSED
    opened.refresh_from_db()
    assert opened.status == "DONE"
    assert [m.to for m in mailoutbox] == [[area_officer.email]]
    assert opened.school.name_th in mailoutbox[0].subject
    assert not Task.objects.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"]).exists()


def test_opening_twice_starts_one_process_per_school(round2, school, other_school, time_machine):
    time_machine.move_to(at(7, 0, day=date(2026, 11, 1)), tick=False)
    assert round_open(round=round2) == 2
    assert round_open(round=round2) == 0
    assert CertificationProcess.objects.count() == 2


def test_the_beat_task_opens_due_rounds(round2, school, time_machine, settings):
    from workflows.tasks import open_due_rounds

    settings.ROUND_OPENS_DAYS_BEFORE = 14
    time_machine.move_to(at(8, 0, day=date(2026, 10, 26)), tick=False)  # 15 days before
    assert open_due_rounds.delay().get() == 0
    time_machine.move_to(at(8, 31, day=date(2026, 10, 27)), tick=False)  # 14 days before
    assert open_due_rounds.delay().get() == 1
    assert open_due_rounds.delay().get() == 0
    assert Round.objects.get(pk=round2.pk).opened_at is not None


def test_rounds_open_command(round2, school, time_machine):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    time_machine.move_to(at(8, 0, day=date(2026, 11, 2)), tick=False)
    call_command("rounds_open", round=round2.pk, stdout=out)
    assert "1 processes started" in out.getvalue()


# --- who may do what -------------------------------------------------------------------------


def _task(node):
    return Task.objects.get(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"], flow_task=node)


def test_others_cannot_take_or_execute_the_certify_task(
    client, opened, staff, director, other_school_director, area_officer, time_machine
):
    from workflows.certification import CertificationFlow

    run_to_certify(client, staff, director, time_machine)
    task = _task(CertificationFlow.certify)
    for user in (staff, other_school_director, area_officer):
        client.force_login(user)
        assert client.post(reverse("workflows:take", args=[task.pk])).status_code == 404
        execute = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
        assert client.post(execute, {"decision": "certify"}).status_code in (403, 404)
    assert not RosterSnapshot.objects.exists()


def test_another_area_cannot_see_the_process_its_tasks_or_documents(
    client, opened, staff, director, other_area_officer, other_school_staff, time_machine
):
    from workflows.certification import CertificationFlow

    run_to_certify(client, staff, director, time_machine)
    task = _task(CertificationFlow.certify)
    document = SignedDocument.objects.get(kind=Kind.CONFIRMATION)
    for user in (other_area_officer, other_school_staff):
        client.force_login(user)
        flow = CertificationFlow.instance
        assert client.get(flow.reverse("process_detail", args=[opened.pk])).status_code in (
            403,
            404,
        )
        assert client.get(
            task.flow_task.reverse("detail", args=[task.process_id, task.pk])
        ).status_code in (403, 404)
        assert (
            opened.school.name_th not in client.get(flow.reverse("process_list")).content.decode()
        )
        assert opened.school.name_th not in client.get(flow.reverse("task_list")).content.decode()
        assert opened.school.name_th not in client.get(flow.reverse("index")).content.decode()
        assert (
            client.get(reverse("documents:download", args=[document.public_id])).status_code == 404
        )
        inbox = client.get(reverse("workflows:inbox")).content.decode()
        assert opened.school.name_th not in inbox


def test_own_area_sees_the_process(client, opened, area_officer):
    from workflows.certification import CertificationFlow

    client.force_login(area_officer)
    flow = CertificationFlow.instance
    assert client.get(flow.reverse("process_detail", args=[opened.pk])).status_code == 200
    assert opened.school.name_th in client.get(flow.reverse("process_list")).content.decode()


def test_inbox_shows_the_right_tasks_to_each_persona(
    client, opened, staff, director, area_officer, time_machine
):
    time_machine.move_to(at(9, 0), tick=False)
    for user, expected in ((staff, 1), (director, 0), (area_officer, 0)):
        client.force_login(user)
        assert len(client.get(reverse("workflows:inbox")).context["rows"]) == expected
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    client.force_login(director)
    rows = client.get(reverse("workflows:inbox")).context["rows"]
    assert [r.task.flow_task.name for r in rows] == ["certify"]
    assert rows[0].school == opened.school and rows[0].deadline == at(16, 30)


@pytest.mark.parametrize("schools", [1, 200])
def test_inbox_query_count_is_fixed(
    client, round2, schools, django_assert_num_queries, time_machine
):
    from accounts.models import Role
    from accounts.services import membership_create

    from ..factories import AreaOfficeFactory, SchoolFactory, UserFactory

    area = AreaOfficeFactory()
    officer = UserFactory()
    membership_create(user=officer, role=Role.AREA_OFFICER, area_office=area)
    staff = UserFactory()
    created = [SchoolFactory(area_office=area) for _ in range(schools)]
    for s in created:
        membership_create(user=staff, role=Role.STAFF, school=s)
    time_machine.move_to(at(7, 0, day=date(2026, 11, 1)), tick=False)
    round_open(round=round2)
    client.force_login(staff)
    client.get(reverse("workflows:inbox"))  # warm the content types, read once per process
    with django_assert_num_queries(7):  # none per school or task
        response = client.get(reverse("workflows:inbox"))
    assert response.context["page"].paginator.count == schools
    assert len(response.context["rows"]) == min(schools, 50)  # one page


# --- revocation ---------------------------------------------------------------------------------


def certified(client, staff, director, time_machine):
    run_to_certify(client, staff, director, time_machine)
    step(client, director, "certify", {"decision": "certify"})
    return RosterSnapshot.objects.get()


def test_revocation_inside_the_window_reopens_the_flow(
    client, opened, staff, director, ministry_admin, time_machine
):
    snapshot = certified(client, staff, director, time_machine)
    school_round = SchoolRound.objects.get()
    client.force_login(ministry_admin)
    response = client.post(
        reverse("workflows:revoke", args=[school_round.pk]), {"reason": "ตรวจพบนักเรียนไม่มีตัวตน 3 คน"}
    )
    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.status == RosterSnapshot.Status.REVOKED
    assert SignedDocument.objects.filter(kind=Kind.REVOCATION).count() == 1
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.PREPARED
    assert CertificationProcess.objects.filter(is_current=True).count() == 1
    assert step(client, staff, "confirm").status_code == 302
    assert step(client, director, "certify", {"decision": "certify"}).status_code == 302
    assert RosterSnapshot.objects.filter(status="certified").count() == 1


def test_revocation_after_the_window_stays_revoked(
    client, opened, staff, director, ministry_admin, time_machine
):
    certified(client, staff, director, time_machine)
    school_round = SchoolRound.objects.get()
    time_machine.move_to(at(10, 0, day=date(2026, 11, 20)), tick=False)
    client.force_login(ministry_admin)
    client.post(
        reverse("workflows:revoke", args=[school_round.pk]), {"reason": "ตรวจพบนักเรียนซ้ำซ้อน"}
    )
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.REVOKED
    assert not CertificationProcess.objects.filter(is_current=True).exists()


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer"])
def test_only_the_ministry_revokes(client, opened, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    school_round = SchoolRound.objects.get()
    assert (
        client.post(
            reverse("workflows:revoke", args=[school_round.pk]), {"reason": "ไม่ใช่ผู้มีสิทธิ์"}
        ).status_code
        == 403
    )


def test_double_submit_of_confirm_acts_once_with_a_message(client, opened, staff, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    client.force_login(staff)
    url = open_task(client, staff, "confirm")
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True)
    assert "ขั้นตอนนี้ดำเนินการไปแล้ว" in again.content.decode()
    assert SignedDocument.objects.filter(kind=Kind.CONFIRMATION).count() == 1


def test_the_confirm_request_leaves_the_record_to_the_worker_as_of_the_act(
    client, opened, school, staff, director, time_machine, record_facts
):
    """The confirm request commits the state and a pending record; the worker (the request's
    commit callbacks here) signs it later, stating the counts as they were at the confirmation."""
    from django.test import TestCase

    from .helpers import open_task

    time_machine.move_to(at(9, 0), tick=False)
    assert step(client, staff, "prepare").status_code == 302
    url = open_task(client, staff, "confirm")
    with TestCase.captureOnCommitCallbacks() as queued:
        response = client.post(url, follow=True)
    assert "บันทึกการยืนยันกำลังลงนาม" in response.content.decode()
    assert SchoolRound.objects.get().state == SchoolRound.State.CONFIRMED
    record = SignedDocument.objects.get(kind=Kind.CONFIRMATION)
    assert (record.status, record.file.name, record.signed_at) == ("pending", "", None)
    assert record.dated_at == at(9, 0)
    listed = client.get(reverse("documents:school_list", args=[school.code])).content.decode()
    assert (
        "dmc-badge" in listed
        and reverse("documents:download", args=[record.public_id]) not in listed
    )

    # A learner added before the worker takes the record (here by the ORM, as another process
    # might): the record still states the four learners confirmed.
    EnrollmentFactory(school=school, grade=Grade.P3, student=StudentFactory())
    time_machine.move_to(at(9, 0, 5), tick=False)
    for callback in queued:
        callback()
    record.refresh_from_db()
    assert record.is_ready and len(record.sha256) == 64 and record.signed_at == at(9, 0, 5)
    assert record.dated_at == at(9, 0)
    assert record_facts[Kind.CONFIRMATION] == [dict(record.context_kwargs["facts"])]
    assert record.context_kwargs["counts"]["total"] == ["รวม", 4, 0, 4]
    verified = client.get(reverse("documents:verify", args=[record.public_id])).content.decode()
    assert "✔" in verified
    listed = client.get(reverse("documents:school_list", args=[school.code])).content.decode()
    assert reverse("documents:download", args=[record.public_id]) in listed

    # The worker's task run again (a redelivery) does nothing more.
    from documents.tasks import render_record

    assert render_record.apply(args=[record.pk]).get() == "ready"
    assert SignedDocument.objects.filter(kind=Kind.CONFIRMATION).count() == 1
