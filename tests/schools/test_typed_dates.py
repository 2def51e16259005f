"""Dates as people type them: day/month/year of the Buddhist era (Thai digits too), the browser
calendar's ISO date, or either with the other era's year. A wrong date is explained, in Thai."""

from datetime import date

import pytest
from django import forms
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from schools.checks import date_from_text
from schools.forms import DateInput, ThaiDateField
from schools.models import Grade, Student

from ..factories import make_citizen_id


def add_learner(client, school, birth_date: str):
    return client.post(
        reverse("schools:add", args=[school.code]),
        {
            "identifier": make_citizen_id(),
            "title": "ด.ช.",
            "first_name_th": "ธนกฤต",
            "last_name_th": "ศรีสุข",
            "sex": "M",
            "birth_date": birth_date,
            "nationality": "ไทย",
            "grade": Grade.P3,
            "room": "1",
            "started_on": "16/05/2569",
        },
    )


@pytest.mark.parametrize(
    "typed",
    [
        "01/07/2560",
        "1/7/2560",
        "๐๑/๐๗/๒๕๖๐",
        "01.07.2560",
        " 01-07-2560 ",
        "2017-07-01",  # the browser's calendar
        "2560-07-01",  # a Buddhist year typed into the browser's calendar
        "01/07/2017",  # a Christian year typed by hand
    ],
)
def test_a_birth_date_typed_any_way_people_do_is_understood(client_as, staff, school, typed):
    response = add_learner(client_as(staff), school, typed)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Student.objects.get().birth_date == date(2017, 7, 1)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("31/02/2560", "ไม่มีวันที่ 31 ในเดือนที่ 2 ของปี 2560"),
        ("29/02/2561", "ไม่มีวันที่ 29 ในเดือนที่ 2 ของปี 2561"),
        ("1/13/2560", "ไม่มีวันที่ 1 ในเดือนที่ 13 ของปี 2560"),
        ("พรุ่งนี้", "กรอกวันที่เป็น วัน/เดือน/ปี พ.ศ. เช่น"),
        ("1/7/60", "กรอกวันที่เป็น วัน/เดือน/ปี พ.ศ. เช่น"),
    ],
)
def test_a_date_that_is_not_one_is_explained_and_nothing_is_added(
    client_as, staff, school, typed, said
):
    response = add_learner(client_as(staff), school, typed)
    body = response.content.decode()
    assert response.status_code == 200 and said in body
    assert f'value="{typed}"' in body  # what was typed stays, to be corrected
    assert not Student.objects.exists()


def test_the_date_field_shows_the_buddhist_year_and_a_calendar(client_as, staff, school):
    body = client_as(staff).get(reverse("schools:add", args=[school.code])).content.decode()
    assert 'placeholder="วว/ดด/ปปปป (พ.ศ.)"' in body and 'inputmode="numeric"' in body
    assert 'class="dmc-date-picker" data-for="id_birth_date"' in body
    assert 'aria-label="เลือกวันที่จากปฏิทิน"' in body
    assert "js/dates.js" in body


class OneDate(forms.Form):
    on = ThaiDateField()


def test_a_date_already_kept_is_shown_in_the_buddhist_year():
    html = str(OneDate(initial={"on": date(2026, 11, 10)})["on"])
    assert 'value="10/11/2569"' in html and 'value="2026-11-10"' in html


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2399, 12, 31)))
def test_every_date_shown_reads_back_as_itself(day):
    assert date_from_text(DateInput().format_value(day)) == day
    assert date_from_text(day.isoformat()) == day


def test_the_measurement_grid_reads_a_buddhist_date_and_explains_a_wrong_one(
    client_as, staff, school
):
    from schools.models import Measurement

    from ..factories import EnrollmentFactory

    enrollment = EnrollmentFactory(school=school, grade=Grade.P3)
    client = client_as(staff)
    url = reverse("schools:grid", args=[school.code])
    row = {"grade": Grade.P3, "room": enrollment.room, f"w_{enrollment.pk}": "25.5"}
    row[f"h_{enrollment.pk}"] = "130"
    page = client.get(url, {"grade": Grade.P3, "room": enrollment.room}).content.decode()
    assert 'placeholder="วว/ดด/ปปปป (พ.ศ.)"' in page
    response = client.post(url, {**row, "measured_on": "31/02/2569"})
    assert "ไม่มีวันที่ 31 ในเดือนที่ 2 ของปี 2569" in response.content.decode()
    assert 'value="31/02/2569"' in response.content.decode()
    assert not Measurement.objects.exists()
    client.post(url, {**row, "measured_on": "๑๐/๑๑/๒๕๖๙"})
    assert Measurement.objects.get().measured_on == date(2026, 11, 10)
