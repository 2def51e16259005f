from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from buildings.models import Building
from buildings.services import survey_year_create
from workflows.building_survey import survey_year_open


def at(month, day, hh, mm, ss=0, year=2026):
    return timezone.make_aware(datetime.combine(date(year, month, day), time(hh, mm, ss)))


def make_building(school, **fields):
    values = {
        "kind": Building.Kind.CLASSROOM,
        "name": "อาคารเรียน 1",
        "design_code": "สปช.105/29",
        "year_built": 2530,
        "rooms_design": 4,
        "rooms_in_use": 2,
        "floor_area_m2": Decimal("432"),
        "condition": Building.Condition.FAIR,
    }
    values.update(fields)
    return Building.objects.create(school=school, **values)


def take(client, user, node, school):
    """Take the user's open survey task of that node from the inbox; return its execute URL."""
    client.force_login(user)
    task = Task.objects.get(
        flow_task_type="HUMAN",
        status__in=["NEW", "ASSIGNED"],
        process__buildingsurveyprocess__school=school,
    )
    assert task.flow_task.name == node, task.flow_task.name
    response = client.post(reverse("workflows:take", args=[task.pk]))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def step(client, user, node, school, data=None):
    return client.post(take(client, user, node, school), data or {})


@pytest.fixture
def survey_year(db):
    return survey_year_create(year_be=2569)  # 1 Oct 2026 00:00 – 30 Oct 2026 16:30


@pytest.fixture
def opened(survey_year, school, other_school, time_machine):
    time_machine.move_to(at(10, 1, 8, 0), tick=False)
    make_building(school)
    survey_year_open(survey_year=survey_year)
    return survey_year


@pytest.fixture
def certified(client, opened, school, staff, director, time_machine):
    """The school submitted and certified on 10 October."""
    time_machine.move_to(at(10, 10, 10, 0), tick=False)
    assert step(client, staff, "enter", school).status_code == 302
    assert step(client, director, "certify", school, {"decision": "certify"}).status_code == 302
    return opened
