"""E-mail about the work is sent by a worker after the change commits, and tried again while the
mail server is down."""

from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail.backends.locmem import EmailBackend

from accounts.tasks import mail_queue, mail_send

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """A mail server that drops the first two connections."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures < 2:
            FlakyBackend.failures += 1
            raise SMTPServerDisconnected("down")
        return super().send_messages(messages)


def test_a_mail_is_sent_after_the_change_commits(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        mail_queue(subject="เรื่อง", body="ข้อความ", recipients=["a@example.org"])
        assert mailoutbox == []

    for callback in callbacks:
        callback()
    assert [(m.subject, m.to) for m in mailoutbox] == [("เรื่อง", ["a@example.org"])]


def test_a_mail_server_that_is_down_is_tried_again(mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.CELERY_TASK_EAGER_PROPAGATES = False  # as a worker runs it: a retry is not an error
    FlakyBackend.failures = 0

    # apply() runs the retries in turn instead of after their countdown.
    result = mail_send.apply(args=("เรื่อง", "ข้อความ", ["a@example.org"]))

    assert (result.state, FlakyBackend.failures, len(mailoutbox)) == ("SUCCESS", 2, 1)


def test_no_recipient_no_mail(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mail_queue(subject="เรื่อง", body="ข้อความ", recipients=[])

    assert callbacks == []
    assert mailoutbox == []
