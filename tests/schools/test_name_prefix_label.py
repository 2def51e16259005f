"""A learner's title is labelled as a name prefix (คำนำหน้าชื่อ), never as a document's subject (เรื่อง)."""

import re

import pytest
from django.urls import reverse

from ..factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def title_label(body: str) -> str:
    return re.search(r'<label[^>]*for="id_title"[^>]*>(.*?)</label>', body, re.S)[1].strip()


@pytest.mark.parametrize("name", ["schools:add", "workflows:gcode_request"])
def test_a_learner_forms_title_is_a_name_prefix(client_as, staff, school, name):
    body = client_as(staff).get(reverse(name, args=[school.code])).content.decode()

    assert "คำนำหน้าชื่อ" in title_label(body)


def test_the_name_edit_forms_title_is_a_name_prefix(client_as, staff, school):
    enrollment = EnrollmentFactory(school=school)
    url = reverse("schools:name", args=[school.code, enrollment.student.public_id])

    body = client_as(staff).get(url).content.decode()

    assert "คำนำหน้าชื่อ" in title_label(body)
