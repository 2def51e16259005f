"""E-mails to a person about their own account, written in the language of their profile."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
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
        # A subject is one line: a newline in it would be a header injection.
        subject = " ".join(render_to_string("accounts/mail/password_reset_subject.txt").split())
        body = render_to_string("accounts/mail/password_reset_body.txt", context)
    send_mail(subject, body, None, [user.email])
