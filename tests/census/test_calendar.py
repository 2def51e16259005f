"""The ministry admin creates academic years (three rounds with default windows) and changes them."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from census.models import AcademicYear, Round
from census.services import academic_year_create


def bkk(day, hh, mm):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def test_a_new_year_has_three_rounds_with_default_windows(client_as, ministry_admin):
    response = client_as(ministry_admin).post(reverse("census:year_create"), {"year": "2570"})
    assert response.status_code == 302
    year = AcademicYear.objects.get(year=2570)
    rounds = {r.number: r for r in year.rounds.all()}
    assert rounds[1].as_of == date(2027, 6, 10)
    assert rounds[2].as_of == date(2027, 11, 10)
    assert rounds[3].as_of == date(2028, 4, 30)
    for r in rounds.values():
        # The guideline: the confirm button works from 08:00, the director certifies from 08:30.
        assert (r.confirm_opens, r.confirm_closes) == (bkk(r.as_of, 8, 0), bkk(r.as_of, 16, 30))
        assert (r.certify_opens, r.certify_closes) == (bkk(r.as_of, 8, 30), bkk(r.as_of, 16, 30))
        assert r.id_correction_cutoff == bkk(r.as_of, 16, 30)


def test_the_same_year_twice_is_refused(client_as, ministry_admin):
    client = client_as(ministry_admin)
    client.post(reverse("census:year_create"), {"year": "2570"})
    response = client.post(reverse("census:year_create"), {"year": "2570"}, follow=True)
    assert "มีปีการศึกษา 2570 แล้ว" in response.content.decode()
    assert Round.objects.count() == 3


def test_the_ministry_changes_a_window(client_as, ministry_admin):
    year = academic_year_create(year_be=2570, actor=ministry_admin)
    r1 = year.rounds.get(number=1)
    response = client_as(ministry_admin).post(
        reverse("workflows:round_edit", args=[r1.pk]),
        {
            "as_of": "2027-06-10",
            "confirm_opens": "2027-06-10T07:30",
            "confirm_closes": "2027-06-10T16:30",
            "certify_opens": "2027-06-10T08:30",
            "certify_closes": "2027-06-10T16:30",
            "id_correction_cutoff": "2027-06-10T16:30",
        },
    )
    assert response.status_code == 302
    r1.refresh_from_db()
    assert r1.confirm_opens == bkk(date(2027, 6, 10), 7, 30)


def test_a_window_that_closes_before_it_opens_is_refused(client_as, ministry_admin):
    year = academic_year_create(year_be=2570, actor=ministry_admin)
    r1 = year.rounds.get(number=1)
    response = client_as(ministry_admin).post(
        reverse("workflows:round_edit", args=[r1.pk]),
        {
            "as_of": "2027-06-10",
            "confirm_opens": "2027-06-10T17:00",
            "confirm_closes": "2027-06-10T16:30",
            "certify_opens": "2027-06-10T08:30",
            "certify_closes": "2027-06-10T16:30",
            "id_correction_cutoff": "2027-06-10T16:30",
        },
    )
    assert response.status_code == 200
    assert "เวลาปิดต้องอยู่หลังเวลาเปิด" in response.content.decode()
    r1.refresh_from_db()
    assert r1.confirm_opens == bkk(date(2027, 6, 10), 8, 0)


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "id_approver"])
def test_only_the_ministry_sets_rounds(client_as, request, persona):
    user = request.getfixturevalue(persona)
    client = client_as(user)
    assert client.post(reverse("census:year_create"), {"year": "2570"}).status_code == 403
    assert not AcademicYear.objects.exists()
    year = academic_year_create(year_be=2570, actor=None)
    r1 = year.rounds.get(number=1)
    assert client.get(reverse("workflows:round_edit", args=[r1.pk])).status_code == 403
    assert client.get(reverse("census:index")).status_code == 200  # everyone reads the calendar


def test_calendar_shows_buddhist_dates(client_as, staff):
    academic_year_create(year_be=2570, actor=None)
    body = client_as(staff).get(reverse("census:index")).content.decode()
    assert "10 มิถุนายน 2570" in body and "30 เมษายน 2571" in body
