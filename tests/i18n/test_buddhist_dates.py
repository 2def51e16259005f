"""Every date a person reads in Thai is in the Buddhist year: each signed record the flows sign
and each e-mail they send is driven here and read for a date like 2026-12-03, 03/12/2026 or a
Christian year 20xx in Thai text, with the users' pages in Thai and in English (a record and an
e-mail are Thai whatever the language of the person whose click made them)."""

import html
import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from viewflow.workflow.models import Task

from accounts.models import Role
from accounts.services import membership_create
from buildings.services import survey_year_create
from census.services import academic_year_create
from census.tasks import send_due_reminders
from documents import render
from documents import services as documents
from documents.models import Kind
from schools.models import Grade
from workflows.building_survey import survey_year_open
from workflows.models import DropoutProcess, GCodeProcess, TransferProcess
from workflows.requests import transfers_remind
from workflows.services import round_open
from workflows.tasks import fire_workflow_timers

from ..buildings.conftest import at as survey_at
from ..buildings.conftest import make_building
from ..census.subsidy_data import BORN_P, P1, M, certify, rate, rates_2567, years
from ..factories import (
    EnrollmentFactory,
    MeasurementFactory,
    SchoolFactory,
    StudentFactory,
    UserFactory,
    make_citizen_id,
)
from ..workflows.helpers import COUNT_DAY, at
from ..workflows.test_approvals import (
    emailed_link,
    gcode_data,
    request_correction,
    request_dropout,
    request_transfer,
    take_and_decide,
)

THAI = re.compile(r"[\u0e00-\u0e7f]")
# What is never a date: record numbers (uuids), viewflow's task and process numbers (#2015),
# links, citizen IDs (1-2345-67890-12-3, masked too).
NOT_DATES = re.compile(
    r"#\d+"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|https?://\S+"
    r"|\d-\d{4}-[\dx]{5}-[\dx]{2}-\d"
)
CHRISTIAN = re.compile(
    r"(?<!\d)(?:19|20)\d\d-\d\d?-\d\d?(?!\d)"  # 2026-12-03 (Thai needs no space before it)
    r"|(?<!\d)\d\d?/\d\d?/(?:19|20)\d\d(?!\d)"  # 03/12/2026
    r"|(?<![0-9A-Za-z\-/.,:])20\d\d(?![0-9A-Za-z\-/:]|[.,]\d)"  # 3 ธ.ค. 2026, 2026 (not 2,026.00)
)


def christian_dates_in_thai(text: str) -> list[str]:
    """Return each line of Thai text that shows a date of the Christian era."""
    return [
        line.strip()
        for line in NOT_DATES.sub(" ", text).splitlines()
        if THAI.search(line) and CHRISTIAN.search(line)
    ]


@pytest.mark.parametrize(
    "text",
    ["วันที่มีผล 2026-12-03", "วันที่มีผล2026-12-03", "ภายในเวลาที่กำหนด (2026-10-30 16:30)",
     "ณ วันที่ 03/12/2026",
     "3 ธันวาคม 2026, 16:30", "ปี 2026", "ลงวันที่ 3 ธ.ค. 2026 16:30 น."],
)  # fmt: skip
def test_the_reader_finds_a_christian_date_in_thai_text(text):
    assert christian_dates_in_thai(text)


@pytest.mark.parametrize(
    "text",
    ["วันที่มีผล 3 ธันวาคม 2569", "ปิด 30 ต.ค. 2569 16:30 น.", "รอบ 2569/2",
     "เลขที่ 550e8400-e29b-41d4-2026-446655440000", "เลขประจำตัว 1-2026-67xxx-xx-3",
     "จำนวนเงิน 2,026.00 บาท", "closes 3 Dec 2026", "เวลา 20:26 น.", "รหัส G692026000001",
     "พิจารณาการออกกลางคัน/จำหน่าย #2015"],
)  # fmt: skip
def test_the_reader_leaves_buddhist_dates_and_other_numbers_alone(text):
    assert not christian_dates_in_thai(text)


@pytest.fixture
def round2(db):
    return academic_year_create(year_be=2569, actor=None).rounds.get(number=2)


@pytest.fixture
def clean_roster(school):
    """Learners who pass every check, so that the school can confirm."""
    for i in range(4):
        e = EnrollmentFactory(
            school=school, grade=Grade.P3, student=StudentFactory(birth_date=date(2017, 7, 1 + i))
        )
        MeasurementFactory(student=e.student, measured_on=date(2026, 6, 1))


@pytest.fixture
def records(monkeypatch):
    """Collect the text of every record rendered, by kind."""
    rendered: dict[str, list[str]] = {}
    original = documents.html_render

    def keep(*, template, context):
        page = original(template=template, context=context)
        kind = context["record"].kind
        # Each tag becomes a space: a fact's label and value stay on one line, apart.
        rendered.setdefault(kind, []).append(html.unescape(re.sub(r"<[^>]*>", " ", page)))
        return page

    monkeypatch.setattr(documents, "html_render", keep)
    monkeypatch.setattr(render, "html_render", keep)  # a long annex's chunks are rendered there
    return rendered


@pytest.fixture(params=["th", "en"])
def language(request, client):
    """The language every persona chose for the pages (the cookie of the language switch)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = request.param
    yield request.param
    translation.activate(settings.LANGUAGE_CODE)  # the middleware activated it for the thread


def read(records, outbox) -> list[str]:
    found = [f"{kind}: {line}" for kind, pages in records.items() for page in pages
             for line in christian_dates_in_thai(page)]  # fmt: skip
    for m in outbox:
        found += [f"e-mail {m.subject!r}: {line}"
                  for line in christian_dates_in_thai(f"{m.subject}\n{m.body}")]  # fmt: skip
    return found


def test_the_records_and_e_mails_of_the_requests_show_buddhist_dates(
    client, language, records, staff, area_officer, other_school_staff, id_approver, school,
    other_school, time_machine, settings, django_capture_on_commit_callbacks,
):  # fmt: skip
    time_machine.move_to(at(10, 0, day=date(2026, 12, 3)), tick=False)
    learner = EnrollmentFactory(school=school, started_on=date(2026, 5, 16))
    with django_capture_on_commit_callbacks(execute=True):
        assert request_dropout(client, staff, learner).status_code == 302
        take_and_decide(
            client, area_officer, DropoutProcess, {"decision": "approved", "comment": ""}
        )
        held = EnrollmentFactory(school=other_school)
        assert request_transfer(client, staff, school, held.student.citizen_id).status_code == 302
        client.force_login(staff)
        client.post(reverse("workflows:gcode_request", args=[school.code]), gcode_data())
        take_and_decide(client, area_officer, GCodeProcess, {"decision": "approved", "comment": ""})
        other = EnrollmentFactory(school=school, started_on=date(2026, 5, 16))
        assert request_correction(client, staff, other, make_citizen_id()).status_code == 302
    client.force_login(id_approver)
    assert client.post(emailed_link(mail.outbox), {"decision": "approved"}).status_code == 302
    settings.TRANSFER_REMIND_DAYS = 3
    time_machine.move_to(at(10, 0, day=date(2026, 12, 7)), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_remind() == 1
    take_and_decide(
        client, other_school_staff, TransferProcess,
        {"decision": "approved", "comment": "", "on": "2026-12-07"},
    )  # fmt: skip

    assert set(records) == {
        Kind.DROPOUT_DECISION, Kind.TRANSFER_RECORD, Kind.GCODE_RECORD,
        Kind.ID_CORRECTION_DECISION,
    }  # fmt: skip
    assert len(mail.outbox) == 2  # the approver's link and the transfer reminder
    assert read(records, mail.outbox) == []
    # The dates are there, in Thai with the Buddhist year.
    assert re.search(r"วันที่มีผล\s+3 ธันวาคม 2569", records[Kind.DROPOUT_DECISION][0])
    assert re.search(r"วันที่ย้าย\s+7 ธันวาคม 2569", records[Kind.TRANSFER_RECORD][0])
    assert "10 ธ.ค. 2569" in mail.outbox[0].body  # the link expires after 7 days


def take(client, user, node, school, data=None):
    """Do a certification step of one school's process as the user."""
    client.force_login(user)
    task = Task.objects.get(
        flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"],
        process__certificationprocess__school=school,
    )  # fmt: skip
    assert task.flow_task.name == node, task.flow_task.name
    location = client.post(reverse("workflows:take", args=[task.pk]))["Location"]
    return client.post(location, data or {})


def test_the_records_and_e_mails_of_a_count_day_show_buddhist_dates(
    client, language, records, clean_roster, round2, school, area, staff, director,
    area_officer, ministry_admin, time_machine, django_capture_on_commit_callbacks,
):  # fmt: skip
    late = SchoolFactory(area_office=area)  # never confirms: reminded, then missed
    EnrollmentFactory(school=late)
    membership_create(user=UserFactory(), role=Role.STAFF, school=late, starts_on=date(2020, 1, 1))
    time_machine.move_to(at(7, 0, day=date(2026, 11, 1)), tick=False)
    round_open(round=round2)

    def run(moment, *steps):
        time_machine.move_to(moment, tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            for s in steps:
                s()

    run(at(9, 0, day=COUNT_DAY - timedelta(days=1)), send_due_reminders.delay)  # the day before
    run(
        at(9, 0),
        lambda: take(client, staff, "prepare", school),
        lambda: take(client, staff, "confirm", school),
    )
    run(at(9, 5), send_due_reminders.delay)  # the director is told
    run(at(14, 30), send_due_reminders.delay)  # the late school is reminded
    client.force_login(area_officer)
    run(
        at(14, 35),
        lambda: client.post(reverse("census:area_remind", args=[area.code]), {"round": round2.pk}),
    )
    send_back = {"decision": "reject", "reason": "จำนวนนักเรียนชั้น ป.1 ไม่ตรง"}
    run(at(14, 40), lambda: take(client, director, "certify", school, send_back))
    run(at(14, 50), lambda: take(client, staff, "confirm", school))
    run(at(15, 0), lambda: take(client, director, "certify", school, {"decision": "certify"}))
    run(at(15, 10), lambda: take(client, area_officer, "acknowledge", school))
    run(at(16, 30, 1), fire_workflow_timers.delay)  # the late school is missed
    school_round = school.school_rounds.get(round=round2)

    def revoke():
        client.force_login(ministry_admin)
        url = reverse("workflows:revoke", args=[school_round.pk])
        assert client.post(url, {"reason": "ตรวจพบนักเรียนซ้ำซ้อน"}).status_code == 302

    run(at(10, 0, day=date(2026, 11, 20)), revoke)

    assert set(records) == {
        Kind.CONFIRMATION, Kind.CERTIFICATION, Kind.ROSTER_ANNEX, Kind.REVOCATION,
        Kind.SEND_BACK, Kind.ACKNOWLEDGEMENT,
    }  # fmt: skip
    subjects = " ".join(m.subject for m in mail.outbox)
    for what in ("พรุ่งนี้", "รอผู้อำนวยการ", "ยังไม่ได้ยืนยัน", "เตือน", "ไม่ได้รับรอง"):
        assert what in subjects, what
    assert read(records, mail.outbox) == []
    assert re.search(r"ข้อมูล ณ วันที่\s+10 พฤศจิกายน 2569", records[Kind.CERTIFICATION][0])


def test_the_records_and_e_mails_of_the_building_survey_show_buddhist_dates(
    client, language, records, school, area, staff, director, area_officer, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    late = SchoolFactory(area_office=area)  # never certifies: reminded, then missed
    membership_create(user=UserFactory(), role=Role.STAFF, school=late, starts_on=date(2020, 1, 1))
    survey_year = survey_year_create(year_be=2569)
    time_machine.move_to(survey_at(10, 1, 8, 0), tick=False)
    make_building(school)
    survey_year_open(survey_year=survey_year)

    def step(user, node, data=None):
        client.force_login(user)
        task = Task.objects.get(
            flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"],
            process__buildingsurveyprocess__school=school,
        )  # fmt: skip
        location = client.post(reverse("workflows:take", args=[task.pk]))["Location"]
        assert client.post(location, data or {}).status_code == 302

    time_machine.move_to(survey_at(10, 10, 10, 0), tick=False)
    step(staff, "enter")
    step(director, "certify", {"decision": "certify"})
    time_machine.move_to(survey_at(10, 20, 9, 0), tick=False)
    client.force_login(area_officer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("buildings:remind", args=[area.code])).status_code == 302
    time_machine.move_to(survey_at(10, 30, 16, 30, 1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        fire_workflow_timers.delay()
    client.force_login(area_officer)
    assert client.post(reverse("buildings:area_budget_sign", args=[area.code])).status_code == 302

    assert set(records) == {Kind.BUILDING_SURVEY}
    assert len(records[Kind.BUILDING_SURVEY]) == 2  # the school's survey and the area's list
    assert len(mail.outbox) == 2  # the reminder and the missed survey
    assert read(records, mail.outbox) == []
    assert "30 ต.ค. 2569 16:30" in mail.outbox[1].body


def test_the_allocation_and_rollover_records_show_buddhist_dates(
    client, language, records, school, area_officer, ministry_admin, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    rounds = years(2566, 2567, 2568)
    rates_2567()
    rate(2568, "tuition", "primary", 2100)
    certify(school, rounds[(2566, 2)], [(P1, M, BORN_P)])
    certify(school, rounds[(2567, 1)], [(P1, M, BORN_P), (P1, M, BORN_P)])
    client.force_login(area_officer)
    url = reverse("census:school_allocation", args=[school.code, 2567, 1])
    assert client.post(url).status_code == 302
    data = {"area": school.area_office.code, "year": 2567, "term": 1}
    assert client.post(reverse("census:area_statement"), data).status_code == 302
    EnrollmentFactory(school=school, grade=P1)
    time_machine.move_to(at(9, 0, day=date(2025, 5, 1)), tick=False)  # after round 3 of 2567
    client.force_login(ministry_admin)
    year_2568 = rounds[(2568, 1)].academic_year
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:rollover_start", args=[year_2568.pk]))

    assert set(records) == {Kind.ALLOCATION_STATEMENT, Kind.ROLLOVER_SUMMARY}
    assert read(records, []) == []
    assert re.search(r"วันที่ดำเนินการ\s+1 พ.ค. 2568", records[Kind.ROLLOVER_SUMMARY][0])


def test_viewflow_pages_of_a_flow_show_buddhist_dates_in_thai(
    client, staff, area_officer, school, time_machine
):
    time_machine.move_to(at(10, 0, day=date(2026, 12, 3)), tick=False)
    learner = EnrollmentFactory(school=school, started_on=date(2026, 5, 16))
    assert request_dropout(client, staff, learner).status_code == 302
    process = DropoutProcess.objects.get()
    client.force_login(area_officer)
    before = ["/dropout/", "/dropout/flows/", "/dropout/tasks/", "/dropout/queue/"]
    pages = {path: client.get(path) for path in before}
    take_and_decide(client, area_officer, DropoutProcess, {"decision": "approved", "comment": ""})
    task = Task.objects.get(process=process, flow_task_type="HUMAN")
    after = [f"/dropout/{process.pk}/", "/dropout/archive/", "/dropout/inbox/",
             f"/dropout/{process.pk}/approve/{task.pk}/detail/"]  # fmt: skip
    pages |= {path: client.get(path) for path in after}

    found = []
    for path, response in pages.items():
        assert response.status_code == 200, path
        text = html.unescape(re.sub(r"<[^>]*>", " ", response.content.decode()))
        found += [f"{path}: {line}" for line in christian_dates_in_thai(text)]
    assert found == []
    detail = html.unescape(
        re.sub(r"<[^>]*>", " ", pages[f"/dropout/{process.pk}/"].content.decode())
    )
    assert "3 ธ.ค. 2569" in detail  # the effective date and the tasks' times
