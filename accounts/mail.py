"""E-mails to a person about their own account, written in the language of their profile."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


def password_reset_mail_send(*, user: User, domain: str, use_https: bool) -> None:
    """Send the user a link that sets a new password, once, before it expires."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "link": f"{'https' if use_https else 'http'}://{domain}{path}",
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject, body = mail_compose("accounts/mail/password_reset", context)
    send_mail(subject, body, None, [user.email])


def mail_compose(name: str, context: dict) -> tuple[str, str]:
    """Return an e-mail's subject and body, in the active language, from its two text templates:
    ``<name>_subject.txt`` (made one line: a newline in a subject would be a header injection) and
    ``<name>_body.txt``. The templates say ``{% autoescape off %}``: an e-mail is text, not HTML."""
    subject = " ".join(get_template(f"{name}_subject.txt").render(context).split())
    body = get_template(f"{name}_body.txt").render(context).strip("\n")
    return subject, body
