from datetime import date

import pytest

from census.services import academic_year_create
from schools.models import Grade
from workflows.models import CertificationProcess
from workflows.services import round_open

from ..factories import EnrollmentFactory, MeasurementFactory, StudentFactory
from .helpers import at


@pytest.fixture
def round2(db):
    year = academic_year_create(year_be=2569, actor=None)
    return year.rounds.get(number=2)


@pytest.fixture
def clean_roster(school):
    """Learners who pass every check: the right age, measured this academic year."""
    rows = []
    for i in range(4):
        e = EnrollmentFactory(
            school=school, grade=Grade.P3, student=StudentFactory(birth_date=date(2017, 7, 1 + i))
        )
        MeasurementFactory(
            student=e.student, measured_on=date(2026, 6, 1), weight_kg=27 + i, height_cm=130 + i
        )
        rows.append(e)
    return rows


@pytest.fixture
def opened(round2, school, clean_roster, time_machine):
    time_machine.move_to(at(7, 0, day=date(2026, 11, 1)), tick=False)
    round_open(round=round2)
    return CertificationProcess.objects.get(school=school, round=round2)
