"""The budget-request list, the area dashboard and the reminder."""

import io
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from buildings.models import ClassSize, SchoolSurvey
from buildings.selectors import classrooms_needed
from census.models import AcademicYear, RosterSnapshot, SchoolRound
from census.services import academic_year_create
from documents.models import Kind, SignedDocument
from schools.models import Grade
from workflows.tasks import fire_workflow_timers

from ..factories import SchoolFactory
from .conftest import at, make_building, step


def certified_round1(school, counts, certified_by, status=RosterSnapshot.Status.CERTIFIED):
    year = AcademicYear.objects.filter(year=2569).first() or academic_year_create(
        year_be=2569, actor=None
    )
    round1 = year.rounds.get(number=1)
    school_round = SchoolRound.objects.create(round=round1, school=school, state="certified")
    return RosterSnapshot.objects.create(
        school_round=school_round, school=school, round=round1, status=status,
        as_of=round1.as_of, certified_at=timezone.now(), certified_by=certified_by,
        learner_count=sum(sum(c.values()) for c in counts.values()), counts=counts,
    )  # fmt: skip


def test_classrooms_needed_by_hand():
    sizes = {"kindergarten": 30, "primary": 40, "secondary": 40}
    assert classrooms_needed(counts={Grade.P1: {"M": 50, "F": 45}}, sizes=sizes) == 3
    assert classrooms_needed(counts={Grade.P1: {"M": 20, "F": 20}}, sizes=sizes) == 1
    assert classrooms_needed(counts={Grade.K2: {"M": 16, "F": 15}}, sizes=sizes) == 2
    assert (
        classrooms_needed(
            counts={
                Grade.K1: {"M": 10, "F": 5},
                Grade.P6: {"M": 41, "F": 0},
                Grade.M4: {"M": 0, "F": 0},
            },
            sizes=sizes,
        )
        == 3
    )


def test_shortage_against_certified_round1_learners(
    client, certified, school, director, area_officer
):
    # 95 ป.1 learners at 40 a room → 3 classrooms; 2 in use → short of 1.
    certified_round1(school, {Grade.P1: {"M": 50, "F": 45}}, director)
    client.force_login(area_officer)
    response = client.get(reverse("buildings:area_budget", args=[school.area_office.code]))
    assert response.status_code == 200
    [row] = response.context["listing"].eligible
    assert (row.school, row.learners, row.classrooms_in_use) == (school, 95, 2)
    assert (row.classrooms_needed, row.shortage) == (3, 1)
    # the ministry makes primary rooms smaller: 95 at 30 → 4 rooms, short of 2
    ClassSize.objects.filter(level="primary").update(learners_per_room=30)
    row = (
        client.get(reverse("buildings:area_budget", args=[school.area_office.code]))
        .context["listing"]
        .eligible[0]
    )
    assert (row.classrooms_needed, row.shortage) == (4, 2)


def test_no_certified_round1_count_means_shortage_unknown(
    client, certified, school, director, area_officer
):
    certified_round1(school, {Grade.P1: {"M": 50, "F": 45}}, director, status="revoked")
    client.force_login(area_officer)
    response = client.get(reverse("buildings:area_budget", args=[school.area_office.code]))
    [row] = response.context["listing"].eligible
    assert row.learners is None and row.shortage is None
    assert "ไม่มีข้อมูลรับรอง" in response.content.decode()  # "no certified count"


def test_missed_and_not_certified_schools_are_excluded_with_the_reason(
    client, opened, school, area, staff, ministry_admin, time_machine
):
    late = SchoolFactory(area_office=area, name_th="โรงเรียนมาช้า")  # opened after the year
    time_machine.move_to(at(10, 31, 9, 0), tick=False)
    fire_workflow_timers.apply()
    client.force_login(ministry_admin)
    response = client.get(reverse("buildings:budget"))
    assert response.status_code == 200
    reasons = {r.school: r.exclusion for r in response.context["listing"].excluded}
    assert reasons[school] == "missed" and reasons[late] == "not_certified"
    assert not response.context["listing"].eligible


@pytest.mark.parametrize(
    "persona,status",
    [
        ("area_officer", 200),
        ("ministry_admin", 200),
        ("other_area_officer", 404),
        ("staff", 404),
        ("director", 404),
        ("id_approver", 404),
    ],
)
def test_who_sees_the_area_pages(client, opened, school, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    code = school.area_office.code
    for name in ("buildings:area_budget", "buildings:progress", "buildings:area_budget_xlsx"):
        assert client.get(reverse(name, args=[code])).status_code == status, name


@pytest.mark.parametrize(
    "persona,status", [("ministry_admin", 200), ("area_officer", 403), ("staff", 403)]
)
def test_only_the_ministry_sees_the_national_list(client, opened, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("buildings:budget")).status_code == status
    assert client.get(reverse("buildings:budget_xlsx")).status_code == status


def test_other_area_officer_sees_nothing_of_another_area(
    client, certified, school, other_area_officer
):
    client.force_login(other_area_officer)
    response = client.get(reverse("buildings:area_budget", args=[other_area_officer_code()]))
    listing = response.context["listing"]
    assert school not in [r.school for r in listing.eligible + listing.excluded]
    assert school.name_th not in response.content.decode()


def other_area_officer_code():
    return "5002"


def test_xlsx_has_thai_headers_and_is_formula_safe(client, certified, school, area_officer):
    school.name_th = '=HYPERLINK("http://evil")'
    school.save()
    client.force_login(area_officer)
    response = client.get(reverse("buildings:area_budget_xlsx", args=[school.area_office.code]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet["B1"].value == "รหัสโรงเรียน" and sheet["I1"].value == "ห้องเรียนที่ขาด"
    assert sheet["C2"].value.startswith("'=")
    assert book.worksheets[1]["D1"].value == "เหตุผลที่ไม่มีรายชื่อ"


def test_area_list_is_signed_once_after_the_window_closed(
    client, certified, school, area_officer, other_area_officer, time_machine
):
    client.force_login(area_officer)
    url = reverse("buildings:area_budget_sign", args=[school.area_office.code])
    response = client.post(url)  # still open (10 October)
    assert (
        response.status_code == 302
        and not SignedDocument.objects.filter(area_office__isnull=False).exists()
    )
    time_machine.move_to(at(10, 30, 16, 30), tick=False)
    client.force_login(area_officer)  # the session of 10 October has expired
    response = client.post(url)
    assert response.status_code == 302 and "/verify/" in response["Location"]
    client.post(url)
    record = SignedDocument.objects.get(area_office=school.area_office)
    assert record.school is None and record.kind == Kind.BUILDING_SURVEY
    assert record.actor == area_officer
    client.force_login(other_area_officer)
    assert client.post(url).status_code == 404


def test_dashboard_shows_each_state(
    client, opened, school, area, staff, director, area_officer, time_machine
):
    quiet = SchoolFactory(area_office=area)  # not opened: not started
    certified_school = SchoolFactory(area_office=area)
    from buildings.models import SchoolSurvey as S

    S.objects.create(survey_year=opened, school=certified_school, state=S.State.CERTIFIED)
    time_machine.move_to(at(10, 2, 9, 0), tick=False)
    step(client, staff, "enter", school)
    client.force_login(area_officer)
    response = client.get(reverse("buildings:progress", args=[area.code]))
    states = {r.school: r.state for r in response.context["rows"]}
    assert states == {school: "submitted", quiet: "not_started", certified_school: "certified"}


def test_reminder_emails_every_school_not_certified_once(
    client,
    opened,
    school,
    area,
    staff,
    director,
    area_officer,
    other_area_officer,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to(at(10, 20, 9, 0), tick=False)
    client.force_login(other_area_officer)
    assert client.post(reverse("buildings:remind", args=[area.code])).status_code == 404
    client.force_login(area_officer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("buildings:remind", args=[area.code]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([staff.email, director.email])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("buildings:remind", args=[area.code]))  # a double click
    assert len(mail.outbox) == 1
    assert client.get(reverse("buildings:remind", args=[area.code])).status_code == 405


def test_certified_school_is_not_reminded(
    client, certified, school, area, area_officer, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    client.force_login(area_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("buildings:remind", args=[area.code]))
    assert mail.outbox == []


def test_list_pages_have_a_pinned_query_count(
    client, opened, area, director, area_officer, ministry_admin, django_assert_num_queries
):
    def add_schools(n):
        for _ in range(n):
            s = SchoolFactory(area_office=area)
            make_building(s)
            make_building(s, kind="hall", condition="poor", rooms_design=0, rooms_in_use=0)
            SchoolSurvey.objects.create(
                survey_year=opened, school=s, state="certified",
                summary={"buildings": 2, "classrooms_in_use": 2, "floor_area_m2": "864",
                         "poor": [{"name": "h", "kind": "hall", "condition": "poor"}]},
            )  # fmt: skip
            certified_round1(s, {Grade.P1: {"M": 30, "F": 30}}, director)

    pages = [  # (who, page, its queries: the same for 2 schools and 17)
        (area_officer, reverse("buildings:area_budget", args=[area.code]), 11),
        (area_officer, reverse("buildings:progress", args=[area.code]), 8),
        (area_officer, reverse("buildings:area_budget_xlsx", args=[area.code]), 9),
        (ministry_admin, reverse("buildings:budget"), 10),
        (area_officer, reverse("buildings:index"), 8),
    ]
    for n in (2, 15):
        add_schools(n)
        for user, url, queries in pages:
            client.force_login(user)
            client.get(url)  # warm the content types, read once per process
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200, url


def test_budget_fiscal_year_is_two_years_later(opened):
    assert opened.fiscal_year == 2571
    assert timezone.localtime(opened.opens).date() == date(2025 + 1, 10, 1)
