from celery import shared_task
from django.utils import timezone

from .selectors import survey_years_due


@shared_task(acks_late=True)
def open_due_survey_years() -> int:
    """Start the building survey process of every school for the survey years that have opened."""
    from workflows.building_survey import survey_year_open

    started = 0
    for survey_year in survey_years_due(at=timezone.now()):
        started += survey_year_open(survey_year=survey_year)
    return started
