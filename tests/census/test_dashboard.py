"""The area and national dashboards: scoped, a fixed number of queries, reminders once per school."""

import io
from smtplib import SMTPServerDisconnected

import openpyxl
import pytest
from django.core.cache import cache
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import membership_create
from census.dashboard import measurement_checks_key
from census.models import RoundReminder, SchoolRound
from census.services import academic_year_create
from schools.models import AreaOffice, School

from ..factories import EnrollmentFactory, SchoolFactory, UserFactory

REMIND_QUERIES = 10  # the area office's reminder, whatever the number of schools


@pytest.fixture
def round2(db):
    return academic_year_create(year_be=2569, actor=None).rounds.get(number=2)


@pytest.fixture
def states(round2, school, area):
    """Our school certified; two more of the area: one confirmed, one not started."""
    SchoolRound.objects.create(round=round2, school=school, state="certified")
    confirmed = SchoolFactory(area_office=area, name_th="โรงเรียนยืนยันแล้ว")
    SchoolRound.objects.create(round=round2, school=confirmed, state="confirmed")
    idle = SchoolFactory(area_office=area, name_th="โรงเรียนยังไม่เริ่ม")
    for s in (school, confirmed, idle):
        EnrollmentFactory(school=s)
    return school, confirmed, idle


def url(area, round2, **params):
    query = "&".join(f"{k}={v}" for k, v in {"round": round2.pk, **params}.items())
    return reverse("census:area_dashboard", args=[area.code]) + "?" + query


def test_area_officer_sees_each_schools_state(client_as, area_officer, area, round2, states):
    response = client_as(area_officer).get(url(area, round2))
    assert response.status_code == 200
    by_name = {s.name_th: s.round_state for s in response.context["schools"]}
    assert by_name == {
        "โรงเรียนบ้านทดสอบ": "certified",
        "โรงเรียนยืนยันแล้ว": "confirmed",
        "โรงเรียนยังไม่เริ่ม": "not_started",
    }
    totals = response.context["totals"]
    assert (totals.done, totals.total, totals.percent_done) == (1, 3, 33)


def test_filter_and_sort(client_as, area_officer, area, round2, states):
    client = client_as(area_officer)
    only = client.get(url(area, round2, state="confirmed")).context["schools"]
    assert [s.name_th for s in only] == ["โรงเรียนยืนยันแล้ว"]
    by_state = [
        s.round_state for s in client.get(url(area, round2, sort="state")).context["schools"]
    ]
    assert by_state == ["not_started", "confirmed", "certified"]


@pytest.mark.parametrize("persona", ["other_area_officer", "staff", "director", "id_approver"])
def test_others_get_nothing_of_the_area(client_as, request, area, round2, states, persona):
    user = request.getfixturevalue(persona)
    client = client_as(user)
    assert client.get(url(area, round2)).status_code == 404
    assert (
        client.post(
            reverse("census:area_remind", args=[area.code]), {"round": round2.pk}
        ).status_code
        == 404
    )
    assert not RoundReminder.objects.exists()


def test_national_dashboard_is_for_the_ministry(
    client_as, ministry_admin, area_officer, area, round2, states
):
    response = client_as(ministry_admin).get(
        reverse("census:national_dashboard") + f"?round={round2.pk}"
    )
    row = next(r for r in response.context["rows"] if r["area"] == area)
    assert row["totals"].counts == {"prepared": 0, "confirmed": 1, "certified": 1, "acknowledged": 0,
                                    "missed": 0, "revoked": 0, "not_started": 1}  # fmt: skip
    assert client_as(area_officer).get(reverse("census:national_dashboard")).status_code == 403


def test_reminder_goes_once_to_each_school_not_certified(
    client_as, area_officer, area, round2, states, mailoutbox, django_capture_on_commit_callbacks
):
    school, confirmed, idle = states
    for s in (school, confirmed, idle):
        membership_create(user=UserFactory(), role=Role.STAFF, school=s)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(area_officer).post(
            reverse("census:area_remind", args=[area.code]), {"round": round2.pk}
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 2
    recipients = {to for m in mailoutbox for to in m.to}
    assert all(school.name_th not in m.body for m in mailoutbox)
    assert len(recipients) == 2
    log = RoundReminder.objects.get()
    assert (
        sorted(log.school_codes) == sorted([confirmed.code, idle.code])
        and log.sent_by == area_officer
    )


@pytest.mark.parametrize("schools", [1, 6])
def test_a_reminder_finds_its_recipients_in_one_query_whatever_the_schools(
    client_as, area_officer, area, round2, schools, django_assert_num_queries
):
    """The area office's reminder reads every school's people at once (accounts.selectors
    .schools_emails), not once a school: 1 or 6 schools to remind, the same queries."""
    for _ in range(schools):
        pending = SchoolFactory(area_office=area)
        SchoolRound.objects.create(round=round2, school=pending, state="prepared")
        membership_create(user=UserFactory(), role=Role.STAFF, school=pending)
    client = client_as(area_officer)
    client.get(url(area, round2))  # the session warm
    with django_assert_num_queries(REMIND_QUERIES):
        response = client.post(
            reverse("census:area_remind", args=[area.code]), {"round": round2.pk}
        )
    assert response.status_code == 302
    assert len(RoundReminder.objects.get().school_codes) == schools


class DownBackend(EmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise SMTPServerDisconnected("down")


def test_a_reminder_with_the_mail_server_down_is_recorded_and_the_page_is_no_error(
    client_as, area_officer, area, round2, states, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    settings.CELERY_TASK_EAGER_PROPAGATES = False  # as a worker runs it: it tries again later
    _school, confirmed, _idle = states
    membership_create(user=UserFactory(), role=Role.STAFF, school=confirmed)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(area_officer).post(
            reverse("census:area_remind", args=[area.code]), {"round": round2.pk}
        )
    assert response.status_code == 302
    assert RoundReminder.objects.get().school_codes == [confirmed.code]


def test_xlsx_export(client_as, area_officer, area, round2, states):
    response = client_as(area_officer).get(url(area, round2, format="xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "รหัสโรงเรียน" and sheet.max_row == 4


@pytest.mark.parametrize("extra", [0, 197])
def test_query_count_is_fixed_for_3_or_200_schools(
    client_as, area_officer, area, round2, states, extra, django_assert_num_queries
):
    schools = School.objects.bulk_create(
        School(code=f"10970{i:05d}", name_th=f"โรงเรียนที่ {i}", area_office=area, province="น่าน")
        for i in range(extra)
    )
    SchoolRound.objects.bulk_create(
        SchoolRound(round=round2, school=s, state="prepared") for s in schools
    )
    client = client_as(area_officer)
    client.get(url(area, round2))  # warm the content types, read once per process
    cache.delete(measurement_checks_key(area_office_id=area.pk, today=timezone.localdate()))
    # Session, user, roles; the area, the round, its schools, the area's access, the rounds to
    # choose from, the measurements checked (one query for the area), the area's own windows of
    # a staggered round: none per school.
    with django_assert_num_queries(10):
        response = client.get(url(area, round2))
    assert len(response.context["schools"]) == 3 + extra
    with django_assert_num_queries(9):  # the area's checks kept (MEASUREMENT_CHECKS_SECONDS)
        client.get(url(area, round2))


@pytest.mark.parametrize("areas", [1, 60])
def test_national_query_count_is_fixed(
    client_as, ministry_admin, area, round2, states, areas, django_assert_num_queries
):
    for i in range(areas - 1):
        office = AreaOffice.objects.create(
            code=f"8{i:03d}", name_th=f"สพป.ทดสอบ {i}", name_en=f"Test {i}", province="น่าน"
        )
        School.objects.create(code=f"10980{i:05d}", name_th="โรงเรียน", area_office=office)
    client = client_as(ministry_admin)
    page = reverse("census:national_dashboard") + f"?round={round2.pk}"
    client.get(page)  # warm the content types, read once per process
    with django_assert_num_queries(7):  # none per area office
        response = client.get(page)
    assert response.status_code == 200


def test_the_dashboard_opens_on_the_round_being_counted(
    client_as, area_officer, area, round2, states, time_machine
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    bangkok = ZoneInfo("Asia/Bangkok")

    # On count day the dashboard shows that day's round, not the newest one by date (round 3).
    time_machine.move_to(datetime(2026, 11, 10, 10, 0, tzinfo=bangkok), tick=False)
    response = client_as(area_officer).get(reverse("census:area_dashboard", args=[area.code]))
    assert response.context["round"] == round2
    body = response.content.decode()
    assert "6 ชั่วโมง 30 นาที" in body and "hours" not in body
    # Afterwards it stays on the last round that was counted.
    round2.opened_at = timezone.now()
    round2.save(update_fields=["opened_at"])
    time_machine.move_to(datetime(2027, 1, 5, 10, 0, tzinfo=bangkok), tick=False)
    response = client_as(area_officer).get(reverse("census:area_dashboard", args=[area.code]))
    assert response.context["round"] == round2
