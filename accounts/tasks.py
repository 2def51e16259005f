from smtplib import SMTPException

from celery import shared_task
from django.core.mail import send_mail

from .invitation_mail import invitation_send
from .mail import password_reset_mail_send
from .models import Invitation, User
from .outbox import outbox_send, task_send_on_commit
from .permissions import sync_all_permissions
from .user_sessions import sessions_end_for_roles_ended


@shared_task
def sync_membership_permissions() -> int:
    """Grant and revoke object permissions for memberships that start or end today; end the
    sessions of the people whose role ended today (those signed in before it ended)."""
    sessions_end_for_roles_ended()
    return sync_all_permissions()


@shared_task
def send_password_reset(user_id: int, domain: str, use_https: bool) -> None:
    """Send a password-reset link to a user who is still active; a link is made when it is sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and user.email:
        password_reset_mail_send(user=user, domain=domain, use_https=use_https)


@shared_task(acks_late=True)
def send_invitation(invitation_id: int) -> bool:
    """E-mail an invitation with a fresh link; nothing for one accepted, withdrawn or expired.

    It takes the id, not the link: the link's secret is made here and never crosses the broker."""
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    return invitation is not None and invitation_send(invitation=invitation)


@shared_task(
    autoretry_for=(SMTPException, OSError), retry_backoff=60, retry_backoff_max=3600,
    max_retries=10,
)  # fmt: skip
def mail_send(subject: str, body: str, recipients: list[str]) -> None:
    """Send one e-mail; a mail server that is down is tried again, backing off, for hours."""
    send_mail(subject, body, None, recipients)


def mail_queue(*, subject: str, body: str, recipients: list[str]) -> None:
    """Send an e-mail about the work by a worker once the change is committed.

    The page that made the change never waits for the mail server, nor fails after its change is
    saved when the server is down: the worker tries again (a rolled-back change sends nothing).
    Nor when the broker is down: the e-mail is kept in the outbox until it is back."""
    if recipients:
        task_send_on_commit(mail_send, str(subject), str(body), [str(r) for r in recipients])


@shared_task
def send_outbox() -> int:
    """Queue again the tasks the broker refused while it was down (beat, every minute)."""
    return outbox_send()
