"""Celery tasks of the census app: each takes ids and calls one service; each is idempotent."""

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from accounts.models import User
from schools.models import School

from .models import AcademicYear
from .reminders import reminders_due
from .rollover import rollover_record, school_rollover_apply

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_due_reminders() -> dict[str, int]:
    """Send the count-day reminders that are due (the day before, 14:30, directors); run every
    five minutes by beat. A reminder already sent is never sent again."""
    return reminders_due()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rollover_school(academic_year_id: int, school_id: int, actor_id: int | None) -> int:
    """Move one school into a new academic year and sign its summary; a second run does nothing."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        rollover = school_rollover_apply(
            academic_year=AcademicYear.objects.get(pk=academic_year_id),
            school=School.objects.get(pk=school_id),
            actor=actor,
        )
    except ValidationError as exc:
        logger.warning("Rollover of school %s refused: %s", school_id, exc.messages)
        return 0
    rollover_record(rollover=rollover)
    return rollover.pk
