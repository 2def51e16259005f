"""Automatic count-day reminders (Celery beat): the day before and at 14:30 to schools not yet
confirmed, and to the director when a confirmation waits; each occasion once."""

from datetime import date

import pytest
from django.core import mail

from census.models import AutomaticReminder
from census.tasks import send_due_reminders
from workflows.services import round_open

from .helpers import at, step

DAY_BEFORE = date(2026, 11, 9)


@pytest.fixture(autouse=True)
def early_clock(time_machine):
    """Memberships start on the day they are made: make them before the count day."""
    time_machine.move_to(at(7, 0, day=date(2026, 11, 1)), tick=False)


@pytest.fixture
def two_schools(opened, school, other_school, staff, director, other_school_staff, round2):
    round_open(round=round2)  # the other school's process too
    return school, other_school


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run the beat task as the worker would: its e-mails leave after the commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_reminders.delay().get()

    return run


def recipients():
    return sorted(address for m in mail.outbox for address in m.to)


def test_the_day_before_is_sent_at_nine_once_to_each_school_not_confirmed(
    remind, two_schools, staff, director, other_school_staff, time_machine
):
    time_machine.move_to(at(8, 59, day=DAY_BEFORE), tick=False)
    assert remind() == {}
    assert mail.outbox == []
    time_machine.move_to(at(9, 0, day=DAY_BEFORE), tick=False)
    assert remind() == {"day_before": 2}
    assert recipients() == sorted([staff.email, director.email, other_school_staff.email])
    assert "พรุ่งนี้" in mail.outbox[0].subject and "Tomorrow" not in mail.outbox[0].subject
    time_machine.move_to(at(16, 0, day=DAY_BEFORE), tick=False)
    assert remind() == {}  # sent once, not every five minutes
    assert len(mail.outbox) == 2


def test_the_afternoon_reminder_goes_at_1430_to_a_school_not_confirmed(
    remind, opened, staff, director, time_machine
):
    time_machine.move_to(at(14, 29, 59), tick=False)
    assert remind() == {}
    time_machine.move_to(at(14, 30), tick=False)
    assert remind() == {"afternoon": 1}
    assert recipients() == sorted([staff.email, director.email])
    assert "16:30" in mail.outbox[0].body
    time_machine.move_to(at(16, 30), tick=False)  # the window has closed: nothing more
    mail.outbox.clear()
    assert remind() == {}
    assert mail.outbox == []


def test_a_school_that_confirmed_gets_no_afternoon_reminder(
    remind, client, opened, staff, director, time_machine
):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    time_machine.move_to(at(14, 30), tick=False)
    mail.outbox.clear()
    assert "afternoon" not in remind()
    assert all("ยังไม่ได้ยืนยัน" not in m.subject for m in mail.outbox)


def test_a_director_is_told_once_per_confirmation(
    remind, client, opened, staff, director, time_machine
):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    mail.outbox.clear()
    assert remind() == {"director": 1}
    assert [m.to for m in mail.outbox] == [[director.email]]
    assert remind() == {}
    # The director sends it back; the staff confirm again: a new confirmation waits.
    time_machine.move_to(at(10, 0), tick=False)
    assert (
        step(
            client, director, "certify", {"decision": "reject", "reason": "ห้อง 2 ขาดไป 1 คน"}
        ).status_code
        == 302
    )
    assert step(client, staff, "confirm").status_code == 302
    mail.outbox.clear()
    assert remind() == {"director": 1}
    assert AutomaticReminder.objects.filter(kind="director").count() == 2


def test_a_certified_school_gets_no_reminder(remind, client, opened, staff, director, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    step(client, director, "certify", {"decision": "certify"})
    mail.outbox.clear()
    time_machine.move_to(at(14, 45), tick=False)
    remind()
    assert mail.outbox == []


def test_beat_runs_the_reminders(settings):
    assert settings.CELERY_BEAT_SCHEDULE["send-count-day-reminders"]["task"] == (
        "census.tasks.send_due_reminders"
    )
