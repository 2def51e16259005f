"""Grade pickers offer only the grades the school teaches, and a grade it does not teach is refused."""

import re

import pytest
from django.urls import reverse

from schools.models import Grade, Student

from ..factories import EnrollmentFactory, make_citizen_id

PAGES = [
    ("schools:add", {}),
    ("schools:move", {}),
    ("schools:roster", {}),
    ("workflows:transfer_in", {}),
    ("workflows:gcode_request", {}),
]


@pytest.fixture
def primary(school):
    school.lowest_grade, school.highest_grade = Grade.K1, Grade.P6
    school.save(update_fields=["lowest_grade", "highest_grade"])
    return school


def offered(body: str) -> set[str]:
    return set(re.findall(r'<option value="(\d\d[KPM]\d)"', body))


@pytest.mark.parametrize(("name", "extra"), PAGES)
def test_a_primary_schools_pickers_offer_its_grades_only(client_as, staff, primary, name, extra):
    body = client_as(staff).get(reverse(name, args=[primary.code])).content.decode()
    taught = {g for g in Grade.values if primary.teaches(g)}
    assert offered(body) and offered(body) <= taught
    assert Grade.M1 not in offered(body) and Grade.P6 in offered(body)


def test_a_class_edit_offers_the_schools_grades_only(client_as, staff, primary):
    enrollment = EnrollmentFactory(school=primary, grade=Grade.P3)
    url = reverse("schools:class", args=[primary.code, enrollment.student.public_id])
    body = client_as(staff).get(url).content.decode()
    assert Grade.M1 not in offered(body) and Grade.P3 in offered(body)


def test_a_grade_the_school_does_not_teach_is_refused(client_as, staff, primary):
    response = client_as(staff).post(
        reverse("schools:add", args=[primary.code]),
        {
            "identifier": make_citizen_id(),
            "title": "ด.ช.",
            "first_name_th": "ธนกฤต",
            "last_name_th": "ศรีสุข",
            "sex": "M",
            "birth_date": "01/07/2555",
            "nationality": "ไทย",
            "grade": Grade.M1,
            "room": "1",
            "started_on": "16/05/2569",
        },
    )
    assert response.status_code == 200 and "เลือกตัวเลือกที่ถูกต้อง" in response.content.decode()
    assert not Student.objects.exists()
