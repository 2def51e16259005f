"""The year rollover: every learner moves up once, the final grades graduate unless the school
keeps them, schools review their list first, and each school gets a signed summary."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from census.models import RolloverDecision, SchoolRollover
from census.services import academic_year_create
from documents.models import Kind, SignedDocument
from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade

from ..factories import EnrollmentFactory, StudentFactory


def bkk(day, hh=9, mm=0):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@pytest.fixture(autouse=True)
def early_clock(time_machine):
    """Memberships start on the day they are made: make them well before the rollover."""
    time_machine.move_to(bkk(date(2026, 11, 1)), tick=False)


@pytest.fixture
def years(db):
    return academic_year_create(year_be=2569, actor=None), academic_year_create(
        year_be=2570, actor=None
    )


@pytest.fixture
def roster(school, other_school):
    grades = [Grade.K3, Grade.P1, Grade.P1, Grade.P5, Grade.P6, Grade.P6, Grade.M3, Grade.M6]
    rows = {
        i: EnrollmentFactory(school=school, grade=g, student=StudentFactory())
        for i, g in enumerate(grades)
    }
    rows["other"] = EnrollmentFactory(school=other_school, grade=Grade.P6)
    return rows


@pytest.fixture
def after_round_3(time_machine):
    time_machine.move_to(bkk(date(2027, 5, 1)), tick=False)


def grades(school):
    return sorted(
        Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE).values_list(
            "grade", flat=True
        )
    )


def start(client, django_capture_on_commit_callbacks, year):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("census:rollover_start", args=[year.pk]), follow=True)


def test_every_grade_moves_up_once_and_the_final_grades_graduate(
    client_as, ministry_admin, school, years, roster, after_round_3,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    response = start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    assert "2570" in response.content.decode()
    assert grades(school) == [Grade.P2, Grade.P2, Grade.P6]
    graduated = Enrollment.objects.filter(school=school, status=EnrollmentStatus.GRADUATED)
    assert sorted(graduated.values_list("grade", flat=True)) == sorted(
        [Grade.K3, Grade.P6, Grade.P6, Grade.M3, Grade.M6]
    )
    assert set(graduated.values_list("ended_on", flat=True)) == {date(2027, 5, 15)}
    assert AuditEntry.objects.filter(school=school).count() == 8
    record = SignedDocument.objects.get(kind=Kind.ROLLOVER_SUMMARY, school=school)
    assert "2570" in record.title
    assert SchoolRollover.objects.get(school=school).counts[Grade.P6] == {"graduate": 2}


def test_running_the_rollover_twice_changes_nothing(
    client_as, ministry_admin, school, other_school, years, roster, after_round_3,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client = client_as(ministry_admin)
    start(client, django_capture_on_commit_callbacks, years[1])
    before = grades(school), AuditEntry.objects.count(), SignedDocument.objects.count()
    response = start(client, django_capture_on_commit_callbacks, years[1])
    assert response.status_code == 200
    assert (grades(school), AuditEntry.objects.count(), SignedDocument.objects.count()) == before
    assert grades(other_school) == []  # its ป.6 graduated, once
    from census.tasks import rollover_school

    rollover_school.delay(years[1].pk, school.pk, ministry_admin.pk)  # a redelivered task
    assert (grades(school), AuditEntry.objects.count(), SignedDocument.objects.count()) == before


def test_the_school_keeps_one_learner_and_holds_one_back(
    client_as, staff, ministry_admin, school, years, roster, after_round_3,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client = client_as(staff)
    page = client.get(reverse("census:rollover_review", args=[school.code]))
    assert page.status_code == 200
    assert len(page.context["review"].lines) == 5  # อ.3, ป.6 ×2, ม.3, ม.6
    kept = roster[4]
    response = client.post(
        reverse("census:rollover_review", args=[school.code]),
        {f"choice_{kept.pk}": "move_up", f"choice_{roster[5].pk}": "graduate"},
    )
    assert response.status_code == 302
    held_back = roster[1]
    client.post(
        reverse("census:rollover_review", args=[school.code]),
        {f"choice_{held_back.pk}": "repeat", "grade": Grade.P1},
    )
    assert RolloverDecision.objects.count() == 2  # a default choice stores nothing
    start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    kept.refresh_from_db()
    held_back.refresh_from_db()
    assert (kept.grade, kept.status) == (Grade.M1, EnrollmentStatus.ACTIVE)
    assert (held_back.grade, held_back.status) == (Grade.P1, EnrollmentStatus.ACTIVE)
    assert grades(school) == [Grade.P1, Grade.P2, Grade.P6, Grade.M1]


def test_impossible_choices_are_refused_with_a_reason(
    client_as, staff, school, years, roster, after_round_3
):
    client = client_as(staff)
    url = reverse("census:rollover_review", args=[school.code])
    response = client.post(url, {f"choice_{roster[7].pk}": "move_up"}, follow=True)
    assert "ม.6 เป็นชั้นสุดท้าย" in response.content.decode()
    response = client.post(url, {f"choice_{roster[3].pk}": "graduate"}, follow=True)
    assert "ผู้ที่ออกกลางคันให้ใช้เมนูจำหน่ายหรือย้ายออก" in response.content.decode()
    response = client.post(url, {f"choice_{roster['other'].pk}": "repeat"}, follow=True)
    assert "มีนักเรียนที่ไม่อยู่ในโรงเรียนนี้แล้ว" in response.content.decode()
    assert not RolloverDecision.objects.exists()


def test_the_rollover_waits_for_round_3_to_close(
    client_as, ministry_admin, school, years, roster, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    time_machine.move_to(bkk(date(2027, 4, 30), 16, 29), tick=False)
    response = start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    assert "เลื่อนชั้นได้หลังปิดรอบ 2569/3 · 30 เม.ย. 2570 (" in response.content.decode()
    assert not SchoolRollover.objects.exists()
    time_machine.move_to(bkk(date(2027, 4, 30), 16, 30), tick=False)
    start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    assert SchoolRollover.objects.filter(school=school).exists()


def test_the_rollover_is_refused_once_round_1_has_opened(
    client_as, ministry_admin, years, roster, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(bkk(date(2027, 6, 10), 8, 30), tick=False)
    response = start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    assert "รอบ 2570/1 · 10 มิ.ย. 2570 เปิดแล้ว เลื่อนชั้นไม่ได้" in response.content.decode()
    assert not SchoolRollover.objects.exists()


def test_only_the_ministry_applies_the_rollover(
    client_as, staff, director, area_officer, years, roster, after_round_3
):
    for user in (staff, director, area_officer):
        response = client_as(user).post(reverse("census:rollover_start", args=[years[1].pk]))
        assert response.status_code == 403
    assert not SchoolRollover.objects.exists()


def test_the_review_is_the_schools_own(
    client_as, director, other_school_staff, other_area_officer, area_officer, school, years,
    roster, after_round_3,
):  # fmt: skip
    url = reverse("census:rollover_review", args=[school.code])
    assert client_as(director).get(url).status_code == 200
    assert client_as(area_officer).get(url).status_code == 200
    assert client_as(director).post(url, {f"choice_{roster[4].pk}": "move_up"}).status_code == 403
    for outsider in (other_school_staff, other_area_officer):
        assert client_as(outsider).get(url).status_code == 404
        assert client_as(outsider).post(url, {}).status_code == 404
    assert not RolloverDecision.objects.exists()


def test_the_review_page_reads_in_a_fixed_number_of_queries(
    client_as, staff, school, years, roster, after_round_3, django_assert_num_queries
):
    client = client_as(staff)
    url = reverse("census:rollover_review", args=[school.code])
    client.get(url)  # warm the content types, read once per process
    with django_assert_num_queries(14):
        client.get(url)
    for _ in range(20):
        EnrollmentFactory(school=school, grade=Grade.P6)
    with django_assert_num_queries(14):  # none per learner
        response = client.get(url)
    assert len(response.context["review"].lines) == 25


def test_a_school_keeps_a_learner_only_in_a_grade_it_teaches(
    client_as, staff, ministry_admin, school, years, roster, after_round_3,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    school.highest_grade = Grade.P6  # a primary school: ป.6 cannot move up here
    school.save(update_fields=["highest_grade"])
    client = client_as(staff)
    url = reverse("census:rollover_review", args=[school.code])
    response = client.post(url, {f"choice_{roster[4].pk}": "move_up"}, follow=True)
    assert "no ม.1" in response.content.decode() or "ไม่มีชั้น ม.1" in response.content.decode()
    school.highest_grade = Grade.M3  # an opportunity-expansion school teaches ม.1–ม.3
    school.save(update_fields=["highest_grade"])
    assert client.post(url, {f"choice_{roster[4].pk}": "move_up"}).status_code == 302
    start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    roster[4].refresh_from_db()
    assert (roster[4].grade, roster[4].status) == (Grade.M1, EnrollmentStatus.ACTIVE)


def test_a_school_keeps_a_whole_final_grade_in_one_action(
    client_as, staff, ministry_admin, school, years, roster, after_round_3,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    school.highest_grade = Grade.P6  # อ.1–ป.6: its อ.3 go on to ป.1 here
    school.save(update_fields=["highest_grade"])
    extra = EnrollmentFactory(school=school, grade=Grade.K3)
    url = reverse("census:rollover_review", args=[school.code])
    client = client_as(staff)
    row = next(g for g in client.get(url).context["review"].grades if g["grade"] == Grade.K3)
    assert row["can_stay"] and row["graduate"] == 2
    assert client.post(url, {"keep_grade": Grade.K3}).status_code == 302
    start(client_as(ministry_admin), django_capture_on_commit_callbacks, years[1])
    for enrollment in (roster[0], extra):
        enrollment.refresh_from_db()
        assert (enrollment.grade, enrollment.status) == (Grade.P1, EnrollmentStatus.ACTIVE)


def test_the_calendar_offers_the_rollover_only_when_it_is_open(
    client_as, ministry_admin, staff, years, roster, time_machine
):
    url = reverse("census:index")
    button = reverse("census:rollover_start", args=[years[1].pk])
    time_machine.move_to(bkk(date(2027, 4, 1)), tick=False)  # round 3 of 2569 still ahead
    page = client_as(ministry_admin).get(url).content.decode()
    assert button not in page and "เลื่อนชั้นได้หลังปิดรอบ" in page
    time_machine.move_to(bkk(date(2027, 5, 1)), tick=False)
    page = client_as(ministry_admin).get(url).content.decode()
    assert button in page
    assert "เลื่อนชั้นไม่ได้" not in page  # 2569 began long ago: no rollover line for it
    assert button not in client_as(staff).get(url).content.decode()
