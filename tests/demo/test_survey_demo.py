from datetime import date

from buildings.models import Building, SchoolSurvey
from demo.survey import buildings_demo, latest_closed_october
from documents.models import Kind, SignedDocument

from ..buildings.conftest import at


def test_latest_closed_october(time_machine):
    time_machine.move_to(at(10, 30, 16, 30), tick=False)
    assert latest_closed_october(date(2026, 10, 30)) == 2569
    time_machine.move_to(at(10, 30, 16, 29), tick=False)
    assert latest_closed_october(date(2026, 10, 30)) == 2568


def test_demo_is_idempotent_and_has_certified_and_missed(
    db, school, other_school, staff, director, time_machine
):
    time_machine.move_to(at(11, 29, 10, 0), tick=False)
    first = buildings_demo(today=date(2026, 11, 29))
    counts = (
        Building.objects.count(),
        SchoolSurvey.objects.count(),
        SignedDocument.objects.count(),
    )
    second = buildings_demo(today=date(2026, 11, 29))
    assert counts == (
        Building.objects.count(),
        SchoolSurvey.objects.count(),
        SignedDocument.objects.count(),
    )
    assert first["certified"] == second["certified"] == 1
    assert first["missed"] == second["missed"] == 1  # other_school has no staff: missed
    assert SchoolSurvey.objects.get(school=school).state == "certified"
    assert SignedDocument.objects.filter(kind=Kind.BUILDING_SURVEY, school=school).count() == 1
