"""The daily transfer reminder (issue 23): its e-mails leave only once the marks that they were
sent are committed, so a run that fails part way sends nothing and the next run sends them all."""

from datetime import timedelta

import pytest
from django.utils import timezone

from schools.models import Grade
from workflows import requests
from workflows.models import TransferProcess

from ..factories import EnrollmentFactory

# Committed for real, as the beat task's worker runs it: no test transaction holds the e-mails back.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reminder_run_that_fails_part_way_sends_nothing_and_the_next_sends_all(
    staff, other_school_staff, school, other_school, mailoutbox, monkeypatch, settings,
    time_machine,
):  # fmt: skip
    settings.TRANSFER_REMIND_DAYS = 3
    for _ in range(2):
        held = EnrollmentFactory(school=other_school)
        requests.transfer_request(
            school=school, actor=staff, student=held.student, grade=Grade.P4, room=1
        )
    time_machine.move_to(timezone.now() + timedelta(days=4), tick=False)
    real, calls = requests.school_emails, []

    def fails_the_second_time(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(requests, "school_emails", fails_the_second_time)
    with pytest.raises(ConnectionError):
        requests.transfers_remind()
    assert mailoutbox == []
    assert not TransferProcess.objects.filter(reminded_at__isnull=False).exists()

    monkeypatch.setattr(requests, "school_emails", real)
    assert requests.transfers_remind() == 2
    assert [m.to for m in mailoutbox] == [[other_school_staff.email]] * 2
    assert TransferProcess.objects.filter(reminded_at__isnull=False).count() == 2
    assert requests.transfers_remind() == 0
