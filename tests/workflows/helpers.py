"""Helpers for flow tests: the count day's clock and taking a task from the inbox."""

from datetime import date, datetime, time

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

COUNT_DAY = date(2026, 11, 10)  # round 2 of academic year 2569


def at(hh, mm, ss=0, day=COUNT_DAY):
    return timezone.make_aware(datetime.combine(day, time(hh, mm, ss)))


def open_task(client, user, node):
    """Take the user's task of that node from the inbox and return its execute URL."""
    task = Task.objects.get(
        flow_task_type="HUMAN",
        status__in=["NEW", "ASSIGNED"],
        process__certificationprocess__isnull=False,
    )
    assert task.flow_task.name == node, task.flow_task.name
    response = client.post(reverse("workflows:take", args=[task.pk]))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def step(client, user, node, data=None):
    """Take and post the user's task, then run what its request queued for after its commit (the
    record's render and signature, in Celery's eager mode), as the request's commit would."""
    client.force_login(user)
    url = open_task(client, user, node)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {})


def run_to_certify(client, staff, director, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    assert step(client, staff, "prepare").status_code == 302
    assert step(client, staff, "confirm").status_code == 302
