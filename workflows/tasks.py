from celery import shared_task
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from buildings.selectors import survey_years_due
from census.selectors import rounds_open_for_processes

from .building_survey import survey_year_open
from .requests import transfers_remind
from .services import round_open


@shared_task
def fire_workflow_timers() -> int:
    """Fire the flows' due timers (window closes → missed); run every minute by beat."""
    return fire_due_timers()


@shared_task(acks_late=True)
def open_due_rounds() -> int:
    """Start the certification processes of every round that has opened; idempotent."""
    started = 0
    for round in rounds_open_for_processes(at=timezone.now()):
        with transaction.atomic():
            started += round_open(round=round)
    return started


@shared_task(acks_late=True)
def open_due_survey_years() -> int:
    """Start the building survey process of every school for the survey years that have opened."""
    started = 0
    for survey_year in survey_years_due(at=timezone.now()):
        started += survey_year_open(survey_year=survey_year)
    return started


@shared_task
def remind_waiting_transfers() -> int:
    """E-mail releasing schools whose answer to a transfer is overdue; run daily by beat."""
    return transfers_remind()
